package websub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"milepost/internal/outbox"
	"milepost/internal/websub"
)

func TestSettingsRefuseHubsThatAreNotURLs(t *testing.T) {
	for _, hub := range []string{"hub.example", "ftp://hub.example/", "https://", "/relative"} {
		s := websub.Settings{Hubs: []string{hub}}
		if err := s.Validate(); err == nil {
			t.Errorf("hub %q accepted", hub)
		}
	}
	s := websub.Settings{Hubs: []string{" https://hub.example/ "}}
	if err := s.Validate(); err != nil || s.Hubs[0] != "https://hub.example/" {
		t.Errorf("Validate = %v, hubs %q", err, s.Hubs)
	}
}

func TestMessagesAreOnePerHubAndFeedWithStableKeys(t *testing.T) {
	hubs, topics := []string{"https://a.example/", "https://b.example/"}, []string{"https://club.example/feed.xml", "https://club.example/atom.xml"}
	ms, err := websub.Messages(hubs, topics, "published:x:v1")
	if err != nil || len(ms) != 4 {
		t.Fatalf("Messages = %d, %v; want 4", len(ms), err)
	}
	again, _ := websub.Messages(hubs, topics, "published:x:v1")
	keys := map[string]bool{}
	for i, m := range ms {
		var p websub.Ping
		if err := json.Unmarshal(m.Payload, &p); err != nil || m.Kind != websub.Kind {
			t.Fatalf("message %+v: %v", m, err)
		}
		if keys[m.Key] || m.Key != again[i].Key {
			t.Errorf("key %q repeated, or not the same for the same event", m.Key)
		}
		keys[m.Key] = true
	}
	other, _ := websub.Messages(hubs, topics, "updated:x:v1>v2")
	if other[0].Key == ms[0].Key {
		t.Error("two events gave the same key")
	}
}

func TestSenderPostsTheFormAndSortsFailures(t *testing.T) {
	status := http.StatusNoContent
	var got []string
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = append(got, r.Header.Get("Content-Type")+" "+r.PostForm.Get("hub.mode")+" "+r.PostForm.Get("hub.url"))
		w.WriteHeader(status)
	}))
	defer hub.Close()
	ms, _ := websub.Messages([]string{hub.URL}, []string{"https://club.example/feed.xml"}, "e")
	s := &websub.Sender{}
	ctx := context.Background()
	if err := s.Send(ctx, ms[0]); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(got) != 1 || got[0] != "application/x-www-form-urlencoded publish https://club.example/feed.xml" {
		t.Errorf("the hub got %q", got)
	}
	for code, permanent := range map[int]bool{400: true, 404: true, 410: true, 429: false, 408: false, 500: false, 503: false} {
		status = code
		err := s.Send(ctx, ms[0])
		if err == nil || outbox.IsPermanent(err) != permanent {
			t.Errorf("hub answering %d: err = %v, want permanent %v", code, err, permanent)
		}
	}
}
