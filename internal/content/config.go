package content

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	// The binary is meant to run anywhere, including containers without a
	// zoneinfo database; embedding it keeps site.yaml's timezone working there.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// configFile is the site settings file, relative to the content directory.
const configFile = "site.yaml"

// loadConfig reads dir/site.yaml and fills in the defaults. Every error is
// fatal for the load: without settings there is no site to serve.
func loadConfig(ctx context.Context, dir string) (Config, error) {
	if err := ctx.Err(); err != nil {
		return Config{}, err
	}
	path := filepath.Join(dir, configFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading site settings: %w", err)
	}
	// Unmarshalling over the defaults keeps them for absent keys, which is
	// the only way to tell "comments.enabled absent" from "false" (or
	// "link_limit absent" from 0).
	cfg := Config{
		Title:        "Milepost",
		Language:     "en",
		PostsPerPage: 10,
		Comments:     DefaultCommentSettings(),
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	if err := cfg.finish(); err != nil {
		return Config{}, fmt.Errorf("checking %s: %w", path, err)
	}
	return cfg, nil
}

// finish applies the defaults that an explicitly empty value should also get
// and checks the values that would otherwise break pages or dates.
func (c *Config) finish() error {
	if strings.TrimSpace(c.Title) == "" {
		c.Title = "Milepost"
	}
	if strings.TrimSpace(c.Language) == "" {
		c.Language = "en"
	}
	if c.PostsPerPage < 1 {
		return fmt.Errorf("posts_per_page is %d; it must be at least 1", c.PostsPerPage)
	}
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("base_url %q is not an absolute http or https URL", c.BaseURL)
		}
	}
	if err := c.Comments.finish(); err != nil {
		return err
	}
	loc, err := loadLocation(c.Timezone)
	if err != nil {
		return err
	}
	c.Location = loc
	if len(c.Params) == 0 {
		c.Params = nil // the same whether or not YAML saw an unknown key
	}
	return nil
}

// loadLocation loads an IANA zone name; empty means UTC. "Local" is refused
// because it would make post dates depend on the machine serving them.
func loadLocation(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, errors.New(`timezone "Local" depends on the server; name a zone such as "Europe/Paris"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone %q is not an IANA zone name such as \"Europe/Paris\": %w", name, err)
	}
	return loc, nil
}

// Upper bounds of the comments: numbers, far beyond any sensible value;
// they keep the durations the app computes from them from overflowing.
const (
	maxCloseAfterDays = 100 * 366
	maxMinutes        = 366 * 24 * 60 // a year
)

// finish normalises the comments: block and checks it, naming the key at
// fault in every error.
func (s *CommentSettings) finish() error {
	s.Moderation = strings.ToLower(strings.TrimSpace(s.Moderation))
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
		{"link_limit", s.LinkLimit, 1000, "links"},
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
// could never match: matching is on words, runs of letters and digits, so
// an entry needs at least one of those.
func wordList(key string, list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, nil // the same whether the key was absent or []
	}
	out := make([]string, len(list))
	for i, w := range list {
		w = strings.TrimSpace(w)
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return nil, fmt.Errorf("comments.%s entry %d (%q) has no letters or digits, so it can never match a word", key, i+1, list[i])
		}
		out[i] = w
	}
	return out, nil
}
