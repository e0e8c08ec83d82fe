package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/content"
)

// usersPage is the data of /admin/users/, of the set-password page and of
// the invite page.
type usersPage struct {
	// The list, and the add form as it was sent.
	Users   []accounts.User
	Roles   []accounts.Role
	NewName string
	NewRole accounts.Role
	// Link is a set-password link just made: shown this once, for the admin
	// to hand over.
	Link *passwordLink
	// Pending invites, the invite form as it was sent, the author profiles
	// it offers (those no user has), and an invite link just made, shown
	// this once.
	Invites      []accounts.Invite
	InviteRole   accounts.Role
	InviteAuthor string
	Authors      []*content.Author
	InviteLink   *inviteLink
	// The invite page: what the invite makes (Invite), the name of its
	// author profile, and the name as sent.
	Invite           *accounts.OneTimeToken
	InviteAuthorName string
	JoinName         string
	// JoinProfile is the author profile part of the invite page, when the
	// site has the editor: the invite's profile as it is, or as typed.
	JoinProfile *profileForm
	// The set-password form: the token it carries and whose password it
	// sets, or nothing when the link does not work.
	Token string
	For   string
	// Error says what went wrong with the last form.
	Error string
}

// passwordLink is a one-time set-password link as the admin sees it.
type passwordLink struct {
	URL     string
	User    string
	Expires time.Time
}

// inviteLink is an invite link as the admin sees it, the once it is shown.
type inviteLink struct {
	URL     string
	Role    accounts.Role
	Author  string
	Expires time.Time
}

// errNoSuchAuthor refuses an invite for an author profile the site does not
// have. Its answer is in problemTable.
var errNoSuchAuthor = errors.New("no such author profile")

// errPasswordsDiffer refuses a set-password form whose two passwords are
// not the same. Its answer, like every account error's, is in problemTable.
var errPasswordsDiffer = errors.New("the password and its confirmation differ")

// withNumber fills the %d in a problem's message with n: for the rules whose
// numbers are another package's.
func withNumber(n int) func(error, *problem) {
	return func(_ error, p *problem) { p.Message = fmt.Sprintf(p.Message, n) }
}

// userRoutes adds the account pages: /admin/users/ (users and invites)
// for admins, and the set-password and invite pages, where the one-time
// token is the permission, and the welcome page after joining.
func (s *Server) userRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/users/{$}", s.admin(s.users))
	m.HandleFunc("POST /admin/users/{$}", s.admin(s.addUser))
	m.HandleFunc("POST /admin/users/{name}/{action}", s.admin(s.userAction))
	m.HandleFunc("POST /admin/users/invites", s.admin(s.createInvite))
	m.HandleFunc("POST /admin/users/invites/{id}/revoke", s.admin(s.revokeInvite))
	m.HandleFunc("GET /admin/set-password", s.setPasswordForm)
	m.HandleFunc("POST /admin/set-password", s.setPassword)
	m.HandleFunc("GET /admin/invite", s.joinForm)
	m.Handle("POST /admin/invite", withBodyLimit(maxProfileFormBytes, s.join))
	m.HandleFunc("GET /admin/welcome", s.welcome)
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, usersPage{})
}

// renderUsers shows the user list with up, which may carry a new link or a
// problem.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, up usersPage) {
	ctx := r.Context()
	us, err := s.opts.Accounts.List(ctx)
	if err != nil {
		s.serverError(w, r, "listing users", err)
		return
	}
	invites, err := s.opts.Accounts.Invites(ctx)
	if err != nil {
		s.serverError(w, r, "listing invites", err)
		return
	}
	up.Users, up.Roles, up.Invites = us, accounts.Roles(), invites
	up.Authors = freeAuthors(s.opts.Content.Current(), us)
	if up.NewRole == "" {
		up.NewRole = accounts.RoleModerator
	}
	if up.InviteRole == "" {
		up.InviteRole = accounts.RoleAuthor
	}
	s.renderAdmin(w, r, status, "Users", adminPage{Section: "users", Users: &up})
}

// addUser creates a user with no password and shows the admin the one-time
// link with which the user chooses theirs.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	name, role := r.PostFormValue("name"), accounts.Role(r.PostFormValue("role"))
	by := userOf(r).Name
	u, link, err := s.opts.Accounts.AddWithLink(r.Context(), by, name, role)
	if err != nil {
		s.usersProblem(w, r, "adding a user", err, usersPage{NewName: name, NewRole: role})
		return
	}
	s.log.InfoContext(r.Context(), "user added", "by", by, "user", u.Name, "role", u.Role, "link_expires", link.Expires)
	s.renderUsers(w, r, http.StatusOK, usersPage{Link: s.passwordLink(r, link)})
}

// userAction is one of the buttons beside a user: role, author, link,
// signout, remove, disable, enable.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	ctx, by, name := r.Context(), userOf(r).Name, r.PathValue("name")
	if _, err := accounts.NormalizeName(name); err != nil {
		// Not a name, so no user: unlike a name typed in the add form,
		// there is nothing for the admin to correct.
		s.notFound(w, r)
		return
	}
	var notice string
	var err error
	switch action := r.PathValue("action"); action {
	case "role":
		role := accounts.Role(r.PostFormValue("role"))
		if err = s.opts.Accounts.SetRole(ctx, name, role); err == nil {
			s.log.InfoContext(ctx, "user role changed", "by", by, "user", name, "role", role)
			notice = fmt.Sprintf("%s is now %s.", name, role)
		}
	case "link":
		var link accounts.IssuedToken
		if link, err = s.opts.Accounts.NewPasswordLink(ctx, by, name); err == nil {
			s.log.InfoContext(ctx, "set-password link made", "by", by, "user", link.User, "expires", link.Expires)
			s.renderUsers(w, r, http.StatusOK, usersPage{Link: s.passwordLink(r, link)})
			return
		}
	case "signout":
		var n int
		if n, err = s.opts.Accounts.EndSessions(ctx, name); err == nil {
			s.log.InfoContext(ctx, "user signed out everywhere", "by", by, "user", name, "sessions", n)
			notice = fmt.Sprintf("%s is signed out everywhere (sessions ended: %d).", name, n)
		}
	case "remove":
		if err = s.opts.Accounts.Remove(ctx, name); err == nil {
			s.log.InfoContext(ctx, "user removed", "by", by, "user", name)
			notice = fmt.Sprintf("%s is removed.", name)
		}
	case "author":
		author := r.PostFormValue("author")
		if _, ok := s.opts.Content.Current().Authors[author]; author != "" && !ok {
			err = errNoSuchAuthor
		} else if err = s.opts.Accounts.SetAuthor(ctx, name, author); err == nil {
			s.log.InfoContext(ctx, "user author profile set", "by", by, "user", name, "author", author)
			notice = fmt.Sprintf("%s has the author profile %s now.", name, author)
			if author == "" {
				notice = fmt.Sprintf("%s has no author profile now.", name)
			}
		}
	case "disable":
		if err = s.opts.Accounts.Disable(ctx, name); err == nil {
			s.log.InfoContext(ctx, "user disabled", "by", by, "user", name)
			notice = fmt.Sprintf("%s is disabled and signed out everywhere.", name)
		}
	case "enable":
		if err = s.opts.Accounts.Enable(ctx, name); err == nil {
			s.log.InfoContext(ctx, "user enabled", "by", by, "user", name)
			notice = fmt.Sprintf("%s is enabled: they can sign in again.", name)
		}
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.usersProblem(w, r, "changing a user", err, usersPage{})
		return
	}
	http.Redirect(w, r, "/admin/users/?"+s.noticeQuery(notice), http.StatusSeeOther)
}

// passwordLink is the absolute URL of a set-password token, for the admin to
// send.
func (s *Server) passwordLink(r *http.Request, t accounts.IssuedToken) *passwordLink {
	base := s.config(r, s.opts.Content.Current()).BaseURL
	return &passwordLink{
		URL:     base + "/admin/set-password?token=" + url.QueryEscape(t.Token),
		User:    t.User,
		Expires: t.Expires,
	}
}

// usersProblem answers an account change that err refused: the users page
// again with the table's sentence when the admin can put it right (up is
// the form as sent), else the table's error page, or a logged 500.
func (s *Server) usersProblem(w http.ResponseWriter, r *http.Request, doing string, err error, up usersPage) {
	p, ok := problemOf(err, s.location())
	if !ok || !p.Form {
		s.fail(w, r, doing, err)
		return
	}
	up.Error = p.Message
	s.renderUsers(w, r, p.Status, up)
}

// setPasswordProblem shows the set-password page with what err says: with
// the form again when the user can put it right (t is the token's), or
// only the sentence when the link does not work.
func (s *Server) setPasswordProblem(w http.ResponseWriter, r *http.Request, doing string, err error, token string, t accounts.OneTimeToken) {
	p, ok := problemOf(err, s.location())
	if !ok {
		s.serverError(w, r, doing, err)
		return
	}
	up := &usersPage{Error: p.Message}
	if p.Form {
		up.Token, up.For = token, t.User
	}
	setRetryAfter(w, p.RetryAfter)
	s.renderAdmin(w, r, p.Status, "Choose a password", adminPage{Section: "set-password", Users: up})
}

func (s *Server) setPasswordForm(w http.ResponseWriter, r *http.Request) {
	// The token is in the address: no other site may see it in a Referer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.URL.Query().Get("token")
	t, err := s.opts.Accounts.PasswordToken(r.Context(), token)
	if err != nil {
		s.setPasswordProblem(w, r, "reading a set-password link", err, token, t)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Choose a password", adminPage{Section: "set-password", Users: &usersPage{Token: token, For: t.User}})
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.allowWrite(w, r, limitLink) {
		return
	}
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	ctx := r.Context()
	token, password := r.PostFormValue("token"), r.PostFormValue("password")
	t, err := s.opts.Accounts.PasswordToken(ctx, token)
	if err == nil && password != r.PostFormValue("confirm") {
		err = errPasswordsDiffer
	}
	var name string
	if err == nil {
		name, err = s.opts.Accounts.SetPasswordWithToken(ctx, token, password, s.clientIP(r))
	}
	if err != nil {
		s.setPasswordProblem(w, r, "setting a password", err, token, t)
		return
	}
	s.log.InfoContext(ctx, "password set with a one-time link", "user", name, "ip", s.clientIP(r))
	http.Redirect(w, r, "/admin/login?"+s.noticeQuery("Your password is set, "+name+". Sign in with it."), http.StatusSeeOther)
}

// freeAuthors are the site's author profiles that no user has, by name:
// the ones an invite may be for.
func freeAuthors(site *content.Site, users []accounts.User) []*content.Author {
	var out []*content.Author
	for id, a := range site.Authors {
		if !slices.ContainsFunc(users, func(u accounts.User) bool { return u.Author == id }) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *content.Author) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// createInvite makes an invite for the role and author profile sent, and
// shows the admin its link, this once.
func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	ctx, by := r.Context(), userOf(r).Name
	role, author := accounts.Role(r.PostFormValue("role")), r.PostFormValue("author")
	var inv accounts.IssuedToken
	var err error
	if _, ok := s.opts.Content.Current().Authors[author]; author != "" && !ok {
		err = errNoSuchAuthor
	} else {
		inv, err = s.opts.Accounts.CreateInvite(ctx, by, role, author)
	}
	if err != nil {
		s.usersProblem(w, r, "creating an invite", err, usersPage{InviteRole: role, InviteAuthor: author})
		return
	}
	s.log.InfoContext(ctx, "invite created", "by", by, "role", inv.Role, "author", inv.Author, "expires", inv.Expires)
	base := s.config(r, s.opts.Content.Current()).BaseURL
	s.renderUsers(w, r, http.StatusOK, usersPage{InviteLink: &inviteLink{
		URL:  base + "/admin/invite?token=" + url.QueryEscape(inv.Token),
		Role: inv.Role, Author: inv.Author, Expires: inv.Expires,
	}})
}

// revokeInvite makes a pending invite stop working.
func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	ctx, by := r.Context(), userOf(r).Name
	t, err := s.opts.Accounts.RevokeInvite(ctx, r.PathValue("id"))
	if err != nil {
		s.usersProblem(w, r, "revoking an invite", err, usersPage{})
		return
	}
	s.log.InfoContext(ctx, "invite revoked", "by", by, "role", t.Role, "author", t.Author, "made_by", t.By)
	http.Redirect(w, r, "/admin/users/?"+s.noticeQuery(fmt.Sprintf("The %s invite made by %s is revoked.", t.Role, t.By)), http.StatusSeeOther)
}

// joinPage shows the invite page with up: the form, or only the sentence
// of a problem when the invite does not work.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request, status int, up *usersPage) {
	// The token is in the address: no other site may see it in a Referer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	if up.Invite != nil && up.Invite.Author != "" {
		up.InviteAuthorName = up.Invite.Author
		if a, ok := s.opts.Content.Current().Authors[up.Invite.Author]; ok {
			up.InviteAuthorName = a.Name
		}
	}
	s.renderAdmin(w, r, status, "Join", adminPage{Section: "invite", Users: up})
}

// joinProblem shows the invite page with what err says: with the form
// again when the runner can put it right, else only the sentence.
func (s *Server) joinProblem(w http.ResponseWriter, r *http.Request, doing string, err error, up *usersPage) {
	p, ok := problemOf(err, s.location())
	if !ok {
		s.serverError(w, r, doing, err)
		return
	}
	up.Error = p.Message
	// A profile taken meanwhile is no mistake the runner can put right.
	if !p.Form || errors.Is(err, accounts.ErrAuthorTaken) {
		up.Invite = nil
	}
	setRetryAfter(w, p.RetryAfter)
	s.joinPage(w, r, p.Status, up)
}

func (s *Server) joinForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	t, err := s.opts.Accounts.InviteToken(r.Context(), token)
	if err != nil {
		s.joinProblem(w, r, "reading an invite", err, &usersPage{})
		return
	}
	up := &usersPage{Token: token, Invite: &t}
	if s.opts.Authoring != nil {
		if up.JoinProfile, err = s.openProfileForm(r, t.Author); err != nil {
			s.fail(w, r, "opening an author profile", err)
			return
		}
	}
	s.joinPage(w, r, http.StatusOK, up)
}

// join makes the account an invite is for, with the name and password the
// runner chose, and signs them in. Where the site has the editor, the
// runner's author profile is on the form too: checked before the account
// is made, so a refused profile leaves the invite unused, then saved (the
// invite's profile edited, or a new one made and tied to the account).
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.allowWrite(w, r, limitLink) {
		return
	}
	if err := readProfileForm(w, r); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	ctx, ip := r.Context(), s.clientIP(r)
	token, name, password := r.PostFormValue("token"), r.PostFormValue("name"), r.PostFormValue("password")
	t, err := s.opts.Accounts.InviteToken(ctx, token)
	if err == nil && password != r.PostFormValue("confirm") {
		err = errPasswordsDiffer
	}
	var profile *profileForm
	profileID := t.Author
	if s.opts.Authoring != nil {
		profile = typed(r, &profileForm{ID: t.Author})
		if profileID == "" {
			profileID = s.opts.Authoring.NewProfileID(profile.Name)
		}
		if err == nil {
			err = s.checkProfile(r, profileID)
		}
	}
	var session string
	var u accounts.User
	if err == nil {
		session, u, err = s.opts.Accounts.Join(ctx, token, name, password, ip)
	}
	if err != nil {
		up := &usersPage{Token: token, Invite: &t, JoinName: name, JoinProfile: profile}
		if profile != nil {
			if _, ok := s.profileProblem(profile, err); ok {
				up.Error, profile.Error = profile.Error, ""
			}
		}
		s.joinProblem(w, r, "joining with an invite", err, up)
		return
	}
	s.log.InfoContext(ctx, "joined with an invite", "user", u.Name, "role", u.Role, "author", u.Author, "invited_by", t.By, "ip", ip)
	http.SetCookie(w, sessionCookie(session, s.secure(r), s.opts.Accounts.SessionTTL()))
	if profile != nil {
		err := s.storeProfile(r, profileID, u.Name, profile.Version)
		if err == nil && t.Author == "" {
			err = s.opts.Accounts.SetAuthor(ctx, u.Name, profileID)
		}
		if err != nil {
			// The account is made and signed in; the profile, refused only
			// by a change meanwhile, is shown back to save again.
			r = r.WithContext(context.WithValue(ctx, userKey{}, u))
			p, ok := s.profileProblem(profile, err)
			if !ok {
				s.fail(w, r, "saving an author profile", err)
				return
			}
			profile.ID = u.Author
			s.renderAdmin(w, r, p.Status, "Your profile", adminPage{Section: "profile", Profile: profile})
			return
		}
	}
	http.Redirect(w, r, "/admin/welcome", http.StatusSeeOther)
}

// welcome greets a signed-in user of any role with what their role lets
// them do: where a runner lands after joining, whether or not their role
// may use the moderation pages.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	u, err := s.opts.Accounts.Authenticate(r.Context(), sessionToken(r))
	if errors.Is(err, accounts.ErrNoSession) {
		http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, "checking a session", err)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
	s.renderAdmin(w, r, http.StatusOK, "Welcome", adminPage{Section: "welcome"})
}

// loggedName is a user name as sent, cut to the longest a name can be, for
// the log: a sign-in form may carry a megabyte in it.
func loggedName(name string) string {
	if len(name) > accounts.MaxNameChars {
		return name[:accounts.MaxNameChars] + "…"
	}
	return name
}
