package content

import (
	"strings"
	"testing"
)

func TestHeadingIDsStayClearOfThePagesOwn(t *testing.T) {
	m := newMarkdown(MarkdownConfig{})
	p, err := m.render([]byte("# Comments\n\n## Comment 1\n\n## Main\n\n## Main\n\n## Splits\n"), "/posts/p/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="h-comments"`, `id="h-comment-1"`, `id="h-main"`, `id="main-1"`, `id="splits"`} {
		if !strings.Contains(string(p.html), want) {
			t.Errorf("rendered headings lack %s:\n%s", want, p.html)
		}
	}
}
