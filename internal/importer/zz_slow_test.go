package importer
import ("strings";"testing";"time")
func TestWorstHTML(t *testing.T) {
	n := MaxContentBytes
	cases := map[string]string{
		"a": strings.Repeat("<a href=https://x.example/>", n/27),
		"b": strings.Repeat("<b><i><u>", n/9),
		"div": strings.Repeat("<div>", 500) + strings.Repeat("<b>x", n/4),
		"table": strings.Repeat("<table><tr><td>", n/15),
		"p": strings.Repeat("<p>x", n/4),
		"bq": strings.Repeat("<blockquote>x", n/13),
		"li": strings.Repeat("<ul><li>x", n/9),
		"font": strings.Repeat("<font><a><b>", n/12),
		"amp": strings.Repeat("&lt;a&amp;copy;", n/15),
		"br": strings.Repeat("<br>", n/4),
		"text": strings.Repeat("word ", n/5),
		"nl": strings.Repeat("\n", n),
		"select": strings.Repeat("<select><option>", n/16),
		"svg": strings.Repeat("<svg><foreignObject>", n/20),
	}
	for name, in := range cases {
		for _, keep := range []bool{false, true} {
			start := time.Now()
			out := htmlToMarkdown(in, keep)
			t.Logf("%s keep=%v: %v, %d bytes out", name, keep, time.Since(start), len(out))
		}
	}
}
