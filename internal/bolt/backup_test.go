package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// fillModerated gives h a bit of everything: approved, held and spam
// comments, a reply, a ban, a closure and their audit entries.
func fillModerated(t *testing.T, h *harness) {
	t.Helper()
	a := h.mustPost(ana, "p", "Root", comments.StatusPending)
	if _, err := h.svc.Approve(h.ctx, "mod", a.ID); err != nil {
		t.Fatal(err)
	}
	h.reply(ana, a, "A reply", comments.StatusApproved)
	h.mustPost(ben, "q", "Held", comments.StatusPending)
	s := h.mustPost(cy, "q", "Spam", comments.StatusPending)
	if _, err := h.svc.MarkSpam(h.ctx, "mod", s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanIP, Value: cy.ip, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.ClosePost(h.ctx, "mod", "old"); err != nil {
		t.Fatal(err)
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	h := newHarness(t)
	fillModerated(t, h)
	var buf bytes.Buffer
	n, err := h.db.Backup(h.ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// A plain bbolt open reads it, and it holds every comment.
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("the copy does not open with bbolt: %v", err)
	}
	var stored int
	if err := raw.View(func(tx *bbolt.Tx) error { stored = tx.Bucket(bucketComments).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if stored != 4 {
		t.Errorf("the copy has %d comments, want 4", stored)
	}
	// And as a Milepost database it is the same, and consistent.
	copyDB, err := Open(h.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	mustCheck(t, copyDB)
	wantAll, _ := h.db.ExportAll(h.ctx)
	gotAll, _ := copyDB.ExportAll(h.ctx)
	if diff := cmp.Diff(wantAll, gotAll, cmpopts.IgnoreFields(comments.Export{}, "Exported")); diff != "" {
		t.Errorf("the copy differs (-original +copy):\n%s", diff)
	}
}

// stallWriter is a backup's destination that, on its first write, grows
// the database past its memory map and waits for that: what a paused
// download does to a read transaction left open.
type stallWriter struct {
	db   *DB
	grew bool
	err  error
	bytes.Buffer
}

func (w *stallWriter) Write(p []byte) (int, error) {
	if !w.grew {
		w.grew = true
		done := make(chan error, 1)
		go func() {
			body := strings.Repeat("🏃", comments.MaxBodyChars) // 40 KB, stored twice
			cs := make([]comments.Comment, 20)                 // far past the small database's memory map
			for i := range cs {
				cs[i] = comments.Comment{ID: uint64(i + 1), Post: "grow", Body: body, Created: t0, Source: "grow:" + strconv.Itoa(i)}
			}
			_, _, err := w.db.Import(context.Background(), cs)
			done <- err
		}()
		select {
		case w.err = <-done:
		case <-time.After(10 * time.Second):
			w.err = errors.New("a write that grows the database waited for the backup's reader")
		}
	}
	return w.Buffer.Write(p)
}

func TestBackupHoldsNoTransactionWhileItsReaderIsSlow(t *testing.T) {
	h := newHarness(t)
	fillModerated(t, h)
	w := &stallWriter{db: h.db}
	if _, err := h.db.Backup(h.ctx, w); err != nil {
		t.Fatal(err)
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	// The copy is the database as it was when the backup began.
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, w.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copyDB, err := Open(h.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	mustCheck(t, copyDB)
	if got, _ := copyDB.ByPost(h.ctx, "grow"); len(got) != 0 {
		t.Errorf("the copy has %d comments written after it began", len(got))
	}
	// And the snapshot it was streamed from is gone.
	entries, _ := os.ReadDir(filepath.Dir(h.db.Path()))
	if len(entries) != 1 {
		t.Errorf("beside the database: %v", entries)
	}
}

func TestBackupFile(t *testing.T) {
	h := newHarness(t)
	fillModerated(t, h)
	path := filepath.Join(t.TempDir(), "backups", "milepost.db")
	n, err := h.db.BackupFile(h.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() != n || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v (Backup said %d bytes); want mode 0600", info, err, n)
	}
	// Only the backup is left in the directory: no temporary file.
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("backup directory holds %v", entries)
	}
	// A second backup replaces the first.
	h.mustPost(ana, "p", "after the first backup", comments.StatusApproved)
	if _, err := h.db.BackupFile(h.ctx, path); err != nil {
		t.Fatal(err)
	}
	copyDB, err := Open(h.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	mustCheck(t, copyDB)
	if _, total, _ := copyDB.Recent(h.ctx, 0, 1); total != 5 {
		t.Errorf("second backup has %d comments, want 5", total)
	}

	if _, err := h.db.BackupFile(h.ctx, h.db.Path()); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("BackupFile over the database = %v", err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	if _, err := h.db.BackupFile(ctx, filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("BackupFile with a cancelled context = %v", err)
	}
}

func TestSecretIsStableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := db.Secret(ctx, "cookies")
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("Secret = %x", k1)
	}
	again, _ := db.Secret(ctx, "cookies")
	other, _ := db.Secret(ctx, "csrf")
	if !bytes.Equal(k1, again) || bytes.Equal(k1, other) {
		t.Errorf("secrets: %x, again %x, other %x", k1, again, other)
	}
	k1[0] ^= 0xff // the caller's copy is theirs
	if again, _ := db.Secret(ctx, "cookies"); again[0] == k1[0] {
		t.Error("Secret returned the database's own bytes")
	}
	k1[0] ^= 0xff
	if _, err := db.Secret(ctx, ""); err == nil {
		t.Error("Secret without a name succeeded")
	}
	mustCheck(t, db)
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if after, _ := db.Secret(ctx, "cookies"); !bytes.Equal(k1, after) {
		t.Errorf("secret changed across reopening: %x, then %x", k1, after)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	h := newHarness(t)
	fillModerated(t, h)
	exp, err := h.db.ExportAll(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Comments) != 4 || len(exp.Bans) != 1 || len(exp.Actions) != 4 {
		t.Fatalf("export has %d comments, %d bans, %d actions", len(exp.Comments), len(exp.Bans), len(exp.Actions))
	}
	if exp.Actions[0].Kind != comments.ActionApprove || exp.Actions[3].Kind != comments.ActionClose {
		t.Errorf("actions not oldest first: %+v", exp.Actions)
	}
	var file bytes.Buffer
	if err := comments.WriteExport(&file, exp); err != nil {
		t.Fatal(err)
	}
	read, err := comments.ReadExport(&file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exp.Bans, read.Bans, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("bans after the file (-exported +read):\n%s", diff)
	}

	other, _ := openTest(t)
	added, skipped, err := other.Import(h.ctx, read.Comments)
	if err != nil || added != 4 || skipped != 0 {
		t.Fatalf("Import = %d added, %d skipped, %v; want 4, 0", added, skipped, err)
	}
	mustCheck(t, other)
	// Everything came across, private fields and statuses too; the reply
	// still answers its parent.
	got, _ := other.ExportAll(h.ctx)
	for i, c := range got.Comments {
		want := exp.Comments[i]
		if c.Source != "milepost:"+itoa(want.ID) {
			t.Errorf("comment %d has source %q", c.ID, c.Source)
		}
		c.Source, c.ID, c.Parent = "", want.ID, want.Parent
		if diff := cmp.Diff(want, c, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("imported comment (-exported +imported):\n%s", diff)
		}
	}
	if got.Comments[1].Parent != got.Comments[0].ID || got.Comments[1].Depth != 1 {
		t.Errorf("reply not re-attached: %+v", got.Comments[1])
	}
	counts, _ := other.Counts(h.ctx)
	if diff := cmp.Diff(map[string]int{"p": 2}, counts); diff != "" {
		t.Errorf("counts after import (-want +got):\n%s", diff)
	}
	if held, total, _ := other.Held(h.ctx, 0, 10); total != 1 || held[0].Body != "Held" {
		t.Errorf("held after import: %v", ids(held))
	}

	// The second import adds nothing.
	added, skipped, err = other.Import(h.ctx, read.Comments)
	if err != nil || added != 0 || skipped != 4 {
		t.Errorf("second Import = %d added, %d skipped, %v; want 0, 4", added, skipped, err)
	}
	// Nor does importing the export back into the database it came from.
	added, skipped, err = h.db.Import(h.ctx, read.Comments)
	if err != nil || added != 0 || skipped != 4 {
		t.Errorf("Import into the source database = %d added, %d skipped, %v; want 0, 4", added, skipped, err)
	}
	mustCheck(t, other)
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

func TestImportFromElsewhere(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	at := time.Date(2009, 5, 1, 10, 0, 0, 0, time.UTC)
	batch := []comments.Comment{
		// A reply listed before its parent; IDs are the batch's own.
		{ID: 2, Parent: 1, Post: "p", Name: "B", Body: "reply", Created: at.Add(time.Hour), Source: "wxr:20"},
		{ID: 1, Post: "p", Name: "A", Email: "a@example.org", Body: "root <script>x</script>", HTML: "<script>evil()</script>",
			Created: at, Source: "wxr:10", Status: comments.StatusApproved},
		{ID: 3, Post: "q", Body: "held", Created: at, Source: "wxr:30", Status: comments.StatusPending},
	}
	added, skipped, err := db.Import(ctx, batch)
	if err != nil || added != 3 || skipped != 0 {
		t.Fatalf("Import = %d, %d, %v", added, skipped, err)
	}
	ps, _ := db.ByPost(ctx, "p")
	if len(ps) != 2 || ps[1].Parent != ps[0].ID || ps[1].Depth != 1 || ps[1].Status != comments.StatusApproved {
		t.Fatalf("imported thread: %+v", ps)
	}
	if strings.Contains(ps[0].HTML, "evil") || strings.Contains(ps[0].HTML, "<script") {
		t.Errorf("imported HTML was trusted: %q", ps[0].HTML)
	}

	// A later export of the same site: one new reply to an old comment.
	batch = append(batch, comments.Comment{ID: 4, Parent: 1, Post: "p", Body: "new reply", Created: at.Add(48 * time.Hour), Source: "wxr:40"})
	added, skipped, err = db.Import(ctx, batch)
	if err != nil || added != 1 || skipped != 3 {
		t.Fatalf("second Import = %d, %d, %v; want 1, 3", added, skipped, err)
	}
	ps, _ = db.ByPost(ctx, "p")
	if len(ps) != 3 || ps[2].Parent != ps[0].ID {
		t.Errorf("new reply not attached to the stored parent: %+v", ps)
	}

	// A bad batch adds nothing.
	before, total, _ := db.Recent(ctx, 0, 100)
	for name, bad := range map[string][]comments.Comment{
		"missing parent":     {{ID: 1, Parent: 9, Post: "p", Body: "x", Created: at, Source: "wxr:900"}},
		"loop":               {{ID: 1, Parent: 2, Post: "p", Body: "x", Created: at, Source: "wxr:901"}, {ID: 2, Parent: 1, Post: "p", Body: "y", Created: at, Source: "wxr:902"}},
		"parent on another":  {{ID: 1, Post: "p", Body: "x", Created: at, Source: "wxr:903"}, {ID: 2, Parent: 1, Post: "q", Body: "y", Created: at, Source: "wxr:904"}},
		"duplicate id":       {{ID: 1, Post: "p", Body: "x", Created: at, Source: "wxr:905"}, {ID: 1, Post: "p", Body: "y", Created: at, Source: "wxr:906"}},
		"duplicate source":   {{ID: 1, Post: "p", Body: "x", Created: at, Source: "wxr:907"}, {ID: 2, Post: "p", Body: "y", Created: at, Source: "wxr:907"}},
		"no id":              {{Post: "p", Body: "x", Created: at}},
		"no body":            {{ID: 1, Post: "p", Body: " ", Created: at}},
		"no time":            {{ID: 1, Post: "p", Body: "x"}},
		"no post":            {{ID: 1, Body: "x", Created: at}},
		"unknown status":     {{ID: 1, Post: "p", Body: "x", Created: at, Status: "hidden"}},
		"valid then invalid": {{ID: 1, Post: "p", Body: "fine", Created: at, Source: "wxr:908"}, {ID: 2, Post: "p", Body: "x", Created: at, Status: "hidden"}},
		"source too long":    {{ID: 7, Post: "p", Body: "x", Created: at, Source: strings.Repeat("s", comments.MaxSourceChars+1)}},
	} {
		if _, _, err := db.Import(ctx, bad); err == nil {
			t.Errorf("%s: Import succeeded", name)
		}
	}
	after, total2, _ := db.Recent(ctx, 0, 100)
	if total2 != total || len(after) != len(before) {
		t.Errorf("failed imports added comments: %d, then %d", total, total2)
	}
}

func TestSourceIsUnique(t *testing.T) {
	db, _ := openTest(t)
	c := newComment("p", 0)
	c.Source = "disqus:1"
	add(t, db, c)
	c.ID = 0
	if err := db.Add(context.Background(), &c); !errors.Is(err, comments.ErrSourceTaken) {
		t.Errorf("Add with a used source = %v, want ErrSourceTaken", err)
	}
}

// TestUpgradeFromSchemaVersion1 makes a database as version 1 left it (no
// new buckets, only the old indexes) and opens it: every index is built.
func TestUpgradeFromSchemaVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := add(t, db, newComment("p", 0))
	held := newComment("p", 1)
	held.Status, held.IP, held.Email = comments.StatusPending, "192.0.2.1", "kay@example.org"
	held = add(t, db, held)
	reply := newComment("p", 2)
	reply.Parent, reply.Email = a.ID, "kay@example.org"
	add(t, db, reply)
	db.Close()

	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			switch string(name) {
			case string(bucketComments), string(bucketIndex), string(bucketCounts), string(bucketMeta):
				continue
			}
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("opening a version 1 database: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	if got := readMetaOpen(t, db, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema_version after the upgrade = %q", got)
	}
	hs, total, err := db.Held(ctx, 0, 10)
	if err != nil || total != 1 || hs[0].ID != held.ID {
		t.Errorf("Held after the upgrade = %v, %d, %v", ids(hs), total, err)
	}
	// The approved reply's writer is known.
	svc := comments.New(db, comments.Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	c, err := svc.Post(ctx, comments.Input{Post: "p", Name: "Kay", Email: "KAY@example.org", Body: "hello"}, comments.Author{IP: "192.0.2.9"})
	if err != nil || c.Status != comments.StatusApproved {
		t.Errorf("known reader after the upgrade: %v, %v", c.Status, err)
	}
}

func TestCheckFindsModerationIndexDisagreements(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(b buckets) error
		want    string
	}{
		{"held entry missing", func(b buckets) error {
			return b.held.Delete(firstKey(b.held))
		}, "held: no entry for comment 6"},
		{"held entry for an approved comment", func(b buckets) error {
			return b.held.Put(timeIDKey(t0, 1), nil)
		}, "held: stale entry for comment 1"},
		{"recent entry missing", func(b buckets) error {
			return b.recent.Delete(firstKey(b.recent))
		}, "recent: no entry for comment"},
		{"known count wrong", func(b buckets) error {
			return b.known.Put(knownEmailKey("kay@example.org"), countValue(7))
		}, "known_commenters: entry for email hash"},
		{"known commenter id missing", func(b buckets) error {
			return b.known.Delete(knownIDKey("cid-1"))
		}, `known_commenters: no entry for commenter id "cid-1"`},
		{"duplicate entry missing", func(b buckets) error {
			return b.dups.Delete(firstKey(b.dups))
		}, "duplicates: no entry for comment 1"},
		{"source points elsewhere", func(b buckets) error {
			return b.sources.Put([]byte("wxr:1"), idKey(2))
		}, `sources: entry for source "wxr:1" is comment 2, want comment 1`},
		{"unreadable ban", func(b buckets) error {
			return b.bans.Put(banKey(comments.BanIP, "192.0.2.1"), []byte("{"))
		}, "bans:"},
		{"ban under the wrong key", func(b buckets) error {
			data, _ := json.Marshal(comments.Ban{Kind: comments.BanIP, Value: "192.0.2.1"})
			return b.bans.Put(banKey(comments.BanIP, "192.0.2.2"), data)
		}, "holds the ban on ip 192.0.2.1"},
		{"action under the wrong key", func(b buckets) error {
			data, _ := json.Marshal(comments.Action{ID: 9})
			return b.actions.Put(idKey(1), data)
		}, "actions: key 1 holds entry 9"},
		{"closure under the wrong key", func(b buckets) error {
			data, _ := json.Marshal(comments.Closure{Post: "q"})
			return b.closures.Put([]byte("p"), data)
		}, `closures: key "p" holds the closure of "q"`},
		{"short secret", func(b buckets) error {
			return b.secrets.Put([]byte("cookies"), []byte("short"))
		}, `secrets: "cookies" is 5 bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCatches(t, fillForModerationCheck, tc.corrupt, tc.want)
		})
	}
}

// fillForModerationCheck stores comment 1, approved, with an email, an IP,
// a commenter id and a source; then fillForCheck's five (2 to 5 approved, 6
// pending); a ban, a closure, their audit entries and a secret.
func fillForModerationCheck(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	c := newComment("p", 0)
	c.Email, c.IP, c.CommenterID, c.Source = "kay@example.org", "192.0.2.1", "cid-1", "wxr:1"
	add(t, db, c)
	fillForCheck(t, db)
	if err := db.PutBan(ctx, comments.Ban{Kind: comments.BanIP, Value: "192.0.2.1"}, comments.Action{Kind: comments.ActionBan}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetClosure(ctx, comments.Closure{Post: "p", Closed: true}, comments.Action{Kind: comments.ActionClose}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Secret(ctx, "cookies"); err != nil {
		t.Fatal(err)
	}
}

func firstKey(bk *bbolt.Bucket) []byte {
	k, _ := bk.Cursor().First()
	return bytes.Clone(k)
}
