package bolt

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

func TestModerationOpenPublishesEverything(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	c := h.mustPost(ana, "p", "First!", comments.StatusApproved)
	if c.HoldReason != "" || c.CommenterID != ana.id || c.IP != ana.ip {
		t.Errorf("stored comment = %+v", c)
	}
	// Links and hold words still hold a comment.
	h.setSettings(func(p *comments.Settings) { p.HoldWords = []string{"casino"} })
	h.mustPost(ben, "p", "Best CASINO in town", comments.StatusPending)
	h.mustPost(ben, "p", "https://a.example https://b.example https://c.example", comments.StatusPending)
}

func TestModerationAllHoldsEverything(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationAll })
	c := h.mustPost(ana, "p", "First!", comments.StatusPending)
	if c.HoldReason != "every comment is held for review" {
		t.Errorf("hold reason %q", c.HoldReason)
	}
	if _, err := h.svc.Approve(h.ctx, "mod", c.ID); err != nil {
		t.Fatal(err)
	}
	// Even an approved reader is held again.
	h.mustPost(ana, "p", "Second!", comments.StatusPending)
}

func TestModerationFirstTime(t *testing.T) {
	h := newHarness(t) // the default policy is first-time
	first := h.mustPost(ana, "p", "Hello", comments.StatusPending)
	if first.HoldReason != "first comment from this reader" {
		t.Errorf("hold reason %q", first.HoldReason)
	}
	// Still held: nothing of Ana's has been approved yet.
	h.mustPost(ana, "p", "Hello again", comments.StatusPending)
	if _, err := h.svc.Approve(h.ctx, "mod", first.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("same email, other case, other cookie", func(t *testing.T) {
		r := reader{"Ana", "ANA@Example.ORG", "203.0.113.9", "a-new-browser"}
		h.mustPost(r, "q", "From my phone", comments.StatusApproved)
	})
	t.Run("same commenter id, no email", func(t *testing.T) {
		r := reader{"Ana", "", "203.0.113.10", ana.id}
		h.mustPost(r, "q", "Without my address", comments.StatusApproved)
	})
	t.Run("someone else", func(t *testing.T) {
		h.mustPost(ben, "q", "I am new", comments.StatusPending)
		h.mustPost(reader{"Anon", "", "203.0.113.11", ""}, "q", "No cookie, no email", comments.StatusPending)
	})
	t.Run("spam does not make a reader known", func(t *testing.T) {
		c := h.mustPost(cy, "q", "hmm", comments.StatusPending)
		if _, err := h.svc.MarkSpam(h.ctx, "mod", c.ID); err != nil {
			t.Fatal(err)
		}
		h.mustPost(cy, "q", "hmm?", comments.StatusPending)
	})
	t.Run("deleting the only approved comment forgets the reader", func(t *testing.T) {
		d := reader{"Di", "di@example.org", "203.0.113.12", "cid-di"}
		c := h.mustPost(d, "q", "one", comments.StatusPending)
		if _, err := h.svc.Approve(h.ctx, "mod", c.ID); err != nil {
			t.Fatal(err)
		}
		h.mustPost(d, "q", "two", comments.StatusApproved)
		// two is approved too, so delete both.
		for _, id := range []uint64{c.ID, c.ID + 1} {
			if err := h.svc.Delete(h.ctx, "mod", id); err != nil {
				t.Fatal(err)
			}
		}
		h.mustPost(d, "q", "three", comments.StatusPending)
	})
	mustCheck(t, h.db)
}

func TestLinkLimit(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	h.mustPost(ana, "p", "See [this](https://a.example/) and https://b.example/", comments.StatusApproved)
	c := h.mustPost(ana, "p", "[one](https://a.example/), https://b.example/ and ![pic](https://c.example/x.png)", comments.StatusPending)
	if c.HoldReason != "3 links; the limit is 2" {
		t.Errorf("hold reason %q", c.HoldReason)
	}
	h.setSettings(func(p *comments.Settings) { p.LinkLimit = 0 })
	h.mustPost(ana, "p", "Mail me: <mailto:ana@example.org>", comments.StatusPending)
	h.mustPost(ana, "p", "No links at all", comments.StatusApproved)
	// The website field is the writer's own address, not a link in the text.
	in := ana.input("p", "Plain text")
	in.Website = "https://ana.example.org/"
	if c, err := h.svc.Post(h.ctx, in, ana.author()); err != nil || c.Status != comments.StatusApproved {
		t.Errorf("comment with a website = %v, %v", c.Status, err)
	}
}

func TestHoldWords(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) {
		p.Moderation = comments.ModerationOpen
		p.HoldWords = []string{"cash", "buy now"}
	})
	for _, tc := range []struct {
		name, body, website string
		held                bool
	}{
		{"word", "Fast CASH here", "", true},
		{"word with punctuation", "cash!", "", true},
		{"inside a longer word", "I love cashews", "", false},
		{"phrase across punctuation", "Buy, NOW!", "", true},
		{"phrase split by a line break", "buy\nnow", "", true},
		{"half a phrase", "buy later", "", false},
		{"in the website", "nothing odd", "https://cash.example/", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ben.input("p", tc.body)
			in.Website = tc.website
			c, err := h.svc.Post(h.ctx, in, ben.author())
			h.advance(time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Status == comments.StatusPending; got != tc.held {
				t.Errorf("held = %v (%q), want %v", got, c.HoldReason, tc.held)
			}
			if tc.held && !strings.Contains(c.HoldReason, "contains “") {
				t.Errorf("hold reason %q", c.HoldReason)
			}
		})
	}
	t.Run("in the name", func(t *testing.T) {
		h.mustPost(reader{"Cash King", "", "203.0.113.1", ""}, "p", "hello", comments.StatusPending)
	})
}

func TestRejectWords(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) {
		p.Moderation = comments.ModerationOpen
		p.RejectWords = []string{"viagra", "crypto giveaway"}
	})
	c, err := h.post(ana, "p", "  Cheap Viagra, today only  ")
	var fe comments.FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 {
		t.Fatalf("Post = %v, want FieldErrors on body", err)
	}
	if want := "Your comment contains “viagra”, which this site does not accept. Please remove it and try again."; fe["body"] != want {
		t.Errorf("body error = %q, want %q", fe["body"], want)
	}
	if c.Body != "Cheap Viagra, today only" || c.Name != "Ana" {
		t.Errorf("the reader's text was not kept: %+v", c)
	}
	_, err = h.post(reader{"Crypto Giveaway", "", "203.0.113.1", ""}, "p", "hello")
	if !errors.As(err, &fe) || fe["name"] == "" {
		t.Errorf("reject phrase in the name: %v", err)
	}
	// Other mistakes are reported with it.
	in := ana.input("p", "viagra")
	in.Email = "not an address"
	_, err = h.svc.Post(h.ctx, in, ana.author())
	if !errors.As(err, &fe) || fe["body"] == "" || fe["email"] == "" {
		t.Errorf("reject word with another mistake: %v", err)
	}
	if cs, _ := h.db.ByPost(h.ctx, "p"); len(cs) != 0 {
		t.Errorf("refused comments were stored: %v", ids(cs))
	}
}

func TestBans(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	until := h.now().Add(24 * time.Hour)
	ban, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanEmail, Value: " Ana@Example.org ", Reason: "abuse", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if ban.Value != "ana@example.org" || ban.By != "mod" || !ban.Created.Equal(h.now()) {
		t.Errorf("stored ban = %+v", ban)
	}

	t.Run("email, any case", func(t *testing.T) {
		r := ana
		r.email = "ANA@example.ORG"
		r.ip = "203.0.113.50"
		c, err := h.post(r, "p", "let me in")
		var be *comments.BanError
		if !errors.As(err, &be) || !errors.Is(err, comments.ErrBanned) {
			t.Fatalf("Post by a banned email = %v, want *BanError", err)
		}
		if be.Reason != "abuse" || !be.Until.Equal(until) {
			t.Errorf("BanError = %+v", be)
		}
		if c.Body != "let me in" {
			t.Errorf("body not kept: %q", c.Body)
		}
		if !strings.Contains(err.Error(), "until") || !strings.Contains(err.Error(), "abuse") {
			t.Errorf("ban message %q", err)
		}
	})
	t.Run("IP address and network", func(t *testing.T) {
		if _, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanIP, Value: "::ffff:192.0.2.2"}); err != nil {
			t.Fatal(err)
		}
		_, err := h.post(ben, "p", "hi")
		wantErr(t, "Post from a banned IP", err, comments.ErrBanned)
		if _, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanIP, Value: "2001:db8:1:2::99/64", Reason: "bot net"}); err != nil {
			t.Fatal(err)
		}
		_, err = h.post(reader{"X", "", "2001:db8:1:2:abcd::1", ""}, "p", "hi")
		wantErr(t, "Post from a banned network", err, comments.ErrBanned)
		h.mustPost(reader{"Y", "", "2001:db8:1:3::1", ""}, "p", "hi", comments.StatusApproved)
	})
	t.Run("listed", func(t *testing.T) {
		bans, err := h.svc.Bans(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range bans {
			got = append(got, string(b.Kind)+" "+b.Value)
		}
		want := []string{"ip 2001:db8:1:2::/64", "ip 192.0.2.2", "email ana@example.org"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Bans (-want +got):\n%s", diff)
		}
	})
	t.Run("expiry passes", func(t *testing.T) {
		h.advance(24 * time.Hour)
		h.mustPost(ana, "p", "I am back", comments.StatusApproved)
		bans, _ := h.svc.Bans(h.ctx)
		if len(bans) != 3 || bans[2].Active(h.now()) {
			t.Errorf("expired ban should be listed as inactive: %+v", bans)
		}
	})
	t.Run("unban", func(t *testing.T) {
		if err := h.svc.Unban(h.ctx, "mod", comments.BanIP, "192.0.2.2"); err != nil {
			t.Fatal(err)
		}
		h.mustPost(ben, "p", "thanks", comments.StatusApproved)
		err := h.svc.Unban(h.ctx, "mod", comments.BanIP, "192.0.2.2")
		wantErr(t, "second Unban", err, comments.ErrNotBanned)
	})
	t.Run("refused bans", func(t *testing.T) {
		for name, b := range map[string]comments.Ban{
			"ended":       {Kind: comments.BanEmail, Value: "x@example.org", Until: h.now().Add(-time.Second)},
			"not email":   {Kind: comments.BanEmail, Value: "nope"},
			"not IP":      {Kind: comments.BanIP, Value: "300.1.1.1"},
			"bad network": {Kind: comments.BanIP, Value: "192.0.2.0/40"},
			"no kind":     {Value: "x@example.org"},
		} {
			if _, err := h.svc.Ban(h.ctx, "mod", b); err == nil {
				t.Errorf("%s: Ban(%+v) succeeded", name, b)
			}
		}
		if _, err := h.svc.Ban(h.ctx, " ", comments.Ban{Kind: comments.BanEmail, Value: "x@example.org"}); err == nil {
			t.Error("a ban without a moderator succeeded")
		}
	})
	mustCheck(t, h.db)
}

func TestDuplicates(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	h.mustPost(ana, "p", "Great race!", comments.StatusApproved)
	c, err := h.post(ana, "p", "Great race!")
	wantErr(t, "the same comment again", err, comments.ErrDuplicate)
	if c.Body != "Great race!" {
		t.Errorf("body not kept: %q", c.Body)
	}
	// On another post it is still a duplicate: the same text, pasted around.
	_, err = h.post(ana, "q", "Great race!")
	wantErr(t, "the same comment on another post", err, comments.ErrDuplicate)
	h.mustPost(ben, "p", "Great race!", comments.StatusApproved) // another address
	h.mustPost(ana, "p", "Great race!!", comments.StatusApproved)

	h.advance(10 * time.Minute)
	h.mustPost(ana, "p", "Great race!", comments.StatusApproved)
	// The entries older than the window are gone, and the index agrees.
	mustCheck(t, h.db)
	var dups int
	_ = h.db.bolt.View(func(tx *bbolt.Tx) error { dups = bucketsOf(tx).dups.Stats().KeyN; return nil })
	if dups != 1 {
		t.Errorf("%d duplicate entries kept, want 1 (the newest)", dups)
	}

	h.setSettings(func(p *comments.Settings) { p.DuplicateMinutes = 0 })
	h.mustPost(ana, "p", "Great race!", comments.StatusApproved)
	mustCheck(t, h.db)
}

// TestDuplicatesRace posts the same comment from many goroutines at once:
// the check is in the write transaction, so exactly one gets through.
func TestDuplicatesRace(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = h.svc.Post(h.ctx, ana.input("p", "double click"), ana.author())
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, comments.ErrDuplicate):
			t.Errorf("Post = %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d identical posts stored, want 1", ok, n)
	}
}

func TestClosing(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) {
		p.Moderation = comments.ModerationOpen
		p.CloseAfterDays = 365
	})
	accepts := func(slug string) bool {
		t.Helper()
		ok, err := h.svc.AcceptsComments(h.ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	t.Run("by age", func(t *testing.T) {
		_, err := h.post(ana, "old", "late to the party")
		wantErr(t, "Post on an old post", err, comments.ErrClosed)
		if accepts("old") || !accepts("p") {
			t.Error("AcceptsComments disagrees with close_after_days")
		}
	})
	t.Run("a moderator's reopen beats the age", func(t *testing.T) {
		if err := h.svc.ReopenPost(h.ctx, "mod", "old"); err != nil {
			t.Fatal(err)
		}
		h.mustPost(ana, "old", "late to the party", comments.StatusApproved)
		if !accepts("old") {
			t.Error("reopened post does not accept comments")
		}
	})
	t.Run("a moderator's close", func(t *testing.T) {
		if err := h.svc.ClosePost(h.ctx, "mod", "p"); err != nil {
			t.Fatal(err)
		}
		_, err := h.post(ana, "p", "anyone?")
		wantErr(t, "Post on a closed post", err, comments.ErrClosed)
		if accepts("p") {
			t.Error("closed post accepts comments")
		}
		if err := h.svc.ReopenPost(h.ctx, "mod", "p"); err != nil {
			t.Fatal(err)
		}
		h.mustPost(ana, "p", "anyone?", comments.StatusApproved)
	})
	t.Run("front matter always closes", func(t *testing.T) {
		if err := h.svc.ReopenPost(h.ctx, "mod", "off"); err != nil {
			t.Fatal(err)
		}
		_, err := h.post(ana, "off", "hello")
		wantErr(t, "Post on a comments: false post", err, comments.ErrClosed)
		if accepts("off") {
			t.Error("comments: false post accepts comments")
		}
	})
	t.Run("the site's settings close everything", func(t *testing.T) {
		h.setSettings(func(p *comments.Settings) { p.Enabled = false })
		defer h.setSettings(func(p *comments.Settings) { p.Enabled = true })
		_, err := h.post(ana, "old", "hello")
		wantErr(t, "Post with comments disabled", err, comments.ErrClosed)
		if accepts("old") {
			t.Error("a site with comments disabled accepts comments")
		}
	})
	t.Run("unknown post", func(t *testing.T) {
		_, err := h.post(ana, "nope", "hello")
		wantErr(t, "Post on an unknown post", err, comments.ErrNoPost)
		wantErr(t, "ClosePost on an unknown post", h.svc.ClosePost(h.ctx, "mod", "nope"), comments.ErrNoPost)
		if accepts("nope") {
			t.Error("an unknown post accepts comments")
		}
	})
	if diff := cmp.Diff([]comments.ActionKind{"reopen", "reopen", "close", "reopen"}, h.actionKinds()); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
}

func TestHeldCommentIsVisibleToItsWriterOnly(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationAll })
	root := h.mustPost(ben, "p", "Approved root", comments.StatusPending)
	if _, err := h.svc.Approve(h.ctx, "mod", root.ID); err != nil {
		t.Fatal(err)
	}
	held := h.reply(ana, root, "My held reply", comments.StatusPending)

	for _, viewer := range []string{"", ben.id, "someone"} {
		page, err := h.svc.ForPost(h.ctx, "p", viewer, 1)
		if err != nil {
			t.Fatal(err)
		}
		nodes := page.Threads
		if len(nodes) != 1 || len(nodes[0].Children) != 0 {
			t.Errorf("viewer %q sees %s", viewer, shapeOf(nodes))
		}
	}
	page, err := h.svc.ForPost(h.ctx, "p", ana.id, 1)
	if err != nil {
		t.Fatal(err)
	}
	nodes := page.Threads
	if len(nodes) != 1 || len(nodes[0].Children) != 1 {
		t.Fatalf("the writer sees %s", shapeOf(nodes))
	}
	mine := nodes[0].Children[0]
	if mine.Comment.ID != held.ID || !mine.Comment.Pending() || !mine.Own {
		t.Errorf("the writer's node = %+v", mine)
	}
	if want := held.Created.Add(15 * time.Minute); !mine.EditUntil.Equal(want) {
		t.Errorf("EditUntil = %v, want %v", mine.EditUntil, want)
	}
	if nodes[0].Own || !nodes[0].EditUntil.IsZero() || nodes[0].Comment.Pending() {
		t.Errorf("someone else's node = %+v", nodes[0])
	}
	// A thread is for public pages: nothing private is in it.
	for _, n := range []*comments.Node{nodes[0], mine} {
		if c := n.Comment; c.Email != "" || c.IP != "" || c.CommenterID != "" || c.HoldReason != "" {
			t.Errorf("thread comment %d has private fields: %+v", c.ID, c)
		}
	}
}

func shapeOf(nodes []*comments.Node) string {
	var parts []string
	for _, n := range nodes {
		s := strings.TrimPrefix(n.Comment.Body, "")
		if len(n.Children) > 0 {
			s += "(" + shapeOf(n.Children) + ")"
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func TestEditAndDeleteOwn(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })

	c := h.mustPost(ana, "p", "Tpyo here", comments.StatusApproved)
	h.advance(5 * time.Minute)
	edited, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "Typo **fixed**")
	if err != nil {
		t.Fatal(err)
	}
	if edited.Body != "Typo **fixed**" || edited.HTML != "<p>Typo <strong>fixed</strong></p>\n" ||
		!edited.Updated.Equal(h.now()) || edited.Status != comments.StatusApproved {
		t.Errorf("edited = %+v", edited)
	}
	if got := h.get(c.ID); got.Body != edited.Body {
		t.Errorf("stored body %q", got.Body)
	}

	t.Run("someone else", func(t *testing.T) {
		_, err := h.svc.EditOwn(h.ctx, c.ID, ben.id, "mine now")
		wantErr(t, "EditOwn by another", err, comments.ErrNotYours)
		wantErr(t, "EditOwn without an id", errOf(h.svc.EditOwn(h.ctx, c.ID, "", "x")), comments.ErrNotYours)
		wantErr(t, "DeleteOwn by another", h.svc.DeleteOwn(h.ctx, c.ID, ben.id), comments.ErrNotYours)
	})
	t.Run("rules of a new comment apply", func(t *testing.T) {
		h.setSettings(func(p *comments.Settings) { p.RejectWords = []string{"idiot"} })
		defer h.setSettings(func(p *comments.Settings) { p.RejectWords = nil })
		var fe comments.FieldErrors
		if _, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "you idiot"); !errors.As(err, &fe) || fe["body"] == "" {
			t.Errorf("EditOwn with a reject word = %v", err)
		}
		if _, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "  "); !errors.As(err, &fe) || fe["body"] == "" {
			t.Errorf("EditOwn to nothing = %v", err)
		}
	})
	t.Run("adding links holds it again", func(t *testing.T) {
		d := h.mustPost(ben, "q", "plain", comments.StatusApproved)
		got, err := h.svc.EditOwn(h.ctx, d.ID, ben.id, "https://a.example https://b.example https://c.example")
		if err != nil || got.Status != comments.StatusPending {
			t.Errorf("EditOwn adding links = %v, %v", got.Status, err)
		}
	})
	t.Run("after a reply", func(t *testing.T) {
		r := h.reply(ben, c, "I see", comments.StatusApproved)
		_, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "changed my mind")
		wantErr(t, "EditOwn after a reply", err, comments.ErrHasReplies)
		wantErr(t, "DeleteOwn after a reply", h.svc.DeleteOwn(h.ctx, c.ID, ana.id), comments.ErrHasReplies)
		// A reply marked as spam does not count.
		if _, err := h.svc.MarkSpam(h.ctx, "mod", r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "changed my mind"); err != nil {
			t.Errorf("EditOwn after the reply became spam: %v", err)
		}
	})
	t.Run("after the window", func(t *testing.T) {
		h.advance(15 * time.Minute)
		_, err := h.svc.EditOwn(h.ctx, c.ID, ana.id, "too late")
		wantErr(t, "EditOwn after the window", err, comments.ErrEditWindowPassed)
		wantErr(t, "DeleteOwn after the window", h.svc.DeleteOwn(h.ctx, c.ID, ana.id), comments.ErrEditWindowPassed)
	})
	t.Run("delete", func(t *testing.T) {
		d := h.mustPost(ana, "p", "Oops, wrong post", comments.StatusApproved)
		if err := h.svc.DeleteOwn(h.ctx, d.ID, ana.id); err != nil {
			t.Fatal(err)
		}
		_, err := h.db.Get(h.ctx, d.ID)
		wantErr(t, "Get after DeleteOwn", err, comments.ErrNotFound)
		wantErr(t, "DeleteOwn again", h.svc.DeleteOwn(h.ctx, d.ID, ana.id), comments.ErrNotFound)
	})
	t.Run("spam is not found by its writer", func(t *testing.T) {
		d := h.mustPost(ana, "p", "buy my stuff", comments.StatusApproved)
		if _, err := h.svc.MarkSpam(h.ctx, "mod", d.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "EditOwn of spam", errOf(h.svc.EditOwn(h.ctx, d.ID, ana.id, "x")), comments.ErrNotFound)
	})
	t.Run("no window", func(t *testing.T) {
		h.setSettings(func(p *comments.Settings) { p.EditMinutes = 0 })
		d := h.mustPost(ana, "p", "fresh", comments.StatusApproved)
		wantErr(t, "DeleteOwn with no edit window", h.svc.DeleteOwn(h.ctx, d.ID, ana.id), comments.ErrEditWindowPassed)
	})
	// Writers' own changes are in the log too, with no moderator.
	as, _, _ := h.svc.Actions(h.ctx, "", 1, 100)
	var own []string
	for _, a := range as {
		if a.By == "" {
			own = append(own, string(a.Kind))
		}
	}
	if diff := cmp.Diff([]string{"delete-own", "edit-own", "edit-own", "edit-own"}, own); diff != "" {
		t.Errorf("writers' actions in the log (-want +got):\n%s", diff)
	}
}

func errOf(_ comments.Comment, err error) error { return err }

// TestEveryModeratorActionIsAudited does each action once and reads the
// log back, and checks the indexes after each.
func TestEveryModeratorActionIsAudited(t *testing.T) {
	h := newHarness(t)
	a := h.mustPost(ana, "p", "Held for review", comments.StatusPending)
	b := h.mustPost(ben, "p", "Spammy", comments.StatusPending)
	c := h.mustPost(cy, "q", "Rude words here", comments.StatusPending)

	steps := []struct {
		kind   comments.ActionKind
		do     func() error
		target string
		detail string
	}{
		{"approve", func() error { _, err := h.svc.Approve(h.ctx, "kim", a.ID); return err }, "comment 1 on p", "was pending"},
		{"spam", func() error { _, err := h.svc.MarkSpam(h.ctx, "kim", b.ID); return err }, "comment 2 on p", "was pending"},
		{"edit", func() error { _, err := h.svc.Edit(h.ctx, "lee", c.ID, "Polite words here"); return err }, "comment 3 on q", "before: Rude words here"},
		{"approve", func() error { _, err := h.svc.Approve(h.ctx, "lee", b.ID); return err }, "comment 2 on p", "was spam"},
		{"delete", func() error { return h.svc.Delete(h.ctx, "kim", c.ID) }, "comment 3 on q", "pending, by Cy: Polite words here"},
		{"ban", func() error {
			_, err := h.svc.Ban(h.ctx, "kim", comments.Ban{Kind: comments.BanIP, Value: "198.51.100.0/24", Reason: "flood", Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
			return err
		}, "ip 198.51.100.0/24", "until 2027-01-01T00:00:00Z: flood"},
		{"ban", func() error {
			_, err := h.svc.Ban(h.ctx, "kim", comments.Ban{Kind: comments.BanEmail, Value: "Ben@example.org"})
			return err
		}, "email ben@example.org", "for ever"},
		{"unban", func() error { return h.svc.Unban(h.ctx, "lee", comments.BanEmail, "ben@example.org") }, "email ben@example.org", ""},
		{"close", func() error { return h.svc.ClosePost(h.ctx, "kim", "q") }, "post q", ""},
		{"reopen", func() error { return h.svc.ReopenPost(h.ctx, "lee", "q") }, "post q", ""},
	}
	for i, st := range steps {
		h.advance(time.Minute)
		if err := st.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, st.kind, err)
		}
		mustCheck(t, h.db)
		as, total, err := h.svc.Actions(h.ctx, "", 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if total != i+1 || len(as) != 1 {
			t.Fatalf("after step %d: %d actions (%d listed)", i+1, total, len(as))
		}
		got := as[0]
		if got.ID != uint64(i+1) || got.Kind != st.kind || got.Target != st.target || got.Detail != st.detail || !got.At.Equal(h.now()) {
			t.Errorf("step %d: logged %+v, want %s of %q with %q", i+1, got, st.kind, st.target, st.detail)
		}
		if got.By != "kim" && got.By != "lee" {
			t.Errorf("step %d: by %q", i+1, got.By)
		}
	}
	// Pages, newest first.
	page2, total, err := h.svc.Actions(h.ctx, "", 2, 4)
	if err != nil || total != len(steps) || len(page2) != 4 || page2[0].ID != 6 || page2[3].ID != 3 {
		t.Errorf("Actions page 2 of 4 = %+v, %d, %v", page2, total, err)
	}

	// A failed action logs nothing.
	if _, err := h.svc.Approve(h.ctx, "kim", 999); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("Approve(999) = %v", err)
	}
	if _, err := h.svc.Approve(h.ctx, "", a.ID); err == nil {
		t.Error("Approve without a moderator succeeded")
	}
	if _, err := h.svc.Edit(h.ctx, "kim", a.ID, " "); err == nil {
		t.Error("Edit to an empty body succeeded")
	}
	if _, total, _ := h.svc.Actions(h.ctx, "", 1, 1); total != len(steps) {
		t.Errorf("failed actions were logged: %d entries", total)
	}
}

// TestCheckAgreesAfterEveryKindOfWrite is the demand: the indexes
// and the comments agree after create, approve, spam, edit, delete and ban,
// and the counts count approved comments only.
func TestCheckAgreesAfterEveryKindOfWrite(t *testing.T) {
	h := newHarness(t)
	counts := func(want map[string]int) {
		t.Helper()
		mustCheck(t, h.db)
		got, err := h.db.Counts(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Counts (-want +got):\n%s", diff)
		}
	}
	a := h.mustPost(ana, "p", "one", comments.StatusPending) // create
	counts(map[string]int{})
	if _, err := h.svc.Approve(h.ctx, "mod", a.ID); err != nil { // approve
		t.Fatal(err)
	}
	counts(map[string]int{"p": 1})
	b := h.mustPost(ana, "p", "two", comments.StatusApproved) // a known reader
	r := h.reply(ana, a, "three", comments.StatusApproved)
	h.mustPost(ben, "q", "four", comments.StatusPending)
	counts(map[string]int{"p": 3})
	if _, err := h.svc.MarkSpam(h.ctx, "mod", b.ID); err != nil { // spam
		t.Fatal(err)
	}
	counts(map[string]int{"p": 2})
	if _, err := h.svc.Edit(h.ctx, "mod", r.ID, "three, edited"); err != nil { // edit
		t.Fatal(err)
	}
	if _, err := h.svc.EditOwn(h.ctx, r.ID, ana.id, "three, edited again"); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{"p": 2})
	if err := h.svc.Delete(h.ctx, "mod", a.ID); err != nil { // delete, leaving a reply
		t.Fatal(err)
	}
	counts(map[string]int{"p": 1})
	if err := h.svc.DeleteOwn(h.ctx, r.ID, ana.id); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{})
	if _, err := h.svc.Ban(h.ctx, "mod", comments.Ban{Kind: comments.BanEmail, Value: ben.email}); err != nil { // ban
		t.Fatal(err)
	}
	counts(map[string]int{})
	if err := h.svc.Unban(h.ctx, "mod", comments.BanEmail, ben.email); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.ClosePost(h.ctx, "mod", "q"); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{})
}

func TestListings(t *testing.T) {
	h := newHarness(t)
	// 1 to 5, alternately on p and q, all held.
	for i, r := range []reader{ana, ben, cy, ana, ben} {
		h.mustPost(r, []string{"p", "q"}[i%2], "comment "+string(rune('A'+i)), comments.StatusPending)
	}
	all := []uint64{5, 4, 3, 2, 1}
	if _, err := h.svc.Approve(h.ctx, "mod", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MarkSpam(h.ctx, "mod", 4); err != nil {
		t.Fatal(err)
	}
	held := []uint64{5, 3, 1}

	got, total, err := h.svc.Held(h.ctx, 1, 2)
	if err != nil || total != 3 {
		t.Fatalf("Held = %d total, %v", total, err)
	}
	if diff := cmp.Diff(held[:2], ids(got)); diff != "" {
		t.Errorf("Held page 1 (-want +got):\n%s", diff)
	}
	got, _, _ = h.svc.Held(h.ctx, 2, 2)
	if diff := cmp.Diff(held[2:], ids(got)); diff != "" {
		t.Errorf("Held page 2 (-want +got):\n%s", diff)
	}
	if got, _, _ := h.svc.Held(h.ctx, 3, 2); len(got) != 0 {
		t.Errorf("Held past the end = %v", ids(got))
	}
	if got[0].Email != ana.email || got[0].IP != ana.ip || got[0].CommenterID != ana.id {
		t.Errorf("moderators see the whole comment: %+v", got[0])
	}

	got, total, _ = h.svc.Recent(h.ctx, 0, 0) // nonsense page and size are mended
	if total != 5 {
		t.Errorf("Recent total = %d", total)
	}
	if diff := cmp.Diff(all, ids(got)); diff != "" {
		t.Errorf("Recent (-want +got):\n%s", diff)
	}

	h.mustPost(ben, "p", "ben again", comments.StatusApproved) // 6, ben is known now
	feed, err := h.svc.RecentApproved(h.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var feedIDs []uint64
	for _, c := range feed {
		feedIDs = append(feedIDs, c.ID)
	}
	if diff := cmp.Diff([]uint64{6, 2}, feedIDs); diff != "" {
		t.Errorf("RecentApproved (-want +got):\n%s", diff)
	}
	if one, _ := h.svc.RecentApproved(h.ctx, 1); len(one) != 1 || one[0].ID != 6 {
		t.Errorf("RecentApproved(1) = %+v", one)
	}
	onQ, err := h.svc.ApprovedOn(h.ctx, "q", 10)
	if err != nil || len(onQ) != 1 || onQ[0].ID != 2 || onQ[0].Name != "Ben" || onQ[0].HTML == "" {
		t.Errorf("ApprovedOn(q) = %+v, %v", onQ, err)
	}
}

func TestMoreCommentsThanOnePage(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationAll })
	for i := range 30 {
		h.mustPost(ana, "p", "comment "+strings.Repeat("x", i+1), comments.StatusPending)
	}
	got, total, err := h.svc.Held(h.ctx, 3, 10)
	if err != nil || total != 30 || len(got) != 10 || got[0].ID != 10 || got[9].ID != 1 {
		t.Errorf("Held page 3 = %v, %d, %v", ids(got), total, err)
	}
}

// TestUpgradeFromSchemaVersion3KeysDuplicatesByAddressGroup opens a
// database whose duplicates index hashed the exact address (version 3):
// Check finds the index wrong, Open rebuilds it, and the same text from
// another address in the writer's IPv6 /64 is then found.
func TestUpgradeFromSchemaVersion3KeysDuplicatesByAddressGroup(t *testing.T) {
	ctx := context.Background()
	db := openUnchecked(t)
	first := newComment("p", 0)
	first.IP = "2001:db8:1:2::1"
	first = bulk(t, db, []comments.Comment{first})[0]
	// Make it a version 3 file: the entry keyed by the exact address.
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if err := b.dups.Delete(dupKey(&first)); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(first.IP + "\x00" + first.Body))
		old := append(sum[:dupPrefixLen:dupPrefixLen], timeIDKey(first.Created, first.ID)...)
		if err := b.dups.Put(old, nil); err != nil {
			return err
		}
		return b.meta.Put(keySchemaVersion, []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "duplicates") {
		t.Errorf("Check of a version 3 duplicates index = %v, want it to name duplicates", err)
	}
	db.Close()

	db, err = Open(ctx, db.Path())
	if err != nil {
		t.Fatalf("opening a version 3 database: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	if got := readMetaOpen(t, db, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema_version after the upgrade = %q", got)
	}
	for ip, same := range map[string]bool{"2001:db8:1:2:ffff::7": true, "2001:db8:1:3::1": false} {
		c := newComment("p", 5)
		c.IP, c.Body = ip, first.Body
		var last time.Time
		err := db.Submit(ctx, &c, time.Time{}, func(_ *comments.Comment, f comments.Facts) error {
			last = f.LastSame
			return errors.New("refused")
		})
		if err == nil {
			t.Fatal("a refused comment was stored")
		}
		if got := last.Equal(first.Created); got != same {
			t.Errorf("from %s after the upgrade: LastSame = %v, want the same writer: %v", ip, last, same)
		}
	}
}
