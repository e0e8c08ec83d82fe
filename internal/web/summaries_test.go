package web_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// A post that starts the way race reports do: a heading, a table of splits
// and a footnote, then a long story.
var raceReport = post("title: Race report\ndate: 2024-05-01\nauthor: kay", `# Splits

| km | time |
|---:|-----:|
| 1 | 4:05 |
| 2 | 4:01 |

The gun went off at seven[^1] and the first kilometre felt easy, too easy. `+
	strings.Repeat("I settled into the pace the coach had set and kept it there for as long as my legs agreed. ", 12)+`

[^1]: Sharp.`)

var (
	idRE          = regexp.MustCompile(`\sid="([^"]*)"`)
	metaDescRE    = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)
	summaryDivRE  = regexp.MustCompile(`(?s)<div class="summary">(.*?)</div>`)
	unwantedInSum = []string{"<h1", "<table", "<sup", "footnote", "Splits"}
)

func TestHomePageSummariesAreProseWithoutDuplicateIDs(t *testing.T) {
	files := siteFiles{"posts/a.md": raceReport, "posts/b.md": strings.Replace(raceReport, "2024-05-01", "2024-04-01", 1)}
	h := newHarness(t, files)
	res := h.get("/")
	seen := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(res.body, -1) {
		if seen[m[1]] {
			t.Errorf("id %q twice on the home page", m[1])
		}
		seen[m[1]] = true
	}
	sums := summaryDivRE.FindAllStringSubmatch(res.body, -1)
	if len(sums) != 2 {
		t.Fatalf("%d summaries on the home page, want 2", len(sums))
	}
	for _, s := range sums {
		mustNotContain(t, "a summary", s[1], unwantedInSum...)
		mustContain(t, "a summary", s[1], "The gun went off at seven and the first kilometre felt easy, too easy.")
		if !strings.HasSuffix(strings.TrimSpace(s[1]), "agreed.</p>") {
			t.Errorf("the summary does not end at a sentence:\n%s", s[1])
		}
	}
}

func TestMetaDescriptionIsShortPlainText(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": raceReport})
	res := h.get("/posts/a/")
	m := metaDescRE.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatal("no meta description")
	}
	desc := html.UnescapeString(m[1])
	if n := utf8.RuneCountInString(desc); n >= 160 {
		t.Errorf("meta description is %d characters, want fewer than 160: %q", n, desc)
	}
	if strings.ContainsAny(desc, "<>") || !strings.HasPrefix(desc, "The gun went off at seven and") || !strings.HasSuffix(desc, "…") {
		t.Errorf("meta description = %q, want the summary's plain text cut with an ellipsis", desc)
	}
}
