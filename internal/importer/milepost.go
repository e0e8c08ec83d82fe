package importer

import (
	"io"
	"strings"

	"milepost/internal/comments"
)

// parseMilepost reads Milepost's own export with comments.ReadExport, which
// checks it thoroughly, and maps its comments to items. Bodies are already
// Markdown and are kept as written. The export is returned too, for its
// bans and moderation records.
func parseMilepost(r io.Reader) (comments.Export, []Item, error) {
	e, err := comments.ReadExport(r)
	if err != nil {
		return comments.Export{}, nil, err
	}
	// A comment that was itself imported keeps the key of the system it
	// came from, so that restoring an export and then importing the
	// original file again adds nothing twice.
	sources := make(map[uint64]string, len(e.Comments))
	for _, c := range e.Comments {
		sources[c.ID] = comments.SourceOf(c)
	}
	items := make([]Item, 0, len(e.Comments))
	for _, c := range e.Comments {
		it := Item{
			Source:  sources[c.ID],
			PostRef: PostRef{Slug: c.Post},
			Name:    strings.TrimSpace(c.Name),
			Email:   strings.TrimSpace(c.Email),
			Website: strings.TrimSpace(c.Website),
			Body:    c.Body,
			Created: c.Created,
			Status:  string(c.Status),
			IP:      strings.TrimSpace(c.IP),
		}
		if c.Parent != 0 {
			it.ParentSource = sources[c.Parent]
			if it.ParentSource == "" {
				it.ParentSource = comments.MilepostSource(c.Parent)
			}
		}
		items = append(items, it)
	}
	return e, items, nil
}
