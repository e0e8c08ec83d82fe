// Package publication owns one rule: what the world has been told about
// which post. Email to subscribers, WebSub pings and ActivityPub deliveries
// all react to the same events — a post became public (published, or a
// scheduled one came due), a public post changed, a public post went away
// (unpublished, deleted) — so this package produces each event once,
// durably, and hands it to every Fanout in the same transaction as the
// record that it was told.
package publication

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"milepost/internal/content"
	"milepost/internal/outbox"
)

// Kind is what happened to a post.
type Kind int

const (
	Published Kind = iota + 1 // became public: published, or scheduled and now due
	Updated                   // public, and changed since the world was told
	Removed                   // was public, and is no longer (draft again, deleted, renamed away)
)

func (k Kind) String() string {
	switch k {
	case Published:
		return "published"
	case Updated:
		return "updated"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Event is one change the world is to be told of.
type Event struct {
	Kind Kind
	Slug string
	// Version is the post's Fingerprint now (empty for Removed): stable
	// across restarts, unlike content.Post.Version, which numbers parses
	// in one process.
	Version string
	// Told is the version the world was told before (empty for
	// Published): with Slug and Kind it names the event uniquely, so a
	// Fanout can key its messages on it (see Key).
	Told string
	Post *content.Post // nil for Removed
	// Was is the post as this process last saw it public, for Updated and
	// Removed (a Removed post's feeds, an Updated post's old tags); nil
	// when the change happened while Milepost was not running.
	Was *content.Post
	// ToldAs is what the world was told of the post before, for Updated
	// and Removed (its Version is Told): its author and tags are known
	// after a restart too, when Was is not.
	ToldAs Announced
	// At is when the change was seen: for Published, when the post
	// became public as far as the world knows (a post published while
	// Milepost was down, when it came back).
	At time.Time
}

// Announced is what the world was told of a public post: its version, and
// the author and tags it was listed under, whose feeds carried it.
type Announced struct {
	Version string
	Author  string   // the author's ID; "" for none
	Tags    []string // as the post had them
	// At is when the world was first told the post was public (the At of
	// its Published event), kept through its Updates: the weekly email
	// digest lists the posts by it, since a post's date is often older
	// than its publication (a draft dated when it was begun). Zero for the
	// posts recorded as the baseline and those told before it was kept.
	At time.Time
}

// AnnouncedOf is what an event of p tells the world: its version and where
// it is listed.
func AnnouncedOf(p *content.Post, version string) Announced {
	a := Announced{Version: version, Tags: slices.Clone(p.Tags)}
	if p.Author != nil {
		a.Author = p.Author.ID
	}
	return a
}

// Key names the event uniquely and stably, for the outbox Keys of the
// messages made for it: "published:SLUG:VERSION",
// "updated:SLUG:TOLD>VERSION", "removed:SLUG:TOLD".
func (ev Event) Key() string {
	switch ev.Kind {
	case Published:
		return "published:" + ev.Slug + ":" + ev.Version
	case Updated:
		return "updated:" + ev.Slug + ":" + ev.Told + ">" + ev.Version
	}
	return ev.Kind.String() + ":" + ev.Slug + ":" + ev.Told
}

// Fingerprint is a post's version as the world sees it: the hash of its
// file that the load took (content.Post.Sum), so that it is the same after
// a restart and changes with any edit. For a Post made outside a load, it
// is a hash of what readers are shown.
func Fingerprint(p *content.Post) string {
	if sum := p.Sum(); sum != ([sha256.Size]byte{}) {
		return hex.EncodeToString(sum[:12])
	}
	h := sha256.New()
	author := ""
	if p.Author != nil {
		author = p.Author.ID
	}
	fmt.Fprintf(h, "shown\x00%s\x00%s\x00%s\x00%s\x00%s\x00", p.Title, p.Date.UTC().Format(time.RFC3339Nano),
		p.Lastmod.UTC().Format(time.RFC3339Nano), author, strings.Join(p.Tags, "\x01"))
	h.Write([]byte(p.HTML()))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Changes compares the public posts of site at now with told (slug →
// what the world was told) and returns the events that bring the world
// up to date: Published and Updated oldest post first, then Removed by
// slug. It changes nothing.
func Changes(site *content.Site, told map[string]Announced, now time.Time) []Event {
	return changes(site, nil, told, now)
}

// changes is Changes with the Site seen before (nil if none), for Was.
func changes(site, prev *content.Site, told map[string]Announced, now time.Time) []Event {
	prevPost := func(slug string) *content.Post {
		if prev == nil {
			return nil
		}
		return content.View{Site: prev, Now: now}.Post(slug)
	}
	public := content.View{Site: site, Now: now}.Posts()
	var out []Event
	seen := make(map[string]bool, len(public))
	for i := len(public) - 1; i >= 0; i-- { // oldest first
		p := public[i]
		seen[p.Slug] = true
		v := Fingerprint(p)
		was, ok := told[p.Slug]
		switch {
		case !ok:
			out = append(out, Event{Kind: Published, Slug: p.Slug, Version: v, Post: p, At: now})
		case was.Version != v:
			out = append(out, Event{Kind: Updated, Slug: p.Slug, Version: v, Told: was.Version, Post: p, Was: prevPost(p.Slug), ToldAs: was, At: now})
		}
	}
	var removed []Event
	for slug, was := range told {
		if !seen[slug] {
			removed = append(removed, Event{Kind: Removed, Slug: slug, Told: was.Version, Was: prevPost(slug), ToldAs: was, At: now})
		}
	}
	slices.SortFunc(removed, func(a, b Event) int { return cmp.Compare(a.Slug, b.Slug) })
	return append(out, removed...)
}

// NextDue is the date of the first public post dated after now, the time
// Changes will next have something to say without a new Site; zero when
// there is none.
func NextDue(site *content.Site, now time.Time) time.Time {
	all := content.View{Site: site, Now: time.Unix(1<<40, 0)}.Posts() // newest first, scheduled ones too
	var next time.Time
	for _, p := range all {
		if !p.Date.After(now) {
			break
		}
		next = p.Date
	}
	return next
}

// A Fanout turns one event into outgoing messages (mail: one email per
// confirmed subscriber; websub: one ping per hub and feed; federation: one
// delivery per follower inbox). Their Keys should start from ev.Key(), so
// that an event is never sent twice.
type Fanout interface {
	Messages(ctx context.Context, ev Event) ([]outbox.Message, error)
}

// Store keeps what the world was told.
type Store interface {
	Told(ctx context.Context) (told map[string]Announced, baselined bool, err error)
	// Record saves the new told state (for Published and Updated, the
	// AnnouncedOf their Post, with the Published event's At, or the At
	// told before for an Updated one) AND enqueues msgs in ONE transaction
	// (so a crash can neither lose an event nor send it twice). The first
	// call on a fresh database (baselined == false) records the site as it
	// is with no messages: installing Milepost on an existing site must not
	// email its whole archive.
	Record(ctx context.Context, events []Event, msgs []outbox.Message) error
}

// Announcer tells the Fanouts about each change, once. SiteChanged runs on
// every new Site (internal/app calls it), Run on a timer for scheduled
// posts coming due; both notify the outbox Worker after a Record.
type Announcer struct {
	Store   Store
	Fanouts []Fanout
	Worker  *outbox.Worker
	Log     *slog.Logger
	Now     func() time.Time // time.Now when nil

	mu   sync.Mutex    // one comparison at a time: two would tell the same event twice
	prev *content.Site // the last Site told of, for Event.Was
	wake chan struct{}
	once sync.Once
}

func (a *Announcer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Announcer) log() *slog.Logger {
	if a.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Log
}

func (a *Announcer) init() { a.once.Do(func() { a.wake = make(chan struct{}, 1) }) }

// SiteChanged compares site with what the world was told and records the
// events with their messages. On a fresh database it records the site as
// the baseline, sending nothing.
func (a *Announcer) SiteChanged(ctx context.Context, site *content.Site) error {
	a.init()
	defer func() { // Run's next due time may have changed
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}()
	a.mu.Lock()
	defer a.mu.Unlock()
	told, baselined, err := a.Store.Told(ctx)
	if err != nil {
		return fmt.Errorf("announcing the site's changes: %w", err)
	}
	events := changes(site, a.prev, told, a.now())
	if len(events) == 0 {
		a.prev = site
		return nil
	}
	var msgs []outbox.Message
	if !baselined {
		// The posts a site had before Milepost told anyone were not
		// published now: no At. A digest counts them from their date, so
		// only those dated in its week are listed, not the archive.
		for i := range events {
			events[i].At = time.Time{}
		}
	} else {
		for _, ev := range events {
			for _, f := range a.Fanouts {
				m, err := f.Messages(ctx, ev)
				if err != nil {
					return fmt.Errorf("announcing %s %s: %w", ev.Kind, ev.Slug, err)
				}
				msgs = append(msgs, m...)
			}
		}
	}
	if err := a.Store.Record(ctx, events, msgs); err != nil {
		return fmt.Errorf("announcing the site's changes: %w", err)
	}
	a.prev = site
	if !baselined {
		a.log().Info("recorded the published posts as already announced", "posts", len(events))
	} else {
		a.log().Info("announced the site's changes", "events", len(events), "messages", len(msgs))
	}
	if len(msgs) > 0 {
		a.Worker.Notify()
	}
	return nil
}

// retryAfterFailure is how soon Run tries again when SiteChanged failed.
const retryAfterFailure = time.Minute

// maxSleep bounds Run's sleep, so that a clock changed under it is noticed.
const maxSleep = time.Hour

// Run wakes when the next scheduled post comes due (NextDue of current())
// and calls SiteChanged, until ctx ends. It also runs SiteChanged at once,
// for what came due while the server was down.
func (a *Announcer) Run(ctx context.Context, current func() *content.Site) error {
	a.init()
	wait := time.Duration(0)
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-a.wake:
			timer.Stop()
		case <-timer.C:
			if err := a.SiteChanged(ctx, current()); err != nil && ctx.Err() == nil {
				a.log().Error("announcing scheduled posts", "err", err)
				wait = retryAfterFailure
				continue
			}
		}
		now := a.now()
		wait = maxSleep
		if next := NextDue(current(), now); !next.IsZero() {
			// A moment after the date, so that the post is public when
			// the Site is asked.
			wait = min(wait, next.Sub(now)+10*time.Millisecond)
		}
	}
}
