package comments

import (
	"fmt"
	"strings"
	"time"
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

// Settings are the comment settings: site.yaml's comments: block, which
// content.Config embeds, and what the Service applies. Absent keys keep
// the defaults shown (DefaultSettings):
//
//	comments:
//	  enabled: true            # false closes every post
//	  moderation: first-time   # open | first-time | all
//	  link_limit: 2            # a comment with more links is held
//	  hold_words: []           # a comment containing one is held
//	  reject_words: []         # a comment containing one is refused
//	  close_after_days: 0      # a post older than this is closed; 0: never
//	  edit_minutes: 15         # how long a writer may edit or delete their comment
//	  duplicate_minutes: 10    # the same text from the same address is refused this long
//
// The zero Settings are not DefaultSettings: they close every post.
type Settings struct {
	// Enabled is false to close comments on every post.
	Enabled bool `yaml:"enabled" toml:"enabled"`
	// Moderation is open, first-time or all; empty means first-time.
	Moderation Moderation `yaml:"moderation" toml:"moderation"`
	// LinkLimit is how many links a comment may have and still be
	// published at once; one with more is held. 0 holds any link.
	LinkLimit int `yaml:"link_limit" toml:"link_limit"`
	// HoldWords hold a comment that contains one of them, and RejectWords
	// refuse it. Each is a word or a phrase, matched as whole words
	// against what a reader sees of the comment (its rendered text, with
	// links' addresses, normalised: see matchForm in match.go) and
	// against its name and website: "cash" matches "Cash!", full-width
	// "ＣＡＳＨ" and "ca**sh**", but not "cashew"; "buy now" matches "buy,
	// NOW". Punctuation inside an entry separates words, as in the text.
	HoldWords   []string `yaml:"hold_words" toml:"hold_words"`
	RejectWords []string `yaml:"reject_words" toml:"reject_words"`
	// CloseAfterDays closes a post to new comments this many days after
	// its date; 0 never does. A moderator's close or reopen overrides it.
	CloseAfterDays int `yaml:"close_after_days" toml:"close_after_days"`
	// EditMinutes is how long a writer may edit or delete their own
	// comment; 0 lets no one.
	EditMinutes int `yaml:"edit_minutes" toml:"edit_minutes"`
	// DuplicateMinutes is how long the same body from the same IP address
	// is refused as a duplicate; 0 turns the check off.
	DuplicateMinutes int `yaml:"duplicate_minutes" toml:"duplicate_minutes"`
}

// DefaultSettings is what a site.yaml without a comments: block gets.
func DefaultSettings() Settings {
	return Settings{
		Enabled:          true,
		Moderation:       ModerationFirstTime,
		LinkLimit:        2,
		EditMinutes:      15,
		DuplicateMinutes: 10,
	}
}

// Upper bounds of the numbers, far beyond any sensible value; they keep the
// durations computed from them from overflowing.
const (
	maxLinkLimit      = 1000
	maxCloseAfterDays = 100 * 366
	maxMinutes        = 366 * 24 * 60 // a year
)

// Validate tidies s (the moderation mode trimmed and in lower case, empty
// meaning first-time; each word trimmed; an empty list nil) and reports the
// first thing wrong with it, naming the site.yaml key at fault.
func (s *Settings) Validate() error {
	s.Moderation = Moderation(strings.ToLower(strings.TrimSpace(string(s.Moderation))))
	switch s.Moderation {
	case "":
		s.Moderation = ModerationFirstTime
	case ModerationOpen, ModerationFirstTime, ModerationAll:
	default:
		return fmt.Errorf("comments.moderation is %q; it must be open, first-time or all", s.Moderation)
	}
	for _, n := range []struct {
		key        string
		value, max int
		unit       string
	}{
		{"link_limit", s.LinkLimit, maxLinkLimit, "links"},
		{"close_after_days", s.CloseAfterDays, maxCloseAfterDays, "days"},
		{"edit_minutes", s.EditMinutes, maxMinutes, "minutes (a year)"},
		{"duplicate_minutes", s.DuplicateMinutes, maxMinutes, "minutes (a year)"},
	} {
		switch {
		case n.value < 0:
			return fmt.Errorf("comments.%s is %d; it must be 0 or more", n.key, n.value)
		case n.value > n.max:
			return fmt.Errorf("comments.%s is %d; it must be at most %d %s", n.key, n.value, n.max, n.unit)
		}
	}
	var err error
	if s.HoldWords, err = wordList("hold_words", s.HoldWords); err != nil {
		return err
	}
	if s.RejectWords, err = wordList("reject_words", s.RejectWords); err != nil {
		return err
	}
	return nil
}

// wordList trims each entry of a hold or reject list and refuses one that
// could never match: matching is on words, so an entry needs a letter or a
// digit once normalised.
func wordList(key string, list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, nil // the same whether the key was absent or []
	}
	out := make([]string, len(list))
	for i, w := range list {
		w = strings.TrimSpace(w)
		if len(splitWords(w)) == 0 {
			return nil, fmt.Errorf("comments.%s entry %d (%q) has no letters or digits, so it can never match a word", key, i+1, list[i])
		}
		out[i] = w
	}
	return out, nil
}

func (s Settings) closeAfter() time.Duration {
	return time.Duration(s.CloseAfterDays) * 24 * time.Hour
}

func (s Settings) editWindow() time.Duration { return time.Duration(s.EditMinutes) * time.Minute }

func (s Settings) duplicateWindow() time.Duration {
	return time.Duration(s.DuplicateMinutes) * time.Minute
}

// closedByAge reports whether close_after_days has closed a post dated
// date at now. A post without a date never closes by age.
func (s Settings) closedByAge(date, now time.Time) bool {
	return s.CloseAfterDays > 0 && !date.IsZero() && now.Sub(date) > s.closeAfter()
}
