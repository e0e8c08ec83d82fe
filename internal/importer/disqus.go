package importer

import (
	"encoding/xml"
	"fmt"
	"html"
	"strings"
	"time"

	"milepost/internal/content"
)

// A Disqus export is a flat list under <disqus>: <category>s, then
// <thread>s (one per page that had comments), then <post>s (the comments),
// each naming its thread and parent by their dsq:id attributes. The
// attribute tags carry no namespace, so they match dsq:id whatever prefix
// the file binds to the Disqus internals namespace.

type dsqRef struct {
	ID string `xml:"id,attr"`
}

type dsqThread struct {
	DsqID string `xml:"id,attr"`
	Ident string `xml:"id"` // the site's own identifier for the page, often empty
	Link  string `xml:"link"`
	Title string `xml:"title"`
}

type dsqAuthor struct {
	Name        string `xml:"name"`
	Email       string `xml:"email"`
	IsAnonymous string `xml:"isAnonymous"`
	Username    string `xml:"username"`
}

type dsqPost struct {
	DsqID     string    `xml:"id,attr"`
	Message   string    `xml:"message"`
	CreatedAt string    `xml:"createdAt"`
	IsDeleted string    `xml:"isDeleted"`
	IsSpam    string    `xml:"isSpam"`
	Author    dsqAuthor `xml:"author"`
	IP        string    `xml:"ipAddress"`
	Thread    dsqRef    `xml:"thread"`
	Parent    dsqRef    `xml:"parent"`
}

// parseDisqus reads the rest of a Disqus export. Posts may name threads that
// come later in the file, so threads are matched up at the end.
func parseDisqus(d *decoder) ([]Item, error) {
	threads := make(map[string]PostRef)
	threadLine := make(map[string]int)
	postLine := make(map[string]int)
	type pending struct {
		item   Item
		thread string
		line   int
	}
	var posts []pending
	err := walk(d, func(start xml.StartElement) (bool, error) {
		switch start.Name.Local {
		case "category":
			return true, d.Skip()
		case "thread":
			line, _ := d.InputPos()
			var t dsqThread
			if err := d.DecodeElement(&t, &start); err != nil {
				return true, err
			}
			id := strings.TrimSpace(t.DsqID)
			if id == "" {
				return true, &lineError{line: line, msg: "a <thread> has no dsq:id attribute"}
			}
			if first, dup := threadLine[id]; dup {
				return true, &lineError{line: line, msg: fmt.Sprintf("thread dsq:id=%q appears twice (first on line %d)", id, first)}
			}
			threadLine[id] = line
			ref := PostRef{URL: strings.TrimSpace(t.Link), Title: oneLine(html.UnescapeString(t.Title))}
			// Sites often set the identifier to the post's slug; other
			// identifiers (WordPress's "123 https://…", paths) are left to
			// the link.
			if ident := strings.TrimSpace(t.Ident); looksLikeSlug(ident) {
				ref.Slug = ident
			}
			threads[id] = ref
			return true, nil
		case "post":
			line, _ := d.InputPos()
			var p dsqPost
			if err := d.DecodeElement(&p, &start); err != nil {
				return true, err
			}
			it, keep, err := p.item()
			if err != nil {
				return true, &lineError{line: line, msg: err.Error()}
			}
			id := strings.TrimSpace(p.DsqID)
			if first, dup := postLine[id]; dup {
				return true, &lineError{line: line, msg: fmt.Sprintf("post dsq:id=%q appears twice (first on line %d)", id, first)}
			}
			postLine[id] = line
			if keep {
				posts = append(posts, pending{it, strings.TrimSpace(p.Thread.ID), line})
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(posts))
	for _, p := range posts {
		ref, ok := threads[p.thread]
		if !ok {
			return nil, &lineError{line: p.line, msg: fmt.Sprintf("%s: its thread dsq:id=%q is not in the export", p.item.Source, p.thread)}
		}
		p.item.PostRef = ref
		items = append(items, p.item)
	}
	return items, nil
}

// item maps a post to an Item without its PostRef; keep is false for a
// deleted post.
func (p dsqPost) item() (it Item, keep bool, err error) {
	id := strings.TrimSpace(p.DsqID)
	if id == "" {
		return Item{}, false, fmt.Errorf("a <post> has no dsq:id attribute")
	}
	where := fmt.Sprintf("post dsq:id=%q", id)
	deleted, ok := parseBool(p.IsDeleted)
	if !ok {
		return Item{}, false, fmt.Errorf("%s: <isDeleted> is %q; want true or false", where, p.IsDeleted)
	}
	spam, ok := parseBool(p.IsSpam)
	if !ok {
		return Item{}, false, fmt.Errorf("%s: <isSpam> is %q; want true or false", where, p.IsSpam)
	}
	anonymous, ok := parseBool(p.Author.IsAnonymous)
	if !ok {
		return Item{}, false, fmt.Errorf("%s: <isAnonymous> is %q; want true or false", where, p.Author.IsAnonymous)
	}
	if strings.TrimSpace(p.Thread.ID) == "" {
		return Item{}, false, fmt.Errorf("%s: no <thread dsq:id=\"…\"> says which page it is on", where)
	}
	if deleted {
		return Item{}, false, nil
	}
	if len(p.Message) > MaxContentBytes {
		return Item{}, false, fmt.Errorf("%s: <message> is %d KiB, more than the %d KiB a comment may be", where, len(p.Message)>>10, MaxContentBytes>>10)
	}
	created, err := disqusTime(p.CreatedAt)
	if err != nil {
		return Item{}, false, fmt.Errorf("%s: %w", where, err)
	}
	it = Item{
		Source:  "disqus:" + id,
		Name:    oneLine(p.Author.Name),
		Email:   strings.TrimSpace(p.Author.Email),
		Body:    htmlToMarkdown(p.Message, false),
		Created: created,
		Status:  StatusApproved,
		IP:      strings.TrimSpace(p.IP),
	}
	// A guest (isAnonymous) gives a name but has no username; a registered
	// reader without a display name is known by the username.
	if it.Name == "" && !anonymous {
		it.Name = oneLine(p.Author.Username)
	}
	if spam {
		it.Status = StatusSpam
	}
	if parent := strings.TrimSpace(p.Parent.ID); parent != "" {
		it.ParentSource = "disqus:" + parent
	}
	return it, true, nil
}

// disqusTime reads a <createdAt>: RFC 3339, or without a zone (as in
// Disqus's own documentation), which is UTC.
func disqusTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("no <createdAt>")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	if err == nil && t.IsZero() {
		// Year 1: what an exporter writes for a time it never had.
		return time.Time{}, fmt.Errorf("<createdAt> %q is no time: the exporter did not know it", s)
	}
	if err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("<createdAt> %q is not a time like %q", s, "2011-10-04T16:12:00Z")
}

// looksLikeSlug reports whether s could be a Milepost slug: lowercase ASCII
// letters, digits and inner hyphens. A bare number is not taken for one:
// it is almost always a database ID.
func looksLikeSlug(s string) bool {
	return !isDigits(s) && content.ValidSlug(s)
}
