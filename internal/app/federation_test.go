package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"milepost/internal/federation"
	"milepost/internal/publication"
)

// TestServeWiresFederation: the server's one outbox worker delivers
// ActivityPub, its announcer tells federation of each post event, and the
// handler answers WebFinger for the site's authors.
func TestServeWiresFederation(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"site.yaml":      "title: Runners\nbase_url: https://runners.example.org\n",
		"authors/kay.md": "---\nname: Kay\n---\nRuns.\n",
		"posts/one.md":   "---\ntitle: One\ndate: 2026-11-01\nauthor: kay\n---\nA run.\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), text)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db")}
	st, err := openStores(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	if st.fed == nil || st.out.worker.Senders[federation.Kind] != st.fed {
		t.Fatal("the outbox worker has no ActivityPub sender")
	}
	if !slices.Contains(st.out.announcer.Fanouts, publication.Fanout(st.fed)) {
		t.Fatal("the announcer does not tell federation of post events")
	}
	handler, err := buildHandler(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/.well-known/webfinger?resource=acct:kay@runners.example.org")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "https://runners.example.org/ap/actors/kay") {
		t.Errorf("webfinger: %d %s", res.StatusCode, body)
	}
}
