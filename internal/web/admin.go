package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/federation"
)

// adminPerPage is the length of the admin lists.
const adminPerPage = 20

// adminPage is the data of every /admin/ page; Section says which.
type adminPage struct {
	Section string // login, queue, recent, edit, bans, posts, log
	User    accounts.User
	// Login
	Next       string
	LoginName  string
	LoginError string
	NoUsers    bool // no account exists yet: say how to make the first
	// Users and set-password (users.go)
	Users *usersPage
	// Profile is the signed-in writer's author profile form (profile.go).
	Profile *profileForm
	// Lists
	Comments []adminComment
	Actions  []comments.Action
	Bans     []adminBan
	BanForm  banForm
	Blocks   []federation.Block // the fediverse's blocked instances and actors
	Outgoing *outgoing          // the fediverse's deliveries waiting and given up on
	Posts    []adminPost
	PostList *postList // the writers' list of posts (editor.go)
	// AwaitingReview is how many posts are in the editors' review queue,
	// shown to editors on every admin page.
	AwaitingReview int
	Trash          *trashPage // the trash, for editors
	Pager          pager
	Total          int
	// Edit
	Comment *adminComment
	Body    string
	Error   string
	// Log filter: the kind shown ("" for all) and the choices.
	LogKind  comments.ActionKind
	LogKinds []logKind
	// Notice reports the last action ("Comment 12 approved.").
	Notice string
}

type adminComment struct {
	comments.Comment
	PostTitle string
}

type adminBan struct {
	comments.Ban
	Active bool
}

// banForm is what the bans page's form shows: empty, filled in from a
// comment's "Ban…" link (?comment=ID), or as the moderator sent it when it
// was refused.
type banForm struct {
	Kind, Value, Duration, Reason string
}

// banFormFrom reads a banForm from a posted form (nil for an empty one).
// An unknown kind or length is left for the form's default.
func banFormFrom(v url.Values) banForm {
	f := banForm{Kind: v.Get("kind"), Value: v.Get("value"), Duration: v.Get("duration"), Reason: v.Get("reason")}
	if !slices.Contains(comments.BanKinds, comments.BanKind(f.Kind)) {
		f.Kind = ""
	}
	if _, ok := banDurations[f.Duration]; !ok {
		f.Duration = "7d"
	}
	return f
}

type adminPost struct {
	Post *content.Post
	// Status is Draft, Scheduled or Published; CanEdit says the user may
	// open it in the editor; Closable that its comments may be closed or
	// reopened by them, and Open whether they are open.
	Status   string
	CanEdit  bool
	Closable bool
	Open     bool
	// Review is where the post stands in the editors' review, nil for
	// none: its writer sees an editor's note here.
	Review *authoring.Review
}

// userKey carries the signed-in moderator in a request's context.
type userKey struct{}

func userOf(r *http.Request) accounts.User {
	u, _ := r.Context().Value(userKey{}).(accounts.User)
	return u
}

// secure reports whether the request reached us over TLS, directly or
// through a trusted proxy that says so; cookies are Secure then.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.trusted(peerIP(r)) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// moderator lets signed-in moderators (and admins) through and sends anyone
// else to the sign-in page; admin is the same for admins only.
func (s *Server) moderator(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(h, accounts.Role.CanModerate)
}
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(h, accounts.Role.CanAdminister)
}

// signedIn lets through signed-in users whose role may is true of.
func (s *Server) signedIn(h http.HandlerFunc, may func(accounts.Role) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		u, err := s.opts.Accounts.Authenticate(r.Context(), sessionToken(r))
		switch {
		case errors.Is(err, accounts.ErrNoSession) && r.Method == http.MethodGet:
			// A page: sign in and come back to it. A form sent with no
			// session is refused, as going back to it would not send it.
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		case err == nil && !may(u.Role):
			err = errNotAllowed
		}
		if err != nil {
			s.fail(w, r, "checking a session", err)
			return
		}
		if r.Method != http.MethodGet && !s.allowWrite(w, r, limitStaff) {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	}
}

// allowWrite takes a token from the write limiter for the request's address
// group, or answers 429 with Retry-After and reports false.
func (s *Server) allowWrite(w http.ResponseWriter, r *http.Request, action string) bool {
	ok, wait := s.writes.allow(action, s.clientIP(r), s.now())
	if !ok {
		s.fail(w, r, "limiting writes", &waitError{errTooManyWrites, wait})
	}
	return ok
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, status int, title string, a adminPage) {
	a.User = userOf(r)
	a.AwaitingReview = s.awaitingReview(r, a.User)
	if a.Notice == "" {
		a.Notice = s.notice(r)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "admin", pageData{Title: title, Admin: &a}, s.opts.Content.Current())
}

// awaitingReview is how many posts wait in the editors' review queue, for
// an editor (0 for anyone else): every admin page and the editor show it.
func (s *Server) awaitingReview(r *http.Request, u accounts.User) int {
	if !u.Role.CanEditOthers() || s.opts.Authoring == nil {
		return 0
	}
	n, err := s.opts.Authoring.AwaitingReview(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "counting the posts awaiting review", "err", err)
	}
	return n
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	us, err := s.opts.Accounts.List(r.Context())
	if err != nil {
		s.serverError(w, r, "listing users", err)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Sign in", adminPage{Section: "login", Next: safeNext(r.URL.Query().Get("next")), NoUsers: len(us) == 0})
}

// safeNext keeps the page to return to after signing in on this site's
// admin pages, so the sign-in form cannot be used to send people elsewhere.
// The path is decoded and cleaned of dot segments first, as a browser
// would ("/admin/../evil" and "/admin/%2e%2e/evil" are "/evil"), and only
// then must it be under /admin/. A trailing slash is kept.
func safeNext(next string) string {
	const home = "/admin/"
	// Browsers drop tabs and newlines from URLs and read a backslash as a
	// slash, so "/\tevil.example" could become another host.
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return home
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, home) {
		return home
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	// Failures are throttled by accounts; this bounds every try, so that
	// even right passwords cannot be sent without end.
	if !s.allowWrite(w, r, limitLogin) {
		return
	}
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := s.clientIP(r)
	token, u, err := s.opts.Accounts.Login(r.Context(), name, password, ip)
	if err != nil {
		var throttled *accounts.ThrottledError
		if errors.As(err, &throttled) {
			s.log.WarnContext(r.Context(), "sign-in refused", "name", loggedName(name), "ip", ip, "err", err)
		}
		p, ok := problemOf(err, s.location())
		if !ok || !p.Form {
			s.fail(w, r, "signing in", err)
			return
		}
		setRetryAfter(w, p.RetryAfter)
		s.renderAdmin(w, r, p.Status, "Sign in", adminPage{Section: "login", Next: next, LoginName: name, LoginError: p.Message})
		return
	}
	s.log.InfoContext(r.Context(), "signed in", "user", u.Name, "ip", ip)
	http.SetCookie(w, sessionCookie(token, s.secure(r), s.opts.Accounts.SessionTTL()))
	if next == "/admin/" && !u.Role.CanModerate() {
		// The moderation queue is not theirs: a writer starts at the page
		// that says what their role may do.
		next = "/admin/welcome"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !s.allowWrite(w, r, limitLogout) {
		return
	}
	if err := s.opts.Accounts.Logout(r.Context(), sessionToken(r)); err != nil {
		s.serverError(w, r, "signing out", err)
		return
	}
	http.SetCookie(w, clearSessionCookie(s.secure(r)))
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// adminList renders one page of held or recent comments.
func (s *Server) adminList(section, title string, list func(ctx context.Context, page, per int) ([]comments.Comment, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		cs, total, err := list(r.Context(), page, adminPerPage)
		if err != nil {
			s.serverError(w, r, "listing comments", err)
			return
		}
		s.renderAdmin(w, r, http.StatusOK, title, adminPage{
			Section: section, Comments: s.withTitles(cs), Total: total,
			Pager: adminPager(r.URL.Path, page, total),
		})
	}
}

// adminPager links the pages of an admin list at base, a path that may
// carry a query already (a filter).
func adminPager(base string, page, total int) pager {
	pages := max(1, (total+adminPerPage-1)/adminPerPage)
	pg := pager{Page: page, Pages: pages}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if page > 1 {
		pg.Prev = base + sep + "page=" + strconv.Itoa(page-1)
	}
	if page < pages {
		pg.Next = base + sep + "page=" + strconv.Itoa(page+1)
	}
	return pg
}

func (s *Server) withTitles(cs []comments.Comment) []adminComment {
	// Moderators see comments on drafts by their titles too.
	v := content.View{Site: s.opts.Content.Current(), Now: s.now(), Drafts: true}
	out := make([]adminComment, len(cs))
	for i, c := range cs {
		title := c.Post
		if p := v.Post(c.Post); p != nil {
			title = p.Title
		}
		out[i] = adminComment{Comment: c, PostTitle: title}
	}
	return out
}

// moderate applies approve, spam or delete to a comment and goes back to
// the list the moderator came from.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	by := userOf(r).Name
	var done string
	switch action := r.PathValue("action"); action {
	case "approve":
		_, err = s.comments.Approve(r.Context(), by, id)
		done = "approved"
	case "spam":
		_, err = s.comments.MarkSpam(r.Context(), by, id)
		done = "marked as spam"
	case "delete":
		err = s.comments.Delete(r.Context(), by, id)
		done = "deleted"
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "moderating a comment", err)
		return
	}
	s.backTo(w, r, fmt.Sprintf("Comment %d %s.", id, done))
}

// maxAdminFormBytes bounds the body of an admin form: a moderator's edit
// of a comment is the largest, and a comment is bounded by MaxCommentBytes.
const maxAdminFormBytes = MaxCommentBytes

// backTo redirects to the admin page a form came from, with a notice. The
// form was read (readForm) before the action was taken.
func (s *Server) backTo(w http.ResponseWriter, r *http.Request, notice string) {
	back := safeNext(r.PostForm.Get("back"))
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+s.noticeQuery(notice), http.StatusSeeOther)
}

// noticeQuery carries the sentence an admin page shows after an action,
// signed, so that a link from elsewhere cannot put words on the page.
func (s *Server) noticeQuery(notice string) string {
	return "done=" + url.QueryEscape(notice) + "&sig=" + s.signer.sign("notice", notice)
}

// notice is the signed sentence of noticeQuery, or "".
func (s *Server) notice(r *http.Request) string {
	q := r.URL.Query()
	if done := q.Get("done"); done != "" && s.signer.valid(q.Get("sig"), "notice", done) {
		return done
	}
	return ""
}

func (s *Server) adminEditForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.adminComment(w, r)
	if !ok {
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Edit comment", adminPage{Section: "edit", Comment: &c, Body: c.Body})
}

func (s *Server) adminComment(w http.ResponseWriter, r *http.Request) (adminComment, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return adminComment{}, false
	}
	c, err := s.comments.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, "reading a comment", err)
		return adminComment{}, false
	}
	return s.withTitles([]comments.Comment{c})[0], true
}

func (s *Server) adminEdit(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	c, ok := s.adminComment(w, r)
	if !ok {
		return
	}
	body := r.PostForm.Get("body")
	if _, err := s.comments.Edit(r.Context(), userOf(r).Name, c.ID, body); err != nil {
		// A mistake, or a store that could not write: the moderator's
		// text is shown back to them.
		pr := s.formProblem(r, "editing a comment", err)
		if !pr.Form {
			s.showProblem(w, r, pr)
			return
		}
		msg := pr.Message
		var invalid comments.FieldErrors
		if errors.As(err, &invalid) {
			msg = bodyError(invalid)
		}
		setRetryAfter(w, pr.RetryAfter)
		s.renderAdmin(w, r, pr.Status, "Edit comment", adminPage{Section: "edit", Comment: &c, Body: body, Error: msg})
		return
	}
	http.Redirect(w, r, "/admin/comments/?"+s.noticeQuery(fmt.Sprintf("Comment %d edited.", c.ID)), http.StatusSeeOther)
}

func (s *Server) adminBans(w http.ResponseWriter, r *http.Request) {
	form := banFormFrom(nil)
	if id, err := strconv.ParseUint(r.URL.Query().Get("comment"), 10, 64); err == nil {
		// A comment's "Ban…" link names the comment, not its writer's
		// address, which would be in every log and history the link
		// passes through.
		c, err := s.comments.Get(r.Context(), id)
		if err != nil && !errors.Is(err, comments.ErrNotFound) {
			s.serverError(w, r, "reading the comment to ban its writer", err)
			return
		}
		form.Kind, form.Value = banOf(c)
	}
	s.renderBans(w, r, http.StatusOK, "", form)
}

// banOf is the ban a comment's "Ban…" link fills the form with: its
// fediverse account, else its email address, else its IP address.
func banOf(c comments.Comment) (kind, value string) {
	switch {
	case c.Actor != "":
		return string(comments.BanFediverse), c.Actor
	case c.Email != "":
		return string(comments.BanEmail), c.Email
	case c.IP != "":
		return string(comments.BanIP), c.IP
	}
	return "", ""
}

// refuseBan shows the bans page again with what was wrong with the form
// and form as it was sent, or the error page for a refusal the moderator
// cannot fix there.
func (s *Server) refuseBan(w http.ResponseWriter, r *http.Request, doing string, err error, form banForm) {
	pr := s.formProblem(r, doing, err)
	if !pr.Form {
		s.showProblem(w, r, pr)
		return
	}
	setRetryAfter(w, pr.RetryAfter)
	s.renderBans(w, r, pr.Status, pr.Message, form)
}

func (s *Server) renderBans(w http.ResponseWriter, r *http.Request, status int, problem string, form banForm) {
	bans, err := s.comments.Bans(r.Context())
	if err != nil {
		s.serverError(w, r, "listing bans", err)
		return
	}
	now := s.now()
	list := make([]adminBan, len(bans))
	for i, b := range bans {
		list[i] = adminBan{Ban: b, Active: b.Active(now)}
	}
	s.renderAdmin(w, r, status, "Bans", adminPage{Section: "bans", Bans: list, BanForm: form, Error: problem})
}

// banDurations are the lengths a moderator picks from.
var banDurations = map[string]time.Duration{
	"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "365d": 365 * 24 * time.Hour, "forever": 0,
}

func (s *Server) addBan(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	f := r.PostForm
	sent := banFormFrom(f)
	d, ok := banDurations[f.Get("duration")]
	if !ok {
		s.refuseBan(w, r, "", errNoBanLength, sent)
		return
	}
	b := comments.Ban{
		Kind:   comments.BanKind(f.Get("kind")),
		Value:  f.Get("value"),
		Reason: f.Get("reason"),
	}
	if _, err := comments.NormalizeBan(b.Kind, b.Value); err != nil {
		// NormalizeBan's errors say what is wrong with the value.
		s.refuseBan(w, r, "", &banValueError{err: err}, sent)
		return
	}
	if d > 0 {
		b.Until = s.now().Add(d)
	}
	b, err := s.comments.Ban(r.Context(), userOf(r).Name, b)
	if err != nil {
		s.fail(w, r, "adding a ban", err)
		return
	}
	s.backTo(w, r, fmt.Sprintf("Banned %s %s.", b.Kind, b.Value))
}

func (s *Server) removeBan(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	kind, value := comments.BanKind(r.PostForm.Get("kind")), r.PostForm.Get("value")
	if _, err := comments.NormalizeBan(kind, value); err != nil {
		s.refuseBan(w, r, "", &banValueError{lift: true, err: err}, banFormFrom(nil))
		return
	}
	if err := s.comments.Unban(r.Context(), userOf(r).Name, kind, value); err != nil {
		s.fail(w, r, "removing a ban", err)
		return
	}
	s.backTo(w, r, fmt.Sprintf("Lifted the ban on %s %s.", kind, value))
}

// mayListPosts lets writers see their posts on /admin/posts/, and
// moderators the posts whose comments they may close.
func mayListPosts(r accounts.Role) bool { return r.CanWrite() || r.CanModerate() }

// postList is the writers' list: which posts it shows, and the choices.
type postList struct {
	Show    string
	Filters []postFilter
	// NoAuthor says the user writes but has no author profile yet.
	NoAuthor bool
	// Editing is true when the editor is there to link to.
	Editing bool
	// Skipped are the post files the site could not load, for editors to
	// put right: no reader sees them, so no list would show them otherwise.
	Skipped []skippedPost
}

// skippedPost is a post file the site skipped, with why; Slug is set when
// the editor can open it (posts/SLUG.md or posts/SLUG/index.md).
type skippedPost struct {
	Problem content.Problem
	Slug    string
}

// skippedPosts are the site's problems with post files.
func skippedPosts(site *content.Site) []skippedPost {
	var out []skippedPost
	for _, p := range site.Problems {
		rest, ok := strings.CutPrefix(p.File, "posts/")
		if !ok {
			continue
		}
		slug := strings.TrimSuffix(strings.TrimSuffix(rest, "/index.md"), ".md")
		if !content.ValidSlug(slug) || (rest != slug+".md" && rest != slug+"/index.md") {
			slug = ""
		}
		out = append(out, skippedPost{Problem: p, Slug: slug})
	}
	return out
}

// postFilter is one choice of the list: mine, all (editors), drafts,
// scheduled.
type postFilter struct{ Key, Label string }

// everyPost is a time after every post's date: a View at it lists the
// posts dated in the future (scheduled) with the others.
var everyPost = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// adminPosts lists posts with their status and date: for a writer their
// own (all of them for editors), drafts and scheduled ones too, each with
// a link to the editor; for moderators, the posts readers can see (drafts
// too with serve -drafts), with a button to close or reopen their comments.
func (s *Server) adminPosts(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	v, now := s.view(), s.now()
	editing := s.opts.Authoring != nil && u.Role.CanWrite()
	var filters []postFilter
	switch {
	case editing && u.Role.CanEditOthers():
		filters = []postFilter{{"all", "All posts"}, {"mine", "My posts"}, {"review", "Awaiting review"}, {"drafts", "Drafts"}, {"scheduled", "Scheduled"}}
	case editing:
		filters = []postFilter{{"mine", "My posts"}, {"drafts", "My drafts"}, {"scheduled", "My scheduled posts"}}
	default:
		filters = []postFilter{{"all", "Posts readers see"}}
	}
	show := filters[0].Key
	for _, f := range filters {
		if f.Key == r.URL.Query().Get("show") {
			show = f.Key
		}
	}
	posts := v.Posts()
	if editing {
		// Every post the site loaded, drafts and scheduled ones included.
		posts = content.View{Site: v.Site, Now: everyPost, Drafts: true}.Posts()
	}
	reviews := map[string]*authoring.Review{}
	if editing {
		rs, err := s.opts.Authoring.Reviews(r.Context())
		if err != nil {
			s.serverError(w, r, "listing the posts in review", err)
			return
		}
		for i := range rs {
			reviews[rs[i].Slug] = &rs[i]
		}
	}
	var list []adminPost
	for _, p := range posts {
		author := ""
		if p.Author != nil {
			author = p.Author.ID
		}
		mine := u.Author != "" && author == u.Author
		status := postStatus(p.Draft, p.Date, now)
		switch {
		case editing && !u.Role.CanEditOthers() && !mine,
			show == "mine" && !mine,
			show == "drafts" && status != "Draft",
			show == "scheduled" && status != "Scheduled",
			show == "review" && (reviews[p.Slug] == nil || reviews[p.Slug].State != authoring.ReviewAwaiting):
			continue
		}
		row := adminPost{Post: p, Status: status, CanEdit: editing && mayEdit(u, author), Review: reviews[p.Slug]}
		if u.Role.CanModerate() && v.Post(p.Slug) != nil {
			open, err := s.comments.AcceptsComments(r.Context(), p.Slug)
			if err != nil {
				s.serverError(w, r, "checking whether comments are open", err)
				return
			}
			row.Closable, row.Open = true, open
		}
		list = append(list, row)
	}
	pl := &postList{Show: show, Filters: filters, NoAuthor: editing && u.Author == "", Editing: editing}
	if editing && u.Role.CanEditOthers() {
		pl.Skipped = skippedPosts(v.Site)
	}
	s.renderAdmin(w, r, http.StatusOK, "Posts", adminPage{Section: "posts", Posts: list, PostList: pl})
}

func (s *Server) closePost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	slug, by := r.PathValue("slug"), userOf(r).Name
	var err error
	var done string
	switch r.PathValue("action") {
	case "close":
		err, done = s.comments.ClosePost(r.Context(), by, slug), "closed"
	case "reopen":
		err, done = s.comments.ReopenPost(r.Context(), by, slug), "reopened"
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "closing or reopening a post", err)
		return
	}
	s.backTo(w, r, "Comments on "+slug+" "+done+".")
}

// logKinds are the kinds of moderation log entry the log can be filtered
// by: every kind comments knows, in its order, with the label the filter
// shows (the kind itself for one without a label here).
var logKinds = func() []logKind {
	labels := map[comments.ActionKind]string{
		comments.ActionApprove:       "Approved",
		comments.ActionSpam:          "Spam",
		comments.ActionDelete:        "Deleted",
		comments.ActionEdit:          "Edited",
		comments.ActionEditOwn:       "Edited by the writer",
		comments.ActionDeleteOwn:     "Deleted by the writer",
		comments.ActionBan:           "Bans",
		comments.ActionUnban:         "Bans lifted",
		comments.ActionClose:         "Posts closed",
		comments.ActionReopen:        "Posts reopened",
		comments.ActionReviewSubmit:  "Submitted for review",
		comments.ActionReviewReturn:  "Returned to the writer",
		comments.ActionReviewPublish: "Published from review",
		comments.ActionPostCreate:    "Posts written",
		comments.ActionPostSave:      "Posts saved",
		comments.ActionPostPublish:   "Posts published",
		comments.ActionPostSchedule:  "Posts scheduled",
		comments.ActionPostUnpublish: "Posts unpublished",
		comments.ActionPostDelete:    "Posts deleted",
		comments.ActionPostRestore:   "Posts restored",
		comments.ActionPreviewLink:   "Preview links made",
		comments.ActionPreviewRevoke: "Preview links revoked",
	}
	var out []logKind
	for _, k := range comments.ActionKinds() {
		label := labels[k]
		if label == "" {
			label = string(k)
		}
		out = append(out, logKind{Kind: k, Label: label})
	}
	return out
}()

// logKind is one choice of the log's filter.
type logKind struct {
	Kind  comments.ActionKind
	Label string
}

// adminLog shows the moderation log, newest first, all of it or one kind
// of entry (?kind=edit-own), a page at a time.
func (s *Server) adminLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	var kind comments.ActionKind
	for _, k := range logKinds {
		if string(k.Kind) == q.Get("kind") {
			kind = k.Kind
		}
	}
	base := r.URL.Path
	var (
		as    []comments.Action
		total int
		err   error
	)
	if kind != "" {
		base += "?kind=" + url.QueryEscape(string(kind))
	}
	as, total, err = s.comments.Actions(r.Context(), kind, page, adminPerPage)
	if err != nil {
		s.serverError(w, r, "reading the moderation log", err)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Moderation log", adminPage{
		Section: "log", Actions: as, Total: total, Pager: adminPager(base, page, total),
		LogKind: kind, LogKinds: logKinds,
	})
}

// backup streams a consistent copy of the database while the site keeps
// serving. The copy is a snapshot taken before the first byte is sent (see
// bolt.DB.Backup), so a slow or paused download holds up no other request.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	if s.opts.Backup == nil {
		s.notFound(w, r)
		return
	}
	name := "milepost-" + s.now().UTC().Format("20060102-150405") + ".db"
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if _, err := s.opts.Backup(r.Context(), newProgressWriter(w, backupStallTimeout)); err != nil {
		// The status line has gone; all that is left is to log and cut the
		// response short so the client sees an incomplete download.
		s.log.ErrorContext(r.Context(), "streaming a backup", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// backupStallTimeout is how long a backup download may go without the
// client taking a byte before it is cut off.
const backupStallTimeout = time.Minute

// progressWriter gives every write its own deadline instead of one for the
// whole response: a large backup on a slow link may take as long as it
// needs while it moves (longer than the server's write timeout, which is
// meant for pages), and a client that stops reading is cut off rather than
// holding a goroutine, a file and its disk space for ever.
type progressWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
}

func newProgressWriter(w http.ResponseWriter, stall time.Duration) progressWriter {
	return progressWriter{w: w, rc: http.NewResponseController(w), stall: stall}
}

func (p progressWriter) Write(b []byte) (int, error) {
	if err := p.rc.SetWriteDeadline(time.Now().Add(p.stall)); err != nil {
		return 0, fmt.Errorf("setting a write deadline: %w", err)
	}
	return p.w.Write(b)
}

// Backuper writes a consistent copy of the database.
type Backuper func(ctx context.Context, w io.Writer) (int64, error)
