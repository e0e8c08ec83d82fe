package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/importer"
)

const post = "massage-during-training"

// wxrFixture is a WordPress export of an old blog: on the sample post a
// comment, a reply to it, one with a website no link may have, and one too
// long to keep; and a comment on a post the site does not have.
var wxrFixture = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>Old blog</title>
<item>
  <title>Massage during training</title>
  <link>https://old.example/2011/10/massage-during-training/</link>
  <wp:post_name>massage-during-training</wp:post_name>
  <wp:comment>
    <wp:comment_id>11</wp:comment_id>
    <wp:comment_author><![CDATA[Jo Runner]]></wp:comment_author>
    <wp:comment_author_email>jo@example.org</wp:comment_author_email>
    <wp:comment_author_url>https://jo.example/</wp:comment_author_url>
    <wp:comment_author_IP>192.0.2.7</wp:comment_author_IP>
    <wp:comment_date>2011-10-06 09:00:00</wp:comment_date>
    <wp:comment_date_gmt>2011-10-06 16:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Foam rolling helps <b>too</b>.]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
    <wp:comment_type>comment</wp:comment_type>
    <wp:comment_parent>0</wp:comment_parent>
  </wp:comment>
  <wp:comment>
    <wp:comment_id>12</wp:comment_id>
    <wp:comment_author><![CDATA[Kay]]></wp:comment_author>
    <wp:comment_date_gmt>2011-10-06 18:30:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Agreed: the roller is cheaper than a massage.]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
    <wp:comment_parent>11</wp:comment_parent>
  </wp:comment>
  <wp:comment>
    <wp:comment_id>13</wp:comment_id>
    <wp:comment_author><![CDATA[Lee]]></wp:comment_author>
    <wp:comment_author_url>javascript:alert(1)</wp:comment_author_url>
    <wp:comment_date_gmt>2011-10-07 08:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Ice baths, every time.]]></wp:comment_content>
    <wp:comment_approved>0</wp:comment_approved>
    <wp:comment_parent>0</wp:comment_parent>
  </wp:comment>
  <wp:comment>
    <wp:comment_id>14</wp:comment_id>
    <wp:comment_author><![CDATA[Verbose]]></wp:comment_author>
    <wp:comment_date_gmt>2011-10-08 08:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[` + strings.Repeat("long run ", 1200) + `]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
  </wp:comment>
</item>
<item>
  <title>A post that did not move</title>
  <link>https://old.example/2012/01/gone-post/</link>
  <wp:post_name>gone-post</wp:post_name>
  <wp:comment>
    <wp:comment_id>15</wp:comment_id>
    <wp:comment_author><![CDATA[Sam]]></wp:comment_author>
    <wp:comment_date_gmt>2012-01-02 08:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Lost comment.]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
  </wp:comment>
</item>
</channel>
</rss>
`

// disqusFixture has a comment and a reply on the sample post, found by its
// old link (the thread's identifier is a WordPress id), and a comment on a
// page the site does not have.
const disqusFixture = `<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="1"><forum>oldblog</forum><title>General</title><isDefault>true</isDefault></category>
  <thread dsq:id="100">
    <id>123 https://old.example/?p=123</id>
    <forum>oldblog</forum>
    <category dsq:id="1"/>
    <link>https://old.example/2011/10/massage-during-training/</link>
    <title>Massage during training</title>
  </thread>
  <thread dsq:id="200">
    <id></id>
    <link>https://old.example/about/</link>
    <title>About</title>
  </thread>
  <post dsq:id="1001">
    <message><![CDATA[<p>Sports massage the day after a long run works for me.</p>]]></message>
    <createdAt>2011-10-07T10:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Ana</name><email>ana@example.org</email><isAnonymous>false</isAnonymous><username>ana</username></author>
    <ipAddress>198.51.100.4</ipAddress>
    <thread dsq:id="100"/>
  </post>
  <post dsq:id="1002">
    <message><![CDATA[<p>Same here, Ana.</p>]]></message>
    <createdAt>2011-10-07T12:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Bo</name><isAnonymous>true</isAnonymous></author>
    <thread dsq:id="100"/>
    <parent dsq:id="1001"/>
  </post>
  <post dsq:id="1003">
    <message><![CDATA[<p>Nice blog.</p>]]></message>
    <createdAt>2011-10-08T12:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Cy</name><isAnonymous>true</isAnonymous></author>
    <thread dsq:id="200"/>
  </post>
</disqus>
`

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runImport(t *testing.T, db, file string, dryRun bool) (app.ImportReport, string) {
	t.Helper()
	var out bytes.Buffer
	rep, err := app.Import(context.Background(), app.ImportConfig{
		DBPath: db, ContentDir: sampleContent, File: file, DryRun: dryRun, Stdout: &out,
	})
	if err != nil {
		t.Fatalf("Import %s: %v", filepath.Base(file), err)
	}
	return rep, out.String()
}

// byPost returns the comments on the sample post, and checks the database.
func byPost(t *testing.T, path string) []comments.Comment {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check after import: %v", err)
	}
	cs, err := db.ByPost(ctx, post)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func find(cs []comments.Comment, source string) *comments.Comment {
	for i := range cs {
		if cs[i].Source == source {
			return &cs[i]
		}
	}
	return nil
}

func TestImportWXR(t *testing.T) {
	db := filepath.Join(t.TempDir(), "milepost.db")
	file := writeFile(t, "wordpress.xml", wxrFixture)

	// A dry run reports what an import would do, and writes nothing.
	rep, out := runImport(t, db, file, true)
	if rep.Imported != 3 || !strings.Contains(out, "dry run") || !strings.Contains(out, "would import:     3") {
		t.Errorf("dry run: %+v\n%s", rep, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a dry run made the database: %v", err)
	}

	rep, out = runImport(t, db, file, false)
	t.Logf("report:\n%s", out)
	// The database is new: the site's two sample comments go in first, as
	// serve would store them, so that their IDs stay theirs.
	if rep.Format != importer.FormatWXR || rep.Seeded != 2 || rep.Read != 5 || rep.Imported != 3 || rep.AlreadyPresent != 0 ||
		len(rep.Unplaced) != 1 || len(rep.Refused) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if u := rep.Unplaced[0]; u.Source != "wxr:15" || !strings.Contains(u.Note, "gone-post") {
		t.Errorf("unplaced: %+v", u)
	}
	if r := rep.Refused[0]; r.Source != "wxr:14" || !strings.Contains(r.Note, "at most 10000") {
		t.Errorf("refused: %+v", r)
	}
	for _, want := range []string{"WordPress WXR", "read:             5 comments", "imported:         3", "unplaced:         1",
		"wxr:15: no post matches", "wxr:14 on massage-during-training: the text is", "wxr:13 on massage-during-training: the website is not a valid http or https address: left out"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	cs := byPost(t, db)
	if len(cs) != 5 {
		t.Fatalf("%d comments stored; want 5: %+v", len(cs), cs)
	}
	if cs[0].ID != 1 || cs[0].Body[:40] != firstComment[:40] {
		t.Errorf("the first comment is %+v; want the first sample comment", cs[0])
	}
	jo, kay, lee := find(cs, "wxr:11"), find(cs, "wxr:12"), find(cs, "wxr:13")
	if jo == nil || kay == nil || lee == nil {
		t.Fatalf("stored: %+v", cs)
	}
	if jo.Name != "Jo Runner" || jo.Email != "jo@example.org" || jo.Website != "https://jo.example/" || jo.IP != "192.0.2.7" ||
		jo.Status != comments.StatusApproved || jo.Body != "Foam rolling helps too." || jo.HTML != "<p>Foam rolling helps too.</p>\n" ||
		!jo.Created.Equal(time.Date(2011, 10, 6, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("wxr:11 stored as %+v", jo)
	}
	if kay.Parent != jo.ID || kay.Depth != 1 {
		t.Errorf("the reply has parent %d, depth %d; want %d, 1", kay.Parent, kay.Depth, jo.ID)
	}
	if lee.Website != "" || lee.Status != comments.StatusPending {
		t.Errorf("wxr:13 stored as %+v; want no website, pending", lee)
	}

	// Again: nothing new.
	rep, out = runImport(t, db, file, false)
	if rep.Seeded != 0 || rep.Imported != 0 || rep.AlreadyPresent != 3 {
		t.Errorf("second import: %+v\n%s", rep, out)
	}
	if n := len(byPost(t, db)); n != 5 {
		t.Errorf("%d comments after the second import; want 5", n)
	}
	// A dry run on the full database knows they are there.
	if rep, _ := runImport(t, db, file, true); rep.Seeded != 0 || rep.Imported != 0 || rep.AlreadyPresent != 3 {
		t.Errorf("dry run after the import: %+v", rep)
	}
}

func TestImportDisqus(t *testing.T) {
	db := seedDB(t) // the seed comments, a reply and a held one
	before := len(byPost(t, db))
	file := writeFile(t, "disqus.xml", disqusFixture)

	rep, out := runImport(t, db, file, false)
	t.Logf("report:\n%s", out)
	if rep.Format != importer.FormatDisqus || rep.Read != 3 || rep.Imported != 2 || len(rep.Unplaced) != 1 || len(rep.Refused) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if u := rep.Unplaced[0]; u.Source != "disqus:1003" || !strings.Contains(u.Note, "https://old.example/about/") {
		t.Errorf("unplaced: %+v", u)
	}
	cs := byPost(t, db)
	if len(cs) != before+2 {
		t.Fatalf("%d comments; want %d", len(cs), before+2)
	}
	ana, bo := find(cs, "disqus:1001"), find(cs, "disqus:1002")
	if ana == nil || bo == nil {
		t.Fatalf("stored: %+v", cs)
	}
	if ana.Name != "Ana" || ana.Email != "ana@example.org" || ana.IP != "198.51.100.4" || ana.Body != "Sports massage the day after a long run works for me." {
		t.Errorf("disqus:1001 stored as %+v", ana)
	}
	if bo.Parent != ana.ID || bo.Depth != 1 {
		t.Errorf("the reply has parent %d, depth %d; want %d, 1", bo.Parent, bo.Depth, ana.ID)
	}

	rep, _ = runImport(t, db, file, false)
	if rep.Imported != 0 || rep.AlreadyPresent != 2 {
		t.Errorf("second import: %+v", rep)
	}
	if n := len(byPost(t, db)); n != before+2 {
		t.Errorf("%d comments after the second import; want %d", n, before+2)
	}
}

// TestImportOwnExport: an export imported into a fresh database gives back
// every comment, thread and status; imported into the database it came
// from, it adds nothing.
func TestImportOwnExport(t *testing.T) {
	ctx := context.Background()
	src := seedDB(t)
	runImport(t, src, writeFile(t, "wordpress.xml", wxrFixture), false) // comments with sources too
	export := filepath.Join(t.TempDir(), "export.json")
	var sink bytes.Buffer
	if err := app.Export(ctx, app.ExportConfig{DBPath: src, Output: export, Stderr: &sink}); err != nil {
		t.Fatal(err)
	}
	want := byPost(t, src)

	// The fresh database is seeded first with the sample comments, which
	// the export has too: they are recognised, not doubled.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	rep, out := runImport(t, fresh, export, false)
	if rep.Format != importer.FormatMilepost || rep.Read != len(want) || rep.Seeded != 2 || rep.Imported != len(want)-2 || rep.AlreadyPresent != 2 ||
		len(rep.Unplaced)+len(rep.Refused)+len(rep.Changed) != 0 {
		t.Fatalf("report: %+v\n%s", rep, out)
	}
	got := byPost(t, fresh)
	if len(got) != len(want) {
		t.Fatalf("%d comments; want %d", len(got), len(want))
	}
	// IDs differ; compare by body, and parents by their bodies.
	bodyOf := func(cs []comments.Comment) map[uint64]string {
		m := map[uint64]string{}
		for _, c := range cs {
			m[c.ID] = c.Body
		}
		return m
	}
	wantBodies, gotBodies := bodyOf(want), bodyOf(got)
	byBody := map[string]comments.Comment{}
	for _, c := range got {
		byBody[c.Body] = c
	}
	for _, w := range want {
		g, ok := byBody[w.Body]
		if !ok {
			t.Errorf("comment %d (%q) is missing", w.ID, w.Body)
			continue
		}
		if g.Name != w.Name || g.Email != w.Email || g.Website != w.Website || g.IP != w.IP || g.Status != w.Status ||
			!g.Created.Equal(w.Created) || g.Depth != w.Depth || g.HTML != w.HTML || gotBodies[g.Parent] != wantBodies[w.Parent] {
			t.Errorf("comment %d came back as\n%+v\nwant\n%+v", w.ID, g, w)
		}
	}

	// Into the database it came from: every comment is there already.
	rep, _ = runImport(t, src, export, false)
	if rep.Imported != 0 || rep.AlreadyPresent != len(want) {
		t.Errorf("importing the export into its own database: %+v", rep)
	}
	if rep, _ := runImport(t, fresh, export, false); rep.Imported != 0 {
		t.Errorf("importing the export twice: %+v", rep)
	}
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "milepost.db")
	for _, tc := range []struct {
		name string
		cfg  app.ImportConfig
		want string
	}{
		{"missing file", app.ImportConfig{File: filepath.Join(t.TempDir(), "nope.xml")}, "no such file"},
		{"not an export", app.ImportConfig{File: writeFile(t, "notes.txt", "hello")}, "unrecognised format"},
		{"bad content dir", app.ImportConfig{File: writeFile(t, "w.xml", wxrFixture), ContentDir: t.TempDir()}, "loading the content directory"},
	} {
		cfg := tc.cfg
		cfg.DBPath = db
		if cfg.ContentDir == "" {
			cfg.ContentDir = sampleContent
		}
		if _, err := app.Import(ctx, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.want)
		}
	}
	// From standard input.
	var out bytes.Buffer
	rep, err := app.Import(ctx, app.ImportConfig{DBPath: db, ContentDir: sampleContent, File: "-",
		Stdin: strings.NewReader(disqusFixture), Stdout: &out})
	if err != nil || rep.Imported != 2 || !strings.HasPrefix(out.String(), "standard input (Disqus export)") {
		t.Errorf("import from stdin: %v, %+v\n%s", err, rep, out.String())
	}
}

// wxrComment is one wp:comment for the generated fixtures.
func wxrComment(id, parent int, author, content string) string {
	return fmt.Sprintf(`
  <wp:comment>
    <wp:comment_id>%d</wp:comment_id>
    <wp:comment_author><![CDATA[%s]]></wp:comment_author>
    <wp:comment_date_gmt>2011-10-%02d 08:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[%s]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
    <wp:comment_parent>%d</wp:comment_parent>
  </wp:comment>`, id, author, 6+id%20, content, parent)
}

func wxrFile(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>` + strings.Join(items, "") + `
</channel></rss>`
}

func wxrItem(slug string, comments ...string) string {
	return `
<item><title>` + slug + `</title><link>https://old.example/` + slug + `/</link><wp:post_name>` + slug + `</wp:post_name>` +
		strings.Join(comments, "") + `
</item>`
}

// TestImportRules: a name too long is refused, an empty comment is not
// placed, a thread deeper than comments.MaxDepth is flattened so that the
// database passes Check and its export reads back, and a long report lists
// only the first few of each kind.
func TestImportRules(t *testing.T) {
	ctx := context.Background()
	var onPost []string
	onPost = append(onPost, wxrComment(1, 0, strings.Repeat("N", comments.MaxNameChars+1), "A fine name."))
	onPost = append(onPost, wxrComment(2, 0, "Empty", "<p> </p>"))
	// 10 ← 11 ← … ← 16: seven levels.
	onPost = append(onPost, wxrComment(10, 0, "Deep", "Level 0"))
	for id := 11; id <= 16; id++ {
		onPost = append(onPost, wxrComment(id, id-1, "Deep", fmt.Sprintf("Level %d", id-10)))
	}
	var elsewhere []string
	for id := 20; id < 25; id++ {
		elsewhere = append(elsewhere, wxrComment(id, 0, "Lost", "Lost comment."))
	}
	file := writeFile(t, "rules.xml", wxrFile(wxrItem(post, onPost...), wxrItem("gone-post", elsewhere...)))

	db := filepath.Join(t.TempDir(), "milepost.db")
	var out bytes.Buffer
	rep, err := app.Import(ctx, app.ImportConfig{DBPath: db, ContentDir: sampleContent, File: file, Stdout: &out, MaxListed: 2})
	if err != nil {
		t.Fatal(err)
	}
	report := out.String()
	t.Logf("report:\n%s", report)
	if rep.Read != 14 || rep.Imported != 7 || len(rep.Refused) != 1 || len(rep.Unplaced) != 6 {
		t.Fatalf("report: %+v", rep)
	}
	if r := rep.Refused[0]; r.Source != "wxr:1" || !strings.Contains(r.Note, "the name is 101 characters long") {
		t.Errorf("refused: %+v", r)
	}
	if u := rep.Unplaced[0]; u.Source != "wxr:2" || !strings.Contains(u.Note, "empty") {
		t.Errorf("first unplaced: %+v", u)
	}
	if !strings.Contains(report, "… and 4 more") {
		t.Errorf("the report does not stop listing after 2:\n%s", report)
	}
	var flattened int
	for _, c := range rep.Changed {
		if strings.Contains(c.Note, "levels deep") {
			flattened++
		}
	}
	if flattened == 0 {
		t.Errorf("no reply was moved up: %+v", rep.Changed)
	}

	for _, c := range byPost(t, db) { // byPost runs Check
		if c.Depth >= comments.MaxDepth {
			t.Errorf("comment %d (%s) is at depth %d", c.ID, c.Source, c.Depth)
		}
	}
	var exp bytes.Buffer
	if err := app.Export(ctx, app.ExportConfig{DBPath: db, Stdout: &exp, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := comments.ReadExport(&exp); err != nil {
		t.Errorf("the export of the imported threads does not read back: %v", err)
	}
}

// moderatedDB is seedDB with more history: a comment edited, one deleted
// (so that the comments after it move down in a fresh database), a
// comment added after that, an IP ban, an expired ban and a closed post,
// each with its audit entry.
func moderatedDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := seedDB(t)
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2011, 10, 8, 9, 0, 0, 0, time.UTC)
	log := func(kind comments.ActionKind, c *comments.Comment, detail string) *comments.Action {
		at = at.Add(time.Minute)
		return &comments.Action{At: at, By: "kay", Kind: kind, Target: fmt.Sprintf("comment %d on %s", c.ID, c.Post),
			Comment: c.ID, Post: c.Post, Detail: detail}
	}
	modify := func(id uint64, del bool, body string) {
		t.Helper()
		_, err := db.Modify(ctx, id, func(c *comments.Comment, _ int) (comments.Change, error) {
			ch := comments.Change{Delete: del}
			if del {
				ch.Log = log(comments.ActionDelete, c, "by Spammy: "+c.Body)
			} else {
				ch.Log = log(comments.ActionEdit, c, "was: "+c.Body)
				c.Body, c.HTML = body, comments.Render(body)
			}
			return ch, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	modify(3, false, "Good luck next weekend, *all* of you!")
	modify(4, true, "")
	late := comments.Comment{Post: post, Name: "Lee", Body: "Rolled my calves after reading this.", Status: comments.StatusApproved,
		Created: at.Add(time.Hour), IP: "192.0.2.30"}
	late.HTML = comments.Render(late.Body)
	if err := db.Add(ctx, &late); err != nil {
		t.Fatal(err)
	}
	if late.ID != 5 {
		t.Fatalf("the late comment is %d; want 5", late.ID)
	}
	modify(late.ID, false, "Rolled my calves and quads after reading this.")
	for _, ban := range []comments.Ban{
		{Kind: comments.BanIP, Value: "198.51.100.0/24", Reason: "a botnet", By: "kay", Created: at.Add(2 * time.Hour)},
		{Kind: comments.BanEmail, Value: "grump@example.org", Reason: "cool off", By: "kay", Created: at.Add(3 * time.Hour), Until: at.Add(4 * time.Hour)},
	} {
		a := comments.Action{At: ban.Created, By: "kay", Kind: comments.ActionBan, Target: string(ban.Kind) + " " + ban.Value, Detail: ban.Reason}
		if err := db.PutBan(ctx, ban, a); err != nil {
			t.Fatal(err)
		}
	}
	cl := comments.Closure{Post: post, Closed: true, By: "kay", At: at.Add(5 * time.Hour)}
	if err := db.SetClosure(ctx, cl, comments.Action{At: cl.At, By: "kay", Kind: comments.ActionClose, Target: "post " + post, Post: post}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportRestoresModeration: a Milepost export imported into a fresh
// database brings back its bans, the expired one too, and its moderation
// records, their comment links following the comments; importing it again,
// or into the database it came from, adds nothing; a dry run writes nothing.
func TestImportRestoresModeration(t *testing.T) {
	ctx := context.Background()
	src := moderatedDB(t)
	export := filepath.Join(t.TempDir(), "export.json")
	if err := app.Export(ctx, app.ExportConfig{DBPath: src, Output: export, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	want := allComments(t, src)
	if len(want.Comments) != 4 || len(want.Bans) != 3 || len(want.Actions) != 7 {
		t.Fatalf("the export has %d comments, %d bans, %d records; want 4, 3, 7", len(want.Comments), len(want.Bans), len(want.Actions))
	}

	fresh := filepath.Join(t.TempDir(), "fresh.db")
	if rep, out := runImport(t, fresh, export, true); rep.BansRestored != 3 || rep.ActionsRestored != 7 ||
		!strings.Contains(out, "bans:             3 would be restored, 0 already present") ||
		!strings.Contains(out, "moderation log:   7 records would be restored, 0 already present") {
		t.Errorf("dry run: %+v\n%s", rep, out)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a dry run made the database: %v", err)
	}

	rep, out := runImport(t, fresh, export, false)
	t.Logf("report:\n%s", out)
	if rep.Seeded != 2 || rep.Imported != 2 || rep.AlreadyPresent != 2 || rep.BansRestored != 3 || rep.BansPresent != 0 ||
		rep.ActionsRestored != 7 || rep.ActionsPresent != 0 {
		t.Fatalf("report: %+v", rep)
	}
	for _, w := range []string{"bans:             3 restored, 0 already present", "moderation log:   7 records restored, 0 already present"} {
		if !strings.Contains(out, w) {
			t.Errorf("the report lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "not its bans") {
		t.Errorf("the report still says bans are not imported:\n%s", out)
	}
	byPost(t, fresh) // runs Check
	got := allComments(t, fresh)

	// Comments by body: the one after the deleted comment moved down.
	newID := map[uint64]uint64{}
	for _, w := range want.Comments {
		for _, g := range got.Comments {
			if g.Body == w.Body {
				newID[w.ID] = g.ID
			}
		}
	}
	if len(newID) != len(want.Comments) || len(got.Comments) != len(want.Comments) {
		t.Fatalf("comments: got %+v\nwant %+v", got.Comments, want.Comments)
	}
	if newID[5] != 4 {
		t.Fatalf("comment 5 came back as %d; want 4", newID[5])
	}
	if diff := cmp.Diff(want.Bans, got.Bans, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("bans (-exported +imported):\n%s", diff)
	}
	wantActions := append([]comments.Action(nil), want.Actions...)
	for i := range wantActions {
		a := &wantActions[i]
		a.Comment = newID[a.Comment] // 0 for the deleted comment 4
	}
	if diff := cmp.Diff(wantActions, got.Actions, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("moderation records (-exported, relinked +imported):\n%s", diff)
	}

	// Again: nothing new.
	rep, out = runImport(t, fresh, export, false)
	if rep.Imported != 0 || rep.BansRestored != 0 || rep.BansPresent != 3 || rep.ActionsRestored != 0 || rep.ActionsPresent != 7 ||
		!strings.Contains(out, "bans:             0 restored, 3 already present") {
		t.Errorf("second import: %+v\n%s", rep, out)
	}
	byPost(t, fresh)
	if again := allComments(t, fresh); len(again.Comments) != 4 || len(again.Bans) != 3 || len(again.Actions) != 7 {
		t.Errorf("after the second import: %d comments, %d bans, %d records", len(again.Comments), len(again.Bans), len(again.Actions))
	}

	// Into the database it came from: nothing new either.
	rep, _ = runImport(t, src, export, false)
	if rep.Imported != 0 || rep.AlreadyPresent != 4 || rep.BansRestored != 0 || rep.BansPresent != 3 || rep.ActionsRestored != 0 || rep.ActionsPresent != 7 {
		t.Errorf("import into the source database: %+v", rep)
	}
	byPost(t, src)
	if again := allComments(t, src); len(again.Comments) != 4 || len(again.Bans) != 3 || len(again.Actions) != 7 {
		t.Errorf("the source after importing its export: %d comments, %d bans, %d records", len(again.Comments), len(again.Bans), len(again.Actions))
	}
}

// TestImportModerationFromStdin: an export read from standard input, a
// byte at a time and with a byte order mark, restores its bans and
// records too; a WordPress file from standard input still imports.
func TestImportModerationFromStdin(t *testing.T) {
	ctx := context.Background()
	var exp bytes.Buffer
	if err := app.Export(ctx, app.ExportConfig{DBPath: moderatedDB(t), Stdout: &exp, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "milepost.db")
	in := iotest.OneByteReader(strings.NewReader("\xef\xbb\xbf \n" + exp.String()))
	rep, err := app.Import(ctx, app.ImportConfig{DBPath: db, ContentDir: sampleContent, File: "-", Stdin: in})
	if err != nil || rep.Format != importer.FormatMilepost || rep.Imported != 2 || rep.BansRestored != 3 || rep.ActionsRestored != 7 {
		t.Fatalf("import from stdin: %v, %+v", err, rep)
	}
	rep, err = app.Import(ctx, app.ImportConfig{DBPath: db, ContentDir: sampleContent, File: "-",
		Stdin: iotest.OneByteReader(strings.NewReader(wxrFixture))})
	if err != nil || rep.Format != importer.FormatWXR || rep.Imported != 3 || rep.BansRestored+rep.BansPresent+rep.ActionsRestored+rep.ActionsPresent != 0 {
		t.Errorf("WXR from stdin: %v, %+v", err, rep)
	}
	byPost(t, db)
}

// A file larger than an import may be is refused before it is read: it is
// sparse here, so 259 MiB cost no disk, and reading it would cost memory.
func TestImportRefusesAnOversizedFileBeforeReadingIt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"version": 2, "comments": [`); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(259 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db := filepath.Join(t.TempDir(), "milepost.db")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = app.Import(context.Background(), app.ImportConfig{DBPath: db, ContentDir: sampleContent, File: file, Stdout: io.Discard})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, importer.ErrTooLarge) || !strings.Contains(err.Error(), "259 MiB") || !strings.Contains(err.Error(), "256 MiB") {
		t.Fatalf("Import = %v; want ErrTooLarge giving the file's size and the limit", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 32<<20 {
		t.Errorf("refusing the file allocated %d MiB", allocated>>20)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import made the database: %v", err)
	}
}

// Every field of an imported comment is checked by the rules comments
// keeps: an "IP address" that is not one is left out, as an invalid email
// or website is, and the comment kept; a name or date that cannot be
// refuses the comment.
func TestImportChecksEveryField(t *testing.T) {
	comment := func(id int, name, ip, date, text string) string {
		return fmt.Sprintf(`<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author><![CDATA[%s]]></wp:comment_author>
<wp:comment_author_IP>%s</wp:comment_author_IP><wp:comment_date_gmt>%s</wp:comment_date_gmt>
<wp:comment_content><![CDATA[%s]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>
`, id, name, ip, date, text)
	}
	wxr := `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<wp:post_name>` + post + `</wp:post_name>
` + comment(1, "Ana", strings.Repeat("1", 100<<10), "2011-10-06 16:00:00", "Kept, without the address") +
		comment(2, "Bo", "2001:db8::1", "2011-10-06 16:01:00", "Kept, IP and all") +
		comment(3, strings.Repeat("C", comments.MaxNameChars+1), "", "2011-10-06 16:02:00", "Refused: a long name") +
		comment(4, "Di", "", "0001-01-01 00:00:01", "Refused: written in year 1") +
		comment(5, "Ed", "", "2099-01-01 00:00:00", "Refused: from the future") +
		`</item></channel></rss>`
	db := filepath.Join(t.TempDir(), "milepost.db")
	rep, out := runImport(t, db, writeFile(t, "wordpress.xml", wxr), false)
	if rep.Imported != 2 || len(rep.Refused) != 3 {
		t.Fatalf("imported %d, refused %d; want 2 and 3\n%s", rep.Imported, len(rep.Refused), out)
	}
	if len(out) > 10000 {
		t.Errorf("the report is %d bytes long: the huge address is in it", len(out))
	}
	for _, want := range []string{"wxr:1 on " + post + `: "111`, "is not an IP address: left out",
		"wxr:3 on " + post + ": the name is 101 characters long",
		"wxr:4 on " + post + ": created 0001-01-01T00:00:01Z is not a time",
		"wxr:5 on " + post + ": created 2099-01-01T00:00:00Z is not a time"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	ips := map[string]string{}
	for _, c := range byPost(t, db) {
		ips[c.Body] = c.IP
	}
	if ip, ok := ips["Kept, without the address"]; !ok || ip != "" {
		t.Errorf("the comment with the huge address: stored %v, IP %.20q", ok, ip)
	}
	if ips["Kept, IP and all"] != "2001:db8::1" {
		t.Errorf("the comment with a good address has IP %q", ips["Kept, IP and all"])
	}
}

// Milepost's own export is the site's backup: a field outside the rules
// (a 5 MB "IP address") means the file was damaged or forged, and the whole
// import is refused, naming the comment, before anything is written.
func TestImportRefusesAMilepostExportWithAFieldOutsideTheRules(t *testing.T) {
	export := `{"version": 2, "comments": [
	  {"id": 1, "post": "` + post + `", "name": "Ana", "body": "Fine", "created": "2011-10-04T09:00:00Z", "ip": "192.0.2.1"},
	  {"id": 2, "post": "` + post + `", "name": "Bo", "body": "Forged", "created": "2011-10-04T09:01:00Z", "ip": "` + strings.Repeat("1", 5<<20) + `"}]}`
	db := filepath.Join(t.TempDir(), "milepost.db")
	_, err := app.Import(context.Background(), app.ImportConfig{DBPath: db, ContentDir: sampleContent,
		File: writeFile(t, "export.json", export), Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "comment 2 (id 2): ip:") || !strings.Contains(err.Error(), "is not an IP address") {
		t.Fatalf("Import = %.300v; want an error about comment 2's IP address", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("the error is %d bytes long", len(err.Error()))
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import made the database: %v", err)
	}
}
