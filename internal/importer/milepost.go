package importer

import (
	"io"
	"strconv"
	"strings"

	"milepost/internal/comments"
)

// parseMilepost reads Milepost's own export with comments.ReadExport, which
// checks it thoroughly, and maps its comments to items. Bodies are already
// Markdown and are kept as written.
func parseMilepost(r io.Reader) ([]Item, error) {
	e, err := comments.ReadExport(r)
	if err != nil {
		return nil, err
	}
	// A comment that was itself imported keeps the key of the system it
	// came from, so that restoring an export and then importing the
	// original file again adds nothing twice.
	sources := make(map[uint64]string, len(e.Comments))
	for _, c := range e.Comments {
		sources[c.ID] = c.Source
		if c.Source == "" {
			sources[c.ID] = milepostSource(c.ID)
		}
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
				it.ParentSource = milepostSource(c.Parent)
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func milepostSource(id uint64) string {
	return "milepost:" + strconv.FormatUint(id, 10)
}
