package comments

import (
	"sync"
	"time"
)

// What readers see of the comments changes only through the Service, so
// the Service can tell a cache of readers' pages exactly when: after each
// committed change that alters what readers see of a post — a comment
// published (posted approved, or approved later), edited while published,
// hidden or deleted, a post closed or reopened — it gives the post a new
// version, and the site a new one. A held comment that stays held, a ban
// or a change of a spam comment alters no reader's page, and leaves them.
//
// A cache keys a page on the versions of the posts whose comments it
// shows (and the site's for the all-comments feed): a page kept under an
// older version is never served after the change, and a page of another
// post is kept. The version is given after the store's commit, so a page
// rendered under the new version reads the committed comments. Its three
// numbers let each page key on what it shows: the post's page on
// everything (Seq), a comment feed on the published comments (Comments),
// a list of posts on their number (Count).

// PublicVersion is the state of what readers see of a post's comments (or
// of all of them), as a cache keys on it. Each number is distinct and
// growing, and 0 for no change since the Service started.
type PublicVersion struct {
	// Seq changes with each change readers see: the comments, their
	// number, whether the post takes new ones.
	Seq uint64
	// Comments changes when a published comment is added, changed or
	// taken away.
	Comments uint64
	// Count changes when the number of published comments may have.
	Count uint64
	// Changed is when Seq last changed, or the Service's start for no
	// change since (comments may have changed before): never earlier than
	// the change, for Last-Modified.
	Changed time.Time
}

// A change readers see, by what it alters.
type publicChangeKind int

const (
	changedForm     publicChangeKind = iota // whether the post takes comments
	changedComments                         // a published comment, not their number
	changedCount                            // the published comments and their number
)

// publicVersions are the versions of the posts and of the site.
type publicVersions struct {
	started time.Time
	mu      sync.RWMutex
	seq     uint64
	byPost  map[string]PublicVersion
	site    PublicVersion
}

func newPublicVersions(now time.Time) *publicVersions {
	return &publicVersions{started: now, byPost: map[string]PublicVersion{}, site: PublicVersion{Changed: now}}
}

// changed gives post slug, and the site, a new version changed at now.
func (v *publicVersions) changed(slug string, kind publicChangeKind, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	bump := func(pv *PublicVersion) {
		pv.Seq, pv.Changed = v.seq, now
		if kind >= changedComments {
			pv.Comments = v.seq
		}
		if kind >= changedCount {
			pv.Count = v.seq
		}
	}
	pv, ok := v.byPost[slug]
	if !ok {
		pv = PublicVersion{Changed: v.started}
	}
	bump(&pv)
	v.byPost[slug] = pv
	bump(&v.site)
}

func (v *publicVersions) post(slug string) PublicVersion {
	v.mu.RLock()
	pv, ok := v.byPost[slug]
	v.mu.RUnlock()
	if !ok {
		return PublicVersion{Changed: v.started}
	}
	return pv
}

func (v *publicVersions) all() PublicVersion {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.site
}

// PostVersion is the version of what readers see of the comments on the
// post with the slug. It reads no store.
func (s *Service) PostVersion(slug string) PublicVersion { return s.versions.post(slug) }

// SiteVersion is the version of what readers see of all comments: it
// changes with every post's.
func (s *Service) SiteVersion() PublicVersion { return s.versions.all() }

// ClosedByAge reports whether close_after_days closes the post with the
// slug at now, as AcceptsComments applies it: the part of whether a post
// takes comments that changes with time alone, with no change a version
// would tell of. It reads no store; an unknown post is not closed by age.
func (s *Service) ClosedByAge(slug string, now time.Time) bool {
	info, ok := s.post(slug)
	return ok && s.settings().closedByAge(info.Date, now)
}

// published reports whether a comment in status is shown to readers.
func published(status Status) bool { return status == StatusApproved }

// publicChange is what a change made through Store.Modify showed readers:
// the post of a comment, and whether it was published before the change
// and after it (deleted: not after). The store may run the change more
// than once (a shared commit run again); the last run is the one
// committed.
type publicChange struct {
	post        string
	ran         bool
	before, now bool
}

func (p *publicChange) note(c *Comment, before, now bool) {
	p.post, p.ran, p.before, p.now = c.Post, true, before, now
}

// tell gives the post a new version when readers saw the change; called
// once the store has returned, committed or not (a failed commit may have
// been written all the same, and a page rendered again costs less than a
// stale one).
func (p *publicChange) tell(s *Service) {
	switch {
	case !p.ran || (!p.before && !p.now):
	case p.before != p.now:
		s.versions.changed(p.post, changedCount, s.now0())
	default:
		s.versions.changed(p.post, changedComments, s.now0())
	}
}
