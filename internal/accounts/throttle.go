package accounts

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// ErrThrottled is matched (with errors.Is) by every *ThrottledError.
var ErrThrottled = errors.New("too many failed logins")

// ThrottledError is Login's answer when too many logins failed lately from
// the same address or against the same account. No password was checked.
type ThrottledError struct {
	// RetryAfter is how long until the next try may be made, rounded up to
	// a whole second: what a Retry-After header should say.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %v", e.RetryAfter)
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// maxTracked bounds the addresses, and separately the accounts, whose
// failures are remembered. Past it, failures from new keys go uncounted
// (those already counted stay so) until old ones age out; an attacker who
// fills the table has to have used that many addresses, each of them still
// throttled on its own.
const maxTracked = 10000

// maxIPKey bounds the length of an address that does not parse, which is
// kept as given.
const maxIPKey = 64

// guard counts failed logins in a sliding window, per address and per
// account. A try reserves a failure before the password is checked, and a
// success gives it back, so concurrent guesses cannot all slip in under the
// limit while the first few are still being checked.
type guard struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	ips      map[string][]time.Time // failures, oldest first, at most max
	accounts map[string][]time.Time
	swept    time.Time
}

func newGuard(max int, window time.Duration) *guard {
	return &guard{max: max, window: window,
		ips: map[string][]time.Time{}, accounts: map[string][]time.Time{}}
}

// begin reserves a failure for ip and for account (none when account is ""),
// unless either already has max failures in the window: then it reserves
// nothing and says how long the longer of the two must wait.
func (g *guard) begin(ip, account string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	wait := g.wait(g.ips, ip, now)
	if account != "" {
		wait = max(wait, g.wait(g.accounts, account, now))
	}
	if wait > 0 {
		return wait
	}
	g.record(g.ips, ip, now)
	if account != "" {
		g.record(g.accounts, account, now)
	}
	return 0
}

// succeeded gives back the failure begin reserved for ip at the same now,
// and forgets every failure against account.
func (g *guard) succeeded(ip, account string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ts := g.ips[ip]; len(ts) > 0 {
		if i := slices.IndexFunc(ts, at.Equal); i >= 0 {
			ts = slices.Delete(ts, i, i+1)
		}
		if len(ts) == 0 {
			delete(g.ips, ip)
		} else {
			g.ips[ip] = ts
		}
	}
	delete(g.accounts, account)
}

// wait drops key's failures that have left the window and, if max remain,
// says how long until the oldest leaves too.
func (g *guard) wait(m map[string][]time.Time, key string, now time.Time) time.Duration {
	ts := g.recent(m[key], now)
	if len(ts) == 0 {
		delete(m, key)
		return 0
	}
	m[key] = ts
	if len(ts) < g.max {
		return 0
	}
	d := ts[0].Add(g.window).Sub(now)
	// Whole seconds, as Retry-After counts them; never zero, and never more
	// than the window even if the clock went back.
	d = min(max(d, time.Nanosecond), g.window)
	return (d + time.Second - 1).Truncate(time.Second)
}

func (g *guard) record(m map[string][]time.Time, key string, now time.Time) {
	if _, ok := m[key]; !ok && len(m) >= maxTracked {
		return
	}
	m[key] = append(m[key], now)
}

// recent returns the failures in ts still inside the window at now.
func (g *guard) recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= g.window {
		i++
	}
	return ts[i:]
}

// sweep forgets keys with no failure left in the window: every minute, or
// every second while either table is full.
func (g *guard) sweep(now time.Time) {
	every := time.Minute
	if len(g.ips) >= maxTracked || len(g.accounts) >= maxTracked {
		every = time.Second
	}
	if since := now.Sub(g.swept); since >= 0 && since < every {
		return
	}
	g.swept = now
	for _, m := range []map[string][]time.Time{g.ips, g.accounts} {
		for k, ts := range m {
			if len(g.recent(ts, now)) == 0 {
				delete(m, k)
			}
		}
	}
}

// ipKey is the key failures from ip are counted under. An IPv6 client
// usually has a whole /64 to itself, so the /64 is counted as one address.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if len(ip) > maxIPKey {
			ip = ip[:maxIPKey]
		}
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
