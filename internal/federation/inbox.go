package federation

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"

	"milepost/internal/comments"
)

// Receive handles an activity POSTed to an inbox: a local actor's (inbox
// is its name) or the shared one (inbox ""). The body has been read whole
// within MaxInboxBytes. The request must be signed by the activity's actor
// (see verify); an activity id seen before is refused (a replay, or a
// delivery made twice). Activities Milepost has no use for are accepted
// and dropped. client is the address the request came from, as limits
// count addresses (clientaddr.Key): what fails verification is charged to
// it, not to the instance the request names.
func (s *Service) Receive(ctx context.Context, inbox, client string, r *http.Request, body []byte) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	if inbox != "" {
		if _, ok := st.localActor(inbox); !ok {
			return ErrNotFound
		}
	}
	signer, err := s.verify(ctx, r, body, client)
	if err != nil {
		return err
	}
	var act map[string]any
	if err := json.Unmarshal(body, &act); err != nil {
		return fmt.Errorf("%w: %w", ErrBadActivity, err)
	}
	id, actor := text(act, "id"), str(act["actor"])
	if actor != signer.ID {
		return fmt.Errorf("%w: %q signed by %s", ErrActorMismatch, actor, signer.ID)
	}
	if id == "" || hostOf(id) != hostOf(actor) {
		return fmt.Errorf("%w: its id %q is not on its actor's server", ErrBadActivity, id)
	}
	if err := s.checkBlocked(ctx, actor); err != nil {
		return err
	}
	now := s.now()
	fresh, err := s.opts.Store.Seen(ctx, id, now, now.Add(-SeenFor))
	if err != nil {
		return fmt.Errorf("recording activity %s: %w", id, err)
	}
	if !fresh {
		return fmt.Errorf("%w: activity %s was delivered before", ErrReplayed, id)
	}
	err = s.handle(ctx, st, signer, act)
	if err != nil && !senderFault(err) {
		// Ours (the database, say): the sender's retry should be handled,
		// not refused as a replay.
		if ferr := s.opts.Store.Unsee(context.WithoutCancel(ctx), id); ferr != nil {
			s.log.Error("forgetting a failed activity", "id", id, "err", ferr)
		}
	}
	return err
}

// handle carries out a checked activity.
func (s *Service) handle(ctx context.Context, st site, signer RemoteActor, act map[string]any) error {
	switch text(act, "type") {
	case "Follow":
		return s.follow(ctx, st, signer, act)
	case "Undo":
		return s.undo(ctx, st, signer, act)
	case "Create":
		return s.create(ctx, st, signer, act)
	case "Update":
		return s.update(ctx, st, signer, act)
	case "Delete":
		return s.remove(ctx, st, signer, act)
	case "Like":
		return s.react(ctx, st, signer, act, ReactionLike)
	case "Announce":
		return s.react(ctx, st, signer, act, ReactionAnnounce)
	}
	return nil
}

// senderFault reports whether an activity was refused for what it says,
// which sending it again cannot mend.
func senderFault(err error) bool {
	for _, e := range []error{ErrNotFound, ErrActorMismatch, ErrBadActivity, ErrBlocked} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ErrReplayed is an activity id delivered a second time.
var ErrReplayed = errors.New("the activity was delivered before")

// follow keeps the follower and sends an Accept.
func (s *Service) follow(ctx context.Context, st site, from RemoteActor, act map[string]any) error {
	name, ok := st.actorName(str(act["object"]))
	if !ok {
		return fmt.Errorf("%w: follow of %q, not an actor here", ErrNotFound, str(act["object"]))
	}
	f := Follower{Actor: from.ID, Inbox: from.Inbox, SharedInbox: from.SharedInbox, Since: s.now()}
	if f.Inbox == "" {
		return fmt.Errorf("%w: %s has no inbox", ErrBadActivity, from.ID)
	}
	if err := s.opts.Store.AddFollower(ctx, name, f); err != nil {
		return fmt.Errorf("keeping follower %s of %s: %w", from.ID, name, err)
	}
	accept := map[string]any{
		"@context": asContext,
		"id":       st.actorID(name) + "#accepts/" + shortHash(text(act, "id")),
		"type":     "Accept",
		"actor":    st.actorID(name),
		"object": map[string]any{"id": text(act, "id"), "type": "Follow", "actor": from.ID,
			"object": st.actorID(name)},
	}
	msgs, err := deliveries("accept:"+text(act, "id"), []string{from.Inbox}, name, accept, "")
	if err != nil {
		return err
	}
	return s.enqueue(ctx, msgs...)
}

// undo forgets a follow, a like or a boost.
func (s *Service) undo(ctx context.Context, st site, from RemoteActor, act map[string]any) error {
	inner, _ := act["object"].(map[string]any)
	if inner != nil && str(inner["actor"]) != "" && str(inner["actor"]) != from.ID {
		return fmt.Errorf("%w: undoing another actor's activity", ErrActorMismatch)
	}
	switch text(inner, "type") {
	case "Follow":
		name, ok := st.actorName(str(inner["object"]))
		if !ok {
			return nil
		}
		return s.opts.Store.RemoveFollower(ctx, name, from.ID)
	case "Like", "Announce", "":
		// Whether or not the object names its actor, only the account
		// that made the reaction may take it back: the store checks. An
		// Undo that carries the Like (as Mastodon's do) takes back the
		// account's like of that post whatever its id: a like kept under
		// another id (an account's older one, kept by the upgrade that
		// counted each account once) is taken back too.
		undo := Reaction{Activity: str(act["object"]), Actor: from.ID}
		if slug, ok := st.postSlug(str(inner["object"])); ok {
			switch text(inner, "type") {
			case "Like":
				undo.Post, undo.Kind = slug, ReactionLike
			case "Announce":
				undo.Post, undo.Kind = slug, ReactionAnnounce
			}
		}
		r, ok, err := s.opts.Store.RemoveReaction(ctx, undo)
		if err != nil {
			return fmt.Errorf("forgetting a reaction: %w", err)
		}
		if ok {
			s.reactionsChanged(r.Post)
		}
	}
	return nil
}

// react counts a Like or Announce of a post.
func (s *Service) react(ctx context.Context, st site, from RemoteActor, act map[string]any, kind string) error {
	slug, ok := st.postSlug(str(act["object"]))
	if !ok {
		return nil
	}
	if err := s.opts.Store.AddReaction(ctx, Reaction{Activity: text(act, "id"), Post: slug, Kind: kind, Actor: from.ID}); err != nil {
		return fmt.Errorf("counting a %s of %s: %w", kind, slug, err)
	}
	s.reactionsChanged(slug)
	return nil
}

// note is the Note or Article an activity carries, written by from.
func note(from RemoteActor, act map[string]any) (map[string]any, error) {
	obj, _ := act["object"].(map[string]any)
	if obj == nil {
		return nil, nil
	}
	if t := text(obj, "type"); t != "Note" && t != "Article" {
		return nil, nil
	}
	if by := str(obj["attributedTo"]); by != from.ID {
		return nil, fmt.Errorf("%w: the note is attributed to %q", ErrActorMismatch, by)
	}
	if hostOf(text(obj, "id")) != hostOf(from.ID) {
		return nil, fmt.Errorf("%w: the note's id is not on its actor's server", ErrBadActivity)
	}
	return obj, nil
}

// create makes a reply to a post, or to a comment on it, a comment —
// through comments.Service.Post, so the same moderation decides.
func (s *Service) create(ctx context.Context, st site, from RemoteActor, act map[string]any) error {
	obj, err := note(from, act)
	if obj == nil || err != nil {
		return err
	}
	if !addressedPublicly(obj) {
		// A direct message is not a comment for everyone to read.
		return nil
	}
	slug, parent, ok := s.replyTarget(ctx, st, str(obj["inReplyTo"]))
	if !ok {
		return nil
	}
	noteID := text(obj, "id")
	claimed, err := s.opts.Store.ClaimNote(ctx, Note{ID: noteID, Actor: from.ID, Post: slug})
	if err != nil {
		return fmt.Errorf("recording note %s: %w", noteID, err)
	}
	if !claimed {
		return nil
	}
	in := comments.Input{Post: slug, Name: displayName(from), Website: from.URL, Body: noteText(text(obj, "content")),
		Source: "activitypub:" + noteID}
	if parent != 0 {
		in.Parent = strconv.FormatUint(parent, 10)
	}
	who := comments.Author{CommenterID: commenterID(from.ID), Actor: from.ID}
	c, err := s.opts.Comments.Post(ctx, in, who)
	var fe comments.FieldErrors
	if errors.As(err, &fe) && fe["parent"] != "" && in.Parent != "" {
		// The comment answered is held, gone or too deep: answer the post.
		in.Parent = ""
		c, err = s.opts.Comments.Post(ctx, in, who)
	}
	if err != nil {
		if refusal(err) {
			s.log.Info("fediverse reply refused", "note", noteID, "post", slug, "why", err)
			return nil
		}
		_ = s.opts.Store.DeleteNote(ctx, noteID)
		return fmt.Errorf("adding the reply %s: %w", noteID, err)
	}
	if err := s.opts.Store.SetNoteComment(ctx, noteID, c.ID); err != nil {
		return fmt.Errorf("recording the comment of note %s: %w", noteID, err)
	}
	s.log.Info("fediverse reply", "note", noteID, "post", slug, "comment", c.ID, "status", c.Status)
	return nil
}

// refusal reports whether comments refused a reply for a reason of its
// own (a ban, a closed post, a rule), which sending it again cannot mend.
func refusal(err error) bool {
	var fe comments.FieldErrors
	return errors.As(err, &fe) || errors.Is(err, comments.ErrBanned) || errors.Is(err, comments.ErrClosed) ||
		errors.Is(err, comments.ErrNoPost) || errors.Is(err, comments.ErrDuplicate) || errors.Is(err, comments.ErrBadActor)
}

// addressedPublicly reports whether a note is public, unlisted or for its
// writer's followers — anything but a direct message.
func addressedPublicly(obj map[string]any) bool {
	for _, a := range append(strs(obj["to"]), strs(obj["cc"])...) {
		if a == publicAddress || a == "as:Public" || a == "Public" || strings.HasSuffix(a, "/followers") {
			return true
		}
	}
	return false
}

// replyTarget is the post and the parent comment (0 for none) that a note
// answers: a post (its Article id or its page), a comment's lasting
// address, or a fediverse reply that became a comment.
func (s *Service) replyTarget(ctx context.Context, st site, inReplyTo string) (string, uint64, bool) {
	if inReplyTo == "" {
		return "", 0, false
	}
	if slug, ok := st.postSlug(inReplyTo); ok {
		return slug, 0, true
	}
	if slug, id, ok := st.commentRef(inReplyTo); ok {
		return slug, id, true
	}
	n, ok, err := s.opts.Store.Note(ctx, inReplyTo)
	if err != nil || !ok || n.Comment == 0 || st.view().Post(n.Post) == nil {
		return "", 0, false
	}
	return n.Post, n.Comment, true
}

// update edits the comment a note became, as its writer editing their own
// comment would: within the same window, held again by the same rules.
func (s *Service) update(ctx context.Context, st site, from RemoteActor, act map[string]any) error {
	obj, err := note(from, act)
	if obj == nil || err != nil {
		return err
	}
	n, ok, err := s.opts.Store.Note(ctx, text(obj, "id"))
	if err != nil || !ok || n.Comment == 0 {
		return err
	}
	if n.Actor != from.ID {
		return ErrActorMismatch
	}
	_, err = s.opts.Comments.EditOwn(ctx, n.Comment, commenterID(from.ID), noteText(text(obj, "content")))
	if err != nil && (refusal(err) || errors.Is(err, comments.ErrEditWindowPassed) || errors.Is(err, comments.ErrHasReplies) ||
		errors.Is(err, comments.ErrNotFound)) {
		s.log.Info("fediverse edit not applied", "note", n.ID, "comment", n.Comment, "why", err)
		return nil
	}
	return err
}

// remove deletes the comment a note became, or forgets an actor that was
// deleted.
func (s *Service) remove(ctx context.Context, st site, from RemoteActor, act map[string]any) error {
	target := str(act["object"])
	if target == from.ID {
		for _, name := range st.actorNames() {
			if err := s.opts.Store.RemoveFollower(ctx, name, from.ID); err != nil {
				return err
			}
		}
		return nil
	}
	n, ok, err := s.opts.Store.Note(ctx, target)
	if err != nil || !ok {
		return err
	}
	if n.Actor != from.ID {
		return ErrActorMismatch
	}
	if n.Comment != 0 {
		err := s.opts.Comments.DeleteOwn(ctx, n.Comment, commenterID(from.ID))
		if errors.Is(err, comments.ErrEditWindowPassed) || errors.Is(err, comments.ErrHasReplies) {
			// Its writer took it back: it goes, whatever the window; replies stay.
			err = s.opts.Comments.Delete(ctx, "fediverse: "+from.ID, n.Comment)
		}
		if err != nil && !errors.Is(err, comments.ErrNotFound) {
			return err
		}
	}
	return s.opts.Store.DeleteNote(ctx, n.ID)
}

// actorNames are every local actor: the site and each author.
func (st site) actorNames() []string {
	names := []string{SiteActor}
	for id := range st.Authors {
		names = append(names, id)
	}
	slices.Sort(names)
	return names
}

// commenterID stands for a remote actor in comments, as a commenter
// cookie does for a reader here: their approved comments make them known
// to first-time moderation, and let them edit their own.
func commenterID(actor string) string {
	return "ap-" + shortHash(actor)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// displayName is how a comment names a remote writer: their name, else
// their handle, as one line of at most comments.MaxNameChars.
func displayName(a RemoteActor) string {
	name := strings.TrimSpace(comments.OneLine(a.Name))
	if name == "" {
		name = "@" + a.Username + "@" + hostOf(a.ID)
	}
	if r := []rune(name); len(r) > comments.MaxNameChars {
		name = string(r[:comments.MaxNameChars])
	}
	return name
}

// noteText turns a note's HTML into the Markdown a comment is written in:
// paragraphs and line breaks kept, mentions and hashtags as their text,
// other links as their address (which comments renders as a link, and
// counts towards the link limit). Everything else is text.
func noteText(h string) string {
	z := xhtml.NewTokenizer(strings.NewReader(h))
	var b strings.Builder
	var link string // the href of the <a> being read, when its text is dropped
	depth := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return strings.TrimSpace(b.String())
		case xhtml.TextToken:
			if link == "" {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "br":
				b.WriteString("  \n")
			case "a":
				if link != "" {
					depth++
					continue
				}
				var href, class string
				for _, at := range tok.Attr {
					switch at.Key {
					case "href":
						href = at.Val
					case "class":
						class = at.Val
					}
				}
				if !strings.Contains(class, "mention") && !strings.Contains(class, "hashtag") && href != "" {
					link, depth = href, 1
					b.WriteString(" " + href + " ")
				}
			}
		case xhtml.EndTagToken:
			tok := z.Token()
			switch tok.Data {
			case "p":
				b.WriteString("\n\n")
			case "a":
				if link != "" {
					if depth--; depth == 0 {
						link = ""
					}
				}
			}
		}
	}
}
