package comments

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode"

	"golang.org/x/net/html"
)

// hostile is Markdown a reader might send to run script, load something, or
// style the page. Render must make every one of them harmless.
var hostile = []string{
	// Raw HTML of every dangerous kind.
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	"text <script>alert(1)</script> inline",
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="data:text/html,<script>alert(1)</script>">`,
	`<form action="javascript:alert(1)"><button>go</button></form>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="https://ok.example/" onmouseover="alert(1)">x</a>`,
	`<a href=https://ok.example/ style=color:red>x</a>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p onclick="alert(1)">x</p>`,
	`<style>body{display:none}</style>`,
	`<link rel=stylesheet href=https://evil.example/x.css>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<textarea><script>alert(1)</script></textarea>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<details open ontoggle=alert(1)>`,
	`<a href="&#1;javascript:alert(1)">x</a>`,
	// Broken and nested markup meant to confuse a parser.
	`<img src="x" onerror="alert(1)"`,
	`<img src=x onerror=alert(1)//`,
	`<div <script>alert(1)</script>`,
	`<<script>script>alert(1)<</script>/script>`,
	`<!-- --><script>alert(1)</script> -->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	"\x00<script>alert(1)</script>",
	"<scr\x00ipt>alert(1)</script>",
	// Markdown links with dangerous schemes, in many spellings.
	`[x](javascript:alert(1))`,
	`[x](JAVASCRIPT:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](&#106;avascript:alert(1))`,
	`[x](&#x6A;avascript:alert(1))`,
	`[x](&#X6a;&#x61;vascript:alert(1))`,
	`[x](javascript&colon;alert(1))`,
	`[x](javascript&#58;alert(1))`,
	`[x]( javascript:alert(1))`,
	`[x](  &#32;javascript:alert(1))`,
	`[x](<javascript:alert(1)>)`,
	"[x](\x01javascript:alert(1))",
	"[x](<java\tscript:alert(1)>)",
	`[x](java&#9;script:alert(1))`,
	`[x](java&#x0A;script:alert(1))`,
	`[x](javascript:alert(1) "title")`,
	`[x](vbscript:msgbox(1))`,
	`[x](VBScript:msgbox(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[x](DATA:text/html,<script>alert(1)</script>)`,
	`[x](file:///etc/passwd)`,
	`[x](//evil.example/)`,
	`[x](https://example.org/"onmouseover="alert(1))`,
	`[x](https://example.org/ "a\" onmouseover=\"alert(1)")`,
	`[x](https://example.org/ 'a' onmouseover='alert(1)')`,
	// Autolinks and linkified text.
	`<javascript:alert(1)>`,
	`<JavaScript:alert(1)>`,
	`<data:text/html,hi>`,
	`<vbscript:msgbox(1)>`,
	`<http://example.org/" onmouseover="alert(1)>`,
	`www.example.org/"onmouseover="alert(1)`,
	`https://example.org/<script>alert(1)</script>`,
	`javascript:alert(1)//www.example.org`,
	// Reference links.
	"[x][r]\n\n[r]: javascript:alert(1)",
	"[x][r]\n\n[r]: <&#106;avascript:alert(1)> \"t\"",
	"[x]\n\n[x]: data:text/html,hi",
	// Images, which must never become <img>.
	`![x](javascript:alert(1))`,
	`![x](x" onerror="alert(1))`,
	`![x](https://example.org/x.png "a\" onerror=\"alert(1)")`,
	`![<img src=x onerror=alert(1)>](https://example.org/x.png)`,
	`[![img](javascript:alert(1))](javascript:alert(2))`,
	"![x][r]\n\n[r]: vbscript:x",
	// Fenced code with hostile info strings.
	"```\"><script>alert(1)</script>\ncode\n```",
	"```js onload=alert(1) style=color:red\ncode\n```",
	"~~~<img src=x onerror=alert(1)>\ncode\n~~~",
	"```\n<script>alert(1)</script>\n```",
	"    <script>alert(1)</script>",
	"`<script>alert(1)</script>`",
	// Headings must not get ids a reader chose.
	"# comment-form\n\n## <script>x</script>",
}

func TestRenderNeutralisesHostileInput(t *testing.T) {
	if len(hostile) < 40 {
		t.Fatalf("only %d hostile inputs", len(hostile))
	}
	for i, in := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out := Render(in)
			if msg := unsafeHTML(out); msg != "" {
				t.Errorf("Render(%q) = %q: %s", in, out, msg)
			}
		})
	}
}

// allowedAttrs is every element Render may produce and the attributes each
// may have. html, head and body are what html.Parse wraps a fragment in.
var allowedAttrs = map[string][]string{
	"html": nil, "head": nil, "body": nil,
	"p": nil, "br": nil, "em": nil, "strong": nil, "del": nil, "code": nil, "pre": nil,
	"blockquote": nil, "ul": nil, "ol": {"start"}, "li": nil, "hr": nil,
	"h1": nil, "h2": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil,
	"a": {"href", "title", "rel"},
}

// unsafeHTML parses out as a browser would and describes the first thing in
// it that could run script, load something, or change the page's look; it
// returns "" for safe HTML.
func unsafeHTML(out string) string {
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		return "does not parse: " + err.Error()
	}
	var problem string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if problem != "" {
			return
		}
		if n.Type == html.ElementNode {
			problem = unsafeElement(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return problem
}

func unsafeElement(n *html.Node) string {
	switch n.Data {
	case "script", "iframe", "object", "embed", "svg", "math", "style", "form", "img", "link", "meta", "base":
		return "has a <" + n.Data + "> element"
	}
	if n.Namespace != "" {
		return "has a foreign element " + n.Namespace + ":" + n.Data
	}
	allowed, ok := allowedAttrs[n.Data]
	if !ok {
		return "has an unexpected <" + n.Data + "> element"
	}
	var href, rel string
	hasHref := false
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(key, "on"):
			return "has an event attribute " + a.Key
		case key == "style":
			return "has a style attribute"
		case !contains(allowed, key):
			return "has an unexpected attribute " + a.Key + " on <" + n.Data + ">"
		}
		switch key {
		case "href":
			href, hasHref = a.Val, true
		case "rel":
			rel = a.Val
		}
	}
	if n.Data != "a" {
		return ""
	}
	if !hasHref {
		return "has an <a> without href"
	}
	if strings.ContainsFunc(href, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Sprintf("has an href with whitespace or control characters: %q", href)
	}
	u, err := url.Parse(href)
	if err != nil {
		return fmt.Sprintf("has an unparseable href %q", href)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" && s != "mailto" {
		return fmt.Sprintf("has an href with scheme %q: %q", u.Scheme, href)
	}
	if rel != LinkRel {
		return fmt.Sprintf("has a link with rel=%q", rel)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestRenderKeepsFormatting(t *testing.T) {
	const rel = ` rel="nofollow ugc noopener"`
	cases := []struct{ name, in, want string }{
		{"emphasis", "*em* _em_ **strong** ~~gone~~ `x < y`",
			"<p><em>em</em> <em>em</em> <strong>strong</strong> <del>gone</del> <code>x &lt; y</code></p>\n"},
		{"hard wraps", "line one\nline two", "<p>line one<br>\nline two</p>\n"},
		{"paragraphs", "one\n\ntwo", "<p>one</p>\n<p>two</p>\n"},
		{"quote", "> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"},
		{"lists", "- a\n- b\n\n3. c\n4. d", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n"},
		{"code block keeps text, drops class", "```go\nif a < b {}\n```", "<pre><code>if a &lt; b {}\n</code></pre>\n"},
		{"heading has no id", "## Splits", "<h2>Splits</h2>\n"},
		{"rule", "a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>\n"},
		{"link", `[my log](https://example.org/log?a=1&b=2 "Log")`,
			`<p><a href="https://example.org/log?a=1&amp;b=2" title="Log"` + rel + `>my log</a></p>` + "\n"},
		{"mailto link", "[write](mailto:kay@example.org)", `<p><a href="mailto:kay@example.org"` + rel + `>write</a></p>` + "\n"},
		{"autolink", "<https://example.org/>", `<p><a href="https://example.org/"` + rel + `>https://example.org/</a></p>` + "\n"},
		{"email autolink", "<kay@example.org>", `<p><a href="mailto:kay@example.org"` + rel + `>kay@example.org</a></p>` + "\n"},
		{"linkify url", "see https://example.org/x now", `<p>see <a href="https://example.org/x"` + rel + `>https://example.org/x</a> now</p>` + "\n"},
		{"linkify www", "see www.example.org", `<p>see <a href="http://www.example.org"` + rel + `>www.example.org</a></p>` + "\n"},
		{"linkify email", "mail kay@example.org", `<p>mail <a href="mailto:kay@example.org"` + rel + `>kay@example.org</a></p>` + "\n"},
		{"no ftp links", "ftp://example.org/x", "<p>ftp://example.org/x</p>\n"},
		{"reference link", "[log][1]\n\n[1]: https://example.org/", `<p><a href="https://example.org/"` + rel + `>log</a></p>` + "\n"},
		{"image becomes link", "![my splits](https://example.org/s.png)", `<p><a href="https://example.org/s.png"` + rel + `>my splits</a></p>` + "\n"},
		{"image without alt shows address", "![](https://example.org/s.png)", `<p><a href="https://example.org/s.png"` + rel + `>https://example.org/s.png</a></p>` + "\n"},
		{"image in link keeps alt", "[![badge](https://example.org/b.png)](https://example.org/)", `<p><a href="https://example.org/"` + rel + `>badge</a></p>` + "\n"},
		{"relative link dropped, text kept", "[home](/)", "<p>home</p>\n"},
		{"bad link dropped, text kept", "[click](javascript:alert(1))", "<p>click</p>\n"},
		{"bad link with title dropped", `[click](javascript:alert(1) "t")`, "<p>click</p>\n"},
		{"raw html omitted", "a <b>bold</b> move", "<p>a bold move</p>\n"},
		{"text stays escaped", `5 < 6 & "quotes" 'too'`, "<p>5 &lt; 6 &amp; &#34;quotes&#34; &#39;too&#39;</p>\n"},
		{"entities", "&copy; &#169;", "<p>© ©</p>\n"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Render(tc.in)
			if got != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if msg := unsafeHTML(got); msg != "" {
				t.Errorf("Render(%q) = %q: %s", tc.in, got, msg)
			}
		})
	}
}

// TestRenderIsSafeForConcurrentUse runs under -race: the converter and the
// policy are shared package state.
func TestRenderIsSafeForConcurrentUse(t *testing.T) {
	in := "**hello** [x](https://example.org/) ![i](https://example.org/i.png) <script>x</script>"
	want := Render(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := Render(in); got != want {
					t.Errorf("concurrent Render = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRelLinksUnwrapsLinksWithoutHref(t *testing.T) {
	cases := map[string]string{
		`<a title="t">x</a> <a href="https://e.org/">y</a>`:        `x <a href="https://e.org/" rel="nofollow ugc noopener">y</a>`,
		`<a href="https://e.org/" rel="opener">y</a>`:              `<a href="https://e.org/" rel="nofollow ugc noopener">y</a>`,
		`<a title="t"><a href="https://e.org/">in</a></a> out</a>`: `<a href="https://e.org/" rel="nofollow ugc noopener">in</a> out`,
		`<p>no links &amp; <em>text</em></p>`:                      `<p>no links &amp; <em>text</em></p>`,
		`<a href="https://e.org/"/> <a/>`:                          `<a href="https://e.org/" rel="nofollow ugc noopener"/> `,
	}
	for in, want := range cases {
		if got := relLinks(in); got != want {
			t.Errorf("relLinks(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

// FuzzRender checks the safety property on any input; plain `go test` runs
// the hostile inputs as its seed corpus.
func FuzzRender(f *testing.F) {
	for _, in := range hostile {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Render(in)
		if msg := unsafeHTML(out); msg != "" {
			t.Errorf("Render(%q) = %q: %s", in, out, msg)
		}
	})
}

// TestUnsafeHTMLCatches keeps the checker honest: each of these must be
// reported, or the hostile-input test would pass for the wrong reason.
func TestUnsafeHTMLCatches(t *testing.T) {
	for _, bad := range []string{
		`<script>x</script>`,
		`<p onclick="x">y</p>`,
		`<p style="color:red">y</p>`,
		`<svg></svg>`,
		`<math></math>`,
		`<img src="https://e.org/i.png">`,
		`<iframe></iframe>`,
		`<form></form>`,
		`<a>no href</a>`,
		`<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<a href="java&#x09;script:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<a href="/relative" rel="nofollow ugc noopener">x</a>`,
		`<a href="https://e.org/">no rel</a>`,
		`<a href="https://e.org/" rel="nofollow">weak rel</a>`,
		`<div>x</div>`,
		`<code class="language-go">x</code>`,
	} {
		if unsafeHTML(bad) == "" {
			t.Errorf("unsafeHTML(%q) found nothing", bad)
		}
	}
}
