package comments

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Moderation says which new comments are held for a moderator.
type Moderation string

const (
	// ModerationOpen publishes every comment at once (links and hold words
	// still hold one).
	ModerationOpen Moderation = "open"
	// ModerationFirstTime holds a reader's comments until one of theirs has
	// been approved: same email (without regard to case) or same commenter
	// id. Note that an email address is not proof of who wrote a comment:
	// anyone who knows an approved reader's address can use it.
	ModerationFirstTime Moderation = "first-time"
	// ModerationAll holds every comment.
	ModerationAll Moderation = "all"
)

// Policy is the moderation policy: site.yaml's comments: block, which
// content.Config holds as content.CommentSettings. The app converts it:
//
//	comments.Policy{
//		Closed:          !s.Enabled,
//		Moderation:      comments.Moderation(s.Moderation),
//		LinkLimit:       s.LinkLimit,
//		HoldWords:       s.HoldWords,
//		RejectWords:     s.RejectWords,
//		CloseAfter:      time.Duration(s.CloseAfterDays) * 24 * time.Hour,
//		EditWindow:      time.Duration(s.EditMinutes) * time.Minute,
//		DuplicateWindow: time.Duration(s.DuplicateMinutes) * time.Minute,
//	}
//
// The zero Policy is not DefaultPolicy: it holds every comment with a link
// and lets no one edit their own.
type Policy struct {
	// Closed closes every post (comments.enabled: false).
	Closed bool
	// Moderation is open, first-time or all; empty means first-time.
	Moderation Moderation
	// LinkLimit is how many links a comment may have and still be
	// published at once; one with more is held. 0 holds any link.
	LinkLimit int
	// HoldWords hold a comment that contains one of them, and RejectWords
	// refuse it. Each is a word or a phrase, matched without regard to
	// case against whole words of the body, the name and the website:
	// "cash" matches "Cash!" but not "cashew"; "buy now" matches "buy,
	// NOW". Punctuation inside an entry separates words, as in the text.
	HoldWords   []string
	RejectWords []string
	// CloseAfter closes a post this long after its date; 0 never does. A
	// moderator's close or reopen overrides it.
	CloseAfter time.Duration
	// EditWindow is how long a writer may edit or delete their own comment;
	// 0 lets no one.
	EditWindow time.Duration
	// DuplicateWindow is how long the same body from the same IP address is
	// refused as a duplicate; 0 turns the check off.
	DuplicateWindow time.Duration
}

// DefaultPolicy is what a site.yaml without a comments: block gets.
func DefaultPolicy() Policy {
	return Policy{
		Moderation:      ModerationFirstTime,
		LinkLimit:       2,
		EditWindow:      15 * time.Minute,
		DuplicateWindow: 10 * time.Minute,
	}
}

// Validate reports the first thing wrong with a policy. content's loader
// checks site.yaml with the same rules and friendlier names; this guards
// policies built in code.
func (p Policy) Validate() error {
	switch p.Moderation {
	case "", ModerationOpen, ModerationFirstTime, ModerationAll:
	default:
		return fmt.Errorf("moderation %q is not one of open, first-time or all", p.Moderation)
	}
	switch {
	case p.LinkLimit < 0:
		return fmt.Errorf("link limit %d is negative", p.LinkLimit)
	case p.CloseAfter < 0:
		return fmt.Errorf("close-after %v is negative", p.CloseAfter)
	case p.EditWindow < 0:
		return fmt.Errorf("edit window %v is negative", p.EditWindow)
	case p.DuplicateWindow < 0:
		return fmt.Errorf("duplicate window %v is negative", p.DuplicateWindow)
	}
	for _, list := range []struct {
		name  string
		words []string
	}{{"hold word", p.HoldWords}, {"reject word", p.RejectWords}} {
		for _, w := range list.words {
			if len(splitWords(w)) == 0 {
				return fmt.Errorf("%s %q has no letters or digits, so it can never match", list.name, w)
			}
		}
	}
	return nil
}

func (p Policy) moderation() Moderation {
	if p.Moderation == "" {
		return ModerationFirstTime
	}
	return p.Moderation
}

// closedByAge reports whether close_after_days has closed a post dated
// date at now. A post without a date never closes by age.
func (p Policy) closedByAge(date, now time.Time) bool {
	return p.CloseAfter > 0 && !date.IsZero() && now.Sub(date) > p.CloseAfter
}

// splitWords splits text into the lower-case words hold and reject words
// are matched against: runs of letters, digits and combining marks.
func splitWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// findWord returns the first entry of list that occurs, as whole words, in
// one of texts, and whether one did.
func findWord(list []string, texts ...string) (string, bool) {
	if len(list) == 0 {
		return "", false
	}
	split := make([][]string, len(texts))
	for i, t := range texts {
		split[i] = splitWords(t)
	}
	for _, entry := range list {
		phrase := splitWords(entry)
		if len(phrase) == 0 {
			continue
		}
		for _, words := range split {
			if containsPhrase(words, phrase) {
				return strings.TrimSpace(entry), true
			}
		}
	}
	return "", false
}

func containsPhrase(words, phrase []string) bool {
outer:
	for i := 0; i+len(phrase) <= len(words); i++ {
		for j, w := range phrase {
			if words[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}

// countLinks counts the links in a rendered comment: Markdown links, bare
// URLs, email links and images (which Render turns into links).
func countLinks(html string) int { return strings.Count(html, "<a ") }

// rejected returns a sentence for each field of c containing a reject word.
func (p Policy) rejected(c Comment) FieldErrors {
	errs := FieldErrors{}
	for _, f := range []struct{ field, what, text string }{
		{"body", "Your comment", c.Body},
		{"name", "Your name", c.Name},
		{"website", "Your website address", c.Website},
	} {
		if w, ok := findWord(p.RejectWords, f.text); ok {
			errs[f.field] = f.what + " contains “" + w + "”, which this site does not accept. Please remove it and try again."
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// holdReason says why the content of c (its links and hold words) holds it,
// or "" when nothing does.
func (p Policy) holdReason(c Comment) string {
	if n := countLinks(c.HTML); n > p.LinkLimit {
		return strconv.Itoa(n) + " links; the limit is " + strconv.Itoa(p.LinkLimit)
	}
	if w, ok := findWord(p.HoldWords, c.Body, c.Name, c.Website); ok {
		return "contains “" + w + "”"
	}
	return ""
}

// Reasons a comment is held that do not come from its content.
const (
	reasonAll       = "every comment is held for review"
	reasonFirstTime = "first comment from this reader"
)

// errNoPolicy guards against a Policy func that returns nonsense.
var errNoPolicy = errors.New("invalid comment policy")
