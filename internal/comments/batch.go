package comments

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules a batch of comments keeps — an export read back, a seed file,
// an import, a restore — are defined here once, for every package that
// reads or stores one.

// MaxHoldReasonChars bounds a comment's HoldReason.
const MaxHoldReasonChars = 500

// earliestCreated is the earliest creation time a comment may have: older
// is a zero or garbled date, not a comment.
var earliestCreated = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// clockSkew is how far in the future a comment's times may be: another
// system's clock may run a little ahead, but not by days.
const clockSkew = 24 * time.Hour

// milepostSourcePrefix starts the Source of a comment written on a Milepost
// site, for another Milepost importing it.
const milepostSourcePrefix = "milepost:"

// MilepostSource is the import key of comment id of a Milepost site:
// "milepost:<id>".
func MilepostSource(id uint64) string {
	return milepostSourcePrefix + strconv.FormatUint(id, 10)
}

// ParseMilepostSource returns the ID in a "milepost:<id>" key, and false
// for any other key.
func ParseMilepostSource(source string) (uint64, bool) {
	n, ok := strings.CutPrefix(source, milepostSourcePrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(n, 10, 64)
	return id, err == nil && id != 0
}

// SourceOf is c's import key: its Source when it was itself imported, else
// MilepostSource of its ID.
func SourceOf(c Comment) string {
	if c.Source != "" {
		return c.Source
	}
	return MilepostSource(c.ID)
}

// NormalizeBody is a comment's Markdown as it is stored: one kind of line
// break (browsers send CRLF; old exports have CR) and no blank space around
// it.
func NormalizeBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// Known reports whether s is a status a stored comment can have.
func (s Status) Known() bool {
	switch s {
	case StatusApproved, StatusPending, StatusSpam:
		return true
	}
	return false
}

// ParseStatus returns the status s names; an empty one is StatusApproved.
func ParseStatus(s string) (Status, error) {
	if s == "" {
		return StatusApproved, nil
	}
	if st := Status(s); st.Known() {
		return st, nil
	}
	return "", fmt.Errorf(`unknown status %.40q (want "approved", "pending" or "spam")`, s)
}

// NormalizeIP returns an IP address as stored: in its canonical form, or
// empty. Anything else (a host name, a zone, a 5 MB string) is an error.
func NormalizeIP(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Errorf("%s is not an IP address", clip(s))
	}
	return addr.Unmap().String(), nil
}

// CheckRecord checks one comment that comes from a file or another system
// rather than the comment form, against the rules a comment written here
// keeps, and normalises it in place: the form's rules for the post, name
// (which may be empty: an anonymous reader), email, website and body; a
// known status (empty means approved); an IP address, or none; a creation
// time after 1990 and not in the future (a day of clock difference aside),
// and an update time, if any, between it and now; and bounded commenter id,
// hold reason and source. now is the current time; zero means time.Now().
// It returns one message per wrong field, or nil. ID, Parent and Depth are
// the batch's business: see ValidateBatch.
func CheckRecord(c *Comment, now time.Time) FieldErrors {
	if now.IsZero() {
		now = time.Now()
	}
	errs := FieldErrors{}
	if msg := checkText(c.Post, "The post"); msg != "" {
		errs["post"] = msg
	} else if c.Post = strings.TrimSpace(c.Post); c.Post == "" {
		errs["post"] = `missing "post" (the slug of the post it is on)`
	}
	// The form's rules decide; the messages speak of the record, not to
	// a reader.
	if c.Name = strings.TrimSpace(c.Name); c.Name != "" {
		if v, msg := validateName(c.Name); msg != "" {
			errs["name"] = recordProblem("the name", c.Name, MaxNameChars, "contains control characters")
		} else {
			c.Name = v
		}
	}
	if v, msg := validateEmail(c.Email); msg != "" {
		errs["email"] = recordProblem("the email address", c.Email, MaxEmailChars, "is not an address like name@example.com")
	} else {
		c.Email = v
	}
	if v, msg := validateWebsite(c.Website); msg != "" {
		errs["website"] = recordProblem("the website", c.Website, MaxWebsiteChars, "is not a valid http or https address")
	} else {
		c.Website = v
	}
	if NormalizeBody(c.Body) == "" {
		errs["body"] = `missing "body"`
	} else if v, msg := validateBody(c.Body); msg != "" {
		errs["body"] = recordProblem("the text", NormalizeBody(c.Body), MaxBodyChars, "is not valid")
	} else {
		c.Body = v
	}
	if st, err := ParseStatus(string(c.Status)); err != nil {
		errs["status"] = err.Error()
	} else {
		c.Status = st
	}
	if ip, err := NormalizeIP(c.IP); err != nil {
		errs["ip"] = err.Error()
	} else {
		c.IP = ip
	}
	latest := now.Add(clockSkew)
	switch {
	case c.Created.IsZero():
		errs["created"] = `missing "created" (a time like "2011-10-04T09:12:00-07:00")`
	case c.Created.Before(earliestCreated) || c.Created.After(latest):
		errs["created"] = fmt.Sprintf("created %s is not a time a comment can have been written", c.Created.Format(time.RFC3339))
	case !c.Updated.IsZero() && (c.Updated.Before(c.Created) || c.Updated.After(latest)):
		errs["updated"] = fmt.Sprintf("updated %s is before it was created or in the future", c.Updated.Format(time.RFC3339))
	}
	checkLine := func(field, v string, limit int) {
		switch {
		case checkText(v, "It") != "" || strings.IndexFunc(v, isForbiddenInLine) >= 0:
			errs[field] = field + " contains control characters or bytes that are not UTF-8 text"
		case utf8.RuneCountInString(v) > limit:
			errs[field] = fmt.Sprintf("%s is %d characters long; at most %d fit", field, utf8.RuneCountInString(v), limit)
		}
	}
	checkLine("commenter", c.CommenterID, MaxCommenterIDChars)
	checkLine("hold_reason", c.HoldReason, MaxHoldReasonChars)
	checkLine("source", c.Source, MaxSourceChars)
	if c.Actor != "" {
		if a, err := NormalizeActor(c.Actor); err != nil {
			errs["actor"] = err.Error()
		} else {
			c.Actor = a
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// recordProblem says why a field that the form's rules refused is wrong:
// its encoding, its length, or else otherwise.
func recordProblem(what, v string, limit int, otherwise string) string {
	if checkText(v, what) != "" {
		return what + " contains bytes that are not UTF-8 text, or a NUL"
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n > limit {
		return fmt.Sprintf("%s is %d characters long; at most %d fit", what, n, limit)
	}
	return what + " " + otherwise
}

// clip quotes s for a message, cut short if it is long.
func clip(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%.40q…", s)
	}
	return strconv.Quote(s)
}

// BatchOptions adapt ValidateBatch to where a batch comes from.
type BatchOptions struct {
	// Now is the current time, for CheckRecord; zero means time.Now().
	Now time.Time
	// NoID allows an ID of 0, for a comment the store is to number (a
	// seed). Such a comment cannot be replied to within the batch.
	NoID bool
	// Stored finds a parent that is not in the batch: a stored comment
	// (for a seed), or ErrNotFound. Nil means every parent must be in the
	// batch.
	Stored func(id uint64) (Comment, error)
}

// ValidateBatch checks a batch of comments in place (see CheckRecord, whose
// normalisations it keeps) and fills in each one's Depth. Within the batch,
// IDs are non-zero and unique, as are Sources; a Parent is another comment
// of the batch (which may come after it) or, with Stored, a stored one, on
// the same post; parents form no loop; and no reply nests deeper than
// MaxDepth allows. The error names the first wrong comment by its position
// and ID; a wrong parent matches ErrParent.
func ValidateBatch(cs []Comment, opts BatchOptions) error {
	index := make(map[uint64]int, len(cs))
	sources := make(map[string]int, len(cs))
	for i := range cs {
		c := &cs[i]
		where := fmt.Sprintf("comment %d (id %d)", i+1, c.ID)
		if errs := CheckRecord(c, opts.Now); errs != nil {
			return fmt.Errorf("%s: %s", where, strings.TrimPrefix(errs.Error(), "invalid comment: "))
		}
		if c.ID == 0 {
			if !opts.NoID {
				return fmt.Errorf(`comment %d: missing "id" (a positive whole number)`, i+1)
			}
		} else {
			if j, dup := index[c.ID]; dup {
				return fmt.Errorf("%s: the id is also comment %d's", where, j+1)
			}
			index[c.ID] = i
		}
		if c.Source != "" {
			if j, dup := sources[c.Source]; dup {
				return fmt.Errorf("%s: source %s is also comment %d's", where, clip(c.Source), j+1)
			}
			sources[c.Source] = i
		}
	}
	for i := range cs {
		d, err := batchDepth(cs, i, index, opts.Stored)
		if err != nil {
			return fmt.Errorf("comment %d (id %d): %w", i+1, cs[i].ID, err)
		}
		cs[i].Depth = d
	}
	return nil
}

// batchDepth walks up from cs[i] to a top-level or stored comment. A
// thread is at most MaxDepth deep, so a longer walk is too deep, or a loop.
func batchDepth(cs []Comment, i int, index map[uint64]int, stored func(uint64) (Comment, error)) (int, error) {
	c := cs[i]
	depth := 0
	for id, seen := c.Parent, map[uint64]bool{c.ID: true}; id != 0; {
		if seen[id] {
			return 0, fmt.Errorf("%w: its parents form a loop", ErrParent)
		}
		seen[id] = true
		var p Comment
		if j, ok := index[id]; ok {
			p = cs[j]
		} else if stored == nil {
			return 0, fmt.Errorf("%w: parent %d is not among the comments given", ErrParent, id)
		} else {
			s, err := stored(id)
			if errors.Is(err, ErrNotFound) {
				return 0, fmt.Errorf("%w: parent %d is neither in the batch nor stored", ErrParent, id)
			}
			if err != nil {
				return 0, err
			}
			p, id = s, 0 // a stored comment's depth is known
			depth += s.Depth
		}
		if p.Post != c.Post {
			return 0, fmt.Errorf("%w: parent %d is on another post (%q)", ErrParent, p.ID, p.Post)
		}
		var ok bool
		if depth, ok = ReplyDepth(depth); !ok {
			return 0, fmt.Errorf("%w: replies nest more than %d levels deep", ErrParent, MaxDepth)
		}
		if id != 0 {
			id = p.Parent
		}
	}
	return depth, nil
}
