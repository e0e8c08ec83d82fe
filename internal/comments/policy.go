package comments

import (
	"errors"
	"strconv"
	"strings"
)

// moderation is the mode in force: empty means first-time.
func (s Settings) moderation() Moderation {
	if s.Moderation == "" {
		return ModerationFirstTime
	}
	return s.Moderation
}

// countLinks counts the links in a rendered comment: Markdown links, bare
// URLs, email links and images (which Render turns into links).
func countLinks(html string) int { return strings.Count(html, "<a ") }

// rejected returns a sentence for each field of c containing a reject word.
// c.HTML must be c.Body rendered: the body is matched on what a reader sees.
func (s Settings) rejected(c Comment) FieldErrors {
	errs := FieldErrors{}
	for _, f := range []struct{ field, what, text string }{
		{"body", "Your comment", visibleText(c.HTML)},
		{"name", "Your name", c.Name},
		{"website", "Your website address", websiteText(c.Website)},
	} {
		if w, ok := findWord(s.RejectWords, f.text); ok {
			errs[f.field] = f.what + " contains “" + w + "”, which this site does not accept. Please remove it and try again."
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// holdReason says why the content of c (its links and hold words) holds it,
// or "" when nothing does. c.HTML must be c.Body rendered.
func (s Settings) holdReason(c Comment) string {
	if n := countLinks(c.HTML); n > s.LinkLimit {
		return strconv.Itoa(n) + " links; the limit is " + strconv.Itoa(s.LinkLimit)
	}
	if w, ok := findWord(s.HoldWords, visibleText(c.HTML), c.Name, websiteText(c.Website)); ok {
		return "contains “" + w + "”"
	}
	return ""
}

// Reasons a comment is held that do not come from its content.
const (
	reasonAll       = "every comment is held for review"
	reasonFirstTime = "first comment from this reader"
)

// errBadSettings guards against a Settings func that returns nonsense.
var errBadSettings = errors.New("invalid comment settings")
