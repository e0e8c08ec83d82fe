package stress

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// target is a URL readers fetch and what a correct answer to it is.
type target struct {
	kind   string // the request kind counted in reports: page, 404, feed...
	path   string
	status int
	body   string // html, xml, json or text
}

// sampleTargets are the sample site's addresses, every kind of page, and
// some that do not exist.
var sampleTargets = []target{
	{"page", "/", 200, "html"},
	{"page", "/posts/" + sampleSlug + "/", 200, "html"},
	{"page", "/tags/", 200, "html"},
	{"page", "/tags/marathon/", 200, "html"},
	{"page", "/archive/", 200, "html"},
	{"page", "/authors/kay-kays-bird-club/", 200, "html"},
	{"feed", "/feed.xml", 200, "xml"},
	{"feed", "/atom.xml", 200, "xml"},
	{"feed", "/feed.json", 200, "json"},
	{"feed", "/tags/marathon/feed.xml", 200, "xml"},
	{"static", "/static/style.css", 200, "text"},
	{"static", "/healthz", 200, "text"},
	{"404", "/no-such-page/", 404, "html"},
	{"404", "/posts/no-such-post/", 404, "html"},
	{"404", "/tags/no-such-tag/", 404, "html"},
	{"404", "/page/99/", 404, "html"},
	{"404", "/feed.rss", 404, "html"},
}

// fetched is the result of one GET.
type fetched struct {
	res  *http.Response // nil when no answer came
	body []byte
	// sendErr is the error of a request that got no answer; readErr that
	// of an answer whose body could not be read to its end.
	sendErr, readErr error
}

func fetch(ctx context.Context, c *http.Client, base, path string, header http.Header) fetched {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return fetched{sendErr: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return fetched{sendErr: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return fetched{res: res, body: body, readErr: err}
}

// check says what is wrong with an answer to tg, or returns nil. A body cut
// short shows as readErr (the client knows the length it was promised) or
// as a document that does not end.
func (f fetched) check(tg target) error {
	if f.sendErr != nil {
		return fmt.Errorf("GET %s: no answer: %w", tg.path, f.sendErr)
	}
	if f.readErr != nil {
		return fmt.Errorf("GET %s: %s, body cut short after %d bytes: %w", tg.path, f.res.Status, len(f.body), f.readErr)
	}
	if f.res.StatusCode != tg.status {
		return fmt.Errorf("GET %s: %s, want %d", tg.path, f.res.Status, tg.status)
	}
	if cl := f.res.ContentLength; cl >= 0 && int64(len(f.body)) != cl {
		return fmt.Errorf("GET %s: %d bytes, Content-Length %d", tg.path, len(f.body), cl)
	}
	ct := f.res.Header.Get("Content-Type")
	switch tg.body {
	case "html":
		if !strings.HasPrefix(ct, "text/html") {
			return fmt.Errorf("GET %s: Content-Type %q, want HTML", tg.path, ct)
		}
		if !bytes.HasSuffix(bytes.TrimSpace(f.body), []byte("</html>")) {
			return fmt.Errorf("GET %s: the HTML does not end with </html> (%d bytes)", tg.path, len(f.body))
		}
	case "xml":
		if err := wellFormedXML(f.body); err != nil {
			return fmt.Errorf("GET %s: %w", tg.path, err)
		}
	case "json":
		if !json.Valid(f.body) {
			return fmt.Errorf("GET %s: not valid JSON (%d bytes)", tg.path, len(f.body))
		}
	case "text":
		if len(f.body) == 0 {
			return fmt.Errorf("GET %s: empty body", tg.path)
		}
	}
	return nil
}

// wellFormedXML reads every token of b: a truncated feed fails.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, elements := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("malformed XML: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			elements++
		case xml.EndElement:
			depth--
		}
	}
	if elements == 0 || depth != 0 {
		return fmt.Errorf("incomplete XML: %d elements, %d left open", elements, depth)
	}
	return nil
}
