package federation

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"milepost/internal/content"
	"milepost/internal/publication"
)

// Addresses of the federation's documents, under the base URL:
//
//	/ap/actors/NAME            the actor (an author's ID, or SiteActor)
//	/ap/actors/NAME/inbox      its inbox (POST)
//	/ap/actors/NAME/outbox     its posts as Create activities, paged
//	/ap/actors/NAME/followers  its followers, paged
//	/ap/posts/SLUG             a post as an Article
//	/inbox                     the shared inbox (POST)
const (
	actorsPath = "/ap/actors/"
	postsPath  = "/ap/posts/"
	// PageSize is the length of a page of a collection.
	PageSize = 20
)

// ActivityStreams and security contexts.
const (
	asContext       = "https://www.w3.org/ns/activitystreams"
	securityContext = "https://w3id.org/security/v1"
	publicAddress   = "https://www.w3.org/ns/activitystreams#Public"
)

// site is the site as federation sees it at one moment.
type site struct {
	*content.Site
	base string // the base URL, without a trailing slash
	host string // its host, for acct: handles
	now  time.Time
}

// current returns the site, or ErrNotEnabled when it has no base URL:
// actor ids must not change with the address a request came to.
func (s *Service) current() (site, error) {
	st := s.opts.Site()
	if st == nil || st.Config.BaseURL == "" {
		return site{}, ErrNotEnabled
	}
	u, err := url.Parse(st.Config.BaseURL)
	if err != nil || u.Host == "" {
		return site{}, ErrNotEnabled
	}
	return site{Site: st, base: strings.TrimRight(st.Config.BaseURL, "/"), host: u.Host, now: s.now()}, nil
}

func (st site) view() content.View { return content.View{Site: st.Site, Now: st.now} }

func (st site) actorID(name string) string { return st.base + actorsPath + url.PathEscape(name) }
func (st site) keyID(name string) string   { return st.actorID(name) + "#main-key" }
func (st site) articleID(slug string) string {
	return st.base + postsPath + url.PathEscape(slug)
}
func (st site) postURL(slug string) string { return st.base + "/posts/" + url.PathEscape(slug) + "/" }
func (st site) authorURL(id string) string { return st.base + "/authors/" + url.PathEscape(id) + "/" }

// localActor reports whether name is a local actor: an author, or the site.
func (st site) localActor(name string) (*content.Author, bool) {
	if name == SiteActor {
		return nil, true
	}
	a := st.Authors[name]
	return a, a != nil
}

// actorName is the local actor an actor id names, if it is one.
func (st site) actorName(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, st.base+actorsPath)
	if !ok {
		return "", false
	}
	name, err := url.PathUnescape(rest)
	if err != nil {
		return "", false
	}
	_, ok = st.localActor(name)
	return name, ok
}

// postSlug is the slug of the public post an address names: its Article
// id or its page.
func (st site) postSlug(ref string) (string, bool) {
	for _, prefix := range []string{st.base + postsPath, st.base + "/posts/"} {
		rest, ok := strings.CutPrefix(ref, prefix)
		if !ok {
			continue
		}
		slug, _, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "#")
		if slug, err := url.PathUnescape(slug); err == nil && st.view().Post(slug) != nil {
			return slug, true
		}
	}
	return "", false
}

// commentRef parses a comment's lasting address, /posts/SLUG/comments/ID.
func (st site) commentRef(ref string) (slug string, id uint64, ok bool) {
	rest, ok := strings.CutPrefix(ref, st.base+"/posts/")
	if !ok {
		return "", 0, false
	}
	slug, num, ok := strings.Cut(rest, "/comments/")
	if !ok {
		return "", 0, false
	}
	num, _, _ = strings.Cut(strings.TrimSuffix(num, "/"), "#")
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || st.view().Post(slug) == nil {
		return "", 0, false
	}
	return slug, n, true
}

// WebFinger answers a WebFinger query for resource ("acct:kay@host", or an
// actor's id or author page): ErrNotFound for anyone else. The user part
// is matched without regard to case (Mastodon lower-cases handles), the
// host exactly as the base URL has it, also without regard to case.
func (s *Service) WebFinger(ctx context.Context, resource string) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	name, ok := st.webfingerName(resource)
	if !ok {
		return nil, ErrNotFound
	}
	links := []map[string]any{
		{"rel": "self", "type": ContentTypeActivity, "href": st.actorID(name)},
	}
	profile := st.base + "/"
	if name != SiteActor {
		profile = st.authorURL(name)
	}
	links = append(links, map[string]any{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile})
	return map[string]any{
		"subject": "acct:" + name + "@" + st.host,
		"aliases": []string{st.actorID(name), profile},
		"links":   links,
	}, nil
}

func (st site) webfingerName(resource string) (string, bool) {
	if acct, ok := strings.CutPrefix(resource, "acct:"); ok {
		user, host, ok := strings.Cut(strings.TrimPrefix(acct, "@"), "@")
		if !ok || !strings.EqualFold(host, st.host) {
			return "", false
		}
		return st.findName(user)
	}
	if name, ok := st.actorName(resource); ok {
		return name, true
	}
	if rest, ok := strings.CutPrefix(resource, st.base+"/authors/"); ok {
		return st.findName(strings.TrimSuffix(rest, "/"))
	}
	return "", false
}

// findName is the local actor named user, without regard to case.
func (st site) findName(user string) (string, bool) {
	if strings.EqualFold(user, SiteActor) {
		return SiteActor, true
	}
	if _, ok := st.Authors[user]; ok {
		return user, true
	}
	for id := range st.Authors {
		if strings.EqualFold(id, user) {
			return id, true
		}
	}
	return "", false
}

// Handle is an author's fediverse handle, "@kay@runners.example.org", or
// "" when federation is off.
func (s *Service) Handle(author string) string {
	st, err := s.current()
	if err != nil {
		return ""
	}
	return "@" + author + "@" + st.host
}

// Actor returns the actor document of a local actor.
func (s *Service) Actor(ctx context.Context, name string) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	a, ok := st.localActor(name)
	if !ok {
		return nil, ErrNotFound
	}
	key, err := s.localKey(ctx, name)
	if err != nil {
		return nil, err
	}
	id := st.actorID(name)
	doc := map[string]any{
		"@context":                  []any{asContext, securityContext},
		"id":                        id,
		"preferredUsername":         name,
		"inbox":                     id + "/inbox",
		"outbox":                    id + "/outbox",
		"followers":                 id + "/followers",
		"endpoints":                 map[string]any{"sharedInbox": st.base + "/inbox"},
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"publicKey": map[string]any{
			"id":           st.keyID(name),
			"owner":        id,
			"publicKeyPem": key.publicPEM,
		},
	}
	if a == nil {
		doc["type"] = "Service"
		doc["name"] = st.Config.Title
		doc["summary"] = st.Config.Description
		doc["url"] = st.base + "/"
		return doc, nil
	}
	doc["type"] = "Person"
	doc["name"] = a.Name
	doc["summary"] = string(a.Bio)
	doc["url"] = st.authorURL(a.ID)
	if a.Avatar != "" {
		doc["icon"] = map[string]any{"type": "Image", "url": st.authorURL(a.ID) + url.PathEscape(a.Avatar)}
	}
	return doc, nil
}

// actorPosts are the public posts a local actor announces: the site's
// all, an author's theirs.
func (st site) actorPosts(name string) content.Listing {
	if name == SiteActor {
		return st.view().Posts()
	}
	return st.view().ByAuthor(name)
}

// collection is an OrderedCollection (page 0) or one of its pages.
func collection(id string, page, total int, items func(offset, limit int) ([]any, error)) (map[string]any, error) {
	if page <= 0 {
		c := map[string]any{"@context": asContext, "id": id, "type": "OrderedCollection", "totalItems": total}
		if total > 0 {
			c["first"] = id + "?page=1"
		}
		return c, nil
	}
	list, err := items((page-1)*PageSize, PageSize)
	if err != nil {
		return nil, err
	}
	c := map[string]any{"@context": asContext, "id": id + "?page=" + strconv.Itoa(page), "type": "OrderedCollectionPage",
		"partOf": id, "totalItems": total, "orderedItems": list}
	if page*PageSize < total {
		c["next"] = id + "?page=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		c["prev"] = id + "?page=" + strconv.Itoa(page-1)
	}
	return c, nil
}

// Outbox is a local actor's outbox (page 0) or a page of it: a Create of
// an Article for each public post, newest first.
func (s *Service) Outbox(ctx context.Context, name string, page int) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	if _, ok := st.localActor(name); !ok {
		return nil, ErrNotFound
	}
	posts := st.actorPosts(name)
	return collection(st.actorID(name)+"/outbox", page, len(posts), func(offset, limit int) ([]any, error) {
		var items []any
		for _, p := range posts[min(offset, len(posts)):min(offset+limit, len(posts))] {
			act := st.activity("Create", p, st.attributedName(p), publication.Fingerprint(p))
			delete(act, "@context")
			items = append(items, act)
		}
		return items, nil
	})
}

// Followers is a local actor's followers collection or a page of it.
func (s *Service) Followers(ctx context.Context, name string, page int) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	if _, ok := st.localActor(name); !ok {
		return nil, ErrNotFound
	}
	_, total, err := s.opts.Store.Followers(ctx, name, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("counting followers of %s: %w", name, err)
	}
	return collection(st.actorID(name)+"/followers", page, total, func(offset, limit int) ([]any, error) {
		fs, _, err := s.opts.Store.Followers(ctx, name, offset, limit)
		if err != nil {
			return nil, fmt.Errorf("listing followers of %s: %w", name, err)
		}
		items := make([]any, len(fs))
		for i, f := range fs {
			items[i] = f.Actor
		}
		return items, nil
	})
}

// Article returns a public post as an Article document.
func (s *Service) Article(ctx context.Context, slug string) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	p := st.view().Post(slug)
	if p == nil {
		return nil, ErrNotFound
	}
	a := st.article(p)
	a["@context"] = []any{asContext, map[string]any{"Hashtag": "as:Hashtag"}}
	return a, nil
}

// NodeInfoLinks is the /.well-known/nodeinfo document.
func (s *Service) NodeInfoLinks() (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	return map[string]any{"links": []any{
		map[string]any{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": st.base + "/nodeinfo/2.0"},
		map[string]any{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": st.base + "/nodeinfo/2.1"},
	}}, nil
}

// NodeInfo is the NodeInfo document of version "2.0" or "2.1".
func (s *Service) NodeInfo(ctx context.Context, version string, softwareVersion string) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	if version != "2.0" && version != "2.1" {
		return nil, ErrNotFound
	}
	counts, err := s.opts.Comments.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting comments: %w", err)
	}
	comments := 0
	for _, n := range counts {
		comments += n
	}
	software := map[string]any{"name": "milepost", "version": softwareVersion}
	return map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{"atom1.0", "rss2.0"}},
		"openRegistrations": false,
		"usage": map[string]any{
			"users":         map[string]any{"total": len(st.Authors)},
			"localPosts":    len(st.view().Posts()),
			"localComments": comments,
		},
		"metadata": map[string]any{"nodeName": st.Config.Title, "nodeDescription": st.Config.Description},
	}, nil
}
