package subscriptions

import (
	"context"
	"fmt"
	"time"

	"milepost/internal/content"
	"milepost/internal/mail"
	"milepost/internal/outbox"
)

// The weekly digest. A reader subscribed to ScopeDigest gets, instead of
// an email per post, one email a week: at each digest time (Monday 06:00
// UTC) the posts that became public in the 7 days before it. The week is
// enqueued once: EnqueueDigests records the digest time in the same
// transaction as the emails, and each email's Key is the week and the
// address, so neither a second run nor a crash between the two can send a
// week twice. The posts are read when an email is sent, as a new post's
// story is, so a post taken down meanwhile is not listed.
//
// A post is in the week it was first told public (publication.Announced.At,
// which a scheduled post gets when it comes due and a draft when it is
// published, whatever its date); a post told public before Milepost kept
// that time counts from its date. The rule of new-post emails applies: a
// post dated more than NewsWindow before it was made public is not news.
// Drafts and posts dated in the future are never public, so never listed.

// Digest times.
const (
	DigestWeekday = time.Monday
	DigestHour    = 6 // UTC
	// DigestPeriod is what one digest covers: the 7 days before its time.
	DigestPeriod = 7 * 24 * time.Hour
	// DigestGrace is how long after its time a week's digest is made: a
	// post made public a moment before 06:00 is recorded so a moment
	// after, and must not miss its week.
	DigestGrace = 5 * time.Minute
)

// DigestTime is the last digest time at or before t: the Monday 06:00 UTC
// that ends the latest week whose digest is due (DigestGrace after it).
func DigestTime(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), DigestHour, 0, 0, 0, time.UTC)
	d = d.AddDate(0, 0, -int((d.Weekday()-DigestWeekday+7)%7))
	if d.After(t) {
		d = d.AddDate(0, 0, -7)
	}
	return d
}

// EnqueueDigests enqueues the digest due at the last digest time unless it
// was enqueued already: one email to each confirmed digest subscriber,
// none when no post became public that week. A server down at the digest
// time enqueues it when it is back; only the latest week is owed, not
// every week it missed. With email off, the week is recorded with no
// email, as comment notifications are: no mail is owed for a time email
// was off.
func (s *Service) EnqueueDigests(ctx context.Context) error {
	due := DigestTime(s.o.Now().Add(-DigestGrace))
	last, err := s.o.Store.LastDigest(ctx)
	if err != nil {
		return fmt.Errorf("enqueuing the weekly digest: %w", err)
	}
	if last.Equal(due) {
		return nil
	}
	if last.After(due) {
		// The clock ran ahead once (a board that booted without the
		// time) and a week to come was recorded: waiting for it would
		// stop the digests until then. The emails' keys still keep a
		// week from being sent twice.
		s.o.Log.Warn("the last weekly digest recorded is later than now: the clock went back", "recorded", last, "now", s.o.Now())
	}
	var msgs []outbox.Message
	var posts int
	if s.Enabled() {
		d, err := s.digest(ctx, s.o.Site(), due)
		if err != nil {
			return fmt.Errorf("enqueuing the weekly digest of %s: %w", due.Format(time.DateOnly), err)
		}
		if posts = len(d.Posts); posts > 0 {
			err = s.eachSubscriber(ctx, []string{ScopeDigest}, map[string]bool{}, func(a, scope string) {
				msgs = append(msgs, s.message(payload{Type: "digest", To: a, Scope: scope, Week: due},
					"digest", due.Format(time.DateOnly), a))
			})
			if err != nil {
				return fmt.Errorf("enqueuing the weekly digest of %s: %w", due.Format(time.DateOnly), err)
			}
		}
	}
	done, err := s.o.Store.RecordDigest(ctx, due, msgs)
	if err != nil {
		return fmt.Errorf("enqueuing the weekly digest: %w", err)
	}
	if done && s.Enabled() {
		s.o.Log.Info("enqueued the weekly digest", "week", due.Add(-DigestPeriod).Format(time.DateOnly), "posts", posts, "emails", len(msgs))
	}
	if done && len(msgs) > 0 {
		s.o.Notify()
	}
	return nil
}

// digest is the digest of the week ending at due, without its site and
// subscription: the posts public now that became public in the week,
// newest first, as the site lists them. It is made once for a site and a
// week (Service.lastDigest): a post taken down changes the site.
func (s *Service) digest(ctx context.Context, site *content.Site, due time.Time) (mail.Digest, error) {
	s.digestMu.Lock()
	defer s.digestMu.Unlock()
	if last := &s.lastDigest; last.site == site && last.due.Equal(due) {
		return last.d, nil
	}
	d, err := s.makeDigest(ctx, site, due)
	if err == nil {
		s.lastDigest.site, s.lastDigest.due, s.lastDigest.d = site, due, d
	}
	return d, err
}

func (s *Service) makeDigest(ctx context.Context, site *content.Site, due time.Time) (mail.Digest, error) {
	told, _, err := s.o.Store.Told(ctx)
	if err != nil {
		return mail.Digest{}, err
	}
	from := due.Add(-DigestPeriod)
	d := mail.Digest{Week: weekName(from, due)}
	for _, p := range (content.View{Site: site, Now: s.o.Now()}).Posts() {
		a, ok := told[p.Slug]
		if !ok {
			continue // not told public yet: it counts from when it is
		}
		at := a.At
		if at.IsZero() {
			at = p.Date
		}
		if at.Before(from) || !at.Before(due) || !news(p, at) {
			continue
		}
		summary, text := s.o.ForEmail(p.Summary(), s.postURL(p))
		dp := mail.DigestPost{Title: p.Title, URL: s.postURL(p), Date: dateOf(site, p), Run: p.Run.Line(), Summary: summary, Text: text}
		if p.Author != nil {
			dp.Author = p.Author.Name
		}
		d.Posts = append(d.Posts, dp)
	}
	return d, nil
}

// weekName is the days of the digest from from to due as a reader reads
// them, Monday to Sunday: "April 27 – May 3, 2026", "December 28, 2026 –
// January 3, 2027".
func weekName(from, due time.Time) string {
	last := due.AddDate(0, 0, -1)
	first := "January 2"
	if from.Year() != last.Year() {
		first += ", 2006"
	}
	return from.Format(first) + " – " + last.Format("January 2, 2006")
}
