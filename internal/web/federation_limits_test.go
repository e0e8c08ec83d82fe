package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"milepost/internal/federation"
	"milepost/internal/web"
)

// TestForgedRequestsDoNotUseARealInstancesAllowance: requests whose
// signature does not verify are charged to the address they came from, so
// a forger naming alice's key is refused (429) once it has used up its
// own allowance, and alice's server, delivering from another address,
// still has all of its; a flood of verified activities from that server
// is refused once its allowance is used up.
func TestForgedRequestsDoNotUseARealInstancesAllowance(t *testing.T) {
	const rate = 5
	h := newFedHarnessWith(t, true, func(f *federation.Options, w *web.Options) {
		f.InstanceRate = rate
		// The test's requests all come from loopback: X-Forwarded-For
		// says which client each stands for.
		w.Guards.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	f := newFakeInstance(t)
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	article := h.base + "/ap/posts/first-run"
	n := 0
	send := func(from, who string, key *rsa.PrivateKey) int {
		t.Helper()
		n++
		body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("%s/likes/%d", f.actorID(who), n), "type": "Like",
			"actor": f.actorID(who), "object": article})
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
		req.Header.Set("Content-Type", federation.ContentTypeActivity)
		req.Header.Set("X-Forwarded-For", from)
		if err := federation.SignRequest(req, body, key, f.keyID(who), time.Now()); err != nil {
			t.Fatal(err)
		}
		return h.do(req).status
	}
	const forgerAddr, instanceAddr = "203.0.113.9", "198.51.100.7"
	for i := range rate {
		if got := send(forgerAddr, "alice", forger); got != http.StatusUnauthorized {
			t.Fatalf("forged request %d: %d, want 401", i+1, got)
		}
	}
	fetches := f.fetches.Load()
	for i := range 3 {
		if got := send(forgerAddr, "alice", forger); got != http.StatusTooManyRequests {
			t.Errorf("forged request %d past the address's allowance: %d, want 429", rate+i+1, got)
		}
	}
	if f.fetches.Load() != fetches {
		t.Errorf("a refused forger made %d key fetches", f.fetches.Load()-fetches)
	}
	// A keyId naming a server that does not answer costs a fetch each
	// time: those failures are charged to their address too.
	const nowhereAddr = "203.0.113.10"
	nowhere := func() int {
		t.Helper()
		n++
		body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("http://127.0.0.1:1/likes/%d", n), "type": "Like",
			"actor": "http://127.0.0.1:1/actor", "object": article})
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
		req.Header.Set("Content-Type", federation.ContentTypeActivity)
		req.Header.Set("X-Forwarded-For", nowhereAddr)
		if err := federation.SignRequest(req, body, forger, "http://127.0.0.1:1/actor#main-key", time.Now()); err != nil {
			t.Fatal(err)
		}
		return h.do(req).status
	}
	for i := range rate {
		if got := nowhere(); got == http.StatusAccepted || got == http.StatusTooManyRequests {
			t.Fatalf("request %d whose key cannot be fetched: %d", i+1, got)
		}
	}
	if got := nowhere(); got != http.StatusTooManyRequests {
		t.Errorf("a request whose key cannot be fetched, past the address's allowance: %d, want 429", got)
	}
	// alice's server has its whole allowance: bob and alice share it.
	for i := range rate {
		who := []string{"alice", "bob"}[i%2]
		if got := send(instanceAddr, who, f.key(who)); got != http.StatusAccepted {
			t.Errorf("%s's Like %d from the real instance: %d, want 202", who, i+1, got)
		}
	}
	if got := send(instanceAddr, "alice", f.key("alice")); got != http.StatusTooManyRequests {
		t.Errorf("a Like past the instance's allowance: %d, want 429", got)
	}
	if got := send("192.0.2.55", "bob", f.key("bob")); got != http.StatusTooManyRequests {
		t.Errorf("the same instance from another address past its allowance: %d, want 429", got)
	}
}
