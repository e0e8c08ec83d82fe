package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/federation"
	"milepost/internal/search"
	"milepost/internal/subscriptions"
)

// problem is how a refused request is answered: its status, and what the
// reader is told.
type problem struct {
	Status  int
	Heading string
	Message string
	// Form is true when the reader can fix or simply resend what they
	// sent: their form is shown again, their text kept, with Message at
	// its top, instead of an error page.
	Form bool
	// RetryAfter, when set, is sent as Retry-After.
	RetryAfter time.Duration
	// loc is the site's time zone, set before a detail runs: a time in
	// Message is written in it, as every time the site shows is.
	loc *time.Location
}

// Errors of the web layer's own, for the requests it refuses before any
// domain package sees them. Their answers are in problemTable.
var (
	errNotAForm        = errors.New("the request body is not an HTML form")
	errUnreadableForm  = errors.New("the form could not be parsed")
	errTooManyComments = errors.New("too many comments from one address")
	errTooManyChanges  = errors.New("too many changes to own comments from one address")
	errTooManyWrites   = errors.New("too many changes from one address")
	errHoneypot        = errors.New("the honeypot field was filled in")
	errFormTooFast     = errors.New("the form was sent too soon after it was served")
	errFormStale       = errors.New("the form token is missing, forged or expired")
	errFormUsed        = errors.New("the form token has posted a comment already")
	errNoBanLength     = errors.New("the ban form names no length of ban")
)

// banValueError is a ban form whose value is not an email or IP address:
// err (from comments.NormalizeBan) says what is wrong with it, and lift
// whether the form was lifting a ban rather than adding one.
type banValueError struct {
	lift bool
	err  error
}

func (e *banValueError) Error() string { return "ban form: " + e.err.Error() }
func (e *banValueError) Unwrap() error { return e.err }

// waitError is a rate limit's refusal: err (errTooManyComments, …) and how
// long to wait.
type waitError struct {
	err  error
	wait time.Duration
}

func (e *waitError) Error() string { return e.err.Error() + "; retry in " + e.wait.String() }
func (e *waitError) Unwrap() error { return e.err }

// statusClientClosed answers a request whose client went away first.
const statusClientClosed = 499

// problemTable maps every error a handler may be refused with to its
// answer: the domain packages' sentinel errors and error types, and the web
// layer's own. The first entry that matches wins. An error that matches
// none is the server's own: see problemOf.
var problemTable = []struct {
	match func(error) bool
	problem
	// detail, when set, fills in what depends on the error itself.
	detail func(err error, p *problem)
}{
	// The reader went away (closed the tab, lost the connection) before
	// the answer: nobody reads it, and nothing failed on the server, so
	// it is neither logged as an error nor counted as a 5xx. 499 is the
	// status nginx logs for it.
	{match: is(context.Canceled), problem: problem{Status: statusClientClosed, Heading: "Request cancelled",
		Message: "The request was cancelled before it was answered."}},

	// Not there (or not for this reader to know about).
	{match: is(comments.ErrNoPost), problem: problemNotFound},
	{match: is(comments.ErrNotFound), problem: problemNotFound},
	{match: is(comments.ErrNotBanned), problem: problemNotFound},
	{match: is(errNoRouteDownload), problem: problem{Status: http.StatusNotFound, Heading: "No route to download",
		Message: "The writer of this story does not offer its route for download."}},

	// The reader may not do this.
	{match: is(comments.ErrClosed), problem: problem{Status: http.StatusForbidden, Heading: "Comments are closed",
		Message: "This post no longer takes comments. Thank you for reading it."}},
	{match: is(comments.ErrBanned), problem: problem{Status: http.StatusForbidden, Heading: "You cannot comment here"},
		detail: banDetail},
	{match: is(comments.ErrNotYours), problem: problem{Status: http.StatusForbidden, Heading: "Not your comment",
		Message: "Only the person who wrote a comment can change it, from the browser they wrote it in."}},
	{match: is(comments.ErrEditWindowPassed), problem: problem{Status: http.StatusForbidden, Heading: "Too late to change this comment",
		Message: "Comments can be changed for a short while after they are posted, and not once someone has replied."}},
	{match: is(comments.ErrHasReplies), problem: problem{Status: http.StatusConflict, Heading: "Someone has replied",
		Message: "This comment has a reply now, so it can no longer be changed or deleted."}},

	// Mistakes and refusals the reader can put right: the form comes back.
	{match: as[comments.FieldErrors], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Please check your comment", Form: true,
		Message: "Your comment was not posted yet. Please fix what is marked and send it again."}},
	{match: is(comments.ErrDuplicate), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Already posted", Form: true,
		Message: "You have just posted this same comment. It is already on the page; there is no need to send it again."}},
	{match: is(errFormUsed), problem: problem{Status: http.StatusConflict, Heading: "Already posted", Form: true,
		Message: "This form has already posted a comment, so it was not posted again. If you meant to post another one, check it below and send it again."}},
	{match: is(errFormTooFast), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Please send it again", Form: true,
		Message: "That was quicker than we expect a person to write a comment. Please check it and send it again."}},
	{match: is(errFormStale), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Please send it again", Form: true,
		Message: "This form is too old or was not served by this site. Please send your comment again from this page."}},
	{match: is(errHoneypot), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Please send it again", Form: true,
		Message: "Your comment looks like it was sent by an automated program. If you are a person, please send it again."}},
	{match: is(errTooManyComments), problem: problem{Status: http.StatusTooManyRequests, Heading: "Please wait a minute", Form: true,
		Message: "You have posted several comments in a short time. Please wait a minute, then send this one again."},
		detail: waitDetail},
	{match: is(errTooManyChanges), problem: problem{Status: http.StatusTooManyRequests, Heading: "Please wait a minute", Form: true,
		Message: "You have changed your comments several times in a short time. Please wait a minute, then try again."},
		detail: waitDetail},
	{match: is(errTooManyWrites), problem: problem{Status: http.StatusTooManyRequests, Heading: "Please wait a minute",
		Message: "This address has sent many changes in a short time. Please wait a minute, then try again."},
		detail: waitDetail},
	{match: is(errNoBanLength), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the ban", Form: true,
		Message: "Choose how long the ban lasts."}},
	{match: as[*banValueError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the ban", Form: true},
		detail: func(err error, p *problem) {
			var b *banValueError
			errors.As(err, &b)
			if b.lift {
				p.Message = "No ban was lifted: " + b.err.Error()
			} else {
				p.Message = "The ban was not added: " + b.err.Error()
			}
		}},

	// Search (search.go): the query is shown back in the search box, with
	// what to change.
	{match: is(search.ErrQueryTooLong), problem: problem{Status: http.StatusBadRequest, Heading: "Search too long",
		Message: "A search may be up to %d characters long. Please search for fewer words."}, detail: withNumber(search.MaxQueryBytes)},
	{match: is(search.ErrTooManyTerms), problem: problem{Status: http.StatusBadRequest, Heading: "Too many words",
		Message: "A search may have up to %d words and filters. Please search for fewer."}, detail: withNumber(search.MaxTerms)},
	{match: is(search.ErrNotUTF8), problem: problem{Status: http.StatusBadRequest, Heading: "Unreadable search",
		Message: "The search was not readable text (UTF-8). Please type it again."}},
	{match: is(search.ErrNoWords), problem: problem{Status: http.StatusBadRequest, Heading: "Nothing to search for",
		Message: "Type a word or two to look for: punctuation and operators alone find nothing."}},
	{match: is(errBadSearchPage), problem: problem{Status: http.StatusBadRequest, Heading: "No such page of results",
		Message: "Results are numbered in pages 1 to 100. Search again to start from the first."}},
	{match: is(search.ErrNotReady), problem: problem{Status: http.StatusServiceUnavailable, Heading: "Search is getting ready",
		Message:    "The search index is still being built, which takes a few seconds after the site starts. Please search again in a moment.",
		RetryAfter: searchRetry}},

	// Requests that are not what a form sends.
	// Any route's body may be too large (the comment form and the edit
	// forms allow MaxCommentBytes, everything else MaxBodyBytes), so the
	// wording names no form, and the detail the limit that was passed.
	{match: as[*http.MaxBytesError], problem: problem{Status: http.StatusRequestEntityTooLarge, Heading: "Too large to accept"},
		detail: func(err error, p *problem) {
			var tooBig *http.MaxBytesError
			errors.As(err, &tooBig)
			p.Message = "What you sent is larger than the " + byteSize(tooBig.Limit) +
				" this site accepts here. Please shorten it and try again."
		}},
	{match: is(errNotAForm), problem: problem{Status: http.StatusUnsupportedMediaType, Heading: "Unsupported form encoding",
		Message: "This address takes an HTML form (application/x-www-form-urlencoded or multipart/form-data)."}},
	{match: is(errUnreadableForm), problem: problem{Status: http.StatusBadRequest, Heading: "Unreadable form",
		Message: "The form could not be read. Please go back and try again."}},

	// The fediverse (federation.go): what another server sent, or asked.
	{match: is(federation.ErrNotEnabled), problem: problemNotFound},
	{match: is(federation.ErrNotFound), problem: problemNotFound},
	{match: is(federation.ErrNotBlocked), problem: problemNotFound},
	{match: is(federation.ErrBadSignature), problem: problem{Status: http.StatusUnauthorized, Heading: "Signature not verified"}},
	{match: is(federation.ErrActorMismatch), problem: problem{Status: http.StatusForbidden, Heading: "The actor is not the signer"}},
	{match: is(federation.ErrBlocked), problem: problem{Status: http.StatusForbidden, Heading: "Blocked"}},
	{match: is(federation.ErrRateLimited), problem: problem{Status: http.StatusTooManyRequests, Heading: "Too many activities",
		RetryAfter: time.Minute}},
	{match: is(federation.ErrReplayed), problem: problem{Status: http.StatusConflict, Heading: "Already delivered"}},
	{match: is(federation.ErrBadActivity), problem: problem{Status: http.StatusBadRequest, Heading: "Not an activity Milepost understands"}},

	// Signing in.
	{match: is(accounts.ErrNoSession), problem: problem{Status: http.StatusUnauthorized, Heading: "Please sign in",
		Message: "Your session has ended. Sign in again at /admin/login."}},
	{match: is(accounts.ErrBadCredentials), problem: problem{Status: http.StatusUnauthorized, Heading: "Sign in", Form: true,
		Message: "That name and password do not match an account."}},
	{match: is(errNotAllowed), problem: problem{Status: http.StatusForbidden, Heading: "Not allowed",
		Message: "Your account may not do this."}},
	{match: isBusy, problem: problem{Status: http.StatusServiceUnavailable, Heading: "Sign in", Form: true,
		Message: "The server is busy checking other sign-ins. Please try again in a moment."},
		detail: throttledDetail},
	{match: is(accounts.ErrThrottled), problem: problem{Status: http.StatusTooManyRequests, Heading: "Sign in", Form: true},
		detail: func(err error, p *problem) {
			throttledDetail(err, p)
			p.Message = "Too many failed attempts. Please wait " + max(p.RetryAfter, time.Second).Round(time.Second).String() + " and try again."
		}},

	// Accounts (users.go): the admin's forms and the set-password page.
	{match: is(accounts.ErrNoUser), problem: problemNotFound},
	{match: is(accounts.ErrNoToken), problem: problem{Status: http.StatusNotFound, Heading: "This link does not work",
		Message: "This link does not work: it is unknown, has been used, or has expired. Ask an admin for a new one."}},
	{match: is(accounts.ErrLastAdmin), problem: problem{Status: http.StatusConflict, Heading: "The last admin", Form: true,
		Message: "Not done: this user is the last admin, and the site must keep one. Make another user an admin first."}},
	{match: is(accounts.ErrBadName), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the name", Form: true,
		Message: "A user name is 1 to 64 letters, digits, dots, hyphens and underscores."}},
	{match: is(accounts.ErrBadRole), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the role", Form: true,
		Message: "Choose one of the roles offered: contributor, author, editor, moderator or admin."}},
	{match: is(accounts.ErrAuthorTaken), problem: problem{Status: http.StatusConflict, Heading: "That profile is taken", Form: true,
		Message: "That author profile already belongs to another account. Ask an admin for an invite without it, or for another profile."}},
	{match: is(errNoSuchAuthor), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the author profile", Form: true,
		Message: "This site has no such author profile. Choose one from the list, or none."}},
	{match: is(accounts.ErrUserExists), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the name", Form: true,
		Message: "There is already a user with that name."}},
	{match: is(accounts.ErrPasswordTooShort), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Choose a password", Form: true,
		Message: "The password is too short: use at least %d characters."}, detail: withNumber(accounts.MinPasswordBytes)},
	{match: is(accounts.ErrPasswordTooLong), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Choose a password", Form: true,
		Message: "The password is too long: use at most %d bytes."}, detail: withNumber(accounts.MaxPasswordBytes)},
	{match: is(errPasswordsDiffer), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Choose a password", Form: true,
		Message: "The two passwords differ. Type the same one twice."}},

	// The editor (editor.go, authoring): the writer's text is always kept.
	{match: is(authoring.ErrNotFound), problem: problemNotFound},
	{match: as[*unrestorableError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "This version cannot be restored"},
		detail: func(err error, p *problem) {
			p.Message = "The site could not read this earlier version as it stands today: " + err.Error() + "."
		}},
	{match: as[*authoring.ConflictError], problem: problem{Status: http.StatusConflict, Heading: "Changed since you opened it", Form: true,
		Message: "Not saved: the post's file changed since you opened it (someone edited it, or it came from git). Nothing was overwritten. The file as it is now and your text are side by side below: open the post again and copy your changes in."}},
	{match: as[*authoring.InvalidError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Please check the post", Form: true,
		Message: "Not saved: the site could not read the post as it would be written. What is wrong is listed below, by line of the file."}},
	{match: is(authoring.ErrInvalidSlug), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the slug", Form: true,
		Message: "A slug is lowercase letters, digits and single hyphens between them, such as first-10k."}},
	{match: is(authoring.ErrSlugTaken), problem: problem{Status: http.StatusConflict, Heading: "That slug is taken", Form: true,
		Message: "Another post has this slug. Choose another one in the slug field."}},
	{match: is(authoring.ErrSlugUsed), problem: problem{Status: http.StatusConflict, Heading: "That address was used", Form: true,
		Message: "Not saved: this address was used by another post (deleted to the trash, or moved away), whose history and comments stay with it. Choose another slug in the slug field; your text is kept below."}},
	{match: is(authoring.ErrLink), problem: problem{Status: http.StatusConflict, Heading: "Edit this post by hand",
		Message: "This post's file is reached through a symbolic link, which the editor never writes through. Edit the file by hand."}},
	{match: is(errNoSlug), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Choose a slug", Form: true,
		Message: "The title has no letters or digits a web address can use. Write a slug for it, such as first-10k."}},
	{match: as[*titleError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the title", Form: true},
		detail: func(err error, p *problem) {
			var t *titleError
			errors.As(err, &t)
			p.Message = "Not saved: " + t.err.Error() + "."
		}},
	{match: is(errBadPostDate), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the date", Form: true,
		Message: "Not saved: the publish date is not a date. Pick a day and a time."}},
	{match: is(errNoAuthorProfile), problem: problem{Status: http.StatusForbidden, Heading: "No author profile yet", Form: true,
		Message: "Your account has no author profile yet, so a post cannot say who wrote it. Ask an admin to tie one to your account; your text is kept below."}},
	{match: as[*authoring.PhotoError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the photos", Form: true},
		detail: photoRefusal},
	{match: as[*authoring.ActivityError], problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the activity file", Form: true},
		detail: activityRefusal},
	{match: is(authoring.ErrRunByHand), problem: problem{Status: http.StatusConflict, Heading: "Edit the run by hand", Form: true,
		Message: "Not saved: this post's run: fields are written on one line (or not as keys), which only a hand edit of the file changes. Your text is kept below; save it with the run's fields as they were."}},
	{match: is(authoring.ErrTooManyPhotos), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Too many photos", Form: true,
		Message: "Not saved: add at most %d photos at a time. Your text is kept below; choose fewer photos and save, then add the others."},
		detail: withNumber(authoring.MaxPhotos)},
	{match: as[*editorTooLargeError], problem: problem{Status: http.StatusRequestEntityTooLarge, Heading: "Too large to save", Form: true},
		detail: editorTooLarge},
	{match: is(authoring.ErrRenamePublished), problem: problem{Status: http.StatusConflict, Heading: "The address stays", Form: true,
		Message: "Not saved: this post has been published (or scheduled), so its address may be linked to and stays as it is. Your text is kept below; save it with its slug unchanged."}},
	{match: is(authoring.ErrSlugInFrontMatter), problem: problem{Status: http.StatusConflict, Heading: "The slug is set in the file", Form: true,
		Message: "Not saved: this post's file sets its slug in the front matter (slug:), which only a hand edit of the file changes. Your text is kept below."}},
	{match: is(authoring.ErrHasComments), problem: problem{Status: http.StatusConflict, Heading: "The address stays", Form: true,
		Message: "Not saved: this post has comments, which stay with its address. Your text is kept below; save it with its slug unchanged."}},
	{match: is(authoring.ErrPhoto), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the photo", Form: true},
		detail: photoProblem},
	{match: is(errNoProfileName), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the display name", Form: true,
		Message: "Not saved: the display name needs letters or digits a web address can use, such as Kay Runner."}},
	{match: is(errMayNotPublish), problem: problem{Status: http.StatusForbidden, Heading: "Not yours to publish", Form: true,
		Message: "Your role may write drafts but not publish, schedule, or take a published post down. Save it as a draft; an editor publishes it."}},
	{match: is(authoring.ErrNotAwaitingReview), problem: problem{Status: http.StatusConflict, Heading: "Not awaiting review",
		Message: "This post is not in the review queue: it was returned or published meanwhile, or never submitted. Open it again to see where it stands."}},
	{match: is(authoring.ErrNoteRequired), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Write a note",
		Message: "Say in the note what the writer should change: a post is returned with a note or not at all. Go back to write one."}},
	{match: is(authoring.ErrNoteTooLong), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Shorten the note",
		Message: "The note is longer than %d characters. Say what to change in fewer words; go back to shorten it."},
		detail: withNumber(authoring.MaxReviewNote)},

	// Email subscriptions (subscribe.go).
	{match: is(subscriptions.ErrNotConfigured), problem: problem{Status: http.StatusNotFound, Heading: "No email here",
		Message: "This site does not send email. Follow it by its feeds instead."}},
	{match: is(subscriptions.ErrBadAddress), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Check the address",
		Message: "That does not look like an email address. Go back, check it and send it again."}},
	{match: is(subscriptions.ErrBadScope), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Nothing to subscribe to",
		Message: "There is nothing by that name to subscribe to here."}},
	{match: is(subscriptions.ErrTooMany), problem: problem{Status: http.StatusUnprocessableEntity, Heading: "Too many subscriptions",
		Message: "This address has too many subscriptions already."}},
	{match: is(errTooManyEmailRequests), problem: problem{Status: http.StatusTooManyRequests, Heading: "Please wait a while",
		Message: "There were many requests for this address or from yours in a short time. Please try again later.", RetryAfter: 10 * time.Minute}},
	{match: is(subscriptions.ErrTokenExpired), problem: problem{Status: http.StatusGone, Heading: "This link has expired",
		Message: "Confirmation links work for two days. Subscribe again for a new one."}},
	{match: is(subscriptions.ErrTokenUsed), problem: problem{Status: http.StatusGone, Heading: "This link was used",
		Message: "The address is confirmed already, or a newer link was sent: use the newest email."}},
	{match: is(subscriptions.ErrTokenInvalid), problem: problem{Status: http.StatusNotFound, Heading: "This link is not valid",
		Message: "The link is not one this site sent, or it was cut short. Copy the whole link from the email."}},
}

// Answers that do not come from an error in the table.
var (
	problemNotFound = problem{Status: http.StatusNotFound, Heading: "Page not found",
		Message: "There is nothing at this address. The post may have moved, or the link may be mistyped."}
	// problemServerError answers a request the server failed (the error is
	// logged, never shown).
	problemServerError = problem{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "The server could not finish this request. Please try again in a moment."}
	// problemUnavailable answers a write the store could not make (a full
	// disk, a failing one): nothing the reader did is wrong, and what they
	// typed is shown back to them to send again.
	problemUnavailable = problem{Status: http.StatusServiceUnavailable, Heading: "Not saved yet", Form: true,
		Message:    "Your comment could not be saved just now, because of a problem on our side. It is kept below: please try again in a minute.",
		RetryAfter: time.Minute}
)

// problemPostUnavailable answers an editor's save the server could not
// write (a full disk, a read-only content directory): the file is as it
// was, and the writer's text is shown back.
var problemPostUnavailable = problem{Status: http.StatusServiceUnavailable, Heading: "Not saved yet", Form: true,
	Message:    "Your post could not be saved just now, because the server could not write its file. Nothing was changed. Your text is kept below: copy it somewhere safe, and try again in a minute.",
	RetryAfter: time.Minute}

// methodNotAllowed answers a request whose method the address does not
// take; the caller sets Allow.
func methodNotAllowed(method string) problem {
	return problem{Status: http.StatusMethodNotAllowed, Heading: "Method not allowed",
		Message: "This address does not accept " + method + " requests."}
}

// byteSize writes a body limit for people: "64 KiB", "1 MiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func as[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func banDetail(err error, p *problem) {
	var b *comments.BanError
	if !errors.As(err, &b) {
		p.Message = "You may not comment on this site."
		return
	}
	p.Message = banMessage(b, p.loc)
}

func waitDetail(err error, p *problem) {
	var w *waitError
	if errors.As(err, &w) {
		p.RetryAfter = w.wait
	}
}

// problemOf looks err up in problemTable; ok is false for an error of the
// server's own (a failing store, a bug), which the table does not know. loc
// is the site's time zone, for the times a detail writes.
func problemOf(err error, loc *time.Location) (p problem, ok bool) {
	for _, e := range problemTable {
		if e.match(err) {
			p = e.problem
			p.loc = loc
			if e.detail != nil {
				e.detail(err, &p)
			}
			return p, true
		}
	}
	return problem{}, false
}

// fail answers a request that err refused, with the theme's error page: the
// table's answer, or for an error of the server's own a logged 500 that
// says no more than that.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, doing string, err error) {
	p, ok := problemOf(err, s.location())
	if !ok {
		s.serverError(w, r, doing, err)
		return
	}
	s.showProblem(w, r, p)
}

// showProblem sends a problem as the theme's error page.
func (s *Server) showProblem(w http.ResponseWriter, r *http.Request, p problem) {
	setRetryAfter(w, p.RetryAfter)
	s.errorPage(w, r, p.Status, p.Heading, p.Message)
}

// formProblem is the answer to a form that was not accepted, for handlers
// that show the form again: the table's, or — for an error the table does
// not know, which can only be the store failing to write — a 503 that keeps
// the reader's text and asks them to try again. The error is logged then.
func (s *Server) formProblem(r *http.Request, doing string, err error) problem {
	if p, ok := problemOf(err, s.location()); ok {
		return p
	}
	s.log.ErrorContext(r.Context(), doing, "path", r.URL.Path, "err", err)
	return problemUnavailable
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", retryAfter(d))
	}
}
