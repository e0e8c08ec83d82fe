package authoring_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// heldWriter takes a render's first write only once let go: the render
// holds its turn of the Renderer meanwhile.
type heldWriter struct {
	writing chan<- struct{}
	letGo   <-chan struct{}
	done    bool
}

func (w *heldWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.done = true
		w.writing <- struct{}{}
		<-w.letGo
	}
	return len(p), nil
}

// A save decodes its photos in turns of the server's one Renderer, shared
// with the photo cache: writers saving many photos at once cannot hold
// more decoded photos in memory than it allows.
func TestASaveWaitsForATurnOfTheServersRenderer(t *testing.T) {
	s := newSite(t)
	s.write("posts/tempo.md", strings.Replace(draftPost, "Hills", "Tempo", 1))
	renders := media.NewRenderer(1)
	svc, err := authoring.New(authoring.Config{Site: s.load, TrashDir: s.trash, Store: s.db, Now: func() time.Time { return when }, Photos: renders})
	if err != nil {
		t.Fatal(err)
	}
	busy := mediatest.PNG(t, mediatest.Halves(60, 40))
	info, err := media.Probe(bytes.NewReader(busy))
	if err != nil {
		t.Fatal(err)
	}
	writing, letGo := make(chan struct{}), make(chan struct{})
	held := make(chan error)
	go func() {
		held <- renders.Render(context.Background(), &heldWriter{writing: writing, letGo: letGo}, busy, info, info.FullWidth())
	}()
	<-writing // the one turn is taken

	before := s.files("posts")
	p := s.open("tempo")
	e := unchanged(p)
	e.Photos = []authoring.PhotoUpload{photo(t, "track.jpg", "The track")}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := svc.Save(ctx, e, p.Version); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a save with a photo while the renders are taken = %v, want it to wait until its context ends", err)
	}
	if got := s.files("posts"); !slices.Equal(got, before) {
		t.Errorf("a save that gave up wrote: %v", got)
	}

	close(letGo)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	e.Photos = []authoring.PhotoUpload{photo(t, "track.jpg", "The track")}
	if _, err := svc.Save(context.Background(), e, p.Version); err != nil {
		t.Fatalf("the save once a turn is free: %v", err)
	}
	if got := s.files("posts/tempo"); !slices.Contains(got, "track.jpg") {
		t.Errorf("the bundle after the save: %v", got)
	}
}
