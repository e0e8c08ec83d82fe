package comments

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors the Service returns to a reader. Match them with errors.Is.
var (
	// ErrClosed: the post takes no comments (front matter, site settings,
	// a moderator, or its age under close_after_days).
	ErrClosed = errors.New("comments on this post are closed")
	// ErrNoPost: the slug is not a post the Service was told about.
	ErrNoPost = errors.New("no such post")
	// ErrDuplicate: the same body came from the same IP address within the
	// policy's duplicate window.
	ErrDuplicate = errors.New("the same comment was just posted from this address")
	// ErrBanned is matched by every *BanError.
	ErrBanned = errors.New("banned from commenting")
	// ErrNotYours: the comment was not written with this commenter id.
	ErrNotYours = errors.New("this comment was written by someone else")
	// ErrEditWindowPassed: the writer's time to edit or delete is over.
	ErrEditWindowPassed = errors.New("the time to change this comment has passed")
	// ErrHasReplies: someone has answered the comment, so its writer may no
	// longer change it.
	ErrHasReplies = errors.New("this comment has replies")
)

// BanKind says what a ban matches.
type BanKind string

const (
	BanEmail BanKind = "email" // an email address, without regard to case
	BanIP    BanKind = "ip"    // an IP address, or a network such as 2001:db8::/64
	// BanFediverse is a fediverse account (its actor's address) or a
	// whole server (its domain, with its subdomains): replies from there
	// are refused as comments.
	BanFediverse BanKind = "fediverse"
)

// BanKinds are the kinds of ban there are, in the order a form offers them.
var BanKinds = []BanKind{BanEmail, BanIP, BanFediverse}

// Ban keeps a reader from commenting.
type Ban struct {
	Kind BanKind `json:"kind"`
	// Value is the email address (lower case), the IP address or
	// network, or the fediverse actor or domain, as NormalizeBan leaves it.
	Value  string `json:"value"`
	Reason string `json:"reason,omitempty"`
	// Until is when the ban ends; zero means never.
	Until   time.Time `json:"until,omitzero"`
	By      string    `json:"by"` // the moderator
	Created time.Time `json:"created"`
}

// Active reports whether the ban is in force at t.
func (b Ban) Active(t time.Time) bool { return b.Until.IsZero() || t.Before(b.Until) }

// Matches reports whether the ban applies to the writer of c (its Email,
// IP and Actor, any of which may be empty), whether or not it is active.
func (b Ban) Matches(c *Comment) bool {
	email, ip := c.Email, c.IP
	switch b.Kind {
	case BanFediverse:
		return FediverseMatch(b.Value, c.Actor)
	case BanEmail:
		return email != "" && strings.EqualFold(strings.TrimSpace(email), b.Value)
	case BanIP:
		addr, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			return false
		}
		addr = addr.Unmap().WithZone("")
		if p, err := netip.ParsePrefix(b.Value); err == nil {
			return p.Contains(addr)
		}
		a, err := netip.ParseAddr(b.Value)
		return err == nil && a == addr
	}
	return false
}

// NormalizeBan checks a ban's value and returns the form it is stored and
// compared in: an email address in lower case; an IP address in its
// canonical text (IPv4-mapped IPv6 as IPv4); a network with its host bits
// cleared (a single-address network as the address).
func NormalizeBan(kind BanKind, value string) (string, error) {
	v := strings.TrimSpace(value)
	switch kind {
	case BanEmail:
		addr, msg := validateEmail(v)
		if msg != "" || addr == "" {
			return "", fmt.Errorf("ban: %q is not an email address", value)
		}
		return strings.ToLower(addr), nil
	case BanIP:
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return "", fmt.Errorf("ban: %q is not an IP network such as 192.0.2.0/24 or 2001:db8::/64", value)
			}
			if p.Addr().Is4In6() {
				if p.Bits() < 96 {
					return "", fmt.Errorf("ban: %q mixes IPv4 and IPv6", value)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			p = p.Masked()
			if p.IsSingleIP() {
				return p.Addr().String(), nil
			}
			return p.String(), nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", fmt.Errorf("ban: %q is not an IP address", value)
		}
		return a.Unmap().WithZone("").String(), nil
	case BanFediverse:
		f, err := NormalizeFediverse(v)
		if err != nil {
			return "", fmt.Errorf("ban: %q is not a fediverse account or server: %w", value, err)
		}
		return f, nil
	}
	return "", fmt.Errorf("ban: unknown kind %q (want %q, %q or %q)", kind, BanEmail, BanIP, BanFediverse)
}

// BanError is returned to a banned reader. Match it with errors.As, or with
// errors.Is(err, ErrBanned).
type BanError struct {
	Reason string
	Until  time.Time // zero: the ban does not end
}

func (e *BanError) Error() string {
	var b strings.Builder
	b.WriteString("you may not comment on this site")
	if !e.Until.IsZero() {
		b.WriteString(" until ")
		b.WriteString(e.Until.UTC().Format("2 January 2006 15:04 MST"))
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

func (e *BanError) Is(target error) bool { return target == ErrBanned }

// Closure is a moderator's decision about a post: closed to new comments, or
// reopened. Either overrides close_after_days; front matter "comments: false"
// and a site with comments disabled stay closed whatever it says.
type Closure struct {
	Post   string    `json:"post"`
	Closed bool      `json:"closed"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// ActionKind names what a moderator (or a writer) did.
type ActionKind string

const (
	ActionApprove   ActionKind = "approve"
	ActionSpam      ActionKind = "spam"
	ActionDelete    ActionKind = "delete"
	ActionEdit      ActionKind = "edit"
	ActionBan       ActionKind = "ban"
	ActionUnban     ActionKind = "unban"
	ActionClose     ActionKind = "close"
	ActionReopen    ActionKind = "reopen"
	ActionEditOwn   ActionKind = "edit-own"   // a writer edited their own comment
	ActionDeleteOwn ActionKind = "delete-own" // a writer deleted their own comment

	// The steps of a post's review (authoring.Review): a contributor
	// submitted it, an editor returned it with a note, or an editor
	// published it.
	ActionReviewSubmit  ActionKind = "review-submit"
	ActionReviewReturn  ActionKind = "review-return"
	ActionReviewPublish ActionKind = "review-publish"

	// What a writer or editor did to a post in the web editor
	// (authoring): wrote a new one, saved one without changing whether it
	// is out, published it (or scheduled it for a later date), took it
	// down, moved it to the trash, or brought back an earlier version or
	// a trashed post.
	ActionPostCreate    ActionKind = "post-create"
	ActionPostSave      ActionKind = "post-save"
	ActionPostPublish   ActionKind = "post-publish"
	ActionPostSchedule  ActionKind = "post-schedule"
	ActionPostUnpublish ActionKind = "post-unpublish"
	ActionPostDelete    ActionKind = "post-delete"
	ActionPostRestore   ActionKind = "post-restore"

	// A writer or editor made a draft preview link to a post, or
	// revoked one (authoring's preview links).
	ActionPreviewLink   ActionKind = "preview-link"
	ActionPreviewRevoke ActionKind = "preview-revoke"

	// A writer saved their author profile over an earlier version, or
	// brought an earlier version back (authoring's profile history).
	ActionProfileSave    ActionKind = "profile-save"
	ActionProfileRestore ActionKind = "profile-restore"
)

// actionKinds are every kind of audit log entry, in the order a filter of
// the log offers them.
var actionKinds = []ActionKind{ActionApprove, ActionSpam, ActionDelete, ActionEdit, ActionEditOwn, ActionDeleteOwn,
	ActionBan, ActionUnban, ActionClose, ActionReopen, ActionReviewSubmit, ActionReviewReturn, ActionReviewPublish,
	ActionPostCreate, ActionPostSave, ActionPostPublish, ActionPostSchedule, ActionPostUnpublish, ActionPostDelete, ActionPostRestore,
	ActionPreviewLink, ActionPreviewRevoke, ActionProfileSave, ActionProfileRestore}

// ActionKinds returns every kind of audit log entry, in the order a filter
// of the log offers them.
func ActionKinds() []ActionKind { return slices.Clone(actionKinds) }

// Action is one entry of the audit log.
type Action struct {
	ID   uint64     `json:"id"` // assigned by the store, in order
	At   time.Time  `json:"at"`
	By   string     `json:"by"` // the moderator; empty for a writer's own edit or delete
	Kind ActionKind `json:"kind"`
	// Target says what was acted on, for people: "comment 12 on
	// first-marathon", "email kay@example.org", "ip 192.0.2.0/24",
	// "post first-marathon".
	Target string `json:"target"`
	// Comment and Post identify the target for links, when they apply.
	Comment uint64 `json:"comment,omitempty"`
	Post    string `json:"post,omitempty"`
	// Detail is what a moderator needs to understand the action later:
	// the ban's reason and end, the text before an edit, a deleted
	// comment's writer and opening words.
	Detail string `json:"detail,omitempty"`
}

// excerpt shortens s to at most n characters for an audit entry.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
