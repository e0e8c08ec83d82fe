package importer

import (
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// wxrComment is one <wp:comment>. Field tags carry no namespace, so they
// match whichever WXR version's wp: namespace the file uses.
type wxrComment struct {
	ID       string `xml:"comment_id"`
	Author   string `xml:"comment_author"`
	Email    string `xml:"comment_author_email"`
	URL      string `xml:"comment_author_url"`
	IP       string `xml:"comment_author_IP"`
	Date     string `xml:"comment_date"`
	DateGMT  string `xml:"comment_date_gmt"`
	Content  string `xml:"comment_content"`
	Approved string `xml:"comment_approved"`
	Type     string `xml:"comment_type"`
	Parent   string `xml:"comment_parent"`
}

// wxrDate is how WXR writes times: comment_date_gmt in UTC, comment_date in
// the blog's own zone, which the file does not give.
const wxrDate = "2006-01-02 15:04:05"

// parseWXR reads the <item>s of a WordPress export (posts, pages and the
// like) and the <wp:comment>s inside them.
func parseWXR(d *decoder) ([]Item, error) {
	var items []Item
	seen := make(map[string]int) // comment_id → the line it was first on
	err := walk(d, func(start xml.StartElement) (bool, error) {
		if start.Name.Local != "item" || start.Name.Space != "" {
			return false, nil
		}
		got, err := parseWXRItem(d, seen)
		items = append(items, got...)
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// parseWXRItem reads one <item> after its start tag, through its end tag.
func parseWXRItem(d *decoder, seen map[string]int) ([]Item, error) {
	var ref PostRef
	type located struct {
		c    wxrComment
		line int
	}
	var cs []located
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			items := make([]Item, 0, len(cs))
			for _, l := range cs {
				it, keep, err := l.c.item(ref)
				if err != nil {
					return nil, &lineError{line: l.line, msg: err.Error()}
				}
				if keep {
					items = append(items, it)
				}
			}
			return items, nil
		case xml.StartElement:
			var err error
			switch {
			case t.Name.Space == "" && t.Name.Local == "title":
				err = d.DecodeElement(&ref.Title, &t)
				ref.Title = oneLine(html.UnescapeString(ref.Title))
			case t.Name.Space == "" && t.Name.Local == "link":
				err = d.DecodeElement(&ref.URL, &t)
				ref.URL = strings.TrimSpace(ref.URL)
			case isWP(t.Name, "post_name"):
				err = d.DecodeElement(&ref.Slug, &t)
				ref.Slug = wxrSlug(ref.Slug)
			case isWP(t.Name, "comment"):
				line, _ := d.InputPos()
				var c wxrComment
				if err = d.DecodeElement(&c, &t); err != nil {
					break
				}
				c.ID = strings.TrimSpace(c.ID)
				if !isDigits(c.ID) {
					return nil, &lineError{line: line, msg: fmt.Sprintf("a wp:comment has comment_id %q; want a number", c.ID)}
				}
				if first, dup := seen[c.ID]; dup {
					return nil, &lineError{line: line, msg: fmt.Sprintf("comment_id %s is used twice (first on line %d)", c.ID, first)}
				}
				seen[c.ID] = line
				cs = append(cs, located{c, line})
			default:
				err = d.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// wxrSlug cleans a wp:post_name. WordPress stores a non-ASCII slug
// percent-encoded ("caf%c3%a9"); it is decoded so that it can match.
func wxrSlug(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	return s
}

// item maps a comment to an Item; keep is false for one that is not a
// reader's comment worth importing (trashed, or a pingback or trackback).
func (c wxrComment) item(ref PostRef) (it Item, keep bool, err error) {
	where := "comment " + c.ID
	switch strings.ToLower(strings.TrimSpace(c.Type)) {
	case "", "comment":
	default:
		// pingback, trackback, and the types plugins add (order notes,
		// webmentions, …) are not readers' comments.
		return Item{}, false, nil
	}
	var status string
	switch a := strings.ToLower(strings.TrimSpace(c.Approved)); a {
	case "1", "approve", "approved":
		status = StatusApproved
	case "0", "hold", "":
		// Missing is held for a moderator: the safe guess.
		status = StatusPending
	case "spam":
		status = StatusSpam
	case "trash", "post-trashed":
		return Item{}, false, nil
	default:
		return Item{}, false, fmt.Errorf("%s: comment_approved is %q; want 1, 0, spam or trash", where, c.Approved)
	}
	if len(c.Content) > MaxContentBytes {
		return Item{}, false, fmt.Errorf("%s: comment_content is %d KiB, more than the %d KiB a comment may be", where, len(c.Content)>>10, MaxContentBytes>>10)
	}
	created, err := c.created()
	if err != nil {
		return Item{}, false, fmt.Errorf("%s: %w", where, err)
	}
	it = Item{
		Source:  "wxr:" + c.ID,
		PostRef: ref,
		Name:    oneLine(html.UnescapeString(c.Author)),
		Email:   strings.TrimSpace(c.Email),
		Website: website(c.URL),
		Body:    htmlToMarkdown(c.Content, true),
		Created: created,
		Status:  status,
		IP:      strings.TrimSpace(c.IP),
	}
	switch p := strings.TrimSpace(c.Parent); {
	case p == "" || p == "0":
	case isDigits(p):
		it.ParentSource = "wxr:" + p
	default:
		return Item{}, false, fmt.Errorf("%s: comment_parent is %q; want a comment_id, or 0", where, c.Parent)
	}
	return it, true, nil
}

// created is the comment's time. comment_date_gmt is the one to trust; a
// comment without it (WordPress writes 0000-00-00 00:00:00 when it never
// knew) falls back on comment_date, read as UTC since WXR does not say what
// zone the blog was in.
func (c wxrComment) created() (time.Time, error) {
	gmt := strings.TrimSpace(c.DateGMT)
	if gmt != "" && !strings.HasPrefix(gmt, "0000-00-00") {
		t, err := time.Parse(wxrDate, gmt)
		if err != nil {
			return time.Time{}, fmt.Errorf("comment_date_gmt %q is not a time like %q", gmt, "2011-10-04 16:12:00")
		}
		if !t.IsZero() { // year 1 is no more a time than 0000-00-00
			return t, nil
		}
	}
	local := strings.TrimSpace(c.Date)
	if local == "" || strings.HasPrefix(local, "0000-00-00") {
		return time.Time{}, fmt.Errorf("neither comment_date_gmt nor comment_date gives a time")
	}
	t, err := time.Parse(wxrDate, local)
	if err != nil {
		return time.Time{}, fmt.Errorf("comment_date %q is not a time like %q", local, "2011-10-04 09:12:00")
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("neither comment_date_gmt nor comment_date gives a time")
	}
	return t, nil
}

// website cleans a commenter's address. WordPress often stores a bare
// "http://" for a commenter who gave none.
func website(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "http://", "https://":
		return ""
	}
	return s
}
