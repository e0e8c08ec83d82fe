package web

import (
	"container/heap"
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"milepost/internal/clientaddr"
)

// Guards are the spam defences of the comment form. The zero value turns
// each off; DefaultGuards is what `milepost serve` uses.
type Guards struct {
	// Honeypot adds a field people never see; a form that fills it is a bot's.
	Honeypot bool
	// MinFormAge refuses a form submitted sooner than this after the page was
	// served (people take longer to write a comment); 0 turns it off. The
	// page's time stamp is shared by every reader within a FormTokenStep
	// and names its end, so a form may have to wait up to a step longer.
	MinFormAge time.Duration
	// MaxFormAge refuses a form older than this, so a harvested form cannot
	// be replayed for ever; 0 turns it off.
	MaxFormAge time.Duration
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Without any, the header is ignored.
	TrustedProxies []netip.Prefix
}

// DefaultGuards are the guards a new site gets.
var DefaultGuards = Guards{Honeypot: true, MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}

// ParseTrustedProxy reads a trusted proxy given as an address
// ("10.0.0.1") or a CIDR range ("10.0.0.0/8").
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR range", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// honeypotField is the name of the hidden field. It looks like one a form
// filler would happily complete.
const honeypotField = "homepage"

// signer makes and checks HMAC signatures with the site's secret key, which
// the database generates on first run and keeps.
type signer struct{ key []byte }

func (s signer) sign(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s signer) valid(sig string, parts ...string) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(parts...)))
}

// A comment form carries a signed time stamp, checked against the spam
// guards' minimum and maximum ages, and used once. There are two kinds.
//
// The shared token, on every page fetched with GET, is the same for every
// reader of a post within a FormTokenStep: it names the end of that step,
// not the instant the page was served, so the page's bytes are the same for
// everyone and a cache shared by many readers (a proxy, a CDN, the ETag's
// 304) can keep it. Counting the age from the end of the step only makes a
// form older later, so the minimum age stays exact; a reader waits at most a
// step longer than the minimum before their comment is accepted. A shared
// token is used once per address group (clientaddr.Key), not once in all:
// two readers sharing a page each post from it, and a bot replaying one form
// from one address is refused as before.
//
// The own token, with a random nonce, is made for a form shown back after a
// refusal (the answer to a POST, which no cache keeps): it is used once in
// all, as every token was before pages were shared.

// FormTokenStep is how long all readers of a post are given the same form
// token: how often a post page's bytes change when nothing else does, and
// the most a reader may wait beyond MinFormAge before their form is old
// enough. A second keeps that wait unnoticeable; shared caches keep a page
// far longer than that whatever its token says.
const FormTokenStep = time.Second

// sharedFormToken is the form token of a post page served at now to any
// reader: the end of the step now is in, and no nonce.
func (s signer) sharedFormToken(slug string, now time.Time) string {
	return s.sharedFormTokenOf(slug, formStepEnd(now))
}

// formStepEnd is the end of the FormTokenStep now is in, in Unix
// milliseconds: what a shared form token names, the same for all of the step.
func formStepEnd(now time.Time) int64 {
	end := now.Truncate(FormTokenStep)
	if end.Before(now) {
		end = end.Add(FormTokenStep)
	}
	return end.UnixMilli()
}

// sharedFormTokenOf is the shared form token of a post naming the step
// ending at end (formStepEnd).
func (s signer) sharedFormTokenOf(slug string, end int64) string {
	ts := strconv.FormatInt(end, 10)
	return ts + ".." + s.sign("form", slug, ts, "")
}

// formToken is a form token of the reader's own: when the form was served
// (in milliseconds: whole seconds would let a form through up to a second
// early), for which post, and a random nonce, so that two readers served
// the same post in the same millisecond do not share one.
func (s signer) formToken(slug string, at time.Time) string {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	nonce := base64.RawURLEncoding.EncodeToString(b)
	return ts + "." + nonce + "." + s.sign("form", slug, ts, nonce)
}

// formClaim is what marks a form token as used: an own token by itself, a
// shared one with the address group of the reader sending it.
func formClaim(token, ip string) string {
	if strings.Contains(token, "..") {
		return token + " " + clientaddr.Key(ip)
	}
	return token
}

// formServed checks a form token and says when its form was served.
func (s signer) formServed(token, slug string) (time.Time, bool) {
	ts, rest, _ := strings.Cut(token, ".")
	nonce, sig, ok := strings.Cut(rest, ".")
	if !ok || !s.valid(sig, "form", slug, ts, nonce) {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// commenterCookie names the cookie that carries a reader's signed commenter
// id: it lets a reader see their own held comments, edit their comments for a
// while, and be recognised by first-time moderation.
const commenterCookie = "milepost_commenter"

// commenterID returns the reader's commenter id, or "" without a valid cookie.
func (s *Server) commenterID(r *http.Request) string {
	c, err := r.Cookie(commenterCookie)
	if err != nil {
		return ""
	}
	id, sig, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" || !s.signer.valid(sig, "commenter", id) {
		return ""
	}
	return id
}

// ensureCommenterID returns the reader's commenter id, giving them one (and
// its cookie) if they have none.
func (s *Server) ensureCommenterID(w http.ResponseWriter, r *http.Request) string {
	if id := s.commenterID(r); id != "" {
		return id
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: commenterCookie, Value: id + "." + s.signer.sign("commenter", id),
		Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
	return id
}

// clientIP is the address the request came from: the peer, or — when the
// peer is a trusted proxy — the last address in X-Forwarded-For that is not
// one of the trusted proxies.
func (s *Server) clientIP(r *http.Request) string {
	peer := peerIP(r)
	if len(s.opts.Guards.TrustedProxies) == 0 || !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		addr, err := netip.ParseAddr(hop)
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		if !s.trusted(addr.Unmap().String()) {
			return addr.Unmap().String()
		}
	}
	return peer
}

func (s *Server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range s.opts.Guards.TrustedProxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// peerIP is the address of the connection's other end.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Rate-limited actions: each has its own allowance per address group, so a
// reader who fixes a typo in their comment has not used up a comment.
const (
	limitComment = "comment" // posting a comment
	limitChange  = "change"  // a reader editing or deleting their own comment
	limitStaff   = "staff"   // a signed-in moderator's or admin's change
	limitLogin   = "login"   // a sign-in, right or wrong
	limitLogout  = "logout"  // signing out
	limitLink    = "link"    // a one-time link used to set a password
)

// maxLimiterBuckets bounds the rate limiter's table: at about 200 bytes a
// bucket, some 2 MB. A club blog sees far fewer address groups in a minute.
const maxLimiterBuckets = 10_000

// ipLimiter is a token bucket per action and client address group
// (clientaddr.Key: an IPv4 address, an IPv6 /64, so one machine cannot
// rotate through its 2^64 addresses).
//
// Its memory is bounded without ever meaning "no limit": a bucket idle long
// enough to have refilled is as good as none and is forgotten; when the
// table still holds maxBuckets active buckets, newcomers share one overflow
// bucket. A flood from more address groups than that slows every newcomer
// down (they wait, with Retry-After) rather than switching the limit off;
// readers who already have a bucket keep their own allowance.
type ipLimiter struct {
	mu         sync.Mutex
	limit      rate.Limit
	burst      int
	refill     time.Duration // how long an empty bucket takes to fill up
	maxBuckets int
	buckets    map[string]*list.Element // of *bucket, in lru
	lru        *list.List               // least recently used first
	overflow   *rate.Limiter
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// newIPLimiter allows n actions per period per address group, n at once.
func newIPLimiter(n int, per time.Duration) *ipLimiter {
	return newBoundedLimiter(n, per, maxLimiterBuckets)
}

func newBoundedLimiter(n int, per time.Duration, maxBuckets int) *ipLimiter {
	limit := rate.Limit(float64(n) / per.Seconds())
	return &ipLimiter{
		limit: limit, burst: n, refill: per, maxBuckets: maxBuckets,
		buckets:  map[string]*list.Element{},
		lru:      list.New(),
		overflow: rate.NewLimiter(limit, n),
	}
}

// allow takes a token for the action from ip's address group; when there is
// none it says how long to wait.
func (l *ipLimiter) allow(action, ip string, now time.Time) (bool, time.Duration) {
	key := action + " " + clientaddr.Key(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	for e := l.lru.Front(); e != nil; e = l.lru.Front() {
		b := e.Value.(*bucket)
		if now.Sub(b.seen) < l.refill {
			break
		}
		l.lru.Remove(e)
		delete(l.buckets, b.key)
	}
	var lim *rate.Limiter
	switch e, ok := l.buckets[key]; {
	case ok:
		b := e.Value.(*bucket)
		b.seen = now
		l.lru.MoveToBack(e)
		lim = b.lim
	case len(l.buckets) < l.maxBuckets:
		b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), seen: now}
		l.buckets[key] = l.lru.PushBack(b)
		lim = b.lim
	default:
		lim = l.overflow
	}
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter is a wait in whole seconds, rounded up, for Retry-After.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// maxUsedForms bounds the set of form tokens that have posted a comment: at
// about 150 bytes each, some 3 MB.
const maxUsedForms = 20_000

// usedForms makes a comment form's signed token single-use: a token that
// has posted a comment is refused the second time (a replayed form, or one
// sent twice).
//
// Tokens expire by themselves (-max-form-age), so a used token need only be
// remembered until then. The set is still bounded, for a site without a
// maximum form age or under a flood: when it is full, the form served
// longest ago is forgotten and every form served no later than it counts as
// used from then on (the floor). That trade-off keeps replays impossible at
// the cost of refusing, as too old, a genuine form that a reader kept open
// through maxUsedForms other people's comments; they are shown their text
// and a fresh form, and send it again.
type usedForms struct {
	mu     sync.Mutex
	max    int
	tokens map[string]*usedForm
	oldest formHeap // by when the form was served
	floor  time.Time
}

type usedForm struct {
	token  string
	served time.Time
	index  int // in the heap
}

func newUsedForms(max int) *usedForms {
	return &usedForms{max: max, tokens: map[string]*usedForm{}}
}

// claimResult is what claim found.
type claimResult int

const (
	formFresh  claimResult = iota // not used before: it is now
	formUsed                      // it has posted a comment already
	formTooOld                    // served before the floor: treated as used
)

// claim marks the token of a form served at served as used. Forms served
// before expiredBefore are forgotten (they are refused as stale anyway);
// pass the zero time when forms never expire.
func (u *usedForms) claim(token string, served, expiredBefore time.Time) claimResult {
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.oldest) > 0 && u.oldest[0].served.Before(expiredBefore) {
		delete(u.tokens, heap.Pop(&u.oldest).(*usedForm).token)
	}
	if _, ok := u.tokens[token]; ok {
		return formUsed
	}
	if !served.After(u.floor) {
		return formTooOld
	}
	for len(u.tokens) >= u.max {
		f := heap.Pop(&u.oldest).(*usedForm)
		delete(u.tokens, f.token)
		if f.served.After(u.floor) {
			u.floor = f.served
		}
	}
	if !served.After(u.floor) {
		// Older than every form remembered: no room for it.
		return formTooOld
	}
	f := &usedForm{token: token, served: served}
	u.tokens[token] = f
	heap.Push(&u.oldest, f)
	return formFresh
}

// spent reports whether a form token would be refused as used.
func (u *usedForms) spent(token string, served time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, used := u.tokens[token]
	return used || !served.After(u.floor)
}

// release forgets a claimed token whose comment was not posted after all (a
// mistake to fix, a store failure), so the reader can send the form again.
func (u *usedForms) release(token string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if f, ok := u.tokens[token]; ok {
		heap.Remove(&u.oldest, f.index)
		delete(u.tokens, token)
	}
}

// formHeap is a min-heap of used forms by when they were served.
type formHeap []*usedForm

func (h formHeap) Len() int           { return len(h) }
func (h formHeap) Less(i, j int) bool { return h[i].served.Before(h[j].served) }
func (h formHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *formHeap) Push(x any) {
	f := x.(*usedForm)
	f.index = len(*h)
	*h = append(*h, f)
}
func (h *formHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return f
}
