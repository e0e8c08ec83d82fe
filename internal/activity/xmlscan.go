package activity

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/muktihari/xmltokenizer"
)

// xmlHandler receives the elements of a document from scanXML. Names are
// local names: the readers match Garmin's extensions under whatever prefix
// an exporter chose (gpxtpx:, ns3:, …).
type xmlHandler interface {
	// start is called for each start tag; parent is the element it is in.
	// attrs are valid during the call.
	start(name, parent string, attrs *xmlAttrs)
	// end is called for each end tag with the text directly inside the
	// element (for a leaf such as <ele>, its value). An error ends the
	// scan with it (a file over Limits.MaxPoints).
	end(name, parent string, text []byte) error
}

// xmlSizer is an xmlHandler that makes room for what the document holds
// before it is walked: told the whole document, it counts its points (a
// byte search, a few milliseconds on a 30 MB file), so that 100,000 of
// them are gathered in one allocation rather than grown into.
type xmlSizer interface {
	expect(doc []byte)
}

// expectedPoints is how many points a document of tags named tag (its
// opening "<trkpt") may hold: as many as it has of them, but no more than
// its size allows points written in full (24 bytes is the shortest GPX
// point: <trkpt lat="0" lon="0"/>) nor than maxPoints, so that a small
// file of the tag repeated, in a comment say, gets no room for more.
func expectedPoints(doc []byte, tag string, maxPoints int) int {
	return min(bytes.Count(doc, []byte(tag)), len(doc)/24, maxPoints)
}

// xmlAttrs are the attributes of a start tag, from either tokenizer.
type xmlAttrs struct {
	fast []xmltokenizer.Attr
	std  []xml.Attr
}

// get returns the value of the attribute of local name name, without the
// blank space around it; nil when there is none.
func (as *xmlAttrs) get(name string) []byte {
	for _, a := range as.fast {
		if string(a.Name.Local) == name {
			return a.Value
		}
	}
	for _, a := range as.std {
		if a.Name.Local == name {
			return bytes.TrimSpace([]byte(a.Value))
		}
	}
	return nil
}

// xmlTokensPerContextCheck spaces the context checks of scanXML.
const xmlTokensPerContextCheck = 4096

// errXMLCutShort reports a document that ends inside an element.
var errXMLCutShort = errors.New("the file ends in the middle of an element")

// scanXML walks a GPX or TCX document and calls h for its elements.
//
// Two tokenizers do it. muktihari/xmltokenizer reads tags in place with a
// few allocations in all; encoding/xml's raw tokens allocate for every
// tag, and make a 100,000-point GPX five times slower to read. The fast
// one reads what watches and exporters write — UTF-8, attributes in
// double quotes, a space after a tag's name — but misreads some of what
// XML allows, so a document that shows any of it anywhere is read by
// encoding/xml instead (see fastXMLReads). The whole document is judged,
// not its start: a comment or an entity a megabyte in would otherwise be
// misread without a word (a commented-out point read as a point). The
// readers hold the document once for it; the byte scans cost a few
// milliseconds on a 30 MB file.
func scanXML(ctx context.Context, r io.Reader, h xmlHandler) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading the document: %w", err)
	}
	data = withoutByteOrderMark(data)
	if s, ok := h.(xmlSizer); ok {
		s.expect(data)
	}
	if fastXMLReads(data) {
		return scanXMLFast(ctx, bytes.NewReader(data), h)
	}
	return scanXMLStd(ctx, bytes.NewReader(data), h)
}

// fastXMLReads reports whether xmltokenizer reads doc as encoding/xml
// does. Version 0.0.5 misses attributes in single quotes, takes a tab or
// line break after a tag's name as part of the name, ends a comment or
// tag at a '>' inside it, decodes no entity and no encoding but UTF-8,
// and takes a '/' in an attribute's value for a self-closing tag: a
// document with a self-closing tag with such a value goes to encoding/xml,
// and scanXMLFast keeps the others open (a root's namespace URLs, an
// extension's).
func fastXMLReads(doc []byte) bool {
	if bytes.Contains(doc, []byte("<!")) || bytes.IndexByte(doc, '&') >= 0 {
		return false // a comment, CDATA, DOCTYPE or an entity
	}
	if bytes.IndexByte(doc, '\'') >= 0 {
		return false // single quotes, in a value or around one
	}
	if len(doc) >= 2 && (doc[0] == 0xFE || doc[0] == 0xFF || doc[0] == 0 || doc[1] == 0) {
		return false // UTF-16
	}
	if decl, _, ok := bytes.Cut(doc[:min(len(doc), 1024)], []byte("?>")); ok && bytes.HasPrefix(decl, []byte("<?xml")) {
		if enc := bytes.Index(decl, []byte("encoding=")); enc >= 0 && !bytes.HasPrefix(bytes.ToLower(decl[enc+len("encoding="):]), []byte(`"utf-8"`)) {
			return false // declared in another encoding
		}
	}
	for rest := doc; ; {
		// A self-closing tag with a '/' in a value, which the tokenizer
		// cannot tell from one that is not self-closing.
		end := bytes.Index(rest, []byte("/>"))
		if end < 0 {
			break
		}
		if start := bytes.LastIndexByte(rest[:end], '<'); start >= 0 && bytes.IndexByte(rest[start:end], '/') >= 0 {
			return false
		}
		rest = rest[end+2:]
	}
	// Only a name followed by a tab or a line break can be misread: each
	// of those is found by a fast byte search, and its tag looked at.
	for _, blank := range []byte{'\t', '\n', '\r'} {
		for i := 0; ; {
			j := bytes.IndexByte(doc[i:], blank)
			if j < 0 {
				break
			}
			if tag := tagNamed(doc, i+j); tag >= 0 && !fastReadsTagName(doc[tag:]) {
				return false
			}
			i += j + 1
		}
	}
	return true
}

// tagNamed is where the tag starts ('<') whose name the blank space
// around doc[at] follows; -1 when that space follows no tag's name (it is
// between elements, in text or among attributes).
func tagNamed(doc []byte, at int) int {
	end := at
	for end > 0 && isBlank(doc[end-1]) {
		end--
	}
	start := end
	for start > 0 && !isNameEnd(doc[start-1]) && doc[start-1] != '<' {
		start--
	}
	switch {
	case start == end || start == 0:
		return -1
	case doc[start-1] == '<':
		return start - 1
	case doc[start-1] == '/' && start >= 2 && doc[start-2] == '<':
		return start - 2 // an end tag's name
	}
	return -1
}

// fastReadsTagName reports whether the tokenizer reads the name of the
// tag tag starts with: it ends a name at a space or '>' and trims tabs and
// line breaks (CR LF or LF) around it; a name ended otherwise takes the
// attributes after it in.
func fastReadsTagName(tag []byte) bool {
	j := 1
	if j < len(tag) && (tag[j] == '/' || tag[j] == '?') {
		j++
	}
	for j < len(tag) && !isNameEnd(tag[j]) {
		j++
	}
	nameEnd, space := j, false
	for ; j < len(tag) && isBlank(tag[j]); j++ {
		if tag[j] == '\r' && (j+1 == len(tag) || tag[j+1] != '\n') {
			return false
		}
		space = space || tag[j] == ' '
	}
	return j == nameEnd || space || j == len(tag) || tag[j] == '>' || tag[j] == '/' || tag[j] == '?'
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func isNameEnd(b byte) bool { return isBlank(b) || b == '>' || b == '/' }

// xmlMaxTokenBytes bounds one tag with the text after it in the fast
// tokenizer, whose buffer grows to hold a token: track points are a few
// hundred bytes, and a file of one huge tag is refused as damaged rather
// than held.
const xmlMaxTokenBytes = 4 << 20

// openElement is an element of scanXMLFast's stack. unsure marks one the
// tokenizer called self-closing while a value of its attributes held a
// '/': it is kept open, and closed with its parent if no end tag of its
// own comes first.
type openElement struct {
	name   string
	unsure bool
}

func scanXMLFast(ctx context.Context, r io.Reader, h xmlHandler) error {
	tok := xmltokenizer.New(r, xmltokenizer.WithReadBufferSize(64<<10),
		xmltokenizer.WithAutoGrowBufferMaxLimitSize(xmlMaxTokenBytes))
	var stack []openElement
	parent := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].name
	}
	var text []byte
	var attrs xmlAttrs
	names := elementNames{}
	for n := 0; ; n++ {
		if err := cancelled(ctx, n); err != nil {
			return err
		}
		t, err := nextToken(tok)
		if err != nil {
			return endOfTokens(err, len(stack))
		}
		if len(t.Name.Local) == 0 {
			continue // the <?xml …?> declaration
		}
		name := names.intern(t.Name.Local)
		if t.IsEndElement {
			for len(stack) > 0 && stack[len(stack)-1].unsure && stack[len(stack)-1].name != name {
				unsure := stack[len(stack)-1].name
				stack = stack[:len(stack)-1]
				if err := h.end(unsure, parent(), nil); err != nil {
					return err
				}
			}
			if len(stack) == 0 {
				return fmt.Errorf("a closing </%s> with nothing open", name)
			}
			stack = stack[:len(stack)-1]
			if err := h.end(name, parent(), text); err != nil {
				return err
			}
			text = text[:0]
			continue
		}
		attrs.fast = t.Attrs
		h.start(name, parent(), &attrs)
		attrs.fast = nil
		if t.SelfClosing && !slices.ContainsFunc(t.Attrs, func(a xmltokenizer.Attr) bool { return bytes.IndexByte(a.Value, '/') >= 0 }) {
			if err := h.end(name, parent(), nil); err != nil {
				return err
			}
			text = text[:0]
			continue
		}
		stack = append(stack, openElement{name: name, unsure: t.SelfClosing})
		// The tokenizer gives a leaf's text with its start tag, in a
		// buffer the next token reuses: it is kept for the end tag.
		text = append(text[:0], t.Data...)
	}
}

// cancelled is ctx's error, looked at every xmlTokensPerContextCheck
// tokens.
func cancelled(ctx context.Context, tokens int) error {
	if tokens%xmlTokensPerContextCheck != 0 {
		return nil
	}
	return ctx.Err()
}

// endOfTokens is what a tokenizer's error means for a scan with open
// elements still open: io.EOF is the document's end, which cuts it short
// inside an element.
func endOfTokens(err error, open int) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if open > 0 {
		return errXMLCutShort
	}
	return nil
}

// nextToken is tok.Token with a panic turned into an error: version 0.0.5
// panics on some malformed tags (such as "</>"), and an uploaded file must
// be refused, not bring the server down.
func nextToken(tok *xmltokenizer.Tokenizer) (t xmltokenizer.Token, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("a malformed tag (%v)", p)
		}
	}()
	return tok.Token()
}

// elementNames turns the fast tokenizer's names, which are bytes of its
// buffer, into strings once per name rather than once per element: a
// track has a handful of names repeated 100,000 times. A hostile file's
// endless new names are not kept past maxInternedNames.
type elementNames map[string]string

const maxInternedNames = 256

func (m elementNames) intern(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < maxInternedNames {
		m[s] = s
	}
	return s
}

// scanXMLStd walks a document with the raw tokenizer of encoding/xml,
// which skips the namespace translation and reflection of Unmarshal. It
// keeps its own stack of open elements, as the raw tokenizer does not
// check nesting.
func scanXMLStd(ctx context.Context, r io.Reader, h xmlHandler) error {
	dec := xml.NewDecoder(r)
	dec.Strict = false // real exports carry stray entities and bad encodings
	dec.CharsetReader = charsetReader
	var stack []string
	var text []byte
	var attrs xmlAttrs
	for n := 0; ; n++ {
		if err := cancelled(ctx, n); err != nil {
			return err
		}
		tok, err := dec.RawToken()
		if err != nil {
			return endOfTokens(err, len(stack))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			attrs.std = t.Attr
			h.start(t.Name.Local, top(stack), &attrs)
			attrs.std = nil
			stack = append(stack, t.Name.Local)
			text = text[:0]
		case xml.EndElement:
			if len(stack) == 0 {
				return fmt.Errorf("a closing </%s> with nothing open", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			if err := h.end(t.Name.Local, top(stack), bytes.TrimSpace(text)); err != nil {
				return err
			}
			text = text[:0]
		case xml.CharData:
			text = append(text, t...)
		}
	}
}

func top(stack []string) string {
	if len(stack) == 0 {
		return ""
	}
	return stack[len(stack)-1]
}

// withoutByteOrderMark drops a UTF-8 byte-order mark, so the XML readers
// see the document however an exporter started it.
func withoutByteOrderMark(doc []byte) []byte {
	return bytes.TrimPrefix(doc, []byte{0xEF, 0xBB, 0xBF})
}

// charsetReader lets the XML readers accept the ISO-8859-1 and
// Windows-1252 declarations some older exporters write; the track data is
// ASCII either way, so the bytes are passed through unchanged.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported character set %q", charset)
}

// damageWarning is the warning of a GPX or TCX file that breaks off after
// some points were read.
func damageWarning(points int, err error) string {
	return fmt.Sprintf("the file is cut short or damaged after %d points (%v): those points are used", points, err)
}
