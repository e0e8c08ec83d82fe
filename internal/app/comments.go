package app

import (
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
)

// SiteSource gives the site being served; content.Source is one.
type SiteSource interface {
	Current() *content.Site
}

// NewCommentService builds the comment service over store for the site src
// serves: the settings are site.yaml's comments: block, read again on every
// call so that an edited site.yaml takes effect at once, and a post takes
// comments when readers can see it now (drafts too, when drafts is set).
// now is the clock; nil means time.Now.
func NewCommentService(store comments.Store, src SiteSource, drafts bool, now func() time.Time) *comments.Service {
	return comments.New(store, commentOptions(src, drafts, now))
}

// commentOptions are NewCommentService's options.
func commentOptions(src SiteSource, drafts bool, now func() time.Time) comments.Options {
	if now == nil {
		now = time.Now
	}
	return comments.Options{
		Now:      now,
		Settings: func() comments.Settings { return src.Current().Config.Comments },
		Posts: func(slug string) (comments.PostInfo, bool) {
			p := content.View{Site: src.Current(), Now: now(), Drafts: drafts}.Post(slug)
			if p == nil {
				return comments.PostInfo{}, false
			}
			return comments.PostInfo{Date: p.Date, CommentsOff: !p.CommentsOpen}, true
		},
	}
}
