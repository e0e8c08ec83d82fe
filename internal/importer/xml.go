package importer

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseXML reads the root element to tell a WordPress export from a Disqus
// one, then hands the rest of the document to the reader for that format.
func parseXML(r io.Reader) (Format, []Item, error) {
	raw := xml.NewDecoder(r)
	// Exports are machine-written, but titles and names sometimes carry
	// HTML entities such as &nbsp; outside CDATA.
	raw.Entity = xml.HTMLEntity
	raw.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii":
			return input, nil // a subset of UTF-8; non-ASCII bytes still fail as invalid UTF-8
		}
		return nil, fmt.Errorf("only UTF-8 is supported; convert the file first (for example: iconv -f %s -t UTF-8)", label)
	}
	d := &decoder{raw: raw}
	d.Decoder = xml.NewTokenDecoder(&depthLimit{d: d})

	root, err := rootElement(d)
	if err != nil {
		return "", nil, fmt.Errorf("importing comments: %w", xmlError(d, err))
	}
	switch {
	case root.Name.Local == "rss":
		if !declaresWP(root) {
			return "", nil, errors.New("importing comments: the input is an RSS feed, not a WordPress export: " +
				"its <rss> element does not declare the WordPress export namespace (xmlns:wp=\"http://wordpress.org/export/1.2/\"); " +
				"export with Tools → Export in WordPress")
		}
		items, err := parseWXR(d)
		if err != nil {
			return FormatWXR, nil, fmt.Errorf("importing WordPress export: %w", err)
		}
		return FormatWXR, items, nil
	case root.Name.Local == "disqus":
		items, err := parseDisqus(d)
		if err != nil {
			return FormatDisqus, nil, fmt.Errorf("importing Disqus export: %w", err)
		}
		return FormatDisqus, items, nil
	}
	line, _ := d.InputPos()
	return "", nil, fmt.Errorf("importing comments: line %d: the root element is <%s>; want <rss> (a WordPress WXR export) or <disqus> (a Disqus export)",
		line, root.Name.Local)
}

// rootElement reads up to the document's first element, allowing only what
// may come before it.
func rootElement(d *decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("the XML document has no elements")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return xml.StartElement{}, posError(d, "text before the first element")
			}
		}
	}
}

// declaresWP reports whether an <rss> element declares a WordPress export
// namespace (WXR 1.0, 1.1 and 1.2 each have their own).
func declaresWP(root xml.StartElement) bool {
	for _, a := range root.Attr {
		if a.Name.Space == "xmlns" && strings.HasPrefix(a.Value, wpSpacePrefix) {
			return true
		}
	}
	return false
}

const wpSpacePrefix = "http://wordpress.org/export/"

func isWP(n xml.Name, local string) bool {
	return n.Local == local && strings.HasPrefix(n.Space, wpSpacePrefix)
}

// walk reads the rest of the document after its root's start tag. It calls
// visit for each element start; visit either consumes the whole element and
// returns true, or returns false to have walk look inside it. walk returns
// once the root has ended and only blank space, comments and processing
// instructions follow.
func walk(d *decoder, visit func(xml.StartElement) (bool, error)) error {
	depth := 0
	for depth >= 0 {
		tok, err := d.Token()
		if err != nil {
			return xmlError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			done, err := visit(t)
			if err != nil {
				return xmlError(d, err)
			}
			if !done {
				depth++
			}
		case xml.EndElement:
			depth--
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return xmlError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return posError(d, "a second root element <%s> after the end of the document", t.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return posError(d, "text after the end of the document")
			}
		}
	}
}

// maxXMLDepth bounds how deeply elements may nest, so that a hostile file
// cannot make the decoder hold millions of open elements. Real exports nest
// five or six deep.
const maxXMLDepth = 256

// decoder is the XML decoder the format readers use: an xml.Decoder reading
// tokens through depthLimit, with the line numbers of the one underneath.
type decoder struct {
	*xml.Decoder
	raw *xml.Decoder
}

// InputPos is the line and column the raw decoder has reached.
func (d *decoder) InputPos() (line, column int) { return d.raw.InputPos() }

// depthLimit passes on the raw decoder's tokens, failing once elements nest
// deeper than maxXMLDepth. Everything above it, DecodeElement and Skip
// included, is bounded by it.
type depthLimit struct {
	d     *decoder
	depth int
}

func (l *depthLimit) Token() (xml.Token, error) {
	tok, err := l.d.raw.Token()
	switch tok.(type) {
	case xml.StartElement:
		if l.depth++; l.depth > maxXMLDepth {
			return nil, posError(l.d, "elements nested more than %d deep", maxXMLDepth)
		}
	case xml.EndElement:
		l.depth--
	}
	return tok, err
}

// lineError is an error already placed on a line of the input.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// posError is an error at the decoder's current position.
func posError(d *decoder, format string, args ...any) error {
	line, _ := d.InputPos()
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

// xmlError makes an error from the decoder say where it happened: syntax
// errors carry their line already; a cut-short file is called that.
func xmlError(d *decoder, err error) error {
	var le *lineError
	var syn *xml.SyntaxError
	switch {
	case errors.As(err, &le), errors.Is(err, ErrTooLarge):
		return err
	case errors.As(err, &syn):
		if strings.Contains(syn.Msg, "unexpected EOF") {
			return fmt.Errorf("%w (the file ends in the middle of the XML: is it cut short?)", err)
		}
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the file ends in the middle of the XML (is it cut short?): %w", err)
	}
	line, _ := d.InputPos()
	return fmt.Errorf("line %d: %w", line, err)
}

// parseBool reads an export's true/false.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "", "false", "0":
		return false, true
	}
	return false, false
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// oneLine trims s and joins its runs of white space into single spaces:
// names and titles are one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
