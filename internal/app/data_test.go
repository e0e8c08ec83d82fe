package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
)

// sampleContent is the repository's sample site: one post,
// massage-during-training, with two seed comments.
var sampleContent = filepath.Join("..", "..", "content")

// seedDB makes a database holding the sample site's seed comments, a
// reply, a held comment, an email ban and the audit entry that records it.
func seedDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "milepost.db")
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := os.Open(filepath.Join(sampleContent, "comments.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seed, err := comments.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Seed(ctx, seed.Comments); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2011, 10, 6, 7, 30, 0, 0, time.UTC)
	for _, c := range []comments.Comment{
		{Post: "massage-during-training", Parent: 1, Name: "Kay", Email: "kay@example.org", Body: "Good luck next weekend, *both* of you!",
			Status: comments.StatusApproved, Created: created, IP: "192.0.2.10"},
		{Post: "massage-during-training", Name: "Spammy", Body: "Cheap [shoes](https://shoes.example)", Status: comments.StatusPending,
			Created: created.Add(time.Hour), HoldReason: "first comment from this reader"},
	} {
		c.HTML = comments.Render(c.Body)
		if err := db.Add(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	ban := comments.Ban{Kind: comments.BanEmail, Value: "spam@example.org", Reason: "shoe spam", By: "kay", Created: created}
	if err := db.PutBan(ctx, ban, comments.Action{At: created, By: "kay", Kind: comments.ActionBan, Target: "email spam@example.org"}); err != nil {
		t.Fatal(err)
	}
	return path
}

// allComments reads every comment of the database at path.
func allComments(t *testing.T, path string) comments.Export {
	t.Helper()
	db, err := bolt.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.ExportAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	db := seedDB(t)
	want := allComments(t, db)

	var stdout, stderr bytes.Buffer
	if err := app.Export(ctx, app.ExportConfig{DBPath: db, Output: "-", Stdout: &stdout, Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); !strings.Contains(got, "exported 4 comments, 1 ban and 1 moderation record") {
		t.Errorf("summary = %q", got)
	}
	// No HTML: it is derived, and rendered again on the way in.
	var raw struct {
		Comments []map[string]any `json:"comments"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for i, c := range raw.Comments {
		if _, ok := c["html"]; ok {
			t.Errorf("comment %d has an html field", i+1)
		}
	}
	e, err := comments.ReadExport(&stdout)
	if err != nil {
		t.Fatalf("the export does not read back: %v", err)
	}
	if len(e.Comments) != 4 || len(e.Bans) != 1 || len(e.Actions) != 1 {
		t.Fatalf("export has %d comments, %d bans, %d actions; want 4, 1, 1", len(e.Comments), len(e.Bans), len(e.Actions))
	}
	for i, c := range e.Comments {
		w := want.Comments[i]
		if c.ID != w.ID || c.Body != w.Body || c.Email != w.Email || c.IP != w.IP || c.Status != w.Status ||
			!c.Created.Equal(w.Created) || c.Parent != w.Parent || c.HoldReason != w.HoldReason {
			t.Errorf("comment %d = %+v; want %+v", i+1, c, w)
		}
	}

	// To a file: the same, private to its owner.
	out := filepath.Join(t.TempDir(), "out", "export.json")
	stderr.Reset()
	if err := app.Export(ctx, app.ExportConfig{DBPath: db, Output: out, Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("export file mode %v; want it private to its owner", fi.Mode().Perm())
	}
	if !strings.Contains(stderr.String(), out) {
		t.Errorf("summary %q does not name the file", stderr.String())
	}
	if err := app.Export(ctx, app.ExportConfig{DBPath: db, Output: db, Stderr: &stderr}); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("exporting over the database: %v", err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := seedDB(t)
	want := allComments(t, db)

	out := filepath.Join(t.TempDir(), "backups", "milepost.db")
	var stderr bytes.Buffer
	if err := app.Backup(ctx, app.BackupConfig{DBPath: db, Output: out, Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "backed up") {
		t.Errorf("summary = %q", stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup file mode %v; want it private to its owner", fi.Mode().Perm())
	}
	copyDB, err := bolt.Open(ctx, out)
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer copyDB.Close()
	if err := copyDB.Check(ctx); err != nil {
		t.Errorf("the backup fails Check: %v", err)
	}
	got, err := copyDB.ExportAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Comments) != len(want.Comments) || len(got.Bans) != 1 || len(got.Actions) != 1 {
		t.Fatalf("backup has %d comments, %d bans, %d actions; want %d, 1, 1", len(got.Comments), len(got.Bans), len(got.Actions), len(want.Comments))
	}
	for i := range got.Comments {
		if got.Comments[i].Body != want.Comments[i].Body || got.Comments[i].ID != want.Comments[i].ID {
			t.Errorf("backup comment %d differs: %+v", i+1, got.Comments[i])
		}
	}

	if err := app.Backup(ctx, app.BackupConfig{DBPath: filepath.Join(t.TempDir(), "typo.db"), Output: out, Stderr: &stderr}); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("backup of a missing database: %v", err)
	}
}

// TestToolsRefuseAHeldDatabase: while something (a running server) holds
// the database, the tools fail within two seconds and say what to do.
func TestToolsRefuseAHeldDatabase(t *testing.T) {
	ctx := context.Background()
	path := seedDB(t)
	held, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	var sink bytes.Buffer
	for _, tc := range []struct {
		name string
		run  func() error
		hint string
	}{
		{"backup", func() error {
			return app.Backup(ctx, app.BackupConfig{DBPath: path, Output: filepath.Join(t.TempDir(), "b.db"), Stderr: &sink})
		}, "GET /admin/backup"},
		{"export", func() error {
			return app.Export(ctx, app.ExportConfig{DBPath: path, Stdout: &sink, Stderr: &sink})
		}, "stop milepost serve first"},
		{"user list", func() error {
			cfg, _ := usersConfig(path, "")
			return app.UserList(ctx, cfg)
		}, "stop milepost serve first"},
	} {
		start := time.Now()
		err := tc.run()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s took %v to fail", tc.name, took)
		}
		if !errors.Is(err, bolt.ErrInUse) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%s on a held database: %v; want ErrInUse saying %q", tc.name, err, tc.hint)
		}
	}
}
