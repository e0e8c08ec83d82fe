package importer

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHTMLToMarkdown(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		keepNewlines bool // WordPress
		want         string
	}{
		{"plain", "Nice run!", false, "Nice run!"},
		{"paragraphs", "<p>One.</p><p>Two.</p>", false, "One.\n\nTwo."},
		{"line break", "<p>One<br>two<br/>three</p>", false, "One\ntwo\nthree"},
		{"HTML white space", "<p>  lots\n  of\tspace </p>\n\n<p>x</p>", false, "lots of space\n\nx"},
		{"inline tags keep words whole", "un<b>believ</b>able <i>pace</i>, <em>really</em>", false, "unbelievable pace, really"},
		{"link", `See <a href="https://example.org/race?id=1&amp;x=2">the results</a>.`, false, "See [the results](https://example.org/race?id=1&x=2)."},
		{"link whose text is its address", `<a href="https://example.org/">https://example.org/</a>`, false, "<https://example.org/>"},
		{"link whose text is its address without the slash", `<a href="https://example.org/">https://example.org</a>`, false, "<https://example.org/>"},
		{"link without text", `<a href="https://example.org/"><img src="x.png"></a>`, false, "<https://example.org/>"},
		{"mail link", `<a href="mailto:kay@example.org">kay@example.org</a> or <a href="mailto:kay@example.org">mail me</a>`, false,
			"<mailto:kay@example.org> or [mail me](mailto:kay@example.org)"},
		{"link with markup inside", `<a href="https://example.org/"><b>bold</b> <i>move</i></a>`, false, "[bold move](https://example.org/)"},
		{"link text with brackets", `<a href="https://example.org/">[1] notes</a>`, false, `[\[1\] notes](https://example.org/)`},
		{"link address with parentheses and spaces", `<a href="https://en.example.org/wiki/Pace_(running) x">pace</a>`, false,
			"[pace](https://en.example.org/wiki/Pace_%28running%29%20x)"},
		{"javascript link is text", `<a href="javascript:alert(1)">click</a> me`, false, "click me"},
		{"relative link is text", `<a href="/posts/taper/">taper</a>`, false, "taper"},
		{"data link is text", `<a href="data:text/html,hi">hi</a>`, false, "hi"},
		{"link without href", `<a name="top">top</a>`, false, "top"},
		{"Disqus redirect unwrapped", `<a href="https://disq.us/url?url=https%3A%2F%2Fpace.example%2Fcalc%3AxY9zQ1&amp;cuid=1">calculator</a>`, false,
			"[calculator](https://pace.example/calc)"},
		{"Disqus redirect to a port kept", `<a href="https://disq.us/url?url=http%3A%2F%2Fpace.example%3A8080">calc</a>`, false,
			"[calc](http://pace.example:8080)"},
		{"entities", "Tom &amp; Jerry &mdash; 5&nbsp;km &#8217;s &#x2014; &lt;3 &copy;", false, "Tom & Jerry — 5 km ’s — <3 ©"},
		{"escaped tags stay text", "I wrote &lt;b&gt;this&lt;/b&gt; &amp; &lt;!-- that --&gt;", false, `I wrote \<b>this\</b> & \<!-- that -->`},
		{"escaped entity stays text", "Type &amp;copy; for ©, &amp;#169; too", false, `Type \&copy; for ©, \&#169; too`},
		{"less-than at the end of a text", "a &lt;<b>b</b>", false, `a \<b`},
		{"script and style dropped", "<script>alert('x')</script><style>p{}</style>Hi<noscript>no</noscript><iframe src=x>frame</iframe>", false, "Hi"},
		{"images and forms dropped", `<img src="a.png" alt="a"><form><input value="v"><textarea>t</textarea><button>b</button></form>ok`, false, "ok"},
		{"comments dropped", "a<!-- secret -->b", false, "ab"},
		{"unknown tags keep their text", "<spoiler>the ending</spoiler> <custom-x>y</custom-x>", false, "the ending y"},
		{"blockquote", "<blockquote><p>Hills.</p><p>More hills.</p></blockquote><p>Agreed!</p>", false, "> Hills.\n>\n> More hills.\n\nAgreed!"},
		{"nested blockquote", "<blockquote>a<blockquote>b</blockquote></blockquote>", false, "> a\n>\n> > b"},
		{"list", "<ul><li>easy</li><li>tempo<br>fast</li></ul>", false, "- easy\n- tempo\n  fast"},
		{"ordered list", "<ol><li>warm up</li><li>run</li></ol>", false, "1. warm up\n2. run"},
		{"headings are paragraphs", "<h2>Splits</h2>fast", false, "Splits\n\nfast"},
		{"table cells", "<table><tr><td>5k</td><td>21:30</td></tr><tr><td>10k</td><td>45:10</td></tr></table>", false, "5k 21:30\n\n10k 45:10"},
		{"pre keeps lines", "<pre>mile 1  7:30\nmile 2  7:25</pre>", false, "mile 1 7:30\nmile 2 7:25"},
		{"broken HTML", "<p>unclosed <b>bold <a href='https://x.example/'>link", false, "unclosed bold [link](https://x.example/)"},
		{"stray angle brackets", "5 < 10 > 3", false, "5 < 10 > 3"},
		{"empty", "", false, ""},
		{"only tags", "<p><br></p>", false, ""},

		{"WordPress paragraphs and line breaks", "First.\n\nSecond,\nsame paragraph.\r\n\r\n\r\n\r\nThird.", true, "First.\n\nSecond,\nsame paragraph.\n\nThird."},
		{"WordPress indentation is not code", "Plan:\n    easy 5\n\ttempo 3", true, "Plan:\neasy 5\ntempo 3"},
		{"WordPress mixed HTML", "<strong>Great</strong> run!\n<a href=\"http://x.example/\">mine</a>\n\n<p>More.</p>", true,
			"Great run!\n[mine](http://x.example/)\n\nMore."},
		{"WordPress quote", "<blockquote>you said\nthis</blockquote>\nYes.", true, "> you said\n> this\n\nYes."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := htmlToMarkdown(tc.in, tc.keepNewlines)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("htmlToMarkdown(%q) (-want +got):\n%s", tc.in, diff)
			}
			if tag := leftoverTag(got); tag != "" {
				t.Errorf("a tag survives: %q in %q", tag, got)
			}
		})
	}
}

// leftoverTag finds anything in Markdown output that Markdown would take for
// raw HTML: a "<" starting a tag that is neither escaped nor an autolink.
func leftoverTag(md string) string {
	for _, m := range tagLike.FindAllStringSubmatchIndex(md, -1) {
		start := m[0]
		if start > 0 && md[start-1] == '\\' {
			continue
		}
		s := md[start:m[1]]
		if autolink.MatchString(s) {
			continue
		}
		return s
	}
	return ""
}

var (
	tagLike  = regexp.MustCompile(`<[A-Za-z/!?][^>]*>?`)
	autolink = regexp.MustCompile(`^<(https?|mailto):[^\s<>]*>$`)
)

func TestDeepHTML(t *testing.T) {
	// Nesting past maxNest keeps the text without following the structure;
	// nesting past what the HTML parser takes (512) keeps the text too.
	for _, levels := range []int{50, 3000} {
		in := strings.Repeat("<div><blockquote><span>", levels) + "deep<script>x</script>" + strings.Repeat("</span></blockquote></div>", levels)
		got := htmlToMarkdown(in, false)
		if strings.TrimLeft(got, "> \n") != "deep" {
			t.Errorf("%d levels: got %q…, want the text alone", levels, got[:min(len(got), 80)])
		}
		if n := strings.Count(got, ">"); n > 2*maxNest {
			t.Errorf("%d levels: %d quote markers, with %d levels followed", levels, n, maxNest)
		}
	}
}

// Inputs that are hard on an HTML parser convert in well under the test
// timeout and keep their text.
func TestPathologicalHTML(t *testing.T) {
	n := MaxContentBytes / 4 // large enough to nest far past 512, small enough to be quick
	tests := []struct {
		name, in string
		text     string // a sample of what must survive
	}{
		{"links", strings.Repeat("<a href=https://x.example/>x", n/28), "[x](https://x.example/)"},
		{"formatting", strings.Repeat("<b><i><u>x", n/10), "x"},
		{"deep then wide", strings.Repeat("<div>", 500) + strings.Repeat("<b>x", n/4), "xxxx"},
		{"tables", strings.Repeat("<table><tr><td>x", n/16), "x"},
		{"paragraphs", strings.Repeat("<p>x", n/4), "x\n\nx"},
		{"quotes", strings.Repeat("<blockquote>x", n/13), "x"},
		{"lists", strings.Repeat("<ul><li>x", n/9), "x"},
		{"entities", strings.Repeat("&lt;a&amp;copy;", n/15), `\<a\&copy;`},
		{"breaks", strings.Repeat("x<br>", n/5), "x\nx"},
		{"selects", strings.Repeat("<select><option>x", n/17), ""},
	}
	for _, tc := range tests {
		for _, keep := range []bool{false, true} {
			start := time.Now()
			got := htmlToMarkdown(tc.in, keep)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: %v", tc.name, d)
			}
			if !strings.Contains(got, tc.text) {
				t.Errorf("%s (keepNewlines %v): %q not in %q…", tc.name, keep, tc.text, got[:min(len(got), 80)])
			}
			if tag := leftoverTag(got); tag != "" {
				t.Errorf("%s: a tag survives: %q", tc.name, tag)
			}
		}
	}
}
