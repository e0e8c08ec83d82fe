package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
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

// TestConcurrentForgedRequestsAreChargedBeforeTheirKeyIsFetched: forged
// requests sent all at once, naming a key on a server that answers slowly,
// are charged to their address before the key is looked for, so no more
// of them make a fetch than the address's allowance, and the rest are
// refused (429) without one.
func TestConcurrentForgedRequestsAreChargedBeforeTheirKeyIsFetched(t *testing.T) {
	const rate, sent = 5, 30
	h := newFedHarnessWith(t, true, func(f *federation.Options, w *web.Options) {
		f.InstanceRate = rate
		w.Guards.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	var fetches atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		time.Sleep(300 * time.Millisecond)
		http.NotFound(w, r)
	}))
	t.Cleanup(slow.Close)
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	statuses := make(chan int, sent)
	var wg sync.WaitGroup
	for i := range sent {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("%s/likes/%d", slow.URL, i), "type": "Like",
				"actor": slow.URL + "/actor", "object": h.base + "/ap/posts/first-run"})
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
			req.Header.Set("Content-Type", federation.ContentTypeActivity)
			req.Header.Set("X-Forwarded-For", "203.0.113.11")
			if err := federation.SignRequest(req, body, forger, slow.URL+"/actor#main-key", time.Now()); err != nil {
				t.Error(err)
				return
			}
			statuses <- h.do(req).status
		})
	}
	wg.Wait()
	close(statuses)
	refused := 0
	for status := range statuses {
		switch status {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusAccepted:
			t.Errorf("a forged request was accepted")
		}
	}
	if n := fetches.Load(); n > rate {
		t.Errorf("%d concurrent forged requests made %d key fetches, want at most the allowance of %d", sent, n, rate)
	}
	if refused < sent-rate {
		t.Errorf("%d of %d concurrent forged requests refused with 429, want at least %d", refused, sent, sent-rate)
	}
}
