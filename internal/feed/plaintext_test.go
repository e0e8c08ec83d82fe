package feed

import (
	"html/template"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		in   template.HTML
		want string
	}{
		{"", ""},
		{"<p>Sub-3 at last &amp; a <em>PR</em>…</p>", "Sub-3 at last & a PR…"},
		{"<p>One.</p><p>Two.</p>", "One. Two."},
		{"<p>Line<br>break</p>", "Line break"},
		{"<ul><li>5k</li><li>10k</li></ul>", "5k 10k"},
		{"<p>un<strong>break</strong>able</p>", "unbreakable"},
		{"<p>a  \n\t b</p>", "a b"},
		{"&lt;not a tag&gt; &quot;q&quot; &#8217; &#x1F3C3;", `<not a tag> "q" ’ 🏃`},
		{"<p>Before</p><script>alert(1)</script><style>p{}</style><p>after</p>", "Before after"},
		{"no markup", "no markup"},
		{"<p>unclosed <em>tags", "unclosed tags"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
