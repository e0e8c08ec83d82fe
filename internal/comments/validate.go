package comments

import (
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input is a comment form as the reader sent it: raw, untrimmed, unchecked.
// The web layer keeps it to show the form again when Validate refuses it.
type Input struct {
	Post    string // the post's slug, set by the server, not the reader
	Parent  string // decimal ID of the comment replied to, or empty
	Name    string
	Email   string
	Website string
	Body    string
	// Source is set by the server, never from a form, for a comment that
	// came from elsewhere: "activitypub:" and the id of a fediverse
	// reply. Moderators see it, as the comment's Source.
	Source string
}

// FieldErrors maps a form field name (name, email, website, body, parent) to a
// sentence telling the reader what is wrong with it. It is an error so that a
// Service can return it; callers find it with errors.As.
type FieldErrors map[string]string

// Error lists every field's problem in a stable order, for logs.
func (fe FieldErrors) Error() string {
	fields := make([]string, 0, len(fe))
	for f := range fe {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var b strings.Builder
	b.WriteString("invalid comment: ")
	for i, f := range fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f)
		b.WriteString(": ")
		b.WriteString(fe[f])
	}
	return b.String()
}

// Validate checks a comment form and returns the comment it describes, with
// every value trimmed and normalised. When some fields are wrong it still
// fills in every field that passed, and returns one sentence per wrong field;
// the FieldErrors is nil exactly when the comment is valid. It does not check
// that the parent exists: that needs the Store (see Service.Post).
func Validate(in Input) (Comment, FieldErrors) {
	var c Comment
	errs := FieldErrors{}

	if msg := checkText(in.Post, "The post"); msg != "" {
		errs["post"] = msg
	} else if c.Post = strings.TrimSpace(in.Post); c.Post == "" {
		errs["post"] = "The post to comment on is missing."
	}

	if v, msg := validateName(in.Name); msg != "" {
		errs["name"] = msg
	} else {
		c.Name = v
	}
	if v, msg := validateEmail(in.Email); msg != "" {
		errs["email"] = msg
	} else {
		c.Email = v
	}
	if v, msg := validateWebsite(in.Website); msg != "" {
		errs["website"] = msg
	} else {
		c.Website = v
	}
	if v, msg := validateBody(in.Body); msg != "" {
		errs["body"] = msg
	} else {
		c.Body = v
	}
	if len(in.Source) > MaxSourceChars || strings.IndexFunc(in.Source, isForbiddenInLine) >= 0 {
		errs["source"] = "The comment's origin is not a line of at most " + strconv.Itoa(MaxSourceChars) + " characters."
	} else {
		c.Source = in.Source
	}
	if v, msg := validateParent(in.Parent); msg != "" {
		errs["parent"] = msg
	} else {
		c.Parent = v
	}

	if len(errs) == 0 {
		return c, nil
	}
	return c, errs
}

// checkText refuses what no field may hold: bytes that are not UTF-8 (a
// template would have to guess what they mean) and NUL, which some storage and
// logging tools treat as the end of the string.
func checkText(s, what string) string {
	if !utf8.ValidString(s) {
		return what + " contains bytes that are not valid UTF-8 text. Please retype it."
	}
	if strings.IndexByte(s, 0) >= 0 {
		return what + " contains a NUL character. Please retype it."
	}
	return ""
}

func validateName(raw string) (string, string) {
	if msg := checkText(raw, "Your name"); msg != "" {
		return "", msg
	}
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", "Please tell us your name."
	case utf8.RuneCountInString(name) > MaxNameChars:
		return "", "Your name is too long: please use at most " + strconv.Itoa(MaxNameChars) + " characters."
	case strings.IndexFunc(name, isForbiddenInLine) >= 0:
		return "", "Your name contains control characters (such as a tab or line break). Please use ordinary text."
	}
	return name, ""
}

// OneLine is s without the characters a one-line value may not hold (see
// isForbiddenInLine): for a name that comes from elsewhere, such as a
// fediverse account's, which the writer cannot be asked to retype.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if isForbiddenInLine(r) {
			return -1
		}
		return r
	}, s)
}

// isForbiddenInLine reports characters that have no business in a one-line
// value: control characters, and the bidirectional overrides and isolates
// that can make a name appear to be someone else's.
func isForbiddenInLine(r rune) bool {
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

func validateEmail(raw string) (string, string) {
	if msg := checkText(raw, "Your email address"); msg != "" {
		return "", msg
	}
	email := strings.TrimSpace(raw)
	if email == "" {
		return "", ""
	}
	if utf8.RuneCountInString(email) > MaxEmailChars {
		return "", "Your email address is too long: at most " + strconv.Itoa(MaxEmailChars) + " characters."
	}
	// net/mail also accepts "Kay <kay@example.org>" and comments in
	// parentheses; a form field wants the address alone, so it must come
	// back unchanged.
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email || strings.IndexFunc(email, isForbiddenInLine) >= 0 {
		return "", "Please enter a valid email address, like name@example.com, or leave it empty."
	}
	return email, ""
}

func validateWebsite(raw string) (string, string) {
	if msg := checkText(raw, "Your website address"); msg != "" {
		return "", msg
	}
	site := strings.TrimSpace(raw)
	if site == "" {
		return "", ""
	}
	// The limit applies to what the reader typed (as the form's maxlength
	// does), not to the escaped form below, which may be longer.
	if utf8.RuneCountInString(site) > MaxWebsiteChars {
		return "", "Your website address is too long: at most " + strconv.Itoa(MaxWebsiteChars) + " characters."
	}
	invalid := "Please enter your website as a full address starting with https:// or http://, or leave it empty."
	// Browsers ignore tabs and line breaks inside URLs, which is how
	// "java\tscript:" sneaks past naive checks; nothing legitimate has them.
	if strings.ContainsFunc(site, func(r rune) bool { return unicode.IsSpace(r) || isForbiddenInLine(r) }) {
		return "", invalid
	}
	u, err := url.Parse(site)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", invalid
	}
	// "https://bank.example@evil.example" reads as the bank but goes to evil.
	if u.User != nil {
		return "", "Your website address must not contain a user name or password."
	}
	if u.Hostname() == "" {
		return "", invalid
	}
	// Parse has lowered the scheme; hosts are case-insensitive too. String
	// escapes what a browser would escape anyway.
	u.Host = strings.ToLower(u.Host)
	return u.String(), ""
}

func validateBody(raw string) (string, string) {
	if msg := checkText(raw, "Your comment"); msg != "" {
		return "", msg
	}
	// Browsers send a textarea's line breaks as CRLF; keep one kind so that
	// the length matches what the reader saw (and the textarea's maxlength).
	body := NormalizeBody(raw)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return "", "Please write a comment."
	case n > MaxBodyChars:
		return "", "Your comment is too long: " + strconv.Itoa(n) + " characters, and at most " +
			strconv.Itoa(MaxBodyChars) + " fit. Please shorten it."
	}
	return body, ""
}

func validateParent(raw string) (uint64, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return 0, ""
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, "The comment you are replying to could not be found. Please reply to the post instead."
	}
	return id, ""
}
