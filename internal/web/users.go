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
	name, role := r.PostFormValue("name"), accounts.Role(r.PostFormValue("role"))
	by := userOf(r).Name
	u, link, err := s.opts.Accounts.AddWithLink(r.Context(), by, name, role)
	if err != nil {
		if msg, ok := accountProblem(err); ok {
			s.renderUsers(w, r, http.StatusUnprocessableEntity, usersPage{NewName: name, NewRole: role, Error: msg})
			return
		}
		s.serverError(w, r, "adding a user", err)
		return
	}
	s.log.InfoContext(r.Context(), "user added", "by", by, "user", u.Name, "role", u.Role, "link_expires", link.Expires)
	s.renderUsers(w, r, http.StatusOK, usersPage{Link: s.passwordLink(r, link)})
}

// userAction is one of the buttons beside a user: role, link, signout,
// remove.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request) {
	ctx, by, name := r.Context(), userOf(r).Name, r.PathValue("name")
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
	switch {
	case errors.Is(err, accounts.ErrNoUser) || errors.Is(err, accounts.ErrBadName):
		s.notFound(w, r)
		return
	case errors.Is(err, accounts.ErrLastAdmin):
		s.renderUsers(w, r, http.StatusConflict, usersPage{Error: "Not done: " + name + " is the last admin. Make another user an admin first."})
		return
	case err != nil:
		if msg, ok := accountProblem(err); ok {
			s.renderUsers(w, r, http.StatusUnprocessableEntity, usersPage{Error: msg})
			return
		}
		s.serverError(w, r, "changing a user", err)
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

// accountProblem is what to tell an admin or a new user about a mistake in
// what they sent; ok is false for an error of the server's own.
func accountProblem(err error) (msg string, ok bool) {
	switch {
	case errors.Is(err, accounts.ErrBadName):
		return "A user name is 1 to 64 letters, digits, dots, hyphens and underscores.", true
	case errors.Is(err, accounts.ErrBadRole):
		return "Choose moderator or admin.", true
	case errors.Is(err, accounts.ErrUserExists):
		return "There is already a user with that name.", true
	case errors.Is(err, accounts.ErrPasswordTooShort):
		return fmt.Sprintf("The password is too short: use at least %d characters.", accounts.MinPasswordBytes), true
	case errors.Is(err, accounts.ErrPasswordTooLong):
		return fmt.Sprintf("The password is too long: use at most %d bytes.", accounts.MaxPasswordBytes), true
	}
	return "", false
}

// noLink is what the set-password page says for a token that does not work.
const noLink = "This link does not work: it is unknown, has been used, or has expired. Ask an admin for a new one."

func (s *Server) setPasswordForm(w http.ResponseWriter, r *http.Request) {
	// The token is in the address: no other site may see it in a Referer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.URL.Query().Get("token")
	t, err := s.opts.Accounts.PasswordToken(r.Context(), token)
	switch {
	case errors.Is(err, accounts.ErrNoToken):
		s.renderAdmin(w, r, http.StatusNotFound, "Choose a password", adminPage{Section: "set-password", Users: &usersPage{Error: noLink}})
		return
	case err != nil:
		s.serverError(w, r, "reading a set-password link", err)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Choose a password", adminPage{Section: "set-password", Users: &usersPage{Token: token, For: t.User}})
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.allowWrite(w, r, limitLink) {
		return
	}
	ctx := r.Context()
	token, password := r.PostFormValue("token"), r.PostFormValue("password")
	t, err := s.opts.Accounts.PasswordToken(ctx, token)
	if err == nil && password != r.PostFormValue("confirm") {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, "Choose a password", adminPage{Section: "set-password",
			Users: &usersPage{Token: token, For: t.User, Error: "The two passwords differ. Type the same one twice."}})
		return
	}
	var name string
	if err == nil {
		name, err = s.opts.Accounts.SetPasswordWithToken(ctx, token, password, s.clientIP(r))
	}
	switch {
	case errors.Is(err, accounts.ErrNoToken):
		s.renderAdmin(w, r, http.StatusNotFound, "Choose a password", adminPage{Section: "set-password", Users: &usersPage{Error: noLink}})
		return
	case err != nil:
		if msg, ok := accountProblem(err); ok {
			s.renderAdmin(w, r, http.StatusUnprocessableEntity, "Choose a password", adminPage{Section: "set-password",
				Users: &usersPage{Token: token, For: t.User, Error: msg}})
			return
		}
		s.serverError(w, r, "setting a password", err)
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
