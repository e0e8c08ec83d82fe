package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/html"
)

// commentsOnPost is how many comments the measured post page shows.
const commentsOnPost = 50

// minFormAge is the comment form's minimum age the pages' server runs
// with (serve's default, given explicitly so that the command knows how
// long to wait before sending its forms).
const minFormAge = 2 * time.Second

// formTokenStep is how much later than served a form may count as served:
// a post page's form token names the end of its second (web.FormTokenStep).
const formTokenStep = time.Second

var (
	postLink = regexp.MustCompile(`^/posts/[^/?#]+/$`)
	tagLink  = regexp.MustCompile(`^/tags/[^/?#]+/$`)
)

// pageRow is one page or feed loaded by wrk, against Milepost and against a
// bare handler sending the response Milepost sent.
type pageRow struct {
	name    string // its -only name
	what    string
	path    string
	headers []string // request headers ("Name: value")
	status  int      // the status Milepost must answer
	goal    float64  // the least ratio to the bare handler
	ref     *referenceServer
	mile    []wrkResult
	bare    []wrkResult
}

// pages measures the post page with 50 comments, the home page, a tag page
// and /feed.xml (200 and 304), each against a bare net/http handler that
// writes the response Milepost sent for it from memory.
func (b *bench) pages(ctx context.Context) (rows []row, err error) {
	var selected []*pageRow
	for _, r := range []*pageRow{
		{name: "post", what: fmt.Sprintf("post page with %d comments", commentsOnPost), status: http.StatusOK, goal: 0.8},
		{name: "home", what: "home page", path: "/", status: http.StatusOK, goal: 0.8},
		{name: "tag", what: "tag page", status: http.StatusOK, goal: 0.8},
		{name: "feed", what: "`/feed.xml`", path: "/feed.xml", status: http.StatusOK, goal: 0.9},
		{name: "feed304", what: "`/feed.xml` answered 304", path: "/feed.xml", status: http.StatusNotModified, goal: 0.9},
	} {
		if b.cfg.only[r.name] {
			selected = append(selected, r)
		}
	}
	if b.load.bin == "" {
		for _, r := range selected {
			rows = append(rows, skippedRow(r.what, "wrk is not installed"))
		}
		return rows, nil
	}

	srv, err := b.serveCopy(ctx, "pages", publishComments, "-min-form-age", minFormAge.String())
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	base := srv.base
	postPath, ok := firstLink(srv.home, postLink)
	if !ok {
		return nil, errors.New("the home page links to no post")
	}
	tagPath, ok := firstLink(srv.home, tagLink)
	if !ok {
		return nil, errors.New("the home page links to no tag page")
	}
	for _, r := range selected {
		switch r.name {
		case "post":
			r.path = postPath
			b.log.Info("pages: posting comments through the form", "post", postPath, "comments", commentsOnPost)
			if err := postComments(ctx, base, postPath, commentsOnPost); err != nil {
				return nil, err
			}
		case "tag":
			r.path = tagPath
			r.what += " (" + tagPath + ")"
		case "feed304":
			feed, err := capture(ctx, base+r.path)
			if err != nil {
				return nil, err
			}
			etag := feed.header.Get("ETag")
			if etag == "" {
				return nil, errors.New("/feed.xml has no ETag: nothing to answer 304 to")
			}
			r.headers = []string{"If-None-Match: " + etag}
		}
		resp, err := capture(ctx, base+r.path, r.headers...)
		if err != nil {
			return nil, err
		}
		if resp.status != r.status {
			return nil, fmt.Errorf("%s%s answered %d, not %d", base, r.path, resp.status, r.status)
		}
		if r.ref, err = startReference(resp); err != nil {
			return nil, err
		}
		defer r.ref.close()
	}

	for round := range b.cfg.rounds {
		for _, r := range selected {
			// Alternate which goes first, so neither always runs on a
			// machine warmed (or tired) by the other.
			first, second := base+r.path, r.ref.url
			if round%2 == 1 {
				first, second = second, first
			}
			results := map[string]wrkResult{}
			for _, u := range []string{first, second} {
				res, err := b.load.run(ctx, u, r.headers...)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", r.what, err)
				}
				results[u] = res
			}
			m, ref := results[base+r.path], results[r.ref.url]
			b.log.Info("pages", "row", r.name, "round", round+1, "milepost req/s", m.requestsPerS, "bare req/s", ref.requestsPerS)
			if err := sameResponses(m, ref); err != nil {
				return nil, fmt.Errorf("%s: %w", r.what, err)
			}
			r.mile, r.bare = append(r.mile, m), append(r.bare, ref)
		}
	}
	for _, r := range selected {
		mile, bare := median(requestRates(r.mile)), median(requestRates(r.bare))
		ratio := mile / bare
		rows = append(rows, row{
			what: r.what, measured: formatRate(mile, "req/s"), reference: formatRate(bare, "req/s bare Go"),
			ratio: formatRatio(ratio), goal: fmt.Sprintf("≥ %.1f×", r.goal), met: yesNo(ratio >= r.goal),
		})
	}
	return rows, nil
}

func requestRates(rs []wrkResult) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.requestsPerS
	}
	return out
}

// sameResponses checks that Milepost and the bare handler sent responses of
// about the same size: otherwise the reference is not what Milepost served
// under load (a page that changed, an error page).
func sameResponses(mile, bare wrkResult) error {
	m, r := mile.bytesPerRequest(), bare.bytesPerRequest()
	if m == 0 || r == 0 || m/r > 1.1 || r/m > 1.1 {
		return fmt.Errorf("milepost sent %.0f bytes a response under load, the bare handler %.0f: not the same response", m, r)
	}
	return nil
}

// links are the href of every <a> in page, in order.
func links(page []byte) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			t := z.Token()
			if t.Data == "a" {
				if href, ok := attr(t, "href"); ok {
					out = append(out, href)
				}
			}
		}
	}
}

func firstLink(page []byte, pattern *regexp.Regexp) (string, bool) {
	for _, l := range links(page) {
		if pattern.MatchString(l) {
			return l, true
		}
	}
	return "", false
}

func attr(t html.Token, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// commentForm reads the comment form of a post page: where it posts to and
// the values of its fields (the hidden ones carry the form's token).
func commentForm(page []byte) (action string, fields url.Values, err error) {
	z := html.NewTokenizer(bytes.NewReader(page))
	inForm := false
	fields = url.Values{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return "", nil, errors.New("the post page has no comment form (id comment-form)")
			}
			return "", nil, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch {
			case t.Data == "form":
				if id, _ := attr(t, "id"); id == "comment-form" {
					inForm = true
					action, _ = attr(t, "action")
					action, _, _ = strings.Cut(action, "#")
				}
			case inForm && (t.Data == "input" || t.Data == "textarea"):
				if name, ok := attr(t, "name"); ok {
					v, _ := attr(t, "value")
					fields.Set(name, v)
				}
			}
		case html.EndTagToken:
			if inForm && z.Token().Data == "form" {
				if action == "" {
					return "", nil, errors.New("the comment form has no action")
				}
				return action, fields, nil
			}
		}
	}
}

// postComments adds n comments to the post at path through its form, as n
// readers would: the page is fetched, the form is sent once it is old
// enough for the spam guard, each from its own loopback address (serve
// allows a few comments a minute from one address, and a page's form once
// per address). On Linux all of 127.0.0.0/8 is loopback.
func postComments(ctx context.Context, base, path string, n int) error {
	page, err := get(ctx, base+path)
	if err != nil {
		return err
	}
	action, fields, err := commentForm(page)
	if err != nil {
		return err
	}
	select {
	case <-time.After(minFormAge + formTokenStep + 200*time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	for i := range n {
		form := url.Values{}
		for k, v := range fields {
			form[k] = v
		}
		form.Set("name", fmt.Sprintf("Reader %d", i+1))
		form.Set("body", commentText(i))
		src := net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))
		client := plainClient()
		client.Transport = &http.Transport{
			DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}).DialContext,
			DisableKeepAlives: true,
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+action, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("posting comment %d from %s: %w", i+1, src, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("posting comment %d from %s: answered %d: %.500s", i+1, src, res.StatusCode, body)
		}
	}
	page, err = get(ctx, base+path)
	if err != nil {
		return err
	}
	for i := range n {
		if !bytes.Contains(page, []byte(commentText(i))) {
			return fmt.Errorf("%s does not show comment %d after it was posted (held for moderation? on another page?)", path, i+1)
		}
	}
	return nil
}

// commentText is the body of comment i: each one different (the same text
// twice is refused as a duplicate), of a usual length.
func commentText(i int) string {
	return fmt.Sprintf("Comment %d of the benchmark: a steady long run, and the legs felt fine the day after. "+
		"I tried the same session last week and my calves were done for.", i+1)
}

// publishComments sets the copy's site.yaml to publish comments at once
// (comments.enabled: true, comments.moderation: open), keeping the rest,
// so that the comments posted for the measurement are shown.
func publishComments(site string) error {
	path := filepath.Join(site, "site.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading site.yaml: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("reading site.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return errors.New("site.yaml is not a mapping of settings")
	}
	comments := mappingValue(doc.Content[0], "comments", yaml.MappingNode)
	if comments.Kind != yaml.MappingNode {
		return errors.New("site.yaml: comments is not a mapping")
	}
	setScalar(comments, "enabled", "true", "!!bool")
	setScalar(comments, "moderation", "open", "!!str")
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("writing site.yaml: %w", err)
	}
	return os.WriteFile(path, out, 0o644)
}

// mappingValue is the value of key in the mapping m, added (of kind) when
// missing.
func mappingValue(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: kind}
	if kind == yaml.MappingNode {
		v.Tag = "!!map"
	}
	m.Content = append(m.Content, k, v)
	return v
}

func setScalar(m *yaml.Node, key, value, tag string) {
	v := mappingValue(m, key, yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}
