package mail

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Email is one composed message to one address. It is never addressed to
// more than one reader, so no reader sees another's address.
type Email struct {
	To        string
	Subject   string
	Text      string // the plain-text part
	HTML      string // the HTML part
	MessageID string // without the angle brackets; see MessageID
	// Unsubscribe is the one-click unsubscribe URL (RFC 8058): it goes in
	// List-Unsubscribe, with List-Unsubscribe-Post, and in the body. Empty
	// for a confirmation, which is not a list.
	Unsubscribe string
}

// MessageID is the Message-ID of the email made for the outbox message
// with the Key, at the site's host: the same for a re-send after a crash,
// so that the receiving side sees one message, and unique per Key.
func MessageID(key, host string) string {
	sum := sha256.Sum256([]byte(key))
	if host == "" {
		host = "milepost.invalid"
	}
	return hex.EncodeToString(sum[:16]) + "@" + host
}

//go:embed templates
var templateFS embed.FS

var (
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").ParseFS(templateFS, "templates/*.html"))
	textTemplates = texttemplate.Must(texttemplate.New("").ParseFS(templateFS, "templates/*.txt"))
)

// Site is what every email says of the site it comes from.
type Site struct {
	Title string
	URL   string // absolute, without a trailing slash
}

// Post is a new post sent to a subscriber.
type Post struct {
	Site   Site
	Title  string
	URL    string // the post's absolute URL
	Author string // the author's name; "" for none
	Date   string // as the site shows it
	// Body is the whole story as HTML with absolute links and photo
	// addresses; Text is it as plain text.
	Body htmltemplate.HTML
	Text string
	// Why says what the reader subscribed to ("every new post", "Kay's
	// posts"), Unsubscribe where to stop it.
	Why         string
	Unsubscribe string
}

// Confirm asks a reader to confirm their address.
type Confirm struct {
	Site       Site
	ConfirmURL string
	What       []string // what they asked for ("every new post", "replies to your comment on …")
	Hours      int      // how long the link works
}

// Reply tells a reader of a new approved comment they follow.
type Reply struct {
	Site        Site
	PostTitle   string
	CommentURL  string
	Name        string // the commenter's name; "" for anonymous
	Body        htmltemplate.HTML
	Text        string
	IsReply     bool // a reply to the reader's own comment, rather than a new comment on a post they follow
	Unsubscribe string
}

// Digest is the weekly digest of a week's new posts sent to a subscriber.
type Digest struct {
	Site  Site
	Week  string // the days it covers, as a reader reads them ("April 27 – May 3, 2026")
	Posts []DigestPost
	// Why says what the reader subscribed to, Unsubscribe where to stop
	// it.
	Why         string
	Unsubscribe string
}

// DigestPost is one post of a Digest.
type DigestPost struct {
	Title  string
	URL    string // the post's absolute URL
	Author string // "" for none
	Date   string // as the site shows it
	Run    string // the run's figures in a line; "" for none
	// Summary is the post's summary as HTML with absolute links; Text is
	// it as plain text.
	Summary htmltemplate.HTML
	Text    string
}

// ComposeDigest is the weekly digest to to.
func ComposeDigest(to string, d Digest) (Email, error) {
	what := fmt.Sprintf("%d new posts", len(d.Posts))
	if len(d.Posts) == 1 {
		what = "1 new post"
	}
	return compose(to, "digest", d.Site.Title+": "+what+", "+d.Week, d.Unsubscribe, d)
}

// ComposePost is the email of a new post to to.
func ComposePost(to string, p Post) (Email, error) {
	return compose(to, "post", p.Site.Title+": "+p.Title, p.Unsubscribe, p)
}

// ComposeConfirm is the confirmation email to to.
func ComposeConfirm(to string, c Confirm) (Email, error) {
	return compose(to, "confirm", "Confirm your email address for "+c.Site.Title, "", c)
}

// ComposeReply is the email of a new comment to to.
func ComposeReply(to string, r Reply) (Email, error) {
	who := r.Name
	if who == "" {
		who = "Someone"
	}
	subject := who + " commented on “" + r.PostTitle + "”"
	if r.IsReply {
		subject = who + " replied to your comment on “" + r.PostTitle + "”"
	}
	return compose(to, "reply", subject, r.Unsubscribe, r)
}

func compose(to, name, subject, unsubscribe string, data any) (Email, error) {
	var h, t bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&h, name+".html", data); err != nil {
		return Email{}, fmt.Errorf("composing the %s email: %w", name, err)
	}
	if err := textTemplates.ExecuteTemplate(&t, name+".txt", data); err != nil {
		return Email{}, fmt.Errorf("composing the %s email: %w", name, err)
	}
	// A subject is one line: a title with a line break would forge headers.
	subject = strings.Join(strings.Fields(subject), " ")
	return Email{To: to, Subject: subject, HTML: h.String(), Text: t.String(), Unsubscribe: unsubscribe}, nil
}
