package training

import (
	"sync"
	"time"

	"milepost/internal/content"
)

// Cache keeps the figures of the current Site, built on first use. A
// content reload gives a new Site, and a post whose date comes changes
// the visible posts: either builds new figures, once. The zero Cache is
// ready to use.
type Cache struct {
	mu      sync.Mutex
	site    *content.Site
	visible int
	figures *Figures
}

// For returns the figures of what site publishes at now: its posts
// without drafts or posts dated after now (content.View's rule).
func (c *Cache) For(site *content.Site, now time.Time) *Figures {
	posts := content.View{Site: site, Now: now}.Published().Posts()
	c.mu.Lock()
	defer c.mu.Unlock()
	// The visible posts are a suffix of the site's list, newest first:
	// their number says which they are.
	if c.site != site || c.visible != len(posts) || c.figures == nil {
		c.site, c.visible = site, len(posts)
		c.figures = Build(posts, SettingsOf(site.Config))
	}
	return c.figures
}

// SettingsOf are the figures' settings from the site's; Build fills in
// the defaults of what the site leaves unset.
func SettingsOf(cfg content.Config) Settings {
	return Settings{Location: cfg.Location, Units: cfg.Units, ShoeLimitM: cfg.ShoeLimitM}
}
