package comments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// date), and checks the comments as ValidateBatch does (every field, the
// IDs, sources, parents and depth; "approved" when the status is left out).
// It fills in each comment's Depth and renders its HTML, and checks each
// ban's kind and value.
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

// checkExported validates the comments of an export in place (see
// ValidateBatch), saying which field of the file to fix.
func checkExported(cs []Comment) error {
	return ValidateBatch(cs, BatchOptions{})
}
