package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/app"
)

// TestToolsEndToEnd is a new site's life through the command-line tools,
// called as main calls them: an admin is added, the old blog's comments are
// imported before the server ever ran, the server shows them next to the
// sample comments, and after it stops an export and a backup hold
// everything, and the export restores every comment into a new database.
func TestToolsEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "milepost.db")

	addUser(t, db, "kay", accounts.RoleAdmin, "long enough password")
	rep, out := runImport(t, db, writeFile(t, "wordpress.xml", wxrFixture), false)
	if rep.Imported != 3 {
		t.Fatalf("import: %+v\n%s", rep, out)
	}

	srv := start(t, db)
	page := get(t, srv.base+"/posts/"+post+"/")
	for _, want := range []string{"Foam rolling helps too.", "the roller is cheaper than a massage", firstComment[:40]} {
		if !strings.Contains(page, want) {
			t.Errorf("the post page lacks %q", want)
		}
	}
	// While the server runs, the tools refuse the database.
	var sink bytes.Buffer
	if err := app.Backup(ctx, app.BackupConfig{DBPath: db, Output: filepath.Join(dir, "b.db"), Stderr: &sink}); err == nil {
		t.Error("backup of a served database succeeded")
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}

	backup := filepath.Join(dir, "backup", "milepost.db")
	export := filepath.Join(dir, "export.json")
	if err := app.Backup(ctx, app.BackupConfig{DBPath: db, Output: backup, Stderr: &sink}); err != nil {
		t.Fatal(err)
	}
	if err := app.Export(ctx, app.ExportConfig{DBPath: db, Output: export, Stderr: &sink}); err != nil {
		t.Fatal(err)
	}
	want := byPost(t, db)
	if len(want) != 5 { // two seed comments and three imported
		t.Fatalf("%d comments on the post; want 5", len(want))
	}
	if got := byPost(t, backup); len(got) != len(want) {
		t.Errorf("the backup has %d comments; want %d", len(got), len(want))
	}
	if list := listUsers(t, backup); !strings.Contains(list, "kay") {
		t.Errorf("the backup lacks the admin:\n%s", list)
	}
	if err := login(t, backup, "kay", "long enough password"); err != nil {
		t.Errorf("the admin cannot log in to the backup: %v", err)
	}

	// The restored database can be served: its sample comments kept
	// their IDs.
	restored := filepath.Join(dir, "restored.db")
	if rep, out := runImport(t, restored, export, false); rep.Seeded+rep.Imported != len(want) {
		t.Errorf("restoring the export: %+v\n%s", rep, out)
	}
	if got := byPost(t, restored); len(got) != len(want) {
		t.Errorf("the restored database has %d comments; want %d", len(got), len(want))
	}
	srv = start(t, restored)
	page = get(t, srv.base+"/posts/"+post+"/")
	if !strings.Contains(page, "Foam rolling helps too.") || !strings.Contains(page, firstComment[:40]) {
		t.Error("the restored site's post page lacks its comments")
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
