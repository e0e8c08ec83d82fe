package content

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Feeds and the sitemap take a request's View and call Published: whatever
// the request may see, they never see a draft.
func TestPublishedViewNeverHasDrafts(t *testing.T) {
	site := loadSite(t, files{
		"authors/kay.md": kayAuthor,
		"posts/done.md":  "---\ntitle: Done\ndate: 2024-01-01\nauthor: kay\ntags: [road]\n---\nText.\n",
		"posts/plan.md":  "---\ntitle: Plan\ndate: 2024-02-01\nauthor: kay\ntags: [road, secret]\ndraft: true\n---\nText.\n",
	})
	preview := View{Site: site, Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Drafts: true}
	if got := slugs(preview.Posts()); !cmp.Equal(got, []string{"plan", "done"}) {
		t.Fatalf("the preview shows %v, want the draft too", got)
	}
	pub := preview.Published()
	if pub.Drafts || !pub.Now.Equal(preview.Now) || pub.Site != site {
		t.Errorf("Published() = %+v, want the same view without drafts", pub)
	}
	if got := slugs(pub.Posts()); !cmp.Equal(got, []string{"done"}) {
		t.Errorf("Published().Posts() = %v", got)
	}
	if pub.Post("plan") != nil || len(pub.Tag("secret")) != 0 || len(pub.ByAuthor("kay")) != 1 {
		t.Error("the published view reaches the draft through a post, tag or author")
	}
	for _, tc := range pub.Tags() {
		if tc.Tag == "secret" || tc.Count != 1 {
			t.Errorf("the published view's tags count the draft: %+v", pub.Tags())
		}
	}
	if !preview.Drafts {
		t.Error("Published changed the view it was called on")
	}
}
