package activity

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xmlHandler receives the elements of a document from scanXML. Names are
// local names: the readers match Garmin's extensions under whatever prefix
// an exporter chose (gpxtpx:, ns3:, …).
type xmlHandler interface {
	// start is called for each start tag; parent is the element it is in.
	start(name, parent string, attr []xml.Attr)
	// end is called for each end tag with the text directly inside the
	// element (for a leaf such as <ele>, its value).
	end(name, parent string, text []byte)
}

// xmlTokensPerContextCheck spaces the context checks of scanXML.
const xmlTokensPerContextCheck = 4096

// errXMLCutShort reports a document that ends inside an element.
var errXMLCutShort = errors.New("the file ends in the middle of an element")

// scanXML walks a document with the raw tokenizer of encoding/xml, which
// skips the namespace translation and reflection of Unmarshal: a GPX of
// 100,000 points reads several times faster. It keeps its own stack of
// open elements, as the raw tokenizer does not check nesting.
func scanXML(ctx context.Context, r io.Reader, h xmlHandler) error {
	dec := xml.NewDecoder(sniffXML(r))
	dec.Strict = false // real exports carry stray entities and bad encodings
	dec.CharsetReader = charsetReader
	var stack []string
	var text []byte
	for n := 0; ; n++ {
		if n%xmlTokensPerContextCheck == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return errXMLCutShort
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			h.start(t.Name.Local, top(stack), t.Attr)
			stack = append(stack, t.Name.Local)
			text = text[:0]
		case xml.EndElement:
			if len(stack) == 0 {
				return fmt.Errorf("a closing </%s> with nothing open", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			h.end(t.Name.Local, top(stack), bytes.TrimSpace(text))
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

func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sniffXML skips a byte-order mark and blank space, so the XML readers
// see the document however an exporter started it.
func sniffXML(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return br
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
