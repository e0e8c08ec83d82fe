package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/feed"
)

// listItem is a post in a list, with its comment count.
type listItem struct {
	Post     *content.Post
	Comments int
}

// pager links the pages of a long list.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// listPage is the data of the home, tag and author pages.
type listPage struct {
	Heading string
	Tag     string
	Author  *content.Author
	// Fediverse is the author's handle and followers (federation.go).
	Fediverse *fediverseProfile
	Items     []listItem
	Pager     pager
}

// pageNumber reads the {n} of /page/{n}/; it is 1 where the route has none.
// It refuses anything that is not a positive number written plainly; /page/1/
// is read as 1, and the list answers it with a redirect to its root.
func pageNumber(r *http.Request) (int, bool) {
	raw := r.PathValue("n")
	if raw == "" {
		return 1, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || strconv.Itoa(n) != raw {
		return 0, false
	}
	return n, true
}

// paginate cuts one page out of posts and links its neighbours under root
// ("/", "/tags/x/"). It reports false for a page past the end.
func (s *Server) paginate(r *http.Request, posts content.Listing, per int, root string) (content.Listing, pager, bool) {
	n, ok := pageNumber(r)
	if !ok {
		return nil, pager{}, false
	}
	if per <= 0 {
		per = 10
	}
	pages := max(1, (len(posts)+per-1)/per)
	if n > pages {
		return nil, pager{}, false
	}
	pg := pager{Page: n, Pages: pages}
	if n > 1 {
		pg.Prev = root
		if n > 2 {
			pg.Prev = root + "page/" + strconv.Itoa(n-1) + "/"
		}
	}
	if n < pages {
		pg.Next = root + "page/" + strconv.Itoa(n+1) + "/"
	}
	lo := (n - 1) * per
	return posts[lo:min(lo+per, len(posts))], pg, true
}

// listItems pairs posts with their approved comment counts.
func (s *Server) listItems(r *http.Request, posts content.Listing) ([]listItem, error) {
	counts, err := s.comments.Counts(r.Context())
	if err != nil {
		return nil, err
	}
	items := make([]listItem, len(posts))
	for i, p := range posts {
		items[i] = listItem{Post: p, Comments: counts[p.Slug]}
	}
	return items, nil
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	s.list(w, r, v, v.Posts(), "/", listPage{}, "", "stories")
}

func (s *Server) tag(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	tag := r.PathValue("tag")
	posts := v.Tag(tag)
	if len(posts) == 0 {
		s.notFound(w, r)
		return
	}
	s.list(w, r, v, posts, "/tags/"+url.PathEscape(tag)+"/",
		listPage{Heading: "Tagged “" + tag + "”", Tag: tag}, "Posts tagged “"+tag+"”", "tags")
}

func (s *Server) author(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	a := v.Site.Authors[r.PathValue("id")]
	if a == nil {
		s.notFound(w, r)
		return
	}
	s.list(w, r, v, v.ByAuthor(a.ID), "/authors/"+url.PathEscape(a.ID)+"/",
		listPage{Heading: a.Name, Author: a, Fediverse: s.fediverseOf(r.Context(), a.ID)}, "Posts by "+a.Name, "")
}

// list renders one page of a post list rooted at root; title is the page's
// title ("" for the home page, which uses the site's).
func (s *Server) list(w http.ResponseWriter, r *http.Request, v content.View, posts content.Listing, root string, lp listPage, title, nav string) {
	cfg := s.config(r, v.Site)
	if r.PathValue("n") == "1" {
		// The first page of a list is its root: one address per page.
		http.Redirect(w, r, root, http.StatusPermanentRedirect)
		return
	}
	page, pg, ok := s.paginate(r, posts, cfg.PostsPerPage, root)
	if !ok {
		s.notFound(w, r)
		return
	}
	// Kept by the posts listed and their comments (their counts), how many
	// posts the list has (its pages), and the training figures it shows:
	// the club's week (the home page) or the author's runs.
	facts := s.facts(v.Site)
	var keep *keptPage
	if key, ok := s.keyed(r, "list", cfg, facts); ok {
		var changed time.Time
		key = key.num(uint64(len(posts)))
		for _, p := range page {
			cv := s.comments.PostVersion(p.Slug)
			key, changed = key.post(p).num(cv.Count), latest(changed, cv.Changed)
		}
		figures := func(k pageKey) pageKey {
			if lp.Author != nil {
				k = k.num(uint64(s.authorRuns(lp.Author.ID)))
				if f := lp.Fediverse; f != nil {
					k = k.str(f.Handle).num(uint64(f.Followers))
				}
				return k
			}
			if t := s.clubWeek(); t != nil {
				return k.num(uint64(t.Runs)).num(uint64(t.Runners)).str(t.Distance)
			}
			return k
		}
		// The figures are of the moment: the key is taken again once the
		// page is rendered (keptPage.again).
		base := key[:len(key):len(key)]
		key = figures(base)
		if s.serveKept(w, r, key) {
			return
		}
		modified := facts.modifiedAt(page, changed)
		if lp.Author == nil {
			// The club's week changes with the day.
			modified = latest(modified, dayOf(v.Now, v.Site.Config.Location))
		}
		keep = &keptPage{key: key, modified: modified, again: func() pageKey { return figures(base) }}
	}
	items, err := s.listItems(r, page)
	if err != nil {
		s.serverError(w, r, "counting comments", err)
		return
	}
	lp.Items, lp.Pager = items, pg
	if pg.Page > 1 {
		if title == "" {
			title = cfg.Title
		}
		title += " — page " + strconv.Itoa(pg.Page)
	}
	s.render(w, r, http.StatusOK, "list", pageData{
		Title:     title,
		Canonical: r.URL.Path,
		Nav:       nav,
		Feeds:     feedLinks(cfg, root, lp.Heading),
		List:      &lp,
		keep:      keep,
	}, v.Site)
}

// feedLinks are the <link rel="alternate"> feeds of a page: the site's, and
// the tag's or author's own when root is a tag or author page.
func feedLinks(cfg content.Config, root, heading string) []feedLink {
	var out []feedLink
	add := func(base, name string) {
		for _, f := range feed.Formats {
			out = append(out, feedLink{Title: name + " (" + f.Name() + ")", Type: f.MediaType(), URL: cfg.BaseURL + base + f.FileName()})
		}
	}
	if root != "/" {
		add(root, heading)
	}
	add("/", cfg.Title)
	out = append(out, feedLink{Title: "Comments on " + cfg.Title + " (RSS)", Type: feed.RSS.MediaType(), URL: cfg.BaseURL + "/" + feed.CommentFileName})
	return out
}

// postPage is the data of a post page.
type postPage struct {
	Post     *content.Post
	Thread   []*comments.Node
	Count    int
	Form     commentForm
	Open     bool
	MaxDepth int
	Now      time.Time
	// Pager links the pages of the comments when there is more than one:
	// comments.Pager lays them out (at most ThreadsPerPage threads and
	// CommentsPerPage comments a page, oldest first).
	Pager pager
	// Posted is the comment the reader has just posted, when it is theirs,
	// so the page can thank them (and say when it awaits moderation).
	Posted *comments.Node
	// Older and Newer are the posts either side of this one, or nil.
	Older, Newer *content.Post
	// Reactions are the post's likes and boosts on the fediverse.
	Reactions reactions
}

// commentForm is the comment form's state: what the reader typed, what was
// wrong with it, and which comment they are replying to.
type commentForm struct {
	Values comments.Input
	Errors comments.FieldErrors
	// Problem is a refusal of the whole form (a spam guard), not of a field.
	Problem string
	ReplyTo *comments.Comment
	// Token is the form's signed time stamp; Honeypot names the trap field.
	Token    string
	Honeypot string
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	p := v.Post(r.PathValue("slug"))
	if p == nil {
		s.notFound(w, r)
		return
	}
	form := commentForm{}
	rememberedReader(r, &form.Values)
	var keep *keptPage
	if r.URL.RawQuery == "" || (!r.URL.Query().Has("reply") && !r.URL.Query().Has("posted")) {
		// A reply form, or the page a reader lands on after posting, is
		// theirs; any other page of the post's comments is everyone's.
		cfg := s.config(r, v.Site)
		facts := s.facts(v.Site)
		if key, ok := s.keyed(r, "post", cfg, facts); ok {
			n, _ := s.commentPage(r, p.Slug, form)
			older, newer := s.neighbours(v, p)
			cv := s.comments.PostVersion(p.Slug)
			key = key.num(uint64(n)).post(p).post(older).post(newer).num(cv.Seq).flag(s.comments.ClosedByAge(p.Slug, v.Now)).
				num(s.reactionsVersion(p.Slug))
			if s.serveKept(w, r, key) {
				return
			}
			keep = &keptPage{key: key, modified: facts.modifiedAt(content.Listing{p, older, newer}, cv.Changed)}
		}
	} else if reply := r.URL.Query().Get("reply"); reply != "" {
		form.Values.Parent = reply
	}
	s.renderPost(w, r, http.StatusOK, v, p, form, keep)
}

// commentPage is the page of comments a post page shows: the one its
// ?comments=N asks for; else the one with the comment being replied to
// (?reply=ID, or a reply form sent back with a mistake) or just posted
// (?posted=ID), so that the reader lands on it; else the first. It reports
// false for a page number that is not one.
func (s *Server) commentPage(r *http.Request, slug string, form commentForm) (int, bool) {
	if r.URL.RawQuery == "" && form.Values.Parent == "" {
		return 1, true
	}
	if raw := r.URL.Query().Get("comments"); raw != "" {
		n, err := strconv.Atoi(raw)
		return n, err == nil && n >= 1 && strconv.Itoa(n) == raw
	}
	for _, id := range []string{form.Values.Parent, r.URL.Query().Get("posted")} {
		if id == "" {
			continue
		}
		if n, err := s.comments.PageOf(r.Context(), slug, parseID(id), s.commenterID(r)); err == nil {
			return n, true
		}
	}
	return 1, true
}

// commentPageURL is the address of page n of a post's comments, with a
// fragment when given ("comment-12").
func commentPageURL(slug string, n int, fragment string) string {
	u := "/posts/" + slug + "/"
	if n > 1 {
		u += "?comments=" + strconv.Itoa(n)
	}
	if fragment != "" {
		u += "#" + fragment
	}
	return u
}

// commentPager links a page of comments to its neighbours.
func commentPager(slug string, t comments.ThreadPage) pager {
	pg := pager{Page: t.Page, Pages: t.Pages}
	if t.Page > 1 {
		pg.Prev = commentPageURL(slug, t.Page-1, "comments")
	}
	if t.Page < t.Pages {
		pg.Next = commentPageURL(slug, t.Page+1, "comments")
	}
	return pg
}

// commentLink answers /posts/{slug}/comments/{id}, the lasting address of a
// comment that feeds and the admin pages link to: it redirects to the page
// of comments that shows it, at #comment-ID, or to the post's comments when
// the reader cannot see it (deleted, or held and not theirs).
func (s *Server) commentLink(w http.ResponseWriter, r *http.Request) {
	p := s.view().Post(r.PathValue("slug"))
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if p == nil || err != nil {
		s.notFound(w, r)
		return
	}
	n, err := s.comments.PageOf(r.Context(), p.Slug, id, s.commenterID(r))
	switch {
	case errors.Is(err, comments.ErrNotFound):
		http.Redirect(w, r, commentPageURL(p.Slug, 1, "comments"), http.StatusFound)
	case err != nil:
		s.serverError(w, r, "finding a comment's page", err)
	default:
		http.Redirect(w, r, commentPageURL(p.Slug, n, "comment-"+strconv.FormatUint(id, 10)), http.StatusFound)
	}
}

// renderPost renders a post page with its thread and the comment form in the
// given state; the comment handler uses it to show a reader their mistakes.
// A page everyone sees is kept as keep says (nil for one that is the
// reader's own), with its shared form token put in as it is served.
func (s *Server) renderPost(w http.ResponseWriter, r *http.Request, status int, v content.View, p *content.Post, form commentForm, keep *keptPage) {
	page, ok := s.commentPage(r, p.Slug, form)
	if !ok {
		s.notFound(w, r)
		return
	}
	thread, err := s.comments.ForPost(r.Context(), p.Slug, s.commenterID(r), page)
	switch {
	case errors.Is(err, comments.ErrNoPage):
		s.notFound(w, r)
		return
	case err != nil:
		s.serverError(w, r, "reading comments", err)
		return
	}
	open, err := s.comments.AcceptsComments(r.Context(), p.Slug)
	if err != nil {
		s.serverError(w, r, "checking whether comments are open", err)
		return
	}
	if form.Values.Parent != "" && form.ReplyTo == nil {
		if n := findNode(thread.Threads, parseID(form.Values.Parent)); n != nil {
			form.ReplyTo = &n.Comment
		}
		if form.ReplyTo == nil && form.Errors == nil {
			form.Values.Parent = "" // a stale ?reply= link: answer the post instead
		}
	}
	switch {
	case form.Token != "" || !open || !s.formTokens():
		// Kept from the form sent back, or no form to sign.
	case keep != nil:
		// The same for every reader, so the page can be shared
		// (guards.go): put in when the kept page is served.
		form.Token, keep.tokenSlug = s.tokenPlaceholder, p.Slug
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		// The same for every reader, so the page can be shared (guards.go).
		form.Token = s.signer.sharedFormToken(p.Slug, s.now())
	default:
		form.Token = s.signer.formToken(p.Slug, s.now())
	}
	if s.opts.Guards.Honeypot {
		form.Honeypot = honeypotField
	}
	cfg := s.config(r, v.Site)
	older, newer := s.neighbours(v, p)
	s.render(w, r, status, "post", pageData{
		Title:       p.Title,
		Description: p.Description(),
		Canonical:   commentPageURL(p.Slug, thread.Page, ""),
		Type:        "article",
		Published:   p.Date,
		Feeds: append(feedLinks(cfg, "/", ""), feedLink{Title: "Comments on “" + p.Title + "” (RSS)",
			Type: feed.RSS.MediaType(), URL: cfg.BaseURL + "/posts/" + p.Slug + "/" + feed.CommentFileName}),
		Post: &postPage{
			Post: p, Thread: thread.Threads, Count: thread.Comments, Form: form,
			Open: open, MaxDepth: comments.MaxDepth, Now: s.now(),
			Pager:  commentPager(p.Slug, thread),
			Posted: ownNode(thread.Threads, parseID(r.URL.Query().Get("posted"))),
			Older:  older, Newer: newer,
			Reactions: s.reactionsOf(r.Context(), p.Slug),
		},
		keep: keep,
	}, v.Site)
}

// neighbours are the posts just before and just after p among the posts
// v shows, or nil at either end: found in the site's index of published
// posts (siteFacts), or by walking the list of a view with drafts.
func (s *Server) neighbours(v content.View, p *content.Post) (older, newer *content.Post) {
	posts := v.Posts()
	if !v.Drafts {
		return s.facts(v.Site).neighbours(posts, p)
	}
	for i, q := range posts {
		if q != p {
			continue
		}
		if i+1 < len(posts) {
			older = posts[i+1]
		}
		if i > 0 {
			newer = posts[i-1]
		}
		break
	}
	return older, newer
}

// archiveMonth groups the posts of one month.
type archiveMonth struct {
	Month time.Time
	Posts []*content.Post
}

func (s *Server) archive(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	keep, done := s.keptWholeSite(w, r, v, "archive")
	if done {
		return
	}
	// Months are the site's, as the headings show them: a post written
	// near midnight in another zone is under the month its date shows.
	loc := s.location()
	var months []archiveMonth
	for _, p := range v.Posts() {
		d := p.Date.In(loc)
		m := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, loc)
		if len(months) == 0 || !months[len(months)-1].Month.Equal(m) {
			months = append(months, archiveMonth{Month: m})
		}
		last := &months[len(months)-1]
		last.Posts = append(last.Posts, p)
	}
	cfg := s.config(r, v.Site)
	s.render(w, r, http.StatusOK, "archive", pageData{
		Title: "Archive", Canonical: "/archive/", Nav: "archive", Feeds: feedLinks(cfg, "/", ""), Archive: months, keep: keep,
	}, v.Site)
}

func (s *Server) tagIndex(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	keep, done := s.keptWholeSite(w, r, v, "tags")
	if done {
		return
	}
	cfg := s.config(r, v.Site)
	tags := v.Tags()
	s.render(w, r, http.StatusOK, "tags", pageData{
		Title: "Tags", Canonical: "/tags/", Nav: "tags", Feeds: feedLinks(cfg, "/", ""), Tags: tags,
		// With -drafts, a draft's tags are listed and counted too.
		NoIndex: v.Drafts && !slices.Equal(tags, v.Published().Tags()),
		keep:    keep,
	}, v.Site)
}

// keptWholeSite serves a page of kind that shows the whole site (the
// archive, the tag index) from the render cache, and reports true, when
// it is kept; else it says how to keep it once rendered, nil for a
// request that is not everyone's. Such a page is kept by the site's
// generation and the number of its posts published by now.
func (s *Server) keptWholeSite(w http.ResponseWriter, r *http.Request, v content.View, kind string) (*keptPage, bool) {
	facts := s.facts(v.Site)
	key, ok := s.keyed(r, kind, s.config(r, v.Site), facts)
	if !ok {
		return nil, false
	}
	posts := v.Posts()
	key = key.num(facts.gen).num(uint64(len(posts)))
	if s.serveKept(w, r, key) {
		return nil, true
	}
	return &keptPage{key: key, modified: facts.modifiedAt(posts)}, false
}
