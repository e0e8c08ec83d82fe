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
	Items   []listItem
	Pager   pager
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
		listPage{Heading: a.Name, Author: a}, "Posts by "+a.Name, "")
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
	if reply := r.URL.Query().Get("reply"); reply != "" {
		form.Values.Parent = reply
	}
	s.renderPost(w, r, http.StatusOK, v, p, form)
}

// commentPage is the page of comments a post page shows: the one its
// ?comments=N asks for; else the one with the comment being replied to
// (?reply=ID, or a reply form sent back with a mistake) or just posted
// (?posted=ID), so that the reader lands on it; else the first. It reports
// false for a page number that is not one.
func (s *Server) commentPage(r *http.Request, slug string, form commentForm) (int, bool) {
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
func (s *Server) renderPost(w http.ResponseWriter, r *http.Request, status int, v content.View, p *content.Post, form commentForm) {
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
	older, newer := neighbours(v.Posts(), p)
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
		},
	}, v.Site)
}

// neighbours are the posts published just before and just after p in
// posts (newest first), or nil at either end.
func neighbours(posts content.Listing, p *content.Post) (older, newer *content.Post) {
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
		Title: "Archive", Canonical: "/archive/", Nav: "archive", Feeds: feedLinks(cfg, "/", ""), Archive: months,
	}, v.Site)
}

func (s *Server) tagIndex(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	cfg := s.config(r, v.Site)
	tags := v.Tags()
	s.render(w, r, http.StatusOK, "tags", pageData{
		Title: "Tags", Canonical: "/tags/", Nav: "tags", Feeds: feedLinks(cfg, "/", ""), Tags: tags,
		// With -drafts, a draft's tags are listed and counted too.
		NoIndex: v.Drafts && !slices.Equal(tags, v.Published().Tags()),
	}, v.Site)
}
