package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
	"golang.org/x/crypto/bcrypt"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/federation"
	"milepost/internal/outbox"
	"milepost/internal/publication"
	"milepost/internal/web"
	"milepost/themes"
)

// A fake remote instance, as Mastodon would be: its own keys, actors and
// inboxes on a loopback httptest server. It signs what it sends with its
// actors' keys, and verifies every delivery Milepost makes to it (the key
// fetched from Milepost, the digest, the date) before it counts it.

type fakeInstance struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey // by username; rotate changes one
	// delivered are the verified activities, in order of arrival.
	delivered chan map[string]any
	// fetches counts the requests for its actors.
	fetches atomic.Int32
	// refuse makes every inbox answer 403 (to see a permanent failure).
	refuse atomic.Bool
	// down makes every inbox answer 503, unread (a server down for a
	// while); downTries counts those answers.
	down      atomic.Bool
	downTries atomic.Int32
	// requests counts every request made to it.
	requests atomic.Int32
}

func newFakeInstance(t *testing.T) *fakeInstance {
	t.Helper()
	f := &fakeInstance{t: t, keys: map[string]*rsa.PrivateKey{}, delivered: make(chan map[string]any, 50)}
	for _, name := range []string{"alice", "bob"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		f.keys[name] = k
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", f.actor)
	mux.HandleFunc("POST /users/{name}/inbox", f.inbox)
	mux.HandleFunc("POST /inbox", f.inbox)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInstance) key(name string) *rsa.PrivateKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[name]
}

// rotate gives an actor a new key, as an account moved or reset does.
func (f *fakeInstance) rotate(t *testing.T, name string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.keys[name] = k
	f.mu.Unlock()
}

func (f *fakeInstance) actorID(name string) string { return f.srv.URL + "/users/" + name }
func (f *fakeInstance) keyID(name string) string   { return f.actorID(name) + "#main-key" }

func (f *fakeInstance) actor(w http.ResponseWriter, r *http.Request) {
	f.fetches.Add(1)
	name := r.PathValue("name")
	k := f.key(name)
	if k == nil {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("User-Agent") == "" {
		f.t.Errorf("a fetch of %s without a User-Agent", name)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	id := f.actorID(name)
	w.Header().Set("Content-Type", federation.ContentTypeActivity)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       id, "type": "Person", "preferredUsername": name, "name": strings.ToUpper(name[:1]) + name[1:] + " Runner",
		"inbox": id + "/inbox", "url": f.srv.URL + "/@" + name,
		"endpoints": map[string]any{"sharedInbox": f.srv.URL + "/inbox"},
		// A single value where a list is allowed, as some servers send.
		"publicKey": map[string]any{"id": f.keyID(name), "owner": id,
			"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
	})
}

// inbox verifies Milepost's delivery as Mastodon does before it counts it.
func (f *fakeInstance) inbox(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		f.downTries.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if err := f.verify(r, body); err != nil {
		f.t.Errorf("a delivery to %s did not verify: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if f.refuse.Load() {
		http.Error(w, "gone", http.StatusForbidden)
		return
	}
	var act map[string]any
	if err := json.Unmarshal(body, &act); err != nil {
		f.t.Errorf("a delivery that is not JSON: %v", err)
	}
	w.WriteHeader(http.StatusAccepted)
	f.delivered <- act
}

func (f *fakeInstance) verify(r *http.Request, body []byte) error {
	if r.Header.Get("User-Agent") == "" {
		return fmt.Errorf("no User-Agent")
	}
	if ct := r.Header.Get("Content-Type"); ct != federation.ContentTypeActivity {
		return fmt.Errorf("Content-Type %q", ct)
	}
	sum := sha256.Sum256(body)
	if got := r.Header.Get("Digest"); got != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("Digest %q is not the body's", got)
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(date).Abs() > 5*time.Minute { // Mastodon allows hours; a minute or two of skew is usual
		return fmt.Errorf("Date %q", r.Header.Get("Date"))
	}
	sig := r.Header.Get("Signature")
	for _, h := range []string{"(request-target)", "host", "date", "digest"} {
		if !strings.Contains(sig, h) {
			return fmt.Errorf("%s not signed: %s", h, sig)
		}
	}
	r.Header.Set("Host", r.Host)
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return err
	}
	// Fetch the key from Milepost, as a remote server does.
	req, _ := http.NewRequest(http.MethodGet, v.KeyId(), nil)
	req.Header.Set("Accept", federation.ContentTypeActivity)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var actor struct {
		ID        string `json:"id"`
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(res.Body).Decode(&actor); err != nil {
		return fmt.Errorf("the key %s: %w", v.KeyId(), err)
	}
	if actor.PublicKey.ID != v.KeyId() || actor.PublicKey.Owner != actor.ID {
		return fmt.Errorf("the key document %+v does not name key %s", actor, v.KeyId())
	}
	key, err := federation.ParsePublicKey(actor.PublicKey.PublicKeyPem)
	if err != nil {
		return err
	}
	var act map[string]any
	_ = json.Unmarshal(body, &act)
	if act["actor"] != actor.ID {
		return fmt.Errorf("the activity's actor %v is not the signer %s", act["actor"], actor.ID)
	}
	return v.Verify(key, httpsig.RSA_SHA256)
}

// send POSTs an activity to Milepost signed by one of its actors as keyOf
// (usually the same one) at date.
func (f *fakeInstance) send(h *fedHarness, path string, act map[string]any, signer string, key *rsa.PrivateKey, date time.Time) response {
	h.t.Helper()
	body, err := json.Marshal(act)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.sendSigned(path, body, f.keyID(signer), key, date)
}

// fedHarness is Milepost with federation on, over real HTTP with a real
// bbolt file, its outbox worker running, served at its own base URL.
type fedHarness struct {
	*harness
	base     string
	fed      *federation.Service
	comments *comments.Service
	src      *mutableSource
	// ahead moves the federation's clock on (the Date window stays
	// around it, and the fake instance signs with the real time).
	ahead     *atomic.Int64
	announcer *publication.Announcer
	worker    *outbox.Worker
}

type mutableSource struct{ site atomic.Pointer[content.Site] }

func (m *mutableSource) Current() *content.Site { return m.site.Load() }

const fedSiteYAML = `title: Test Runners
description: Stories from the test club.
base_url: BASE
language: en
`

// newFedHarness serves a site with one post by kay; loopback says whether
// the federation Service may reach loopback addresses (the fake instance).
func newFedHarness(t *testing.T, loopback bool) *fedHarness {
	t.Helper()
	return newFedHarnessWith(t, loopback, nil)
}

// newFedHarnessWith is newFedHarness with options changed by configure
// (when not nil) before the services are made.
func newFedHarnessWith(t *testing.T, loopback bool, configure func(*federation.Options, *web.Options)) *fedHarness {
	t.Helper()
	return newFedHarnessAt(t, loopback, "", configure)
}

// newFedHarnessAt is newFedHarnessWith with a base URL whose path is
// prefix ("/blog"); base is then the address with the prefix.
func newFedHarnessAt(t *testing.T, loopback bool, prefix string, configure func(*federation.Options, *web.Options)) *fedHarness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + prefix
	dir := t.TempDir()
	writeSiteFiles(t, dir, siteFiles{
		"site.yaml":      strings.Replace(fedSiteYAML, "BASE", base, 1),
		"authors/kay.md": authorFile,
		"posts/first-run.md": post("title: First run\ndate: 2026-11-01\nauthor: kay\ntags: [easy]",
			"An easy five in the park."),
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	site, err := content.Load(ctx, dir, content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	src := &mutableSource{}
	src.site.Store(site)
	db, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "milepost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cs := app.NewCommentService(db, src, false, nil)
	worker := &outbox.Worker{Store: db, Log: log, Senders: map[string]outbox.Sender{}, Poll: 50 * time.Millisecond,
		BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	ahead := &atomic.Int64{}
	fedOpts := federation.Options{Store: db, Comments: cs, Site: src.Current, Outbox: db, Wake: worker.Notify,
		Log: log, UserAgent: "Milepost test", Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }}
	webOpts := web.Options{Content: src, Comments: cs, Theme: themes.Default(), Log: log,
		Secret: []byte("a test key of thirty-two bytes!!"), CommentRate: 1000, Outbox: db, Media: photoCache(t)}
	if configure != nil {
		configure(&fedOpts, &webOpts)
	}
	fed, err := federation.New(fedOpts)
	if err != nil {
		t.Fatal(err)
	}
	if loopback {
		fed.AllowLoopbackForTests()
	}
	worker.Senders[federation.Kind] = fed
	accts, err := accounts.NewService(db, accounts.Options{Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	webOpts.Accounts, webOpts.Federation = accts, fed
	h, err := web.New(webOpts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	done := make(chan struct{})
	go func() { defer close(done); _ = worker.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	announcer := &publication.Announcer{Store: db, Fanouts: []publication.Fanout{fed}, Worker: worker, Log: log}
	// The first call records the site as it is: nothing is announced.
	if err := announcer.SiteChanged(ctx, site); err != nil {
		t.Fatal(err)
	}
	return &fedHarness{
		harness: &harness{t: t, srv: srv, db: db, accounts: accts, site: site, dir: dir, source: src,
			clock:  &clock{now: time.Now()},
			client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}},
		base: base, fed: fed, comments: cs, src: src, announcer: announcer, worker: worker, ahead: ahead,
	}
}

// change rewrites a content file, loads the site again and tells the
// announcer, as serve does after a reload.
func (h *fedHarness) change(name, text string) {
	h.t.Helper()
	writeSiteFiles(h.t, h.dir, siteFiles{name: text})
	site, err := content.Load(context.Background(), h.dir, content.Overrides{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.src.site.Store(site)
	if err := h.announcer.SiteChanged(context.Background(), site); err != nil {
		h.t.Fatal(err)
	}
}

func (h *fedHarness) sendSigned(path string, body []byte, keyID string, key *rsa.PrivateKey, date time.Time) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	req.Header.Set("User-Agent", "FakeMastodon/4.3")
	if err := federation.SignRequest(req, body, key, keyID, date); err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

// getJSON fetches an ActivityPub document as Mastodon does.
func (h *fedHarness) getJSON(rawURL, accept string) (response, map[string]any) {
	h.t.Helper()
	path := strings.TrimPrefix(rawURL, h.base)
	res := h.get(path, "Accept", accept)
	var doc map[string]any
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &doc); err != nil {
			h.t.Fatalf("GET %s: not JSON: %v\n%.300s", path, err, res.body)
		}
	}
	return res, doc
}

// next waits for the fake instance's next verified delivery.
func (f *fakeInstance) next(t *testing.T, what string) map[string]any {
	t.Helper()
	select {
	case act := <-f.delivered:
		return act
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s was delivered", what)
		return nil
	}
}

// followedHarness is a harness whose author kay is followed by alice on a
// fake instance, her Accept taken.
func followedHarness(t *testing.T) (*fedHarness, *fakeInstance) {
	t.Helper()
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	if res := follow(f, h, "alice", "kay", "1"); res.status != http.StatusAccepted {
		t.Fatalf("follow: %d %s", res.status, res.body)
	}
	f.next(t, "Accept")
	return h, f
}

func follow(f *fakeInstance, h *fedHarness, who, whom, id string) response {
	return f.send(h, "/ap/actors/"+whom+"/inbox", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       f.actorID(who) + "#follows/" + id, "type": "Follow",
		"actor": f.actorID(who), "object": h.base + "/ap/actors/" + whom,
	}, who, f.key(who), time.Now())
}

func TestFederationDocumentsAreWhatMastodonExpects(t *testing.T) {
	h := newFedHarness(t, true)

	res := h.get("/.well-known/webfinger?resource=" + url.QueryEscape("acct:KAY@"+strings.TrimPrefix(h.base, "http://")))
	if res.status != http.StatusOK || res.header.Get("Content-Type") != federation.ContentTypeJRD {
		t.Fatalf("webfinger: %d %q\n%s", res.status, res.header.Get("Content-Type"), res.body)
	}
	var jrd struct {
		Subject string
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal([]byte(res.body), &jrd); err != nil {
		t.Fatal(err)
	}
	if jrd.Subject != "acct:kay@"+strings.TrimPrefix(h.base, "http://") {
		t.Errorf("subject %q", jrd.Subject)
	}
	var self string
	for _, l := range jrd.Links {
		if l.Rel == "self" && l.Type == federation.ContentTypeActivity {
			self = l.Href
		}
	}
	if self != h.base+"/ap/actors/kay" {
		t.Fatalf("self link %q", self)
	}
	for _, unknown := range []string{"acct:nobody@" + strings.TrimPrefix(h.base, "http://"), "acct:kay@elsewhere.example", ""} {
		if res := h.get("/.well-known/webfinger?resource=" + url.QueryEscape(unknown)); res.status != http.StatusNotFound {
			t.Errorf("webfinger %q: %d, want 404", unknown, res.status)
		}
	}

	for _, accept := range []string{federation.ContentTypeActivity, federation.ContentTypeLD} {
		res, actor := h.getJSON(self, accept)
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), strings.Split(accept, ";")[0]) {
			t.Fatalf("actor with Accept %s: %d %q", accept, res.status, res.header.Get("Content-Type"))
		}
		ctx, _ := actor["@context"].([]any)
		if len(ctx) < 2 || ctx[0] != "https://www.w3.org/ns/activitystreams" || ctx[1] != "https://w3id.org/security/v1" {
			t.Errorf("@context %v", actor["@context"])
		}
		if actor["id"] != self || actor["type"] != "Person" || actor["preferredUsername"] != "kay" ||
			actor["name"] != "Kay-Kay's Bird Club" || actor["url"] != h.base+"/authors/kay/" {
			t.Errorf("actor %v", actor)
		}
		if !strings.Contains(fmt.Sprint(actor["summary"]), "Running fool") {
			t.Errorf("summary %v, want the bio", actor["summary"])
		}
		key, _ := actor["publicKey"].(map[string]any)
		if key["id"] != self+"#main-key" || key["owner"] != self || !strings.Contains(fmt.Sprint(key["publicKeyPem"]), "BEGIN PUBLIC KEY") {
			t.Errorf("publicKey %v", key)
		}
		if strings.Contains(res.body, "PRIVATE") {
			t.Fatal("the actor document shows a private key")
		}
		// Every address in it dereferences through the handler.
		for _, field := range []string{"inbox", "outbox", "followers"} {
			if _, ok := actor[field].(string); !ok {
				t.Errorf("no %s", field)
			}
		}
		if ep, _ := actor["endpoints"].(map[string]any); ep["sharedInbox"] != h.base+"/inbox" {
			t.Errorf("endpoints %v", actor["endpoints"])
		}
	}
	// The author page answers with the actor to a server asking for it.
	if res, actor := h.getJSON(h.base+"/authors/kay/", federation.ContentTypeActivity); res.status != http.StatusOK || actor["id"] != self {
		t.Errorf("author page with Accept activity+json: %d %v", res.status, actor["id"])
	}
	if res := h.get("/authors/kay/"); !strings.Contains(res.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(res.body, "@kay@"+strings.TrimPrefix(h.base, "http://")) || !strings.Contains(res.body, "0 followers") {
		t.Errorf("the author page should show the handle and followers: %d\n%.2000s", res.status, res.body)
	} else if vary := strings.Join(res.header.Values("Vary"), ", "); !strings.Contains(vary, "Accept,") && !strings.HasSuffix(vary, "Accept") {
		t.Errorf("the author page's Vary %q does not name Accept: a shared cache would give servers the page", vary)
	}
	res, outbox := h.getJSON(self+"/outbox", federation.ContentTypeActivity)
	if res.status != http.StatusOK || outbox["type"] != "OrderedCollection" || outbox["totalItems"] != 1.0 {
		t.Fatalf("outbox %d %v", res.status, outbox)
	}
	_, page := h.getJSON(outbox["first"].(string), federation.ContentTypeActivity)
	items, _ := page["orderedItems"].([]any)
	if page["type"] != "OrderedCollectionPage" || len(items) != 1 {
		t.Fatalf("outbox page %v", page)
	}
	create := items[0].(map[string]any)
	article := create["object"].(map[string]any)
	if create["type"] != "Create" || article["type"] != "Article" || article["attributedTo"] != self ||
		article["url"] != h.base+"/posts/first-run/" || !strings.Contains(fmt.Sprint(article["content"]), "An easy five") {
		t.Errorf("outbox item %v", create)
	}
	if tags := fmt.Sprint(article["tag"]); !strings.Contains(tags, "Hashtag") || !strings.Contains(tags, "#easy") {
		t.Errorf("tags %v", tags)
	}
	if res, a := h.getJSON(article["id"].(string), federation.ContentTypeActivity); res.status != http.StatusOK || a["id"] != article["id"] {
		t.Errorf("the Article's id does not dereference: %d %v", res.status, a)
	}
	if res, f := h.getJSON(self+"/followers", federation.ContentTypeActivity); res.status != http.StatusOK || f["totalItems"] != 0.0 {
		t.Errorf("followers %d %v", res.status, f)
	}
	if res, site := h.getJSON(h.base+"/ap/actors/site", federation.ContentTypeActivity); res.status != http.StatusOK || site["type"] != "Service" {
		t.Errorf("site actor %d %v", res.status, site)
	}
	if res := h.get("/ap/actors/nobody", "Accept", federation.ContentTypeActivity); res.status != http.StatusNotFound {
		t.Errorf("an unknown actor: %d", res.status)
	}
	res = h.get("/.well-known/nodeinfo")
	if res.status != http.StatusOK || !strings.Contains(res.body, h.base+"/nodeinfo/2.1") {
		t.Fatalf("nodeinfo links: %d %s", res.status, res.body)
	}
	res = h.get("/nodeinfo/2.1")
	if res.status != http.StatusOK || !strings.Contains(res.body, `"activitypub"`) || !strings.Contains(res.body, `"localPosts":1`) {
		t.Errorf("nodeinfo: %d %s", res.status, res.body)
	}
}

// TestFollowPublishReplyFromAFakeInstance is the whole story: a follow is
// accepted, a new post is delivered as Create and its edit as Update, each
// signed (the fake instance verifies them); a reply becomes a comment,
// shown only once a moderator approves it.
func TestFollowPublishReplyFromAFakeInstance(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)

	if res := follow(f, h, "alice", "kay", "1"); res.status != http.StatusAccepted {
		t.Fatalf("follow: %d %s", res.status, res.body)
	}
	accept := f.next(t, "Accept")
	inner, _ := accept["object"].(map[string]any)
	if accept["type"] != "Accept" || accept["actor"] != h.base+"/ap/actors/kay" || inner["id"] != f.actorID("alice")+"#follows/1" {
		t.Fatalf("accept %v", accept)
	}
	if res := h.get("/authors/kay/"); !strings.Contains(res.body, "1 follower") {
		t.Errorf("the author page does not count the follower:\n%.3000s", res.body)
	}
	if res, fs := h.getJSON(h.base+"/ap/actors/kay/followers?page=1", federation.ContentTypeActivity); res.status != http.StatusOK ||
		fmt.Sprint(fs["orderedItems"]) != "["+f.actorID("alice")+"]" {
		t.Errorf("followers page %v", fs)
	}

	// bob, on the same server, follows the site's account.
	if res := follow(f, h, "bob", "site", "2"); res.status != http.StatusAccepted {
		t.Fatalf("follow of the site: %d %s", res.status, res.body)
	}
	if accept := f.next(t, "Accept"); accept["actor"] != h.base+"/ap/actors/site" {
		t.Fatalf("accept %v", accept)
	}

	// Someone on another server follows only the site's account.
	g := newFakeInstance(t)
	if res := follow(g, h, "alice", "site", "3"); res.status != http.StatusAccepted {
		t.Fatalf("follow from the other server: %d", res.status)
	}
	g.next(t, "Accept")

	// A new post: Create of an Article, once to the server's shared inbox
	// for both followers.
	h.change("posts/long-run.md", post("title: Long run\ndate: 2026-11-20\nauthor: kay\ntags: [long, race day]",
		"Twenty miles along the river, with a [map](/posts/first-run/)."))
	create := f.next(t, "Create")
	article, _ := create["object"].(map[string]any)
	if create["type"] != "Create" || create["actor"] != h.base+"/ap/actors/kay" || article["type"] != "Article" ||
		article["name"] != "Long run" || !strings.Contains(fmt.Sprint(article["content"]), "Twenty miles") ||
		!strings.Contains(fmt.Sprint(article["content"]), `href="`+h.base+`/posts/first-run/"`) {
		t.Fatalf("create %v", create)
	}
	select {
	case extra := <-f.delivered:
		t.Fatalf("a second delivery of the new post to the same server: %v", extra["type"])
	case <-time.After(300 * time.Millisecond):
	}
	// The other server is sent the site's Announce of it.
	if boost := g.next(t, "Announce"); boost["type"] != "Announce" || boost["actor"] != h.base+"/ap/actors/site" ||
		boost["object"] != article["id"] {
		t.Errorf("announce %v", boost)
	}
	// The outbox lists it under the same id.
	_, page := h.getJSON(h.base+"/ap/actors/kay/outbox?page=1", federation.ContentTypeActivity)
	if items, _ := page["orderedItems"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != create["id"] {
		t.Errorf("the outbox's newest item is not the Create delivered (%v): %v", create["id"], page["orderedItems"])
	}
	// The edit: Update, with a new id.
	h.change("posts/long-run.md", post("title: Long run\ndate: 2026-11-20\nauthor: kay",
		"Twenty-one miles along the river, in the end."))
	update := f.next(t, "Update")
	if update["type"] != "Update" || update["id"] == create["id"] ||
		!strings.Contains(fmt.Sprint(update["object"].(map[string]any)["content"]), "Twenty-one miles") {
		t.Fatalf("update %v", update)
	}

	if u := g.next(t, "Update"); u["id"] != update["id"] {
		t.Errorf("the other server's update %v", u["id"])
	}

	// A reply: held (alice has never commented), then approved.
	note := map[string]any{
		"id": f.actorID("alice") + "/statuses/9", "type": "Note", "attributedTo": f.actorID("alice"),
		"inReplyTo": article["id"],
		"content":   `<p><span class="h-card"><a href="` + h.base + `/authors/kay/" class="u-url mention">@<span>kay</span></a></span> Lovely run! See <a href="https://example.org/route">the route</a></p>`,
		// Addressed to followers, a single value for cc, a single Mention.
		"to":  f.actorID("alice") + "/followers",
		"cc":  h.base + "/ap/actors/kay",
		"tag": map[string]any{"type": "Mention", "href": h.base + "/ap/actors/kay"},
	}
	res := f.send(h, "/inbox", map[string]any{"id": f.actorID("alice") + "/statuses/9/activity", "type": "Create",
		"actor": f.actorID("alice"), "object": note}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("reply: %d %s", res.status, res.body)
	}
	if page := h.get("/posts/long-run/"); strings.Contains(page.body, "Lovely run") {
		t.Fatal("a held reply is on the page")
	}
	held, _, err := h.comments.Held(context.Background(), 1, 10)
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %v %v", held, err)
	}
	c := held[0]
	if c.Post != "long-run" || c.Name != "Alice Runner" || c.Website != f.srv.URL+"/@alice" ||
		c.Source != "activitypub:"+f.actorID("alice")+"/statuses/9" || !strings.Contains(c.Body, "https://example.org/route") {
		t.Errorf("the comment: %+v", c)
	}
	// Moderators see where it came from.
	h.addUser("mo", accounts.RoleModerator)
	mo := h.browser()
	mo.signIn("mo")
	if queue := mo.get("/admin/"); !strings.Contains(queue.body, "From: activitypub:"+f.actorID("alice")+"/statuses/9") {
		t.Errorf("the held queue does not say where the reply came from:\n%.3000s", queue.body)
	}
	if _, err := h.comments.Approve(context.Background(), "mod", c.ID); err != nil {
		t.Fatal(err)
	}
	if page := h.get("/posts/long-run/"); !strings.Contains(page.body, "Lovely run") || !strings.Contains(page.body, "Alice Runner") {
		t.Fatalf("the approved reply is not on the page:\n%.3000s", page.body)
	}
	// A reply to the reply, now that alice is known: published at once,
	// under it.
	res = f.send(h, "/inbox", map[string]any{"id": f.actorID("alice") + "/statuses/10/activity", "type": "Create",
		"actor": f.actorID("alice"), "object": map[string]any{"id": f.actorID("alice") + "/statuses/10", "type": "Note",
			"attributedTo": f.actorID("alice"), "inReplyTo": note["id"], "content": "<p>And the splits: even.</p>",
			"to": []any{"https://www.w3.org/ns/activitystreams#Public"}}}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("second reply: %d %s", res.status, res.body)
	}
	recent, _, _ := h.comments.Recent(context.Background(), 1, 10)
	if len(recent) != 2 || recent[0].Parent != c.ID || recent[0].Status != comments.StatusApproved {
		t.Fatalf("the reply to the reply: %+v", recent)
	}
	// Its writer edits the second: the comment changes.
	res = f.send(h, "/inbox", map[string]any{"id": f.actorID("alice") + "/statuses/10#updates/1", "type": "Update",
		"actor": f.actorID("alice"), "object": map[string]any{"id": f.actorID("alice") + "/statuses/10", "type": "Note",
			"attributedTo": f.actorID("alice"), "inReplyTo": note["id"], "content": "<p>And the splits: negative!</p>",
			"to": []any{"https://www.w3.org/ns/activitystreams#Public"}}}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("update: %d %s", res.status, res.body)
	}
	if edited, err := h.comments.Get(context.Background(), recent[0].ID); err != nil || edited.Body != "And the splits: negative!" {
		t.Errorf("the edited note's comment: %q, %v", edited.Body, err)
	}
	// Someone else cannot edit it: bob's Update of alice's note is refused.
	res = f.send(h, "/inbox", map[string]any{"id": f.actorID("bob") + "/forged-update", "type": "Update",
		"actor": f.actorID("bob"), "object": map[string]any{"id": f.actorID("alice") + "/statuses/10", "type": "Note",
			"attributedTo": f.actorID("bob"), "content": "<p>pwned</p>"}}, "bob", f.key("bob"), time.Now())
	if res.status != http.StatusForbidden {
		t.Errorf("another actor's update: %d, want 403", res.status)
	}
	// Its writer deletes the first note: the comment goes.
	res = f.send(h, "/inbox", map[string]any{"id": f.actorID("alice") + "/statuses/9#delete", "type": "Delete",
		"actor": f.actorID("alice"), "object": map[string]any{"id": note["id"], "type": "Tombstone"}}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if _, err := h.comments.Get(context.Background(), c.ID); err == nil {
		t.Error("the deleted note's comment is still there")
	}

	// A like and a boost are counted on the post.
	for i, typ := range []string{"Like", "Announce"} {
		res := f.send(h, "/inbox", map[string]any{"id": fmt.Sprintf("%s/reactions/%d", f.actorID("alice"), i), "type": typ,
			"actor": f.actorID("alice"), "object": article["id"]}, "alice", f.key("alice"), time.Now())
		if res.status != http.StatusAccepted {
			t.Fatalf("%s: %d", typ, res.status)
		}
	}
	if page := h.get("/posts/long-run/"); !strings.Contains(page.body, "1 like") || !strings.Contains(page.body, "1 boost") {
		t.Errorf("the post page does not show the like and the boost")
	}

	// Undo Follow: forgotten, and the next post goes nowhere.
	res = f.send(h, "/ap/actors/kay/inbox", map[string]any{"id": f.actorID("alice") + "#undo/1", "type": "Undo",
		"actor": f.actorID("alice"), "object": map[string]any{"id": f.actorID("alice") + "#follows/1", "type": "Follow",
			"actor": f.actorID("alice"), "object": h.base + "/ap/actors/kay"}}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("undo: %d", res.status)
	}
	if n, _ := h.fed.FollowersCount(context.Background(), "kay"); n != 0 {
		t.Errorf("%d followers after the undo", n)
	}

	// Taken down (a draft again): a Delete by its author, to the
	// servers of the site's followers.
	h.change("posts/long-run.md", post("title: Long run\ndate: 2026-11-20\nauthor: kay\ndraft: true", "Gone for now."))
	for _, inst := range []*fakeInstance{f, g} {
		del := inst.next(t, "Delete")
		obj, _ := del["object"].(map[string]any)
		if del["type"] != "Delete" || del["actor"] != h.base+"/ap/actors/kay" || obj["id"] != article["id"] {
			t.Errorf("delete %v", del)
		}
	}
}

// TestInboxRefusals: what must not get in.
func TestInboxRefusals(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	activity := func(id string) map[string]any {
		return map[string]any{"id": f.actorID("alice") + "#follows/" + id, "type": "Follow",
			"actor": f.actorID("alice"), "object": h.base + "/ap/actors/kay"}
	}
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if res := f.send(h, "/inbox", activity("forged"), "alice", forger, time.Now()); res.status != http.StatusUnauthorized {
		t.Errorf("a forged signature: %d, want 401", res.status)
	}
	if res := f.send(h, "/inbox", activity("old"), "alice", f.key("alice"), time.Now().Add(-time.Hour)); res.status != http.StatusUnauthorized {
		t.Errorf("a Date an hour old: %d, want 401", res.status)
	}
	// Signed by alice, claiming to be bob.
	bobs := activity("mismatch")
	bobs["actor"] = f.actorID("bob")
	if res := f.send(h, "/inbox", bobs, "alice", f.key("alice"), time.Now()); res.status != http.StatusForbidden {
		t.Errorf("an actor/key mismatch: %d, want 403", res.status)
	}
	// The same request twice: the second is a replay.
	body, _ := json.Marshal(activity("once"))
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	if err := federation.SignRequest(req, body, f.key("alice"), f.keyID("alice"), time.Now()); err != nil {
		t.Fatal(err)
	}
	first := h.do(req)
	again := req.Clone(context.Background())
	again.Body = io.NopCloser(bytes.NewReader(body))
	second := h.do(again)
	if first.status != http.StatusAccepted || second.status != http.StatusConflict {
		t.Errorf("a replayed request: %d then %d, want 202 then 409", first.status, second.status)
	}
	// A body changed under its signature: the digest does not match.
	tampered := req.Clone(context.Background())
	tampered.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("once"), []byte("twic"), 1)))
	if res := h.do(tampered); res.status != http.StatusUnauthorized {
		t.Errorf("a tampered body: %d, want 401", res.status)
	}
	// hs2019, as newer servers name the algorithm: verified by the key's.
	hs := activity("hs2019")
	hsBody, _ := json.Marshal(hs)
	hsReq, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
	hsReq.Header.Set("Content-Type", federation.ContentTypeActivity)
	if err := federation.SignRequest(hsReq, hsBody, f.key("alice"), f.keyID("alice"), time.Now()); err != nil {
		t.Fatal(err)
	}
	hsReq.Header.Set("Signature", strings.Replace(hsReq.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hs2019"`, 1))
	if res := h.do(hsReq); res.status != http.StatusAccepted {
		t.Errorf("an hs2019 signature: %d, want 202", res.status)
	}
	// The key rotated: the cached one fails, the key is fetched again
	// (once it is a minute old), and the new one verifies.
	fetches := f.fetches.Load()
	f.rotate(t, "alice")
	if res := f.send(h, "/inbox", activity("rotated-early"), "alice", f.key("alice"), time.Now()); res.status != http.StatusUnauthorized {
		t.Errorf("a new key within a minute of the last fetch: %d, want 401", res.status)
	}
	h.ahead.Store(int64(2 * time.Minute))
	if res := f.send(h, "/inbox", activity("rotated"), "alice", f.key("alice"), time.Now().Add(2*time.Minute)); res.status != http.StatusAccepted {
		t.Errorf("a rotated key: %d, want 202", res.status)
	}
	if f.fetches.Load() != fetches+1 {
		t.Errorf("the key was fetched %d times, want once", f.fetches.Load()-fetches)
	}
	// Unsigned.
	if res := h.postBody("/inbox", federation.ContentTypeActivity, string(body)); res.status != http.StatusUnauthorized {
		t.Errorf("an unsigned activity: %d, want 401", res.status)
	}
	// Too large.
	big := activity("big")
	big["padding"] = strings.Repeat("x", federation.MaxInboxBytes)
	if res := f.send(h, "/inbox", big, "alice", f.key("alice"), time.Now()); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized body: %d, want 413", res.status)
	}
	// An inbox of no actor.
	if res := f.send(h, "/ap/actors/nobody/inbox", activity("nobody"), "alice", f.key("alice"), time.Now()); res.status != http.StatusNotFound {
		t.Errorf("the inbox of no actor: %d, want 404", res.status)
	}

	// An admin blocks the instance: its activities are refused.
	h.addUser("root", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("root")
	res := admin.postForm("/admin/fediverse/block", url.Values{"value": {hostOf(f.srv.URL)}, "reason": {"spam"}, "back": {"/admin/fediverse/"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("blocking: %d %.500s", res.status, res.body)
	}
	if page := admin.get("/admin/fediverse/"); !strings.Contains(page.body, hostOf(f.srv.URL)) || !strings.Contains(page.body, "spam") {
		t.Errorf("the block is not listed:\n%.2000s", page.body)
	}
	if res := f.send(h, "/inbox", activity("blocked"), "alice", f.key("alice"), time.Now()); res.status != http.StatusForbidden {
		t.Errorf("a blocked instance: %d, want 403", res.status)
	}
	if n, _ := h.fed.FollowersCount(context.Background(), "kay"); n != 0 {
		t.Errorf("the blocked instance's follower was kept: %d", n)
	}
	res = admin.postForm("/admin/fediverse/unblock", url.Values{"value": {hostOf(f.srv.URL)}, "back": {"/admin/fediverse/"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("unblocking: %d", res.status)
	}
	if res := f.send(h, "/inbox", activity("unblocked"), "alice", f.key("alice"), time.Now()); res.status != http.StatusAccepted {
		t.Errorf("after the block is lifted: %d, want 202", res.status)
	}
	// Moderators may not block: the page is for admins.
	h.addUser("mo", accounts.RoleModerator)
	mo := h.browser()
	mo.signIn("mo")
	if res := mo.postForm("/admin/fediverse/block", url.Values{"value": {"spam.example"}}); res.status != http.StatusForbidden {
		t.Errorf("a moderator blocking: %d, want 403", res.status)
	}
}

func hostOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Hostname()
}

// TestFetchesRefusePrivateAddresses: without the tests' loopback
// allowance, a key on a loopback, private or link-local address is never
// fetched — the connection is not even opened.
func TestFetchesRefusePrivateAddresses(t *testing.T) {
	h := newFedHarness(t, false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, actor := range []string{
		"https://127.0.0.1:" + port + "/users/eve",
		"https://localhost:" + port + "/users/eve", // a name that resolves to loopback
		"https://[::1]:" + port + "/users/eve",
		"https://10.1.2.3/users/eve",
		"https://169.254.169.254/users/eve",
		"http://127.0.0.1:" + port + "/users/eve",
	} {
		body, _ := json.Marshal(map[string]any{"id": actor + "#follows/1", "type": "Follow", "actor": actor,
			"object": h.base + "/ap/actors/kay"})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res := h.sendSigned("/inbox", body, actor+"#main-key", key, time.Now())
		cancel()
		_ = ctx
		if res.status != http.StatusUnauthorized {
			t.Errorf("a key at %s: %d, want 401", actor, res.status)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections were opened to loopback", n)
	}
}

// TestDeliveryGivesUpOnARefusingInbox: a 4xx (not 429) is permanent.
func TestDeliveryGivesUpOnARefusingInbox(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	f.refuse.Store(true)
	if res := follow(f, h, "alice", "kay", "1"); res.status != http.StatusAccepted {
		t.Fatalf("follow: %d", res.status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := h.db.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Dead[federation.Kind] == 1 && st.Pending[federation.Kind] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refused Accept was not given up: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.addUser("root", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("root")
	if page := admin.get("/admin/fediverse/"); !strings.Contains(page.body, "waiting: 0. Given up on after every retry: 1 — those servers did not get them") {
		t.Errorf("the admin's page does not count the delivery given up on:\n%.3000s", page.body)
	}
}

// A server that was down while a post was published and then made a
// draft again is not told of the post at all once it is back: the Create
// waiting for it would otherwise come after, or before, the Delete, and
// a Delete before its Create leaves the post shown there for good.
func TestAServerBackFromDownIsNotToldOfAPostNoLongerPublic(t *testing.T) {
	h, f := followedHarness(t)
	f.down.Store(true)
	const draft = "title: Long run\ndate: 2026-11-20\nauthor: kay"
	h.change("posts/long-run.md", post(draft, "Twenty miles along the river."))
	deadline := time.Now().Add(10 * time.Second)
	for f.downTries.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the Create was never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.change("posts/long-run.md", post(draft+"\ndraft: true", "Twenty miles along the river."))
	f.down.Store(false)
	if del := f.next(t, "Delete"); del["type"] != "Delete" {
		t.Fatalf("the first delivery after the server came back is a %v, want the Delete", del["type"])
	}
	select {
	case extra := <-f.delivered:
		t.Fatalf("a %v of a post made a draft again was delivered", extra["type"])
	case <-time.After(500 * time.Millisecond):
	}
	if st, err := h.db.Stats(context.Background()); err != nil || st.Pending[federation.Kind] != 0 || st.Dead[federation.Kind] != 0 {
		t.Errorf("the outbox after the server came back: %+v %v, want nothing waiting or given up", st, err)
	}
}

// A post made a draft and then public again, unchanged, is delivered
// again (its Create was sent once and is never sent twice; its new round
// tells the new one apart), and so is its second Delete.
func TestAPostMadePublicAgainIsDeliveredAgain(t *testing.T) {
	h, f := followedHarness(t)
	const front = "title: Long run\ndate: 2026-11-20\nauthor: kay"
	for round := 1; round <= 2; round++ {
		h.change("posts/long-run.md", post(front, "Twenty miles along the river."))
		if act := f.next(t, "Create"); act["type"] != "Create" {
			t.Fatalf("round %d: published, a %v was delivered, want a Create", round, act["type"])
		}
		h.change("posts/long-run.md", post(front+"\ndraft: true", "Twenty miles along the river."))
		if act := f.next(t, "Delete"); act["type"] != "Delete" {
			t.Fatalf("round %d: made a draft, a %v was delivered, want a Delete", round, act["type"])
		}
	}
}
