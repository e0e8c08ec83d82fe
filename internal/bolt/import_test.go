package bolt

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// fillHistory gives h's database comments of every status, a reply, an
// edited and a deleted comment, an active ban, an expired ban, a closed post
// and the audit entries of all of it.
func fillHistory(t *testing.T, h *harness) {
	t.Helper()
	fillModerated(t, h) // approve, spam, an IP ban, close
	gone := h.mustPost(ana, "q", "Soon gone", comments.StatusApproved)
	if err := h.svc.Delete(h.ctx, "mod", gone.ID); err != nil {
		t.Fatal(err)
	}
	later := h.mustPost(ana, "p", "Typo'd", comments.StatusApproved)
	if _, err := h.svc.Edit(h.ctx, "mod", later.ID, "Typo fixed"); err != nil {
		t.Fatal(err)
	}
	until := h.now().Add(time.Hour)
	if _, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanEmail, Value: "Troll@Example.org", Reason: "cool off", Until: until}); err != nil {
		t.Fatal(err)
	}
	h.advance(2 * time.Hour) // the email ban has expired
	mustCheck(t, h.db)
}

// throughFile writes e as an export file and reads it back, as `milepost
// export` then `milepost import` would.
func throughFile(t *testing.T, e comments.Export) comments.Export {
	t.Helper()
	var file bytes.Buffer
	if err := comments.WriteExport(&file, e); err != nil {
		t.Fatal(err)
	}
	read, err := comments.ReadExport(&file)
	if err != nil {
		t.Fatal(err)
	}
	return read
}

func importAll(t *testing.T, db *DB, e comments.Export) ImportResult {
	t.Helper()
	r, err := db.ImportAll(context.Background(), e)
	if err != nil {
		t.Fatalf("ImportAll: %v", err)
	}
	mustCheck(t, db)
	return r
}

// TestImportAllRestoresEverything: an export imported into a fresh database
// gives back its comments (under new IDs), bans, expired ones too, and audit
// log, whose comment links follow the comments; importing it again, or into
// the database it came from, adds nothing.
func TestImportAllRestoresEverything(t *testing.T) {
	h := newHarness(t)
	fillHistory(t, h)
	exp, err := h.db.ExportAll(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Comments) != 5 || len(exp.Bans) != 2 || len(exp.Actions) != 7 {
		t.Fatalf("export has %d comments, %d bans, %d actions; want 5, 2, 7", len(exp.Comments), len(exp.Bans), len(exp.Actions))
	}
	active := 0
	for _, b := range exp.Bans {
		if b.Active(h.now()) {
			active++
		}
	}
	if active != 1 {
		t.Fatalf("%d of the exported bans are active; want 1: %+v", active, exp.Bans)
	}
	read := throughFile(t, exp)

	fresh, _ := openTest(t)
	r := importAll(t, fresh, read)
	want := ImportResult{Added: 5, BansAdded: 2, ActionsAdded: 7}
	if r != want {
		t.Fatalf("ImportAll = %+v; want %+v", r, want)
	}
	got, err := fresh.ExportAll(h.ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The comments, modulo IDs: the deleted comment's ID is not reused,
	// so the later ones move down.
	if len(got.Comments) != len(exp.Comments) {
		t.Fatalf("%d comments imported; want %d", len(got.Comments), len(exp.Comments))
	}
	newID := map[uint64]uint64{}
	for i, c := range got.Comments {
		newID[exp.Comments[i].ID] = c.ID
	}
	for i, c := range got.Comments {
		w := exp.Comments[i]
		if c.Source != "milepost:"+itoa(w.ID) {
			t.Errorf("comment %d has source %q", c.ID, c.Source)
		}
		if w.Parent != 0 && c.Parent != newID[w.Parent] {
			t.Errorf("comment %d answers %d; want %d", c.ID, c.Parent, newID[w.Parent])
		}
		c.ID, c.Parent, c.Source, c.Thread = w.ID, w.Parent, w.Source, w.Thread
		if diff := cmp.Diff(w, c, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("imported comment (-exported +imported):\n%s", diff)
		}
	}
	if newID[exp.Comments[4].ID] == exp.Comments[4].ID {
		t.Fatalf("the comment after the deleted one kept its ID %d: the test shows no remapping", exp.Comments[4].ID)
	}

	if diff := cmp.Diff(exp.Bans, got.Bans, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("bans (-exported +imported):\n%s", diff)
	}
	bans, _ := fresh.Bans(h.ctx)
	for _, b := range bans {
		if b.Kind == comments.BanEmail && b.Active(h.now()) {
			t.Errorf("the expired ban is in force after the import: %+v", b)
		}
	}

	// The audit log, in order, its comment links remapped; the deleted
	// comment's is cleared, since its ID means another comment here.
	wantActions := make([]comments.Action, len(exp.Actions))
	cleared := 0
	for i, a := range exp.Actions {
		if a.Comment != 0 {
			if id, ok := newID[a.Comment]; ok {
				a.Comment = id
			} else {
				a.Comment = 0
				cleared++
			}
		}
		wantActions[i] = a
	}
	if cleared != 1 {
		t.Errorf("%d audit entries are about a comment not in the export; want 1 (the deleted one)", cleared)
	}
	if diff := cmp.Diff(wantActions, got.Actions, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("audit log (-exported, remapped +imported):\n%s", diff)
	}

	// A second import adds nothing.
	r = importAll(t, fresh, read)
	want = ImportResult{Skipped: 5, BansSkipped: 2, ActionsSkipped: 7}
	if r != want {
		t.Errorf("second ImportAll = %+v; want %+v", r, want)
	}
	// Nor does importing the export into the database it came from.
	r = importAll(t, h.db, read)
	if r != want {
		t.Errorf("ImportAll into the source database = %+v; want %+v", r, want)
	}
	for name, db := range map[string]*DB{"fresh": fresh, "source": h.db} {
		again, err := db.ExportAll(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Comments) != 5 || len(again.Bans) != 2 || len(again.Actions) != 7 {
			t.Errorf("%s database after importing again: %d comments, %d bans, %d actions; want 5, 2, 7",
				name, len(again.Comments), len(again.Bans), len(again.Actions))
		}
	}
	// An export of the restored database imported back into the source
	// adds nothing either: its comments are recognised by their sources.
	r = importAll(t, h.db, throughFile(t, got))
	if r.Added != 0 || r.BansAdded != 0 || r.ActionsAdded != 0 {
		t.Errorf("the restored database's export into the source: %+v", r)
	}
}

// TestImportAllMapsToSkippedComments: an audit entry about a comment that
// is already stored links to it, whatever its ID here.
func TestImportAllMapsToSkippedComments(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, newComment("other", 0)) // so that the imported comments' IDs differ
	batch := []comments.Comment{
		{ID: 7, Post: "p", Body: "root", Created: t0, Source: "wxr:7"},
		{ID: 8, Parent: 7, Post: "p", Body: "reply", Created: t0.Add(time.Minute), Source: "wxr:8"},
	}
	if added, _, err := db.Import(ctx, batch); err != nil || added != 2 {
		t.Fatalf("Import = %d, %v", added, err)
	}
	ps, _ := db.ByPost(ctx, "p")
	actions := []comments.Action{
		{ID: 40, At: t0.Add(time.Hour), By: "mod", Kind: comments.ActionEdit, Target: "comment 8 on p", Comment: 8, Post: "p", Detail: "was: reply"},
		{ID: 41, At: t0.Add(2 * time.Hour), By: "mod", Kind: comments.ActionDelete, Target: "comment 9 on p", Comment: 9, Post: "p"},
		{ID: 42, At: t0.Add(3 * time.Hour), By: "mod", Kind: comments.ActionClose, Target: "post p", Post: "p"},
	}
	r := importAll(t, db, comments.Export{Comments: batch, Actions: actions})
	if want := (ImportResult{Skipped: 2, ActionsAdded: 3}); r != want {
		t.Fatalf("ImportAll = %+v; want %+v", r, want)
	}
	got, _, _ := db.Actions(ctx, "", 0, 10)
	// Newest first.
	if got[2].Comment != ps[1].ID || got[1].Comment != 0 || got[0].Comment != 0 || got[0].Post != "p" {
		t.Errorf("links: %+v; want comment %d, none, none", got, ps[1].ID)
	}
	if got[2].ID != 1 || got[0].ID != 3 {
		t.Errorf("IDs: %d…%d; want new ones, 1…3", got[2].ID, got[0].ID)
	}
}

// TestImportAllIdenticalActions: entries that are alike in every field an
// import compares are each restored once, and no more.
func TestImportAllIdenticalActions(t *testing.T) {
	db, _ := openTest(t)
	a := comments.Action{At: t0, By: "mod", Kind: comments.ActionBan, Target: "ip 192.0.2.1", Detail: "for ever"}
	r := importAll(t, db, comments.Export{Actions: []comments.Action{a, a}})
	if r.ActionsAdded != 2 || r.ActionsSkipped != 0 {
		t.Fatalf("first ImportAll = %+v; want 2 added", r)
	}
	// The same instant in another zone is the same entry.
	b := a
	b.At = a.At.In(time.FixedZone("PDT", -7*3600))
	r = importAll(t, db, comments.Export{Actions: []comments.Action{a, b, a}})
	if r.ActionsAdded != 1 || r.ActionsSkipped != 2 {
		t.Errorf("ImportAll of three = %+v; want 1 added, 2 skipped", r)
	}
	c := a
	c.Detail = "until tomorrow"
	r = importAll(t, db, comments.Export{Actions: []comments.Action{c}})
	if r.ActionsAdded != 1 {
		t.Errorf("an entry with another detail: %+v; want it added", r)
	}
	if _, total, _ := db.Actions(context.Background(), "", 0, 10); total != 4 {
		t.Errorf("%d entries; want 4", total)
	}
}

// TestImportAllBans: a ban on a kind and value that has one is left as it
// is; values are normalised; an expired ban is stored as history.
func TestImportAllBans(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mine := comments.Ban{Kind: comments.BanIP, Value: "192.0.2.0/24", Reason: "mine", By: "mod", Created: t0}
	if err := db.PutBan(ctx, mine, comments.Action{At: t0, By: "mod", Kind: comments.ActionBan, Target: "ip 192.0.2.0/24"}); err != nil {
		t.Fatal(err)
	}
	theirs := mine
	theirs.Value, theirs.Reason, theirs.Until = "192.0.2.77/24", "theirs", t0.Add(time.Hour)
	expired := comments.Ban{Kind: comments.BanEmail, Value: " Kay@Example.ORG", Until: t0, By: "mod", Created: t0.Add(-time.Hour)}
	r := importAll(t, db, comments.Export{Bans: []comments.Ban{theirs, expired}})
	if r.BansAdded != 1 || r.BansSkipped != 1 {
		t.Fatalf("ImportAll = %+v; want 1 added, 1 skipped", r)
	}
	bans, _ := db.Bans(ctx)
	if len(bans) != 2 {
		t.Fatalf("bans: %+v", bans)
	}
	for _, b := range bans {
		switch b.Kind {
		case comments.BanIP:
			if b.Reason != "mine" || !b.Until.IsZero() {
				t.Errorf("the stored ban was changed: %+v", b)
			}
		case comments.BanEmail:
			if b.Value != "kay@example.org" || b.Active(t0) || !b.Until.Equal(t0) {
				t.Errorf("the expired ban stored as %+v", b)
			}
		}
	}
}

// TestImportAllIsOneTransaction: an import that fails part way, or is
// refused, leaves the database as it was.
func TestImportAllIsOneTransaction(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	good := comments.Export{
		Comments: []comments.Comment{{ID: 1, Post: "p", Body: "x", Created: t0, Source: "wxr:1"}},
		Bans:     []comments.Ban{{Kind: comments.BanIP, Value: "192.0.2.1", By: "mod", Created: t0}},
		Actions:  []comments.Action{{At: t0, By: "mod", Kind: comments.ActionBan, Target: "ip 192.0.2.1"}},
	}
	snapshot := func() string {
		t.Helper()
		e, err := db.ExportAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.Exported = time.Time{}
		var b bytes.Buffer
		if err := comments.WriteExport(&b, e); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	before := snapshot()

	// An unreadable audit log entry fails the import after the comments
	// and bans are written: they must go too.
	junk := idKey(99)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return bucketsOf(tx).actions.Put(junk, []byte("{")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportAll(ctx, good); err == nil || !strings.Contains(err.Error(), "audit log entry") {
		t.Errorf("ImportAll over a damaged audit log = %v; want an error", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return bucketsOf(tx).actions.Delete(junk) }); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(); after != before {
		t.Errorf("a failed import left something behind:\n%s", after)
	}

	for name, mend := range map[string]func(e *comments.Export){
		"bad ban":          func(e *comments.Export) { e.Bans[0].Value = "not an address" },
		"unknown ban kind": func(e *comments.Export) { e.Bans[0].Kind = "name" },
		"same ban twice": func(e *comments.Export) {
			e.Bans = append(e.Bans, comments.Ban{Kind: comments.BanIP, Value: "::ffff:192.0.2.1"})
		},
		"entry, no time": func(e *comments.Export) { e.Actions[0].At = time.Time{} },
		"entry, no kind": func(e *comments.Export) { e.Actions[0].Kind = "" },
		"bad comment":    func(e *comments.Export) { e.Comments[0].Body = " " },
		"parent loop": func(e *comments.Export) {
			e.Comments = append(e.Comments,
				comments.Comment{ID: 2, Parent: 3, Post: "p", Body: "y", Created: t0, Source: "wxr:2"},
				comments.Comment{ID: 3, Parent: 2, Post: "p", Body: "z", Created: t0, Source: "wxr:3"})
		},
	} {
		bad := comments.Export{
			Comments: append([]comments.Comment(nil), good.Comments...),
			Bans:     append([]comments.Ban(nil), good.Bans...),
			Actions:  append([]comments.Action(nil), good.Actions...),
		}
		mend(&bad)
		if _, err := db.ImportAll(ctx, bad); err == nil {
			t.Errorf("%s: ImportAll succeeded", name)
		}
		if after := snapshot(); after != before {
			t.Errorf("%s: a refused import left something behind:\n%s", name, after)
		}
	}
	mustCheck(t, db)

	if r := importAll(t, db, good); r != (ImportResult{Added: 1, BansAdded: 1, ActionsAdded: 1}) {
		t.Errorf("the good import: %+v", r)
	}
}

func TestImportRefusesACommentOutsideTheRulesAndStoresNothing(t *testing.T) {
	good := comments.Comment{ID: 1, Post: "p", Name: "Kay", Body: "Fine", Created: t0, IP: "192.0.2.1"}
	cases := map[string]func(c *comments.Comment){
		"a 5 MB IP address":  func(c *comments.Comment) { c.IP = strings.Repeat("9", 5<<20) },
		"a host name for IP": func(c *comments.Comment) { c.IP = "runner.example.org" },
		"a 101-letter name":  func(c *comments.Comment) { c.Name = strings.Repeat("n", comments.MaxNameChars+1) },
		"a long body":        func(c *comments.Comment) { c.Body = strings.Repeat("b", comments.MaxBodyChars+1) },
		"a bad email":        func(c *comments.Comment) { c.Email = "kay at example" },
		"a script website":   func(c *comments.Comment) { c.Website = "javascript:alert(1)" },
		"a date in year 1":   func(c *comments.Comment) { c.Created = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"an unknown status":  func(c *comments.Comment) { c.Status = "published" },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			db, _ := openTest(t)
			bad := good
			bad.ID = 2
			spoil(&bad)
			_, err := db.ImportAll(context.Background(), comments.Export{Comments: []comments.Comment{good, bad}})
			if err == nil || !strings.Contains(err.Error(), "comment 2 (id 2)") {
				t.Fatalf("ImportAll = %v; want an error naming comment 2", err)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the error is %d bytes long", len(err.Error()))
			}
			if got, _ := db.ByPost(context.Background(), "p"); len(got) != 0 {
				t.Errorf("a refused import stored %d comments", len(got))
			}
		})
	}
}

func TestImportNormalisesLineBreaksAndAddresses(t *testing.T) {
	db, _ := openTest(t)
	c := comments.Comment{ID: 1, Post: "p", Body: "one\r\ntwo\r", Created: t0, IP: "::ffff:192.0.2.9"}
	if _, _, err := db.Import(context.Background(), []comments.Comment{c}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ByPost(context.Background(), "p")
	if err != nil || len(got) != 1 {
		t.Fatalf("ByPost = %v, %v", got, err)
	}
	if got[0].Body != "one\ntwo" || got[0].IP != "192.0.2.9" || got[0].Status != comments.StatusApproved {
		t.Errorf("stored body %q, IP %q, status %q", got[0].Body, got[0].IP, got[0].Status)
	}
	mustCheck(t, db)
}
