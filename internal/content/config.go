package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	// The binary is meant to run anywhere, including containers without a
	// zoneinfo database; embedding it keeps site.yaml's timezone working there.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"

	"milepost/internal/activity"
	"milepost/internal/comments"
)

// configFile is the site settings file, relative to the content directory.
const configFile = "site.yaml"

// loadConfig reads dir/site.yaml and fills in the defaults. Every error is
// fatal for the load: without settings there is no site to serve.
func loadConfig(ctx context.Context, dir string, o Overrides) (Config, error) {
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
		Comments:     comments.DefaultSettings(),
		Privacy:      Privacy{TrimM: activity.DefaultTrimM},
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	if line := emailPasswordLine(data); line > 0 {
		// The email block has no password key, so YAML would drop it
		// unsaid, and email would fail to log in with no word of why.
		return Config{}, fmt.Errorf("checking %s: line %d: email: password is never read from site.yaml, which should hold no secret: "+
			"remove it, and give the password with serve -smtp-password-file FILE or in MILEPOST_SMTP_PASSWORD", path, line)
	}
	if o.BaseURL != "" {
		cfg.BaseURL = o.BaseURL
	}
	if err := cfg.finish(); err != nil {
		return Config{}, fmt.Errorf("checking %s: %w", path, err)
	}
	return cfg, nil
}

// emailPasswordLine is the line of a password: key in site.yaml's email:
// block (data parsed without an error already), 0 when there is none.
func emailPasswordLine(data []byte) int {
	if !bytes.Contains(data, []byte("password")) {
		return 0 // the common case, without parsing the file again
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	value := func(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
		if m.Kind != yaml.MappingNode {
			return nil, nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i], m.Content[i+1]
			}
		}
		return nil, nil
	}
	if _, email := value(doc.Content[0], "email"); email != nil {
		if k, _ := value(email, "password"); k != nil {
			return k.Line
		}
	}
	return 0
}

// Overrides are settings given on the command line (serve -base-url); each
// one that is set wins over site.yaml's, and is checked the same way.
type Overrides struct {
	BaseURL string

	// Activities reads the posts' activity files, taking turns with the
	// program's other reads of watch files (the editor's uploads, an
	// import): the one bound on how many are held in memory at once. Nil
	// means a bound of each load's own.
	Activities *activity.Readers

	// FrontMatterCache is a file in which a full load keeps the front
	// matter it parsed, for the next one (frontcache.go); "" keeps none.
	FrontMatterCache string
}

// BasePath is the path the site lives under, from its base URL, without a
// trailing slash: "" for a site at the root of its host (or with no base
// URL), "/blog" for https://example.org/blog/.
func (c Config) BasePath() string {
	u, err := url.Parse(c.BaseURL) // checked by finish
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
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
	if err := c.Comments.Validate(); err != nil {
		return err
	}
	if err := c.WebSub.Validate(); err != nil {
		return err
	}
	if err := c.Email.Validate(); err != nil {
		return err
	}
	if err := c.finishRun(); err != nil {
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
