package comments

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// newTestService is a Service with an open policy, so that comments are
// published at once unless a test says otherwise.
func newTestService() (*Service, *memStore) {
	st := newMemStore()
	return New(st, Options{Now: func() time.Time { return now }, Settings: openSettings}), st
}

func openSettings() Settings {
	p := DefaultSettings()
	p.Moderation = ModerationOpen
	return p
}

func post(t *testing.T, s *Service, in Input) Comment {
	t.Helper()
	c, err := s.Post(context.Background(), in, Author{IP: "192.0.2.7"})
	if err != nil {
		t.Fatalf("Post(%+v): %v", in, err)
	}
	return c
}

func TestServicePostStoresARenderedApprovedComment(t *testing.T) {
	s, st := newTestService()
	c := post(t, s, Input{Post: "p", Name: " Dana ", Email: "dana@example.org", Website: "https://dana.example.org/",
		Body: "I’ve had **great** results.\r\n\r\n<script>alert(1)</script>"})
	want := Comment{ID: 1, Post: "p", Thread: 1, Name: "Dana", Email: "dana@example.org", Website: "https://dana.example.org/",
		Body: "I’ve had **great** results.\n\n<script>alert(1)</script>", HTML: "<p>I’ve had <strong>great</strong> results.</p>\n\n",
		Status: StatusApproved, Created: now, IP: "192.0.2.7"}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("returned comment (-want +got):\n%s", diff)
	}
	stored, err := st.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored comment (-want +got):\n%s", diff)
	}
}

func TestServicePostRefusesInvalidInput(t *testing.T) {
	s, st := newTestService()
	c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Email: "nope", Body: " Kept "}, Author{})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["email"] == "" || len(fe) != 1 {
		t.Fatalf("Post = %v, want FieldErrors on email", err)
	}
	if c.Name != "Kay" || c.Body != "Kept" {
		t.Errorf("valid values not kept: %+v", c)
	}
	if len(st.byID) != 0 {
		t.Errorf("invalid comment stored: %+v", st.byID)
	}
}

func TestServiceReplies(t *testing.T) {
	s, st := newTestService()
	root := post(t, s, Input{Post: "p", Name: "Ana", Body: "root"})
	reply := post(t, s, Input{Post: "p", Name: "Ben", Body: "reply", Parent: strconv.FormatUint(root.ID, 10)})
	if reply.Parent != root.ID || reply.Depth != 1 {
		t.Errorf("reply parent %d depth %d, want %d and 1", reply.Parent, reply.Depth, root.ID)
	}
	st.put(Comment{ID: 50, Post: "other", Body: "x", Status: StatusApproved, Created: now})
	st.put(Comment{ID: 51, Post: "p", Body: "x", Status: StatusSpam, Created: now})
	st.put(Comment{ID: 52, Post: "p", Body: "x", Status: StatusPending, Created: now})

	refused := map[string]string{
		"unknown parent":         "999",
		"parent on another post": "50",
		"spam parent":            "51",
		"pending parent":         "52",
	}
	for name, parent := range refused {
		t.Run(name, func(t *testing.T) {
			before := len(st.byID)
			_, err := s.Post(context.Background(), Input{Post: "p", Name: "Cy", Body: "hi", Parent: parent}, Author{})
			var fe FieldErrors
			if !errors.As(err, &fe) || fe["parent"] == "" {
				t.Fatalf("Post = %v, want FieldErrors on parent", err)
			}
			if len(st.byID) != before {
				t.Error("refused reply was stored")
			}
		})
	}
}

func TestServiceRefusesRepliesPastMaxDepth(t *testing.T) {
	s, st := newTestService()
	parent := ""
	for depth := 0; depth < MaxDepth; depth++ {
		c := post(t, s, Input{Post: "p", Name: "R", Body: "level " + strconv.Itoa(depth), Parent: parent})
		if c.Depth != depth {
			t.Fatalf("comment at level %d has depth %d", depth, c.Depth)
		}
		parent = strconv.FormatUint(c.ID, 10)
	}
	c, err := s.Post(context.Background(), Input{Post: "p", Name: "R", Body: "too deep", Parent: parent}, Author{})
	var fe FieldErrors
	if !errors.As(err, &fe) || !strings.Contains(fe["parent"], strconv.Itoa(MaxDepth)) {
		t.Fatalf("Post = %v, want FieldErrors on parent mentioning %d", err, MaxDepth)
	}
	if c.Body != "too deep" {
		t.Errorf("body not kept: %q", c.Body)
	}
	if len(st.byID) != MaxDepth {
		t.Errorf("%d comments stored, want %d", len(st.byID), MaxDepth)
	}
}

// vanishingStore deletes a comment right after Get returns it: the parent is
// deleted between the Service's check and its write.
type vanishingStore struct{ *memStore }

func (v vanishingStore) Get(ctx context.Context, id uint64) (Comment, error) {
	c, err := v.memStore.Get(ctx, id)
	if err == nil {
		v.memStore.remove(id)
	}
	return c, err
}

func TestServiceParentDeletedMeanwhile(t *testing.T) {
	st := newMemStore()
	st.put(Comment{ID: 1, Post: "p", Body: "x", Status: StatusApproved, Created: now})
	s := New(vanishingStore{st}, Options{Now: func() time.Time { return now }, Settings: openSettings})
	_, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi", Parent: "1"}, Author{})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["parent"] == "" {
		t.Fatalf("Post = %v, want FieldErrors on parent", err)
	}
}

func TestServiceStoreFailureIsNotTheReadersFault(t *testing.T) {
	s, st := newTestService()
	disk := errors.New("disk full")
	st.failAdd = disk
	_, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{})
	var fe FieldErrors
	if !errors.Is(err, disk) || errors.As(err, &fe) {
		t.Fatalf("Post = %v, want the store's error, not FieldErrors", err)
	}
	if !strings.Contains(err.Error(), "storing comment") {
		t.Errorf("error %q does not say what was being done", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st.failAdd = nil
	if _, err := s.Post(ctx, Input{Post: "p", Name: "Kay", Body: "hi"}, Author{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Post with a cancelled context = %v", err)
	}
}

func TestNewServiceDefaultsToTheClock(t *testing.T) {
	s := New(newMemStore(), Options{})
	c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(c.Created) > time.Minute || c.Created.IsZero() {
		t.Errorf("Created = %v", c.Created)
	}
}
