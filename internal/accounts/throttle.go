package accounts

import (
	"container/list"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"milepost/internal/clientaddr"
)

// ErrThrottled is matched (with errors.Is) by every *ThrottledError.
var ErrThrottled = errors.New("too many failed logins")

// ThrottledError is Login's answer when it refuses to check a password:
// too many logins failed lately from the same address group, against the
// same account or across the whole site, or (Busy) every password check
// slot stayed taken for as long as a login may wait for one.
type ThrottledError struct {
	// RetryAfter is how long until the next try may be made, rounded up to
	// a whole second: what a Retry-After header should say.
	RetryAfter time.Duration
	// Busy says the server was busy checking other passwords, rather than
	// that too many failed.
	Busy bool
}

func (e *ThrottledError) Error() string {
	if e.Busy {
		return fmt.Sprintf("too many logins are being checked at once; try again in %v", e.RetryAfter)
	}
	return fmt.Sprintf("too many failed logins; try again in %v", e.RetryAfter)
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// maxTracked bounds each of the guard's tables (address groups, accounts,
// known sign-ins). A full table forgets the entry that failed longest ago to
// make room, so a new key is always counted: a full table never means "no
// limit". The global budget is far smaller than the table, so within one
// window the addresses that failed never outnumber it, and what is evicted
// has no failure left in the window anyway.
const maxTracked = 10000

// maxAddressKey bounds the length of an address that does not parse, which
// is kept as given.
const maxAddressKey = 64

// knownFor is how long a sign-in from an address group (or a password set
// from it with a one-time link) vouches for it, for that account, when the
// account or the whole site is over its limit.
const knownFor = 30 * 24 * time.Hour

// guardLimits are the failures allowed within one window.
type guardLimits struct {
	perAddress int // from one address group (clientaddr.Key)
	perAccount int // against one account name, existing or not
	perSite    int // across the whole site
	window     time.Duration
	// strangersPerMinute is how many checks a minute, for the whole site,
	// address groups with no failure in the window get once perSite is
	// spent (as many at once at most).
	strangersPerMinute int
}

// guard decides which logins get their password checked. Its rules:
//
//   - An address group with perAddress failures in the window gets no check.
//   - Past the site's budget (perSite), an address group that signed in to
//     that account lately, or set its password with a one-time link (known),
//     still gets a check. So does a stranger (an address group with no
//     failure in the window), but only strangersPerMinute of them a minute
//     across the site: a flood from many addresses can neither lock out a
//     user on a new network (they wait seconds, not the window) nor take
//     more than a small, fixed share of the CPU.
//   - An account with perAccount failures in the window still gets a check
//     from an address group that has no failure in the window, or is known
//     for it. So a stranger cannot lock a moderator out: the right password
//     from an address that has not been failing still signs in, and every
//     guess spends one of the guesser's address groups and the site's budget.
//
// A try reserves a failure before the password is checked, and a success
// gives it back, so concurrent guesses cannot all slip in under the limit
// while the first few are still being checked.
type guard struct {
	guardLimits

	mu        sync.Mutex
	addresses *failureTable
	accounts  *failureTable
	known     *failureTable // address group + account → the last sign-in
	siteFails []time.Time   // every failure in the window, oldest first
	// strangers paces the checks strangers get past the site's budget.
	strangers *rate.Limiter
}

func newGuard(l guardLimits) *guard {
	n := max(l.strangersPerMinute, 1)
	return &guard{
		guardLimits: l,
		addresses:   newFailureTable(0, l.window),
		accounts:    newFailureTable(0, l.window),
		known:       newFailureTable(1, knownFor),
		strangers:   rate.NewLimiter(rate.Limit(float64(n)/60), n),
	}
}

// begin reserves a failure for address, account (none when account is "")
// and the site's budget, unless the rules refuse a check: then it reserves
// nothing and says how long to wait.
func (g *guard) begin(address, account string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expire(now)
	addrFails := g.addresses.recent(address, now)
	if len(addrFails) >= g.perAddress {
		return g.until(addrFails[0], now)
	}
	known := account != "" && len(g.known.recent(knownKey(address, account), now)) > 0
	if !known {
		if len(g.siteFails) >= g.perSite {
			if len(addrFails) > 0 {
				// Not a stranger: it waits for the site to fall under its
				// budget or for its own failures to leave the window.
				return min(g.until(g.siteFails[0], now), g.until(addrFails[len(addrFails)-1], now))
			}
			res := g.strangers.ReserveN(now, 1)
			if d := res.DelayFrom(now); d > 0 {
				res.CancelAt(now)
				return wholeSeconds(d)
			}
		}
		if account != "" {
			acctFails := g.accounts.recent(account, now)
			if len(acctFails) >= g.perAccount && len(addrFails) > 0 {
				// Either the account falls under its limit or this address
				// group's failures all leave the window, whichever is first.
				return min(g.until(acctFails[0], now), g.until(addrFails[len(addrFails)-1], now))
			}
		}
	}
	g.addresses.add(address, now)
	if account != "" {
		g.accounts.add(account, now)
	}
	g.siteFails = append(g.siteFails, now)
	return 0
}

// succeeded gives back what begin reserved at the same at, and remembers
// that address signed in to account. Other failures stay: signing in to
// one's own account must not wipe out guesses against another, nor the
// right password from one place guesses from elsewhere.
func (g *guard) succeeded(address, account string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.giveBack(address, account, at)
	g.known.add(knownKey(address, account), at)
}

// vouch remembers that address proved it may use account without signing
// in: it set the account's password with a one-time link from there.
func (g *guard) vouch(address, account string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.known.add(knownKey(address, account), at)
}

// cancelled gives back everything begin reserved at the same at, for a
// login whose password was never checked.
func (g *guard) cancelled(address, account string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.giveBack(address, account, at)
}

func (g *guard) giveBack(address, account string, at time.Time) {
	g.addresses.remove(address, at)
	if account != "" {
		g.accounts.remove(account, at)
	}
	if i := slices.IndexFunc(g.siteFails, at.Equal); i >= 0 {
		g.siteFails = slices.Delete(g.siteFails, i, i+1)
	}
}

// until says how long until a failure at t leaves the window: whole
// seconds, as Retry-After counts them; never zero, and never more than the
// window even if the clock went back.
func (g *guard) until(t, now time.Time) time.Duration {
	d := t.Add(g.window).Sub(now)
	return wholeSeconds(min(max(d, time.Nanosecond), g.window))
}

// wholeSeconds rounds d up to a whole second, as Retry-After counts.
func wholeSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}

// expire drops what has left the window.
func (g *guard) expire(now time.Time) {
	i := 0
	for i < len(g.siteFails) && now.Sub(g.siteFails[i]) >= g.window {
		i++
	}
	g.siteFails = g.siteFails[i:]
	g.addresses.expire(now)
	g.accounts.expire(now)
	g.known.expire(now)
}

func knownKey(address, account string) string { return address + "\n" + account }

// addressKey is the key failures from ip are counted under: its group, as
// clientaddr says (an IPv6 /64 counts as one address).
func addressKey(ip string) string {
	k := clientaddr.Key(ip)
	if len(k) > maxAddressKey {
		k = k[:maxAddressKey]
	}
	return k
}

// failureTable keeps, per key, the times of its failures within a window,
// and at most maxTracked keys: when full, the key whose last failure is
// oldest is forgotten. Every failure is also one of the site's, so the times
// kept add up to the site's budget at most.
type failureTable struct {
	keep   int // times kept per key; 0 for all
	window time.Duration
	keys   map[string]*list.Element // of *failures
	order  *list.List               // least recently failed first
}

type failures struct {
	key   string
	times []time.Time // oldest first
}

func newFailureTable(keep int, window time.Duration) *failureTable {
	return &failureTable{keep: keep, window: window, keys: map[string]*list.Element{}, order: list.New()}
}

// recent returns key's failures still inside the window at now.
func (t *failureTable) recent(key string, now time.Time) []time.Time {
	e, ok := t.keys[key]
	if !ok {
		return nil
	}
	f := e.Value.(*failures)
	i := 0
	for i < len(f.times) && now.Sub(f.times[i]) >= t.window {
		i++
	}
	f.times = f.times[i:]
	if len(f.times) == 0 {
		t.drop(e)
		return nil
	}
	return f.times
}

func (t *failureTable) add(key string, now time.Time) {
	if e, ok := t.keys[key]; ok {
		f := e.Value.(*failures)
		f.times = append(f.times, now)
		if t.keep > 0 && len(f.times) > t.keep {
			f.times = slices.Delete(f.times, 0, len(f.times)-t.keep)
		}
		t.order.MoveToBack(e)
		return
	}
	if len(t.keys) >= maxTracked {
		t.drop(t.order.Front())
	}
	t.keys[key] = t.order.PushBack(&failures{key: key, times: []time.Time{now}})
}

// remove takes back the failure of key at at, if there is one.
func (t *failureTable) remove(key string, at time.Time) {
	e, ok := t.keys[key]
	if !ok {
		return
	}
	f := e.Value.(*failures)
	if i := slices.IndexFunc(f.times, at.Equal); i >= 0 {
		f.times = slices.Delete(f.times, i, i+1)
	}
	if len(f.times) == 0 {
		t.drop(e)
	}
}

// expire forgets keys whose last failure has left the window, from the
// front of the order, where they gather.
func (t *failureTable) expire(now time.Time) {
	for e := t.order.Front(); e != nil; e = t.order.Front() {
		f := e.Value.(*failures)
		if now.Sub(f.times[len(f.times)-1]) < t.window {
			return
		}
		t.drop(e)
	}
}

func (t *failureTable) drop(e *list.Element) {
	delete(t.keys, e.Value.(*failures).key)
	t.order.Remove(e)
}

func (t *failureTable) len() int { return len(t.keys) }
