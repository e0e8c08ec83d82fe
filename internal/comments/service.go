package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Service is what the web layer calls: it applies the rules and the
// moderation policy a new comment must pass before the Store sees it, shapes
// what readers see, and carries out moderators' actions with an audit entry
// for each.
type Service struct {
	store    Store
	now      func() time.Time
	settings func() Settings
	post     func(slug string) (PostInfo, bool)
	// versions tell caches of readers' pages what changed (versions.go).
	versions *publicVersions
}

// PostInfo is what the Service needs to know about a post.
type PostInfo struct {
	// Date is the post's publication date, for close_after_days; zero
	// means the post never closes by age.
	Date time.Time
	// CommentsOff is true when the post's front matter says
	// "comments: false": the post is closed whatever a moderator says.
	CommentsOff bool
}

// Author is who is posting, as the web layer knows them.
type Author struct {
	// IP is the writer's address, for bans and duplicate detection.
	IP string
	// CommenterID is the random id in the writer's signed cookie, or ""
	// for a reader without one. Readers with an id can see their own held
	// comments and edit or delete their comments for a while.
	CommenterID string
	// Actor is the fediverse actor's address for a reply that came from
	// there (set by the federation, never from a form), for bans.
	Actor string
}

// Options configure a Service. Every field may be left out.
type Options struct {
	// Now gives the time stamped on new comments and actions; tests pass
	// a fixed clock. Nil means time.Now.
	Now func() time.Time
	// Settings returns the comment settings in force. It is called for
	// every request, so a reloaded site.yaml takes effect at once. Nil
	// means DefaultSettings.
	Settings func() Settings
	// Posts returns what the Service needs to know about the post with the
	// slug, and false for a slug that is not a post readers can see
	// (comments on it are refused with ErrNoPost). Nil treats every slug
	// as an open post without a date.
	Posts func(slug string) (PostInfo, bool)
}

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	s := &Service{store: store, now: opts.Now, settings: opts.Settings, post: opts.Posts}
	if s.now == nil {
		s.now = time.Now
	}
	if s.settings == nil {
		s.settings = DefaultSettings
	}
	if s.post == nil {
		s.post = func(string) (PostInfo, bool) { return PostInfo{}, true }
	}
	s.versions = newPublicVersions(s.now())
	return s
}

// Sentences for a reply the store cannot place.
var (
	msgParentGone = "The comment you are replying to could not be found. Please reply to the post instead."
	msgTooDeep    = "This conversation is already " + strconv.Itoa(MaxDepth) +
		" replies deep. Please reply to an earlier comment in it, or to the post."
)

// currentSettings returns the settings in force, tidied, refusing invalid
// ones rather than applying half of them. Validate tidies a copy: the word
// lists it returns are new slices, so the caller's are left as they were.
func (s *Service) currentSettings() (Settings, error) {
	p := s.settings()
	if err := p.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", errBadSettings, err)
	}
	return p, nil
}

// now0 is the clock without its monotonic reading, so that times returned
// equal the ones read back from the store.
func (s *Service) now0() time.Time { return s.now().Round(0) }

// Post validates a reader's comment, applies the moderation policy, places
// it in its thread, renders it and stores it, approved or held. It returns
// the comment as stored: a held one has Status StatusPending, and the web
// layer should tell its writer so.
//
// Mistakes the reader can fix come back as FieldErrors (find them with
// errors.As), reject words included; the comment returned then keeps every
// value the reader typed that passed, for the form. Refusals: a *BanError
// (errors.As; errors.Is(err, ErrBanned)), ErrClosed, ErrNoPost and
// ErrDuplicate (errors.Is). Any other error is the server's.
func (s *Service) Post(ctx context.Context, in Input, who Author) (Comment, error) {
	p, err := s.currentSettings()
	if err != nil {
		return Comment{}, err
	}
	if err := checkCommenterID(who.CommenterID); err != nil {
		return Comment{}, err
	}
	if who.Actor != "" {
		if who.Actor, err = NormalizeActor(who.Actor); err != nil {
			return Comment{}, err
		}
	}
	c, err := validateNew(in, p)
	if err != nil {
		return c, err
	}
	info, ok := s.post(c.Post)
	if !ok {
		return c, ErrNoPost
	}
	if !p.Enabled || info.CommentsOff {
		return c, ErrClosed
	}
	if err := s.placeReply(ctx, &c); err != nil {
		return c, err
	}
	now := s.now0()
	c.Created = now
	c.IP = strings.TrimSpace(who.IP)
	c.CommenterID = who.CommenterID
	c.Actor = who.Actor
	d := decision{settings: p, post: info, now: now, hold: p.holdReason(c)}
	err = s.store.Submit(ctx, &c, now.Add(-p.duplicateWindow()), d.decide)
	if d.refusal == nil && published(c.Status) {
		// Also after a failed commit, which may have been written all the
		// same: a page rendered again costs less than a stale one.
		s.versions.changed(c.Post, changedCount, s.now0())
	}
	if err != nil {
		if d.refusal != nil && errors.Is(err, d.refusal) {
			return c, d.refusal
		}
		if errors.Is(err, ErrParent) {
			// The parent was deleted between the check and the write.
			return c, FieldErrors{"parent": msgParentGone}
		}
		return c, fmt.Errorf("storing comment on %s: %w", c.Post, err)
	}
	return c, nil
}

// validateNew checks a reader's input and the reject words and renders the
// body. On FieldErrors the comment keeps every value that passed.
func validateNew(in Input, p Settings) (Comment, error) {
	c, errs := Validate(in)
	c.HTML = Render(c.Body)
	for field, msg := range p.rejected(c) {
		if errs == nil {
			errs = FieldErrors{}
		}
		if _, ok := errs[field]; !ok {
			errs[field] = msg
		}
	}
	if errs != nil {
		return c, errs
	}
	return c, nil
}

// placeReply checks that a reply answers a comment readers can see on the
// same post, and sets its depth; FieldErrors on "parent" when not.
func (s *Service) placeReply(ctx context.Context, c *Comment) error {
	if c.Parent == 0 {
		return nil
	}
	parent, err := s.store.Get(ctx, c.Parent)
	switch {
	case errors.Is(err, ErrNotFound):
		return FieldErrors{"parent": msgParentGone}
	case err != nil:
		return fmt.Errorf("looking up parent comment %d: %w", c.Parent, err)
	}
	// A hidden comment cannot be seen, so it cannot be replied to; saying
	// so would tell a reader what moderation has hidden.
	if parent.Post != c.Post || parent.Status != StatusApproved {
		return FieldErrors{"parent": msgParentGone}
	}
	depth, ok := ReplyDepth(parent.Depth)
	if !ok {
		return FieldErrors{"parent": msgTooDeep}
	}
	c.Depth = depth
	return nil
}

// decision decides a new comment's fate inside the store's write
// transaction, so that a ban, a closure or a duplicate that lands at the
// same moment is still seen. refusal is what it refused with, if it did.
// The store may call decide more than once (a transaction shared with
// other writers is run again when one of them fails): each call decides
// afresh, and refusal is the last call's.
type decision struct {
	settings Settings
	post     PostInfo
	now      time.Time
	hold     string // why the comment's content holds it, or ""
	refusal  error
}

func (d *decision) decide(c *Comment, f Facts) error {
	p, now := d.settings, d.now
	d.refusal = nil
	if b := longestBan(f.Bans, now); b != nil {
		d.refusal = &BanError{Reason: b.Reason, Until: b.Until}
		return d.refusal
	}
	closed := p.closedByAge(d.post.Date, now)
	if f.Closure != nil {
		closed = f.Closure.Closed
	}
	if closed {
		d.refusal = ErrClosed
		return d.refusal
	}
	if p.DuplicateMinutes > 0 && !f.LastSame.IsZero() && now.Sub(f.LastSame) < p.duplicateWindow() {
		d.refusal = ErrDuplicate
		return d.refusal
	}
	c.Status, c.HoldReason = StatusApproved, ""
	switch {
	case d.hold != "":
		c.Status, c.HoldReason = StatusPending, d.hold
	case p.moderation() == ModerationAll:
		c.Status, c.HoldReason = StatusPending, reasonAll
	case p.moderation() == ModerationFirstTime && !f.Known:
		c.Status, c.HoldReason = StatusPending, reasonFirstTime
	}
	return nil
}

// longestBan returns the active ban among bs that lasts longest, or nil.
func longestBan(bs []Ban, now time.Time) *Ban {
	var best *Ban
	for i := range bs {
		b := &bs[i]
		if !b.Active(now) {
			continue
		}
		if best == nil || b.Until.IsZero() || (!best.Until.IsZero() && b.Until.After(best.Until)) {
			best = b
		}
	}
	return best
}

func checkCommenterID(id string) error {
	if len(id) > MaxCommenterIDChars || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Errorf("commenter id %.20q… is not up to %d printable ASCII characters", id, MaxCommenterIDChars)
	}
	return nil
}

// AcceptsComments reports whether a post takes new comments now: the site
// and the post's front matter allow them, and either a moderator has
// reopened it or neither a moderator nor close_after_days has closed it.
// An unknown post does not. The web layer uses it to show or hide the form.
func (s *Service) AcceptsComments(ctx context.Context, slug string) (bool, error) {
	p, err := s.currentSettings()
	if err != nil {
		return false, err
	}
	info, ok := s.post(slug)
	if !ok || !p.Enabled || info.CommentsOff {
		return false, nil
	}
	cl, found, err := s.store.Closure(ctx, slug)
	if err != nil {
		return false, fmt.Errorf("reading whether %s is closed: %w", slug, err)
	}
	if found {
		return !cl.Closed, nil
	}
	return !p.closedByAge(info.Date, s.now()), nil
}

// EditOwn replaces the body of a comment by its writer: only with the
// commenter id it was written with (else ErrNotYours), only within the
// policy's edit window (ErrEditWindowPassed) and only while no reply to it
// is published (ErrHasReplies; a held reply, which only its writer sees,
// does not count). The new body is checked as a new comment's is
// (FieldErrors on "body"); if it has too many links or a hold word, or
// every comment is held, an approved comment is held again. A spam comment
// is ErrNotFound to its writer.
func (s *Service) EditOwn(ctx context.Context, id uint64, commenterID, body string) (Comment, error) {
	p, err := s.currentSettings()
	if err != nil {
		return Comment{}, err
	}
	newBody, msg := validateBody(body)
	newHTML := Render(newBody)
	if msg == "" {
		msg = p.rejected(Comment{Body: newBody, HTML: newHTML})["body"]
	}
	if msg != "" {
		return Comment{Body: newBody}, FieldErrors{"body": msg}
	}
	now := s.now0()
	var seen publicChange
	defer seen.tell(s)
	c, err := s.store.Modify(ctx, id, func(c *Comment, replies int) (Change, error) {
		if err := mayChangeOwn(*c, commenterID, replies, p, now); err != nil {
			return Change{}, err
		}
		was := published(c.Status)
		before := c.Body
		c.Body, c.HTML, c.Updated = newBody, newHTML, now
		if hold := p.holdReason(*c); hold != "" {
			c.Status, c.HoldReason = StatusPending, hold
		} else if p.moderation() == ModerationAll && c.Status == StatusApproved {
			c.Status, c.HoldReason = StatusPending, reasonAll
		}
		seen.note(c, was, published(c.Status))
		return Change{Log: &Action{At: now, Kind: ActionEditOwn, Target: commentTarget(*c),
			Comment: c.ID, Post: c.Post, Detail: "before: " + excerpt(before, 500)}}, nil
	})
	if err != nil {
		return Comment{Body: newBody}, fmt.Errorf("editing comment %d: %w", id, err)
	}
	return c, nil
}

// DeleteOwn deletes a comment for its writer, on the same terms as EditOwn.
// A held reply to it may exist; it stays, shown to its writer where a
// reply to a deleted comment goes.
func (s *Service) DeleteOwn(ctx context.Context, id uint64, commenterID string) error {
	p, err := s.currentSettings()
	if err != nil {
		return err
	}
	now := s.now0()
	var seen publicChange
	defer seen.tell(s)
	_, err = s.store.Modify(ctx, id, func(c *Comment, replies int) (Change, error) {
		if err := mayChangeOwn(*c, commenterID, replies, p, now); err != nil {
			return Change{}, err
		}
		seen.note(c, published(c.Status), false)
		return Change{Delete: true, Log: &Action{At: now, Kind: ActionDeleteOwn, Target: commentTarget(*c),
			Comment: c.ID, Post: c.Post, Detail: excerpt(c.Body, 200)}}, nil
	})
	if err != nil {
		return fmt.Errorf("deleting comment %d: %w", id, err)
	}
	return nil
}

// mayChangeOwn is the rule for a writer's own edit or delete; replies is
// the number of the comment's approved direct replies.
func mayChangeOwn(c Comment, commenterID string, replies int, p Settings, now time.Time) error {
	switch {
	case c.Status == StatusSpam:
		return ErrNotFound
	case commenterID == "" || c.CommenterID != commenterID:
		return ErrNotYours
	case p.EditMinutes <= 0 || !now.Before(c.Created.Add(p.editWindow())):
		return ErrEditWindowPassed
	case replies > 0:
		return ErrHasReplies
	}
	return nil
}

func commentTarget(c Comment) string {
	return "comment " + strconv.FormatUint(c.ID, 10) + " on " + c.Post
}

// errNoModerator is returned for a moderator action without a moderator.
var errNoModerator = errors.New("a moderator action needs the moderator's name")

// moderate changes one comment for a moderator and logs it. fn returns the
// detail for the log and whether to delete the comment.
func (s *Service) moderate(ctx context.Context, by string, id uint64, kind ActionKind,
	fn func(c *Comment, now time.Time) (detail string, del bool, err error)) (Comment, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return Comment{}, fmt.Errorf("%s comment %d: %w", kind, id, errNoModerator)
	}
	now := s.now0()
	var seen publicChange
	defer seen.tell(s)
	c, err := s.store.Modify(ctx, id, func(c *Comment, _ int) (Change, error) {
		was := published(c.Status)
		detail, del, err := fn(c, now)
		if err != nil {
			return Change{}, err
		}
		seen.note(c, was, published(c.Status) && !del)
		return Change{Delete: del, Log: &Action{At: now, By: by, Kind: kind, Target: commentTarget(*c),
			Comment: c.ID, Post: c.Post, Detail: detail}}, nil
	})
	if err != nil {
		return c, fmt.Errorf("%s comment %d: %w", kind, id, err)
	}
	return c, nil
}

// Approve publishes a held or spam comment. It also makes its writer a
// known reader for first-time moderation.
func (s *Service) Approve(ctx context.Context, by string, id uint64) (Comment, error) {
	return s.moderate(ctx, by, id, ActionApprove, func(c *Comment, _ time.Time) (string, bool, error) {
		detail := "was " + string(c.Status)
		c.Status = StatusApproved
		return detail, false, nil
	})
}

// MarkSpam hides a comment from everyone, its writer included.
func (s *Service) MarkSpam(ctx context.Context, by string, id uint64) (Comment, error) {
	return s.moderate(ctx, by, id, ActionSpam, func(c *Comment, _ time.Time) (string, bool, error) {
		detail := "was " + string(c.Status)
		c.Status = StatusSpam
		return detail, false, nil
	})
}

// Delete removes a comment. Replies to it stay, shown where it was. The log
// keeps its writer's name and opening words.
func (s *Service) Delete(ctx context.Context, by string, id uint64) error {
	_, err := s.moderate(ctx, by, id, ActionDelete, func(c *Comment, _ time.Time) (string, bool, error) {
		name := c.Name
		if name == "" {
			name = "anonymous"
		}
		return string(c.Status) + ", by " + name + ": " + excerpt(c.Body, 200), true, nil
	})
	return err
}

// Edit replaces a comment's body and renders it again; the log keeps the
// text it replaced. A body the rules refuse is FieldErrors on "body" (reject
// words do not apply to moderators). The status is unchanged.
func (s *Service) Edit(ctx context.Context, by string, id uint64, body string) (Comment, error) {
	newBody, msg := validateBody(body)
	if msg != "" {
		return Comment{Body: newBody}, FieldErrors{"body": msg}
	}
	return s.moderate(ctx, by, id, ActionEdit, func(c *Comment, now time.Time) (string, bool, error) {
		before := c.Body
		c.Body, c.HTML, c.Updated = newBody, Render(newBody), now
		return "before: " + excerpt(before, 500), false, nil
	})
}

// Ban keeps a reader from commenting: b.Kind, b.Value, b.Reason and b.Until
// (zero for ever) are used; the rest is filled in. A ban on the same value
// replaces the earlier one. It returns the ban as stored.
func (s *Service) Ban(ctx context.Context, by string, b Ban) (Ban, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return Ban{}, fmt.Errorf("ban: %w", errNoModerator)
	}
	v, err := NormalizeBan(b.Kind, b.Value)
	if err != nil {
		return Ban{}, err
	}
	now := s.now0()
	if !b.Until.IsZero() && !b.Until.After(now) {
		return Ban{}, fmt.Errorf("ban: it would end at %v, which has passed", b.Until)
	}
	b = Ban{Kind: b.Kind, Value: v, Reason: excerpt(b.Reason, 500), Until: b.Until.Round(0), By: by, Created: now}
	detail := "for ever"
	if !b.Until.IsZero() {
		detail = "until " + b.Until.UTC().Format(time.RFC3339)
	}
	if b.Reason != "" {
		detail += ": " + b.Reason
	}
	a := Action{At: now, By: by, Kind: ActionBan, Target: string(b.Kind) + " " + b.Value, Detail: detail}
	if err := s.store.PutBan(ctx, b, a); err != nil {
		return Ban{}, fmt.Errorf("banning %s %s: %w", b.Kind, b.Value, err)
	}
	return b, nil
}

// Unban lifts the ban on an email address or IP address or network
// (ErrNotBanned if there is none).
func (s *Service) Unban(ctx context.Context, by string, kind BanKind, value string) error {
	by = strings.TrimSpace(by)
	if by == "" {
		return fmt.Errorf("unban: %w", errNoModerator)
	}
	v, err := NormalizeBan(kind, value)
	if err != nil {
		return err
	}
	a := Action{At: s.now0(), By: by, Kind: ActionUnban, Target: string(kind) + " " + v}
	if err := s.store.RemoveBan(ctx, kind, v, a); err != nil {
		return fmt.Errorf("lifting the ban on %s %s: %w", kind, v, err)
	}
	return nil
}

// ClosePost closes a post to new comments, whatever close_after_days says.
func (s *Service) ClosePost(ctx context.Context, by, slug string) error {
	return s.setClosure(ctx, by, slug, true)
}

// ReopenPost opens a post again, even one close_after_days has closed. It
// cannot open a post its front matter or the site's settings close.
func (s *Service) ReopenPost(ctx context.Context, by, slug string) error {
	return s.setClosure(ctx, by, slug, false)
}

func (s *Service) setClosure(ctx context.Context, by, slug string, closed bool) error {
	kind := ActionReopen
	if closed {
		kind = ActionClose
	}
	by = strings.TrimSpace(by)
	if by == "" {
		return fmt.Errorf("%s %s: %w", kind, slug, errNoModerator)
	}
	if _, ok := s.post(slug); !ok || slug == "" || strings.IndexByte(slug, 0) >= 0 {
		return fmt.Errorf("%s %q: %w", kind, slug, ErrNoPost)
	}
	now := s.now0()
	cl := Closure{Post: slug, Closed: closed, By: by, At: now}
	a := Action{At: now, By: by, Kind: kind, Target: "post " + slug, Post: slug}
	err := s.store.SetClosure(ctx, cl, a)
	// The form shows or goes, even when the commit failed (it may have
	// been written all the same).
	s.versions.changed(slug, changedForm, s.now0())
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, slug, err)
	}
	return nil
}

// Page sizes of the admin listings.
const (
	DefaultPerPage = 50
	MaxPerPage     = 500
)

// pageBounds turns a 1-based page and its size into an offset and limit,
// mending nonsense: a page below 1 is the first, a size below 1 is
// DefaultPerPage, and a size above MaxPerPage is MaxPerPage.
func pageBounds(page, perPage int) (offset, limit int) {
	if perPage < 1 {
		perPage = DefaultPerPage
	}
	perPage = min(perPage, MaxPerPage)
	page = min(max(page, 1), 1<<20)
	return (page - 1) * perPage, perPage
}

// Held returns one page of the comments waiting for a moderator, newest
// first across all posts, and how many wait in all. Comments here are
// complete, email and IP included: for moderators' eyes only.
func (s *Service) Held(ctx context.Context, page, perPage int) ([]Comment, int, error) {
	off, lim := pageBounds(page, perPage)
	cs, total, err := s.store.Held(ctx, off, lim)
	if err != nil {
		return nil, 0, fmt.Errorf("listing held comments: %w", err)
	}
	return cs, total, nil
}

// Recent returns one page of all comments, every status, newest first, and
// how many there are. For moderators' eyes only.
func (s *Service) Recent(ctx context.Context, page, perPage int) ([]Comment, int, error) {
	off, lim := pageBounds(page, perPage)
	cs, total, err := s.store.Recent(ctx, off, lim)
	if err != nil {
		return nil, 0, fmt.Errorf("listing recent comments: %w", err)
	}
	return cs, total, nil
}

// Bans returns every ban, newest first; expired ones too (Ban.Active tells).
func (s *Service) Bans(ctx context.Context) ([]Ban, error) {
	bs, err := s.store.Bans(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing bans: %w", err)
	}
	return bs, nil
}

// Actions returns one page of the audit log, newest first, and the number
// of its entries: all of them when kind is "", else those of one kind. The
// store reads the page and the count through an index by kind in one read
// transaction, so the page neither skips nor repeats an entry however the
// log grows meanwhile.
func (s *Service) Actions(ctx context.Context, kind ActionKind, page, perPage int) ([]Action, int, error) {
	off, lim := pageBounds(page, perPage)
	as, total, err := s.store.Actions(ctx, kind, off, lim)
	if err != nil {
		if kind != "" {
			return nil, 0, fmt.Errorf("listing moderation actions of kind %s: %w", kind, err)
		}
		return nil, 0, fmt.Errorf("listing moderation actions: %w", err)
	}
	return as, total, nil
}

// RecentApproved returns the n newest approved comments across all posts,
// for the site's comment feed, without anything private.
func (s *Service) RecentApproved(ctx context.Context, n int) ([]PublicComment, error) {
	if n < 1 {
		return nil, nil
	}
	cs, err := s.store.RecentApproved(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("listing recent comments: %w", err)
	}
	return publicOf(cs), nil
}

// ApprovedOn returns the n newest approved comments on one post, newest
// first, for the post's comment feed, without anything private.
func (s *Service) ApprovedOn(ctx context.Context, slug string, n int) ([]PublicComment, error) {
	if n < 1 {
		return nil, nil
	}
	cs, err := s.store.ApprovedOn(ctx, slug, n)
	if err != nil {
		return nil, fmt.Errorf("listing recent comments on %s: %w", slug, err)
	}
	return publicOf(cs), nil
}

// Counts returns the number of approved comments of each post that has
// any, for the lists of posts.
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	counts, err := s.store.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting comments: %w", err)
	}
	return counts, nil
}

func publicOf(cs []Comment) []PublicComment {
	out := make([]PublicComment, len(cs))
	for i, c := range cs {
		out[i] = c.Public()
	}
	return out
}

// Get returns one comment, complete (email and IP included): for
// moderators' eyes only. A missing one is ErrNotFound.
func (s *Service) Get(ctx context.Context, id uint64) (Comment, error) {
	c, err := s.store.Get(ctx, id)
	if err != nil {
		return Comment{}, fmt.Errorf("reading comment %d: %w", id, err)
	}
	return c, nil
}
