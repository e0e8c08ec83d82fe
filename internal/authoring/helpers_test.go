package authoring_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/bolt"
	"milepost/internal/content"
)

// site is a copy of the sample site in a temporary directory, edited
// through a Service whose Store is a real bbolt file, checked at the end.
type site struct {
	t     *testing.T
	dir   string // the content directory
	trash string
	db    *bolt.DB
	svc   *authoring.Service
}

var when = time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)

func newSite(t *testing.T) *site {
	t.Helper()
	root := t.TempDir()
	return newSiteIn(t, filepath.Join(root, "content"), filepath.Join(root, "data"))
}

// newSiteIn copies the sample site into contentDir and keeps the database
// and the trash in dataDir.
func newSiteIn(t *testing.T, contentDir, dataDir string) *site {
	t.Helper()
	s := &site{t: t, dir: contentDir, trash: filepath.Join(dataDir, "trash")}
	if err := os.CopyFS(s.dir, os.DirFS("../../content")); err != nil {
		t.Fatal(err)
	}
	var err error
	s.db, err = bolt.Open(context.Background(), filepath.Join(dataDir, "milepost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.db.Check(context.Background()); err != nil {
			t.Errorf("Check: %v", err)
		}
		s.db.Close()
	})
	s.svc, err = authoring.New(authoring.Config{Site: s.load, TrashDir: s.trash, Store: s.db, Now: func() time.Time { return when }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// load reads the content directory as the server's live reload would have
// by now.
func (s *site) load() *content.Site {
	st, err := content.Load(context.Background(), s.dir, content.Overrides{})
	if err != nil {
		s.t.Fatalf("loading the site: %v", err)
	}
	return st
}

func (s *site) path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

func (s *site) write(rel, text string) {
	s.t.Helper()
	if err := os.MkdirAll(filepath.Dir(s.path(rel)), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.path(rel), []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) read(rel string) string {
	s.t.Helper()
	b, err := os.ReadFile(s.path(rel))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

func (s *site) open(slug string) authoring.Post {
	s.t.Helper()
	p, err := s.svc.Open(context.Background(), slug)
	if err != nil {
		s.t.Fatalf("Open(%q): %v", slug, err)
	}
	return p
}

// previewLink makes a draft preview link to the post with the slug, as kay.
func (s *site) previewLink(slug string) (string, authoring.PreviewLink) {
	s.t.Helper()
	token, link, err := s.svc.CreatePreviewLink(context.Background(), slug, "kay")
	if err != nil {
		s.t.Fatalf("CreatePreviewLink(%q): %v", slug, err)
	}
	return token, link
}

// unchanged is the edit a form sends back when nothing was touched.
func unchanged(p authoring.Post) authoring.Edit {
	return authoring.Edit{Slug: p.Slug, Fields: p.Fields, Body: p.Body, By: "kay"}
}

func (s *site) save(e authoring.Edit, basedOn authoring.Version) authoring.Post {
	s.t.Helper()
	p, err := s.svc.Save(context.Background(), e, basedOn)
	if err != nil {
		s.t.Fatalf("Save(%s): %v", e.Slug, err)
	}
	return p
}

// noStrayFiles fails when a directory holds a temporary file a write left.
func (s *site) noStrayFiles() {
	s.t.Helper()
	filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(d.Name(), ".tmp") {
			s.t.Errorf("a temporary file is left behind: %s", p)
		}
		return nil
	})
}

func asConflict(t *testing.T, err error) *authoring.ConflictError {
	t.Helper()
	var c *authoring.ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("error = %v, want a *ConflictError", err)
	}
	return c
}
