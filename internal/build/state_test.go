package build

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPageStateNamesTheCommentsOfThePostsItLinksTo: a page's state changes
// with the comments of a post it links to (or is the address of), and not
// with those of another post.
func TestPageStateNamesTheCommentsOfThePostsItLinksTo(t *testing.T) {
	inputs := &Inputs{Global: []byte("g"), Comments: map[string][]byte{"a": []byte("1"), "b": []byte("1"), "c": []byte("1")}}
	st := &states{inputs: inputs}
	key := []byte("key")
	links := []string{"/blog/posts/a/", "/blog/tags/x/"}
	state := func() []byte { return st.stateOf(key, "/blog/posts/b/comments.xml", links, "/blog") }
	before := state()
	inputs.Comments["c"] = []byte("2")
	if !bytes.Equal(state(), before) {
		t.Error("the comments of a post the page does not link to changed its state")
	}
	for _, slug := range []string{"a", "b"} {
		inputs.Comments[slug] = []byte("2")
		after := state()
		if bytes.Equal(after, before) {
			t.Errorf("the comments of post %s left the page's state as it was", slug)
		}
		before = after
	}
	if bytes.Equal(st.stateOf([]byte("other"), "/blog/posts/b/comments.xml", links, "/blog"), before) {
		t.Error("another key made the same state")
	}
	if got := postOf("/blog/posts/b%C3%A9/?comments=2", "/blog"); got != "bé" {
		t.Errorf("postOf: %q", got)
	}
}

// TestBuildRecordIsGoneWhileABuildRuns: the record is read and removed
// when a build starts, so that a build stopped half way leaves none; it
// is written, links and all, when the build ends; a record of another
// format, or a build without inputs, makes no use of it.
func TestBuildRecordIsGoneWhileABuildRuns(t *testing.T) {
	dir := t.TempDir()
	inputs := &Inputs{Global: []byte("g")}
	st, err := loadStates(dir, inputs)
	if err != nil || st.hadRecord() {
		t.Fatalf("no record yet: %v, %v", st.hadRecord(), err)
	}
	st.keep("/", &pageRecord{state: []byte("s"), file: "index.html", copies: copyExts, links: []string{"/a/", "/elsewhere/"}})
	st.keep("/a/", &pageRecord{state: []byte("t"), file: "a/index.html"})
	if err := st.write(dir); err != nil {
		t.Fatal(err)
	}
	next, err := loadStates(dir, inputs)
	if err != nil || !next.hadRecord() {
		t.Fatalf("the record was not read: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); !os.IsNotExist(err) {
		t.Errorf("the record is still there while the build runs (%v)", err)
	}
	home := next.previous("/")
	if home == nil || home.file != "index.html" || !slices.Equal(home.copies, copyExts) || !slices.Equal(home.links, []string{"/a/"}) {
		t.Errorf("the home page's record: %+v", home)
	}
	if again, _ := loadStates(dir, inputs); again.hadRecord() {
		t.Error("a build after one that stopped half way found a record")
	}
	if err := st.write(dir); err != nil {
		t.Fatal(err)
	}
	if without, _ := loadStates(dir, nil); without.hadRecord() {
		t.Error("a build without inputs used the record")
	}
}
