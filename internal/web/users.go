package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"milepost/internal/accounts"
)

// usersPage is the data of /admin/users/ and of the set-password page.
type usersPage struct {
	// The list, and the add form as it was sent.
	Users   []accounts.User
	Roles   []accounts.Role
	NewName string
	NewRole accounts.Role
	// Link is a set-password link just made: shown this once, for the admin
	// to hand over.
	Link *passwordLink
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

// errPasswordsDiffer refuses a set-password form whose two passwords are
// not the same. Its answer, like every account error's, is in problemTable.
var errPasswordsDiffer = errors.New("the password and its confirmation differ")

// withNumber fills the %d in a problem's message with n: for the rules whose
// numbers are another package's.
func withNumber(n int) func(error, *problem) {
	return func(_ error, p *problem) { p.Message = fmt.Sprintf(p.Message, n) }
}

// userRoles are the roles an admin can give, in the order offered.
var userRoles = []accounts.Role{accounts.RoleModerator, accounts.RoleAdmin}

// userRoutes adds the account pages: /admin/users/ for admins, and the
// set-password page, where the one-time token is the permission.
func (s *Server) userRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/users/{$}", s.admin(s.users))
	m.HandleFunc("POST /admin/users/{$}", s.admin(s.addUser))
	m.HandleFunc("POST /admin/users/{name}/{action}", s.admin(s.userAction))
	m.HandleFunc("GET /admin/set-password", s.setPasswordForm)
	m.HandleFunc("POST /admin/set-password", s.setPassword)
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, usersPage{})
}

// renderUsers shows the user list with up, which may carry a new link or a
// problem.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, up usersPage) {
	us, err := s.opts.Accounts.List(r.Context())
	if err != nil {
		s.serverError(w, r, "listing users", err)
		return
	}
	up.Users, up.Roles = us, userRoles
	if up.NewRole == "" {
		up.NewRole = accounts.RoleModerator
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

// userAction is one of the buttons beside a user: role, link, signout,
// remove.
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

// loggedName is a user name as sent, cut to the longest a name can be, for
// the log: a sign-in form may carry a megabyte in it.
func loggedName(name string) string {
	if len(name) > accounts.MaxNameChars {
		return name[:accounts.MaxNameChars] + "…"
	}
	return name
}
