package content

import (
	"fmt"
	"html/template"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const unsafeHTMLConfig = "markdown:\n  unsafe_html: true\n"

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, md string
		want     template.HTML
	}{{
		name: "typographer",
		md:   `"Quoted" and 'single', it's done... -- and --- <<fin>>`,
		want: "<p>“Quoted” and ‘single’, it’s done… – and — «fin»</p>\n",
	}, {
		name: "typographer leaves code alone",
		md:   "`\"x\"...` and\n\n    \"y\"...\n",
		want: "<p><code>&quot;x&quot;...</code> and</p>\n<pre><code>&quot;y&quot;...\n</code></pre>\n",
	}, {
		name: "heading ids, unique within a post",
		md:   "# Race Day\n\n## Race Day\n\n### 10 km: the *plan*\n",
		want: "<h1 id=\"race-day\">Race Day</h1>\n<h2 id=\"race-day-1\">Race Day</h2>\n<h3 id=\"10-km-the-plan\">10 km: the <em>plan</em></h3>\n",
	}, {
		name: "footnotes",
		md:   "Long run[^1].\n\n[^1]: 32 km.\n",
		want: `<p>Long run<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>.</p>
<div class="footnotes" role="doc-endnotes">
<hr>
<ol>
<li id="fn:1">
<p>32 km.&#160;<a href="#fnref:1" class="footnote-backref" role="doc-backlink">&#x21a9;&#xfe0e;</a></p>
</li>
</ol>
</div>
`,
	}, {
		name: "table alignment as classes the theme styles, never inline styles the CSP blocks",
		md:   "| day | km |\n|-----|---:|\n| Sun | 32 |\n",
		want: `<table>
<thead>
<tr>
<th>day</th>
<th class="align-right">km</th>
</tr>
</thead>
<tbody>
<tr>
<td>Sun</td>
<td class="align-right">32</td>
</tr>
</tbody>
</table>
`,
	}, {
		name: "task lists, each box labelled for screen readers",
		md:   "- [x] long run\n- [ ] massage\n",
		want: "<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\" aria-label=\"Done\"> long run</li>\n<li><input disabled=\"\" type=\"checkbox\" aria-label=\"To do\"> massage</li>\n</ul>\n",
	}, {
		name: "definition lists",
		md:   "Tempo\n: Comfortably hard.\n",
		want: "<dl>\n<dt>Tempo</dt>\n<dd>Comfortably hard.</dd>\n</dl>\n",
	}, {
		name: "strikethrough and linkified URLs and addresses",
		md:   "~~rest~~ see https://example.org/plan, www.example.org and coach@example.org",
		want: `<p><del>rest</del> see <a href="https://example.org/plan">https://example.org/plan</a>, ` +
			`<a href="http://www.example.org">www.example.org</a> and <a href="mailto:coach@example.org">coach@example.org</a></p>` + "\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, body(t, "", tt.md).HTML()); diff != "" {
				t.Errorf("HTML mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRawHTML(t *testing.T) {
	const md = "<div class=\"map\">route</div>\n\nA <span>tempo</span> run.<script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n"
	tests := []struct {
		name, config string
		want         template.HTML
	}{{
		name: "dropped by default",
		want: "<p>A tempo run.alert(1)</p>\n",
	}, {
		name:   "dropped when unsafe_html is false",
		config: "markdown:\n  unsafe_html: false\n",
		want:   "<p>A tempo run.alert(1)</p>\n",
	}, {
		name:   "kept with unsafe_html",
		config: unsafeHTMLConfig,
		want:   "<div class=\"map\">route</div>\n<p>A <span>tempo</span> run.<script>alert(1)</script></p>\n<script>\nalert(2)\n</script>\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, body(t, tt.config, md).HTML()); diff != "" {
				t.Errorf("HTML mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	// Each unsafe URL, written into a link, a reference link and an image.
	unsafe := []string{
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"JAVASCRIPT:alert(1)",
		"<javascript:alert(1)>",
		"< javascript:alert(1)>",
		"<java\tscript:alert(1)>",
		"<\tjavascript:alert(1)>",
		"java&Tab;script:alert(1)",
		"java&#9;script:alert(1)",
		"java&NewLine;script:alert(1)",
		"&#x20;javascript:alert(1)",
		"&#1;javascript:alert(1)",
		"&#106;avascript:alert(1)",
		"&#x6A;avascript:alert(1)",
		"&#0000106;avascript:alert(1)",
		"javascript&colon;alert(1)",
		"javascript&#58;alert(1)",
		"&amp;#106;avascript:alert(1)",
		"%6Aavascript:alert(1)",
		"javascript%3Aalert(1)",
		`javascript\:alert(1)`, // a backslash escape, which the renderer takes out
		"vbscript:msgbox(1)",
		"VBScript:msgbox(1)",
		"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		"data:image/png;base64,iVBORw0KGgo=",
		"DATA:image/svg+xml,<svg/onload=alert(1)>",
		"file:///etc/passwd",
		"ftp://example.org/x",
		"about:blank",
	}
	for _, config := range []string{"", unsafeHTMLConfig} {
		for _, u := range unsafe {
			t.Run(fmt.Sprintf("unsafe_html=%v/%s", config != "", u), func(t *testing.T) {
				md := fmt.Sprintf("[**run** here](%s) and [ref][r] and x ![map](%s) y\n\n[r]: %s\n", u, u, u)
				want := template.HTML("<p><strong>run</strong> here and ref and x  y</p>\n")
				if diff := cmp.Diff(want, body(t, config, md).HTML()); diff != "" {
					t.Errorf("unsafe URL kept its link (-want +got):\n%s", diff)
				}
			})
		}
	}

	autolinks := []struct{ md, want string }{
		{"<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n"},
		{"<JavaScript:alert(1)>", "<p>JavaScript:alert(1)</p>\n"},
		{"<vbscript:msgbox(1)>", "<p>vbscript:msgbox(1)</p>\n"},
		{"<data:text/html,<b>>", "<p>&lt;data:text/html,<b>&gt;</p>\n"}, // not an autolink; <b> is raw HTML
		{"<file:///etc/passwd>", "<p>file:///etc/passwd</p>\n"},
		{"ftp://example.org/x", "<p>ftp://example.org/x</p>\n"}, // linkified, then refused
	}
	for _, tt := range autolinks {
		t.Run("autolink/"+tt.md, func(t *testing.T) {
			if diff := cmp.Diff(template.HTML(tt.want), body(t, unsafeHTMLConfig, tt.md).HTML()); diff != "" {
				t.Errorf("HTML mismatch (-want +got):\n%s", diff)
			}
		})
	}

	safe := []struct{ md, href string }{
		{"[a](http://example.org/a?b=c#d)", "http://example.org/a?b=c#d"},
		{"[a](https://example.org/)", "https://example.org/"},
		{"[a](HTTPS://EXAMPLE.ORG/)", "HTTPS://EXAMPLE.ORG/"},
		{"[a](mailto:coach@example.org)", "mailto:coach@example.org"},
		{"[a](/posts/long-run/)", "/posts/long-run/"},
		{"[a](x/)", "x/"},
		{"[a](../up)", "../up"},
		{"[a](#fn:1)", "#fn:1"},
		{"[a](?page=2)", "?page=2"},
		{"[a](//example.org/x)", "//example.org/x"},
		{"[a](/tags/c%2B%2B/)", "/tags/c%2B%2B/"},
		{"[a]()", ""},
		{"<https://example.org/x>", "https://example.org/x"},
		{"<coach@example.org>", "mailto:coach@example.org"},
	}
	for _, tt := range safe {
		t.Run("safe/"+tt.md, func(t *testing.T) {
			got := string(body(t, "", tt.md).HTML())
			if want := fmt.Sprintf(`<a href="%s">`, tt.href); !strings.Contains(got, want) {
				t.Errorf("HTML %q lacks %q", got, want)
			}
		})
	}
	t.Run("safe image", func(t *testing.T) {
		got := body(t, "", "![Route map](/static/route.png \"The route\")").HTML()
		want := template.HTML(`<p><img src="/static/route.png" alt="Route map" title="The route"></p>` + "\n")
		if got != want {
			t.Errorf("HTML = %q, want %q", got, want)
		}
	})
}

func TestSafeURL(t *testing.T) {
	// Cases the Markdown parser cannot produce, straight to the check.
	for _, u := range []string{"\x00javascript:x", " \x01\x1fjavascript:x", "java\nscript:x", "javascript\x7f:x", "&#x26;#x6A;avascript:x", "%256Aavascript:x"} {
		if safeURL(u) {
			t.Errorf("safeURL(%q) = true", u)
		}
	}
	for _, u := range []string{"", "/", "#javascript:x", "?u=javascript:x", "https://example.org/javascript:x", "./javascript:x", "mailto:a@example.org?subject=%6A"} {
		if !safeURL(u) {
			t.Errorf("safeURL(%q) = false", u)
		}
	}
}

func TestSummary(t *testing.T) {
	words := func(n int, w string) string { return strings.TrimSpace(strings.Repeat(w+" ", n)) }
	para := func(n int) string { return "<p>" + words(n, "stride") + "</p>\n" }
	// sentences is n sentences of ten words each.
	sentences := func(n int) string {
		return strings.TrimSpace(strings.Repeat("Easy miles build the base that race day will need. ", n))
	}
	tests := []struct {
		name, config, front, md string
		want                    template.HTML
	}{{
		name:  "front matter summary, as Markdown",
		front: "summary: \"An *easy* [ten](/posts/ten/).\"\n",
		md:    "Ignored <!--more--> marker.\n\n<!--more-->\n\nRest.\n",
		want:  "<p>An <em>easy</em> <a href=\"/posts/ten/\">ten</a>.</p>\n",
	}, {
		name:  "front matter summary, unsafe link neutralised",
		front: "summary: \"[Click](javascript:alert(1))\"\n",
		md:    "Body.\n",
		want:  "<p>Click</p>\n",
	}, {
		name: "more marker",
		md:   "First.\n\nSecond.\n<!--more-->\nThird.\n",
		want: "<p>First.</p>\n<p>Second.</p>\n",
	}, {
		name: "more marker with spaces, before 70 words",
		md:   "Short.\n\n<!-- more -->\n\n" + words(100, "long") + "\n",
		want: "<p>Short.</p>\n",
	}, {
		name: "more marker keeps the writer's blocks, without heading ids or footnote references",
		md:   "# Plan\n\n| a |\n|---|\n| b |\n\nEasy[^1].\n\n<!--more-->\n\nRest.\n\n[^1]: Really.\n",
		want: "<h1>Plan</h1>\n<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>b</td>\n</tr>\n</tbody>\n</table>\n<p>Easy.</p>\n",
	}, {
		name: "more marker inside a code block is text, and code is not prose",
		md:   "```\n<!--more-->\n```\n\nAfter.\n",
		want: "<p>After.</p>\n",
	}, {
		name: "paragraphs until 70 words: 30 + 30 + 10",
		md:   words(30, "stride") + "\n\n" + words(30, "stride") + "\n\n" + words(10, "stride") + "\n\n" + words(10, "stride") + "\n",
		want: template.HTML(para(30) + para(30) + para(10)),
	}, {
		name: "cut at the first sentence end past 70 words",
		md:   sentences(12) + "\n",
		want: template.HTML("<p>" + sentences(7) + "</p>\n"),
	}, {
		name: "a second paragraph is cut at a sentence end too",
		md:   words(65, "stride") + "\n\n" + sentences(3) + "\n",
		want: template.HTML(para(65) + "<p>" + sentences(1) + "</p>\n"),
	}, {
		name: "abbreviations and decimals do not end a sentence",
		md:   words(65, "stride") + "\n\nRan 3.5 km, e.g. the loop, then stopped. " + sentences(3) + "\n",
		want: template.HTML(para(65) + "<p>Ran 3.5 km, e.g. the loop, then stopped.</p>\n"),
	}, {
		name: "a paragraph that ends in reach is kept whole rather than cut short",
		md:   "Go. " + words(75, "stride") + "\n",
		want: template.HTML("<p>Go. " + words(75, "stride") + "</p>\n"),
	}, {
		name: "else it ends at the last sentence end before 70 words",
		md:   sentences(3) + " " + words(200, "Stride") + "\n",
		want: template.HTML("<p>" + sentences(3) + "</p>\n"),
	}, {
		name: "a paragraph with no sentence end in reach is left out",
		md:   words(60, "stride") + "\n\n" + words(200, "stride") + "\n",
		want: template.HTML(para(60)),
	}, {
		name: "a long first paragraph with no sentence end is cut at a word, with an ellipsis",
		md:   words(200, "stride") + "\n\n" + words(5, "stride") + "\n",
		want: template.HTML("<p>" + words(70, "stride") + "…</p>\n"),
	}, {
		name: "the cut keeps inline markup whole",
		md:   words(65, "stride") + "\n\n*Easy miles. Build* [the base. Race](/x/) day. " + sentences(2) + "\n",
		want: template.HTML(para(65) + "<p><em>Easy miles. Build</em> <a href=\"/x/\">the base.</a></p>\n"),
	}, {
		name: "a cut at a link's address keeps the link whole and drops the rest",
		md:   words(200, "stride") + " https://example.org/route then more\n",
		want: template.HTML("<p>" + words(70, "stride") + "…</p>\n"),
	}, {
		name: "a cut right after a link's address drops what follows it",
		md:   words(69, "stride") + " https://example.org/route " + words(200, "stride") + "\n",
		want: template.HTML("<p>" + words(69, "stride") + " <a href=\"https://example.org/route\">https://example.org/route</a>…</p>\n"),
	}, {
		name: "prose only: no headings, lists, tables, footnote references or images",
		md:   "# Plan\n\n- " + words(35, "a") + "\n\n| a |\n|---|\n| b |\n\n![Finish](finish.jpg)\n\nEasy[^1] ![x](x.jpg) run.\n\n[^1]: Really.\n",
		want: "<p>Easy  run.</p>\n",
	}, {
		name: "relative URLs resolved against the post's URL",
		md:   "See [the splits](splits/) and [the plan](#plan), [home](/) or [far](https://example.org/a).\n",
		want: "<p>See <a href=\"/posts/p/splits/\">the splits</a> and <a href=\"/posts/p/#plan\">the plan</a>, <a href=\"/\">home</a> or <a href=\"https://example.org/a\">far</a>.</p>\n",
	}, {
		name:   "relative URLs resolved below the base URL's path",
		config: "base_url: https://club.example.org/blog/\n",
		md:     "![Finish](photo.jpg)\n\n<!--more-->\n\nRest.\n",
		want:   "<p><img src=\"/blog/posts/p/photo.jpg\" alt=\"Finish\"></p>\n",
	}, {
		name:   "the marker is not in the page even with unsafe_html",
		config: unsafeHTMLConfig,
		md:     "One.\n\n<!--more-->\n\nTwo.\n",
		want:   "<p>One.</p>\n",
	}, {
		name: "empty body",
		md:   "",
		want: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := files{"posts/p.md": "---\ntitle: P\ndate: 2024-01-01\n" + tt.front + "---\n" + tt.md}
			if tt.config != "" {
				fs["site.yaml"] = tt.config
			}
			p := onlyPost(t, loadSite(t, fs))
			if diff := cmp.Diff(tt.want, p.Summary()); diff != "" {
				t.Errorf("Summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the marker is not in the page", func(t *testing.T) {
		p := body(t, unsafeHTMLConfig, "One.\n\n<!--more-->\n\nTwo.\n")
		if want := template.HTML("<p>One.</p>\n<p>Two.</p>\n"); p.HTML() != want {
			t.Errorf("HTML = %q, want %q", p.HTML(), want)
		}
	})
	t.Run("the page keeps its relative URLs, which resolve against it", func(t *testing.T) {
		p := body(t, "", "![Finish](photo.jpg)\n")
		if want := template.HTML("<p><img src=\"photo.jpg\" alt=\"Finish\"></p>\n"); p.HTML() != want {
			t.Errorf("HTML = %q, want %q", p.HTML(), want)
		}
	})
}

func TestDescription(t *testing.T) {
	long := strings.Repeat("Tempo runs teach the body to hold a hard pace. ", 8)
	tests := []struct {
		name, front, md string
		want            string
	}{{
		name: "the summary as plain text",
		md:   "An *easy* [ten](/x/) &amp; a `cool-down`[^1].\n\n[^1]: Note.\n",
		want: "An easy ten & a cool-down.",
	}, {
		name:  "the front matter summary as plain text",
		front: "summary: \"Race day: a **10k** PR.\"\n",
		md:    "Body.\n",
		want:  "Race day: a 10k PR.",
	}, {
		name: "shorter than 160 characters, cut at a word with an ellipsis",
		md:   long + "\n",
		want: "Tempo runs teach the body to hold a hard pace. Tempo runs teach the body to hold a hard pace. Tempo runs teach the body to hold a hard pace. Tempo runs teach…",
	}, {
		name: "blocks do not run together",
		md:   "One.\n<!--more-->\n",
		want: "One.",
	}, {
		name: "a post without prose is described by its text",
		md:   "# Splits\n\n- 4:05\n- 4:01\n",
		want: "Splits 4:05 4:01",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := onlyPost(t, loadSite(t, files{"posts/p.md": "---\ntitle: P\ndate: 2024-01-01\n" + tt.front + "---\n" + tt.md}))
			if p.Description() != tt.want {
				t.Errorf("Description = %q, want %q", p.Description(), tt.want)
			}
			if n := len([]rune(p.Description())); n >= descriptionMax {
				t.Errorf("Description is %d characters, want fewer than %d", n, descriptionMax)
			}
		})
	}
}

func TestReadingTime(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("run ", n)) }
	tests := []struct {
		name    string
		md      string
		words   int
		minutes int
	}{
		{name: "empty", md: "", words: 0, minutes: 1},
		{name: "one word", md: "Run.", words: 1, minutes: 1},
		{name: "220 words", md: words(220), words: 220, minutes: 1},
		{name: "221 words", md: words(221), words: 221, minutes: 2},
		{name: "660 words over blocks", md: words(330) + "\n\n- " + words(330), words: 660, minutes: 3},
		{name: "markup is not words", md: "**Bold** _it_ [link](https://example.org/a-b-c) `code` ![alt text here](/x.png) <span class=\"a b\">x</span>", words: 5, minutes: 1},
		{name: "apostrophes and dashes", md: "It's a 10-km run -- don't stop — ok...", words: 7, minutes: 1},
		{name: "blocks do not run together", md: "# Plan\nEasy\n\n| a | b |\n|---|---|\n| c | d |\n\n```\nfunc main() {}\n```\n", words: 8, minutes: 1},
		{name: "entities", md: "Tom &amp; Jerry", words: 2, minutes: 1},
		{name: "footnotes count", md: "Run[^1].\n\n[^1]: Far away.\n", words: 3, minutes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := body(t, "", tt.md)
			if p.WordCount() != tt.words || p.ReadingMinutes() != tt.minutes {
				t.Errorf("WordCount, ReadingMinutes = %d, %d; want %d, %d", p.WordCount(), p.ReadingMinutes(), tt.words, tt.minutes)
			}
		})
	}
}

// The site's Content-Security-Policy allows no inline styles, so a browser
// would drop goldmark's default style="text-align:…" (and log an error per
// cell): alignment must come as classes, which the theme styles.
func TestTableAlignmentNeedsNoInlineStyle(t *testing.T) {
	p := body(t, "", "| day | km | pace | note |\n|:----|---:|:----:|------|\n| Sun | 32 | 5:10 | long |\n| Tue | 10 | 4:30 | tempo |\n")
	html := string(p.HTML())
	if strings.Contains(html, "style=") {
		t.Errorf("table has inline styles:\n%s", html)
	}
	for class, n := range map[string]int{`class="align-left"`: 3, `class="align-right"`: 3, `class="align-center"`: 3} {
		if got := strings.Count(html, class); got != n {
			t.Errorf("%s on %d cells, want %d:\n%s", class, got, n, html)
		}
	}
	if got := strings.Count(html, "<td>") + strings.Count(html, "<th>"); got != 3 {
		t.Errorf("%d cells without alignment, want the note column's 3", got)
	}
}
