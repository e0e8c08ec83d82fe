package feed

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// CommentFileName is the file a comment feed is served at, under the site
// root or a post's page.
const CommentFileName = "comments.xml"

// CommentItem is one approved comment as a feed shows it. It has no email
// or address field on purpose: a comment feed is public.
type CommentItem struct {
	ID        uint64
	PostSlug  string
	PostTitle string
	Name      string // "" for an anonymous reader
	HTML      string // the sanitised comment
	Created   time.Time
}

// BuildComments writes an RSS 2.0 feed of comments, newest first as given,
// at most MaxItems of them. ch.Path is the page the feed belongs to ("/" or
// a post's "/posts/slug/").
func BuildComments(ch Channel, items []CommentItem) ([]byte, error) {
	d, err := newDoc(ch, nil, RSS)
	if err != nil {
		return nil, fmt.Errorf("building the comment feed of %q: %w", ch.Path, err)
	}
	d.self = d.page + CommentFileName
	base := strings.TrimSuffix(ch.BaseURL, "/")
	u, _ := url.Parse(base) // newDoc parsed it already
	items = items[:min(len(items), MaxItems)]
	for _, c := range items {
		name := c.Name
		if name == "" {
			name = "An anonymous reader"
		}
		// The comment's lasting address: it redirects to the page of the
		// post's comments that shows it.
		link := base + "/posts/" + c.PostSlug + "/comments/" + strconv.FormatUint(c.ID, 10)
		d.feed.Items = append(d.feed.Items, &feeds.Item{
			// Plain text: readers render titles as HTML, and the name is
			// whatever a stranger typed.
			Title:       markupFree(name + " on “" + c.PostTitle + "”"),
			Link:        &feeds.Link{Href: link},
			Description: c.HTML,
			// A comment's id: its host, its day and its number never change.
			Id:          "tag:" + u.Hostname() + "," + c.Created.Format(time.DateOnly) + ":comment:" + strconv.FormatUint(c.ID, 10),
			IsPermaLink: "false",
			Created:     c.Created,
			Author:      &feeds.Author{Name: markupFree(name)},
		})
		if c.Created.After(d.feed.Updated) {
			d.feed.Updated = c.Created
		}
	}
	var buf bytes.Buffer
	if err := d.writeRSS(&buf); err != nil {
		return nil, fmt.Errorf("writing the comment feed of %s: %w", d.page, err)
	}
	return buf.Bytes(), nil
}
