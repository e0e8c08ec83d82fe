package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"milepost/internal/content"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// Kind is the outbox Kind of an ActivityPub delivery.
const Kind = "activitypub"

// updatedFormat is an Update's updated time: to the millisecond, so that
// two edits noticed within one second still come in order.
const updatedFormat = "2006-01-02T15:04:05.000Z"

// delivery is the Payload of an outbox Message of Kind: one signed POST of
// one activity to one inbox, as one local actor.
type delivery struct {
	Inbox    string          `json:"inbox"`
	Actor    string          `json:"actor"` // the local actor's name, whose key signs
	Activity json.RawMessage `json:"activity"`
	// WhilePublic is the slug of the post a Create, Update or Announce
	// tells of: it is sent only while that post is public. The outbox
	// keeps no order between messages, and a server that was down may
	// otherwise be told of a post's Delete before its Create, and then
	// show the post for good.
	WhilePublic string `json:"while_public,omitempty"`
}

// deliveries are the outbox Messages of one activity to each of inboxes,
// as the local actor: the activity is encoded once, whatever their number.
// A non-empty whilePublic is the slug of the post the activity tells of,
// sent only while it is public (delivery.WhilePublic).
func deliveries(key string, inboxes []string, actor string, activity map[string]any, whilePublic string) ([]outbox.Message, error) {
	if len(inboxes) == 0 {
		return nil, nil
	}
	body, err := json.Marshal(activity)
	if err != nil {
		return nil, fmt.Errorf("encoding an activity: %w", err)
	}
	msgs := make([]outbox.Message, 0, len(inboxes))
	for _, inbox := range inboxes {
		payload, err := json.Marshal(delivery{Inbox: inbox, Actor: actor, Activity: body, WhilePublic: whilePublic})
		if err != nil {
			return nil, fmt.Errorf("encoding a delivery: %w", err)
		}
		k := "ap:" + key + ">" + inbox
		if len(k) > outbox.MaxKeyLen {
			k = "ap:" + shortHash(key) + ">" + shortHash(inbox)
		}
		msgs = append(msgs, outbox.Message{Kind: Kind, Key: k, Payload: payload})
	}
	return msgs, nil
}

// enqueue hands deliveries made outside a publication event (an Accept)
// to the outbox, and wakes its worker.
func (s *Service) enqueue(ctx context.Context, msgs ...outbox.Message) error {
	if s.opts.Outbox == nil {
		return errors.New("federation: no outbox to deliver through")
	}
	if err := s.opts.Outbox.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("queueing deliveries: %w", err)
	}
	if s.opts.Wake != nil {
		s.opts.Wake()
	}
	return nil
}

// Send is the outbox Sender of Kind: it signs and POSTs one delivery. A
// refusal the receiver means for good (a 4xx other than 429, a blocked or
// unsafe address) is outbox.Permanent; anything else is tried again.
func (s *Service) Send(ctx context.Context, m outbox.Message) error {
	var d delivery
	if err := json.Unmarshal(m.Payload, &d); err != nil {
		return outbox.Permanent(fmt.Errorf("decoding delivery %d: %w", m.ID, err))
	}
	if err := s.checkBlocked(ctx, d.Inbox); err != nil {
		return outbox.Permanent(fmt.Errorf("delivering to %s: %w", d.Inbox, err))
	}
	if d.WhilePublic != "" && !s.public(d.WhilePublic) {
		s.log.InfoContext(ctx, "federation: not telling of a post no longer public", "post", d.WhilePublic, "inbox", d.Inbox)
		return nil
	}
	err := s.post(ctx, d.Inbox, d.Activity, d.Actor)
	if errors.Is(err, errPermanent) || errors.Is(err, ErrUnsafeAddress) {
		return outbox.Permanent(err)
	}
	return err
}

// public reports whether the post slug is public now. With federation
// off it is taken as public: the delivery goes as it was queued.
func (s *Service) public(slug string) bool {
	st, err := s.current()
	if err != nil {
		return true
	}
	return st.view().Post(slug) != nil
}

// Messages is the publication.Fanout of federation: a post made public is
// sent as a Create of its Article by its author to the author's followers
// (and, for a post without an author, by the site to the site's), and
// Announced by the site to the site's other followers' servers; a change
// is an Update, a removal a Delete, by the post's actor to all of them.
// One delivery goes to each inbox (a server's shared inbox when it has
// one), whatever number of its accounts follow.
func (s *Service) Messages(ctx context.Context, ev publication.Event) ([]outbox.Message, error) {
	st, err := s.current()
	if err != nil {
		return nil, nil // federation is off: nobody follows
	}
	actor := SiteActor
	if ev.Post != nil {
		actor = st.attributedName(ev.Post)
	}
	announcedBy, round, known, err := s.opts.Store.ArticleActor(ctx, ev.Slug)
	if err != nil {
		return nil, fmt.Errorf("reading who announced %s: %w", ev.Slug, err)
	}
	if known {
		round = max(round, 1) // recorded before rounds were kept: its first
	}
	if ev.Kind == publication.Removed {
		if known {
			actor = announcedBy
		} else if p := (content.View{Site: st.Site, Now: st.now, Drafts: true}).Post(ev.Slug); p != nil {
			// Announced before it was recorded (federation came later):
			// a post made a draft again is still there to say whose it is.
			actor = st.attributedName(p)
		}
	} else {
		if ev.Kind == publication.Published {
			round++
		}
		if err := s.opts.Store.SetArticleActor(ctx, ev.Slug, actor, round); err != nil {
			return nil, fmt.Errorf("recording who announces %s: %w", ev.Slug, err)
		}
	}
	// A post made public again unchanged, after its Delete, is the same
	// event as the first time it was ("published:SLUG:VERSION"), whose
	// messages were sent and are never sent again: its round tells the
	// servers' deliveries apart, so that they are told of it again (and
	// of its Delete again).
	key := ev.Key()
	if round > 1 {
		key += "#" + strconv.Itoa(round)
	}
	own, err := s.inboxes(ctx, actor, nil)
	if err != nil {
		return nil, err
	}
	others, err := s.inboxes(ctx, SiteActor, own)
	if err != nil {
		return nil, err
	}
	var main, announce map[string]any
	whilePublic := ev.Slug
	switch ev.Kind {
	case publication.Published:
		main = st.activity("Create", ev.Post, actor, ev.Version)
		if actor != SiteActor {
			announce = map[string]any{"@context": asContext, "id": st.articleID(ev.Slug) + "#announce-" + ev.Version,
				"type": "Announce", "actor": st.actorID(SiteActor), "published": main["published"],
				"to": []any{publicAddress}, "cc": []any{st.actorID(SiteActor) + "/followers"}, "object": st.articleID(ev.Slug)}
		}
	case publication.Updated:
		main = st.activity("Update", ev.Post, actor, ev.Version)
		// Mastodon applies an Update only when its object's updated is
		// newer than the last it applied, and a post's lastmod is mostly
		// left alone (it is the post's Date unless the front matter says
		// otherwise). The time the edit was noticed is newer than any
		// Update sent before; it goes into the queued bytes, so a retry
		// sends the same.
		main["object"].(map[string]any)["updated"] = s.now().UTC().Format(updatedFormat)
	case publication.Removed:
		main = st.deletion(ev.Slug, actor, ev.Told)
		whilePublic = ""
	default:
		return nil, nil
	}
	msgs, err := deliveries(key, own, actor, main, whilePublic)
	if err != nil {
		return nil, err
	}
	// The site's other followers are sent its Announce of an author's new
	// post, and the post's own activity otherwise.
	act, by := main, actor
	if announce != nil {
		act, by = announce, SiteActor
	}
	more, err := deliveries(key, others, by, act, whilePublic)
	if err != nil {
		return nil, err
	}
	return append(msgs, more...), nil
}

// inboxes are the delivery inboxes of a local actor's followers, each
// once, leaving out those in skip.
func (s *Service) inboxes(ctx context.Context, actor string, skip []string) ([]string, error) {
	fs, _, err := s.opts.Store.Followers(ctx, actor, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("listing the followers of %s: %w", actor, err)
	}
	seen := map[string]bool{}
	for _, in := range skip {
		seen[in] = true
	}
	var out []string
	for _, f := range fs {
		if in := f.DeliveryInbox(); in != "" && !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
	}
	return out, nil
}
