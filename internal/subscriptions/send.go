package subscriptions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/mail"
	"milepost/internal/outbox"
)

// Notification of approved comments. Rather than hooking every way a
// comment comes to be approved (posted on an open site, approved by a
// moderator, edited), the notifications are derived durably from the
// approved comments themselves: NotifyApproved reads the approved comments
// not yet marked as notified, and marks them and enqueues their emails in
// one transaction. A held or spam comment is never in the approved index,
// so it is never notified; one approved later is notified then; a crash
// between the read and the write leaves the comment unmarked, to be done
// again, and the emails' Keys (comment and address) keep that from
// sending twice.

// NotifyApproved enqueues the emails of the approved comments not yet
// notified: to the followers of the parent comment (replies to it) and of
// the post (new comments), never to the comment's own writer.
func (s *Service) NotifyApproved(ctx context.Context) error {
	for {
		cs, err := s.o.Store.UnnotifiedApproved(ctx, s.o.Now().Add(-NotifyWindow), 100)
		if err != nil || len(cs) == 0 {
			return err
		}
		var ids []uint64
		var msgs []outbox.Message
		for _, c := range cs {
			ids = append(ids, c.ID)
			if !s.Enabled() {
				continue // marked all the same: no mail is owed for a time email was off
			}
			m, err := s.notifications(ctx, c)
			if err != nil {
				return err
			}
			msgs = append(msgs, m...)
		}
		if err := s.o.Store.MarkNotified(ctx, ids, msgs); err != nil {
			return err
		}
		if len(msgs) > 0 {
			s.o.Notify()
		}
	}
}

func (s *Service) notifications(ctx context.Context, c comments.Comment) ([]outbox.Message, error) {
	writer, _ := mail.NormalAddress(c.Email)
	scopes := []string{PostScope(c.Post)}
	if c.Parent != 0 {
		scopes = []string{CommentScope(c.Parent), PostScope(c.Post)} // a reply first: its wording wins
	}
	var out []outbox.Message
	err := s.eachSubscriber(ctx, scopes, map[string]bool{writer: true}, func(a, scope string) {
		out = append(out, s.message(payload{Type: "reply", To: a, Comment: c.ID, Scope: scope},
			"comment", strconv.FormatUint(c.ID, 10), a))
	})
	return out, err
}

// RunNotifications runs NotifyApproved and EnqueueDigests every interval
// and when Wake is called, until ctx ends. (EnqueueDigests reads one
// record when no digest is due: checking that often costs nothing, and
// finds the digest time whatever the clock did meanwhile.)
func (s *Service) RunNotifications(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.NotifyApproved(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Error("notifying of approved comments", "err", err)
		}
		if err := s.EnqueueDigests(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Error("enqueuing the weekly digest", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Wake makes RunNotifications look now (after a comment was posted or
// approved). It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Send is the outbox Sender of emails: it composes the message from the
// site as it is now and hands it to the Transport. What is no longer owed
// (a confirmation superseded, a subscription ended, a post or comment
// gone) is not sent, and counts as done.
func (s *Service) Send(ctx context.Context, m outbox.Message) error {
	if s.o.Transport == nil {
		return errors.New("email is not set up (no SMTP host in site.yaml)")
	}
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("unreadable email payload: %w", err))
	}
	site := s.o.Site()
	if site.Config.BaseURL == "" {
		return errors.New("email links need base_url in site.yaml")
	}
	e, owed, err := s.compose(ctx, site, p)
	if err != nil || !owed {
		return err
	}
	u, _ := url.Parse(site.Config.BaseURL)
	e.MessageID = mail.MessageID(m.Key, u.Hostname())
	return s.o.Transport.Send(ctx, e)
}

func (s *Service) compose(ctx context.Context, site *content.Site, p payload) (mail.Email, bool, error) {
	sub, ok, err := s.o.Store.Subscriber(ctx, p.To)
	if err != nil {
		return mail.Email{}, false, err
	}
	hdr := mail.Site{Title: site.Config.Title, URL: s.base()}
	switch p.Type {
	case "confirm":
		if !ok || !sub.ConfirmSent.Equal(p.Issued) {
			return mail.Email{}, false, nil
		}
		var what []string
		for scope := range sub.Scopes {
			what = append(what, s.ScopeName(scope))
		}
		e, err := mail.ComposeConfirm(p.To, mail.Confirm{Site: hdr, ConfirmURL: s.ConfirmURL(p.To, p.Issued), What: what, Hours: int(ConfirmTTL.Hours())})
		return e, err == nil, err
	case "post":
		if !ok || !sub.Scopes[p.Scope].Active {
			return mail.Email{}, false, nil
		}
		post := content.View{Site: site, Now: s.o.Now()}.Post(p.Slug)
		if post == nil {
			return mail.Email{}, false, nil
		}
		body, text := s.o.ForEmail(post.HTML(), s.postURL(post))
		pm := mail.Post{Site: hdr, Title: post.Title, URL: s.postURL(post),
			Date: dateOf(site, post), Body: body, Text: text,
			Why: s.ScopeName(p.Scope), Unsubscribe: s.UnsubscribeURL(p.To, p.Scope)}
		if post.Author != nil {
			pm.Author = post.Author.Name
		}
		e, err := mail.ComposePost(p.To, pm)
		return e, err == nil, err
	case "reply":
		if !ok || !sub.Scopes[p.Scope].Active || s.o.Comment == nil {
			return mail.Email{}, false, nil
		}
		c, err := s.o.Comment(ctx, p.Comment)
		if errors.Is(err, comments.ErrNotFound) || (err == nil && c.Status != comments.StatusApproved) {
			return mail.Email{}, false, nil
		}
		if err != nil {
			return mail.Email{}, false, err
		}
		post := content.View{Site: site, Now: s.o.Now()}.Post(c.Post)
		if post == nil {
			return mail.Email{}, false, nil
		}
		e, err := mail.ComposeReply(p.To, mail.Reply{Site: hdr, PostTitle: post.Title,
			CommentURL: s.postURL(post) + "comments/" + strconv.FormatUint(c.ID, 10),
			Name:       c.Name, Body: template.HTML(c.HTML), Text: strings.TrimSpace(c.Body),
			IsReply: strings.HasPrefix(p.Scope, "comment:"), Unsubscribe: s.UnsubscribeURL(p.To, p.Scope)})
		return e, err == nil, err
	case "digest":
		if !ok || !sub.Scopes[p.Scope].Active {
			return mail.Email{}, false, nil
		}
		d, err := s.digest(ctx, site, p.Week)
		if err != nil || len(d.Posts) == 0 {
			return mail.Email{}, false, err // every post of the week taken down since: nothing to say
		}
		d.Site, d.Why, d.Unsubscribe = hdr, s.ScopeName(p.Scope), s.UnsubscribeURL(p.To, p.Scope)
		e, err := mail.ComposeDigest(p.To, d)
		return e, err == nil, err
	}
	return mail.Email{}, false, outbox.Permanent(fmt.Errorf("unknown email type %q", p.Type))
}

// dateOf is a post's date as emails show it, in the site's time zone.
func dateOf(site *content.Site, p *content.Post) string {
	return p.Date.In(site.Config.Location).Format("January 2, 2006")
}
