package content

import (
	"bytes"
	"context"
	"flag"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"milepost/internal/comments"
	"milepost/internal/media"
)

// The seed corpora are in testdata/fuzz/<FuzzName>/; plain `go test` runs
// them. To fuzz:
//
//	go test -run XXX -fuzz FuzzFrontMatter -fuzztime 60s ./internal/content/
//	go test -run XXX -fuzz FuzzRenderPost -fuzztime 60s ./internal/content/

// fuzzing reports whether this run generates inputs (-fuzz), rather than
// only replaying the corpus.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// FuzzFrontMatter feeds any bytes to the loader as a post file and as an
// author file. It must not panic; it must give either a post or problems,
// never both or neither; and every problem must name the file and a line
// that is in it (0 stands for the file as a whole).
//
// Fuzzing goes through the loader's own steps for one file, as loadFile
// does, without a directory per input; replaying the corpus also loads each
// input with Load from a real directory and checks that it reports the same.
func FuzzFrontMatter(f *testing.F) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Title: "Fuzz", Language: "en", PostsPerPage: 10, Timezone: loc.String(), Location: loc,
		Comments: comments.Settings{Enabled: true}}
	l := &loader{cfg: cfg, md: newMarkdown(cfg.Markdown)}
	authors := map[string]*Author{"kay": {ID: "kay", Name: "Kay"}}
	throughLoad := !fuzzing()

	f.Fuzz(func(t *testing.T, src []byte) {
		const postFile, authorFile = "posts/fuzz.md", "authors/fuzz.md"

		var postProblems []Problem
		if lerr := checkUTF8(src); lerr != nil {
			postProblems = problems(postFile, []*lineError{lerr})
			checkProblems(t, src, postFile, postProblems)
		} else {
			p, errs := l.post(context.Background(), postFile, src, authors)
			postProblems = problems(postFile, errs)
			checkProblems(t, src, postFile, postProblems)
			switch {
			case p == nil && len(errs) == 0:
				t.Fatal("post: neither a post nor a problem")
			case p != nil && len(errs) > 0:
				t.Fatalf("post: a post and problems %v", postProblems)
			case p != nil:
				checkPost(t, p.Post, postFile)
			}

			a, errs := l.author(authorFile, src)
			checkProblems(t, src, authorFile, problems(authorFile, errs))
			switch {
			case a == nil && len(errs) == 0:
				t.Fatal("author: neither an author nor a problem")
			case a != nil && len(errs) > 0:
				t.Fatal("author: an author and problems")
			case a != nil && (a.ID != "fuzz" || strings.TrimSpace(a.Name) == "" || a.Name != strings.TrimSpace(a.Name)):
				t.Fatalf("author: loaded with id %q, name %q", a.ID, a.Name)
			}
		}

		if throughLoad {
			compareWithLoad(t, src, postFile, postProblems)
		}
		checkFrontCacheRoundTrip(t, src)
	})
}

// checkFrontCacheRoundTrip checks that what the front matter cache keeps
// of src's front matter comes back as parsing gave it, and that src taken
// as a cache file or an entry of one is refused or read, never a panic.
func checkFrontCacheRoundTrip(t *testing.T, src []byte) {
	t.Helper()
	decodeFrontCache(src, nil)
	decodeFields(src)
	doc, lerr := splitDocument(src)
	if lerr != nil || doc.format != "YAML" || !utf8.Valid(src) {
		return
	}
	fields, lerr := parseYAML(doc)
	if lerr != nil {
		return
	}
	blob, ok := appendFields(nil, fields)
	if !ok {
		return // kept out of the cache: parsed every time
	}
	back, ok := decodeFields(blob)
	if !ok || !reflect.DeepEqual(back, fields) {
		t.Fatalf("the cache gives back\n%#v\nfor\n%#v", back, fields)
	}
}

// checkProblems checks what every Problem must be: in the file it is about,
// at a line of it or 0, and saying something.
func checkProblems(t *testing.T, src []byte, file string, ps []Problem) {
	t.Helper()
	lines := bytes.Count(src, []byte("\n")) + 1
	for _, p := range ps {
		switch {
		case p.File != file:
			t.Errorf("problem %q names file %q, want %q", p.Error(), p.File, file)
		case p.Line < 0 || p.Line > lines:
			t.Errorf("problem %q is at line %d of a %d-line file", p.Error(), p.Line, lines)
		case p.Err == nil || p.Err.Error() == "":
			t.Errorf("problem at %s:%d says nothing", p.File, p.Line)
		}
	}
}

// checkPost checks what every loaded post must be.
func checkPost(t *testing.T, p *Post, file string) {
	t.Helper()
	switch {
	case p.File != file:
		t.Errorf("post from %s says it is from %s", file, p.File)
	case !ValidSlug(p.Slug):
		t.Errorf("post has slug %q", p.Slug)
	case p.Title == "" || p.Title != strings.TrimSpace(p.Title):
		t.Errorf("post has title %q", p.Title)
	case p.Date.IsZero() || p.Lastmod.IsZero():
		t.Errorf("post has date %v, lastmod %v", p.Date, p.Lastmod)
	case p.ReadingMinutes() < 1 || p.WordCount() < 0:
		t.Errorf("post has %d words, %d minutes", p.WordCount(), p.ReadingMinutes())
	}
	for _, tag := range p.Tags {
		if tag == "" || tag != strings.ToLower(tag) || strings.ContainsFunc(tag, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
			t.Errorf("post has tag %q", tag)
		}
	}
}

// compareWithLoad loads src as the one post of a real site directory and
// checks that Load reports what the loader's steps did.
func compareWithLoad(t *testing.T, src []byte, file string, want []Problem) {
	t.Helper()
	site := loadSite(t, files{
		"site.yaml":      "title: Fuzz\ntimezone: America/Los_Angeles\n",
		"authors/kay.md": "---\nname: Kay\n---\n",
		file:             string(src),
	})
	var got []string
	for _, p := range site.Problems {
		got = append(got, p.Error())
	}
	var wantText []string
	for _, p := range want {
		wantText = append(wantText, p.Error())
	}
	if !slices.Equal(got, wantText) {
		t.Errorf("Load reports %q, the loader's steps %q", got, wantText)
	}
	if n := len(allPosts(site)); (n == 1) != (len(want) == 0) {
		t.Errorf("Load loaded %d posts with problems %q", n, got)
	}
}

// FuzzRenderPost renders any Markdown the way posts are rendered with raw
// HTML off (the default) and parses the result as a browser would: there
// must be no element that runs script or changes where the page loads from,
// no event handler attribute, and no URL with a scheme other than http,
// https or mailto. The summary must be just as safe, carry no id (it is
// shown many to a page), and the description must be short plain text.
func FuzzRenderPost(f *testing.F) {
	md := newMarkdown(MarkdownConfig{UnsafeHTML: false})
	f.Fuzz(func(t *testing.T, src string) {
		// Every image a photo of the bundle: its attributes are made
		// from the hostile destination too.
		pg, err := md.render([]byte(src), "/posts/p/", func(string) (media.Info, bool) {
			return media.Info{Format: media.JPEG, Width: 3000, Height: 2000, Orientation: 1, Opaque: true}, true
		})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if msg := unsafeMarkup(string(pg.html)); msg != "" {
			t.Errorf("render(%q):\n%s\n%s", src, pg.html, msg)
		}
		if msg := unsafeMarkup(string(pg.summary)); msg != "" {
			t.Errorf("render(%q) summary:\n%s\n%s", src, pg.summary, msg)
		}
		if strings.Contains(string(pg.summary), " id=") {
			t.Errorf("render(%q) summary has an id:\n%s", src, pg.summary)
		}
		if n := utf8.RuneCountInString(pg.description); n >= descriptionMax || strings.ContainsAny(pg.description, "\n\t") {
			t.Errorf("render(%q) description (%d characters) is not short plain text: %q", src, n, pg.description)
		}
		// Bios and front matter summaries go through html instead.
		out, err := md.html([]byte(src))
		if err != nil {
			t.Fatalf("html: %v", err)
		}
		if msg := unsafeMarkup(string(out)); msg != "" {
			t.Errorf("html(%q):\n%s\n%s", src, out, msg)
		}
	})
}

// scriptCapable are elements that run script, load active content, submit
// or change the document's base, or hold foreign (SVG, MathML) content
// where script hides. None belongs in a rendered post.
var scriptCapable = map[string]bool{
	"script": true, "noscript": true, "template": true, "style": true,
	"iframe": true, "frame": true, "frameset": true, "object": true, "embed": true, "applet": true, "portal": true,
	"svg": true, "math": true,
	"base": true, "link": true, "meta": true,
	"form": true, "button": true,
}

// urlAttrs are the attributes a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "srcset": true, "action": true, "formaction": true, "poster": true,
	"background": true, "cite": true, "data": true, "longdesc": true, "usemap": true, "xlink:href": true,
	"ping": true, "manifest": true, "codebase": true, "archive": true, "lowsrc": true, "dynsrc": true,
}

// unsafeMarkup parses fragment in a <body> and describes the first unsafe
// thing in it, or returns "".
func unsafeMarkup(fragment string) string {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), body)
	if err != nil {
		return "unparseable HTML: " + err.Error()
	}
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			switch {
			case scriptCapable[strings.ToLower(n.Data)]:
				found = "element <" + n.Data + ">"
				return
			case n.Namespace != "":
				found = "foreign element <" + n.Namespace + ":" + n.Data + ">"
				return
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = strings.ToLower(a.Namespace) + ":" + key
				}
				if strings.HasPrefix(key, "on") {
					found = "event handler attribute " + key + "=" + a.Val + " on <" + n.Data + ">"
					return
				}
				if !urlAttrs[key] {
					continue
				}
				urls := []string{a.Val}
				if key == "srcset" || key == "ping" || key == "archive" {
					urls = strings.FieldsFunc(a.Val, func(r rune) bool { return r == ',' || r == ' ' })
				}
				for _, u := range urls {
					if s := browserScheme(u); s != "" && s != "http" && s != "https" && s != "mailto" {
						found = key + "=" + a.Val + " on <" + n.Data + "> has the scheme " + s
						return
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return found
}

// browserScheme is the scheme a browser finds in an attribute value (after
// the HTML parser has decoded its entities), lowercased, or "" for a
// relative URL. Per the URL standard, leading and trailing C0 controls and
// spaces are stripped and tabs and newlines anywhere are removed before the
// scheme is read. It is written apart from the package's own urlScheme, so
// that a mistake in that one is not repeated here.
func browserScheme(u string) string {
	u = strings.TrimFunc(u, func(r rune) bool { return r <= 0x20 })
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(u[:i])
		default:
			return ""
		}
	}
	return ""
}

// TestUnsafeMarkupCatches keeps FuzzRenderPost's checker honest: each of
// these must be reported, or the fuzzer could pass for the wrong reason.
func TestUnsafeMarkupCatches(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`,
		`<p><img src="x.png" onerror="alert(1)"></p>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href=" JaVa&#x09;ScRiPt&colon;alert(1)">x</a>`,
		"<a href=\"\x01java\nscript:alert(1)\">x</a>",
		`<img src="data:image/svg+xml,<svg onload=alert(1)>">`,
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<svg><a xlink:href="javascript:alert(1)">x</a></svg>`,
		`<math><mi>x</mi></math>`,
		`<iframe src="https://e.org/"></iframe>`,
		`<object data="https://e.org/x.swf"></object>`,
		`<base href="https://evil.example/">`,
		`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
		`<form action="https://e.org/"><button>x</button></form>`,
		`<p ONMOUSEOVER="alert(1)">x</p>`,
		`<img srcset="https://e.org/a.png 1x, javascript:alert(1) 2x">`,
		`<style>body{}</style>`,
	} {
		if unsafeMarkup(bad) == "" {
			t.Errorf("unsafeMarkup(%q) found nothing", bad)
		}
	}
	for _, good := range []string{
		`<p><a href="https://e.org/">x</a> <a href="/posts/x/">y</a> <a href="mailto:k@e.org">z</a> <a href="#fn:1">1</a></p>`,
		`<p><img src="img/run.jpg" alt="run"> <a href="http://e.org/?q=javascript:x">q</a></p>`,
		`<ul><li><input checked="" disabled="" type="checkbox"> done</li></ul>`,
		`<table><thead><tr><th style="text-align:right">km</th></tr></thead></table>`,
		`<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>`,
	} {
		if msg := unsafeMarkup(good); msg != "" {
			t.Errorf("unsafeMarkup(%q) = %s, want nothing", good, msg)
		}
	}
}
