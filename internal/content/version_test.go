package content

import "testing"

// Every parse of a post file gets a Version of its own: within a load,
// and across loads of the same files, so that caches keyed on it never
// mistake one parse for another.
func TestEveryParseOfAPostGetsItsOwnVersion(t *testing.T) {
	fs := files{
		"authors/kay.md": kayAuthor,
		"posts/a.md":     "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n",
		"posts/b.md":     "---\ntitle: B\ndate: 2024-01-02\n---\nB.\n",
	}
	seen := map[uint64]string{}
	for range 2 {
		site := loadSite(t, fs)
		for _, p := range site.all {
			if p.Version == 0 {
				t.Errorf("%s has no Version", p.Slug)
			}
			if other, ok := seen[p.Version]; ok {
				t.Errorf("%s has the Version of %s", p.Slug, other)
			}
			seen[p.Version] = p.Slug
		}
	}
}
