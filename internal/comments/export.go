package comments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ExportVersion is the version of the export format this package writes and
// the newest it reads. Version 2 added comments' "commenter", "hold_reason"
// and "source", and the "bans" and "actions" lists; a version 1 file (a seed,
// an old backup) is read as it always was.
const ExportVersion = 2

// Export is every comment of a site, as written by WriteExport. It is both the
// backup format and the format of a site's hand-written seed comments:
//
//	{"version": 1, "comments": [{"id": 1, "post": "massage-during-training",
//	  "body": "…", "status": "approved", "created": "2011-10-04T09:12:00-07:00"}]}
//
// Depth and HTML are derived, so a file need not give them. A full export
// also has the bans and the audit log, oldest first.
type Export struct {
	Version  int       `json:"version"`
	Exported time.Time `json:"exported,omitzero"`
	Comments []Comment `json:"comments"`
	Bans     []Ban     `json:"bans,omitempty"`
	Actions  []Action  `json:"actions,omitempty"`
}

// WriteExport writes e as indented JSON, always as ExportVersion (the only
// format it knows how to write, whatever e.Version says). HTML is left out: it
// is derived from Body, and ReadExport renders it again with the sanitiser of
// the day, so an export never carries HTML that an older, laxer version
// allowed. Email and IP are kept: an export is the site's own backup.
func WriteExport(w io.Writer, e Export) error {
	out := e
	out.Version = ExportVersion
	out.Comments = make([]Comment, len(e.Comments))
	for i, c := range e.Comments {
		c.HTML = ""
		out.Comments[i] = c
	}
	if out.Comments == nil {
		out.Comments = []Comment{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Comments are full of <, > and &; escaping them as \u003c makes a
	// hand-edited file harder to read and buys nothing outside a <script>.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing comments export: %w", err)
	}
	return nil
}

// ReadExport reads an export or seed file. It refuses unknown versions and
// unknown fields (a misspelt "crated" would otherwise silently lose the
// date), and checks every comment: an ID, unique; a post; a body; a creation
// time; a known status ("approved" when left out); a parent, when given, that
// is in the file on the same post; a source, when given, used once. It fills
// in each comment's Depth and renders its HTML, and checks each ban's kind
// and value.
func ReadExport(r io.Reader) (Export, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Export{}, fmt.Errorf("reading comments export: %w", err)
	}
	if !utf8.Valid(data) {
		return Export{}, errors.New("reading comments export: the file is not valid UTF-8 text")
	}
	var e Export
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Export{}, fmt.Errorf("reading comments export: %w", describeJSONError(data, err))
	}
	if dec.More() {
		return Export{}, errors.New("reading comments export: unexpected data after the JSON object")
	}
	switch {
	case e.Version == 0:
		return Export{}, errors.New(`reading comments export: missing "version" (this milepost writes version 1)`)
	case e.Version > ExportVersion || e.Version < 0:
		return Export{}, fmt.Errorf("reading comments export: version %d is not one this milepost understands (it reads versions 1 to %d); upgrade milepost",
			e.Version, ExportVersion)
	}
	if err := checkExported(e.Comments); err != nil {
		return Export{}, fmt.Errorf("reading comments export: %w", err)
	}
	for i := range e.Bans {
		b := &e.Bans[i]
		v, err := NormalizeBan(b.Kind, b.Value)
		if err != nil {
			return Export{}, fmt.Errorf("reading comments export: ban %d: %w", i+1, err)
		}
		b.Value = v
	}
	for i := range e.Comments {
		e.Comments[i].HTML = Render(e.Comments[i].Body)
	}
	return e, nil
}

// describeJSONError adds the line and column to a syntax or type error, which
// the decoder only gives as a byte offset: useless for a hand-written file.
func describeJSONError(data []byte, err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the file ends in the middle of the JSON (is a closing } or ] missing?): %w", err)
	}
	var offset int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return err
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	// The offset is just past the offending byte, so this is its 1-based column.
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Errorf("line %d, column %d: %w", line, max(col, 1), err)
}

// checkExported validates the comments of an export in place: it defaults the
// status, and computes each comment's depth from its parents.
func checkExported(cs []Comment) error {
	index := make(map[uint64]int, len(cs))
	sources := map[string]int{}
	for i := range cs {
		c := &cs[i]
		where := fmt.Sprintf("comment %d (id %d)", i+1, c.ID)
		switch {
		case c.ID == 0:
			return fmt.Errorf(`comment %d: missing "id" (a positive whole number)`, i+1)
		case strings.TrimSpace(c.Post) == "":
			return fmt.Errorf(`%s: missing "post" (the slug of the post it is on)`, where)
		case strings.IndexByte(c.Post, 0) >= 0:
			return fmt.Errorf(`%s: "post" contains a NUL character`, where)
		case strings.TrimSpace(c.Body) == "":
			return fmt.Errorf(`%s: missing "body"`, where)
		case c.Created.IsZero():
			return fmt.Errorf(`%s: missing "created" (a time like "2011-10-04T09:12:00-07:00")`, where)
		}
		if j, dup := index[c.ID]; dup {
			return fmt.Errorf("%s: the id is already used by comment %d", where, j+1)
		}
		index[c.ID] = i
		if c.Source != "" {
			if j, dup := sources[c.Source]; dup {
				return fmt.Errorf("%s: source %q is already used by comment %d", where, c.Source, j+1)
			}
			sources[c.Source] = i
		}
		switch c.Status {
		case "":
			c.Status = StatusApproved
		case StatusApproved, StatusPending, StatusSpam:
		default:
			return fmt.Errorf(`%s: unknown status %q (want "approved", "pending" or "spam")`, where, c.Status)
		}
	}
	// Parents may come after their replies in a hand-written file, so depths
	// are found by walking up rather than in file order.
	for i := range cs {
		c := &cs[i]
		depth := 0
		for id := c.Parent; id != 0; depth++ {
			j, ok := index[id]
			if !ok {
				return fmt.Errorf("comment %d (id %d): parent %d is not in the file", i+1, c.ID, c.Parent)
			}
			if cs[j].Post != c.Post {
				return fmt.Errorf("comment %d (id %d): parent %d is on another post (%q)", i+1, c.ID, c.Parent, cs[j].Post)
			}
			// A reply to a comment at depth MaxDepth-1 is refused by Post, so
			// it is refused here too; this also ends a loop of parents.
			if depth+1 >= MaxDepth {
				return fmt.Errorf("comment %d (id %d): replies nest more than %d levels deep (or its parents form a loop)", i+1, c.ID, MaxDepth)
			}
			id = cs[j].Parent
		}
		c.Depth = depth
	}
	return nil
}
