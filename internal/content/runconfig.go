package content

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"milepost/internal/activity"
)

// The run settings of site.yaml — units, privacy and shoe_limit — and of
// an author's file (units and privacy zones of their own). A privacy zone
// that cannot protect anyone fails the load with its line: serving routes
// with a zone the runner believes in but that is not applied would show
// their home.

// UnmarshalYAML reads site.yaml's privacy: block, naming the line of a
// zone that is not one.
func (p *Privacy) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Zones []yaml.Node `yaml:"zones"`
		TrimM *float64    `yaml:"trim_m"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	if extra := unknownKeys(n, "zones", "trim_m"); extra != "" {
		return fmt.Errorf("line %d: privacy has the unknown key %s: it takes zones and trim_m", n.Line, extra)
	}
	for _, zn := range raw.Zones {
		var v any
		if err := zn.Decode(&v); err != nil {
			return fmt.Errorf("line %d: privacy zone: %w", zn.Line, err)
		}
		z, err := zoneOf(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", zn.Line, err)
		}
		p.Zones = append(p.Zones, z)
	}
	if raw.TrimM != nil {
		if !(*raw.TrimM >= 0) || math.IsInf(*raw.TrimM, 0) {
			return fmt.Errorf("line %d: privacy trim_m %g must be zero or more metres", n.Line, *raw.TrimM)
		}
		p.TrimM = *raw.TrimM
	}
	return nil
}

// unknownKeys names the keys of the mapping n that are not known.
func unknownKeys(n *yaml.Node, known ...string) string {
	var extra []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		ok := false
		for _, want := range known {
			ok = ok || k == want
		}
		if !ok {
			extra = append(extra, fmt.Sprintf("%q", k))
		}
	}
	return strings.Join(extra, ", ")
}

// zoneOf reads one privacy zone, {lat, lon, radius_m}, as decoded from
// YAML or TOML.
func zoneOf(v any) (activity.Zone, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return activity.Zone{}, fmt.Errorf("a privacy zone must be lat, lon and radius_m, not %s", describe(v))
	}
	var z activity.Zone
	need := map[string]*float64{"lat": &z.Lat, "lon": &z.Lon, "radius_m": &z.RadiusM}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dst, known := need[k]
		if !known {
			return activity.Zone{}, fmt.Errorf("a privacy zone has the unknown key %q: it takes lat, lon and radius_m", k)
		}
		n, ok := number(m[k])
		if !ok {
			return activity.Zone{}, fmt.Errorf("privacy zone %s must be a number, not %s", k, describe(m[k]))
		}
		*dst = n
		delete(need, k)
	}
	if len(need) > 0 {
		missing := make([]string, 0, len(need))
		for k := range need {
			missing = append(missing, k)
		}
		sort.Strings(missing)
		return activity.Zone{}, fmt.Errorf("a privacy zone needs lat, lon and radius_m (at least %g m); it has no %s", activity.MinZoneRadiusM, strings.Join(missing, " or "))
	}
	return z, z.Validate()
}

// number is a decoded YAML or TOML number as a float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// finishRun checks the run settings of site.yaml and gives them their
// defaults.
func (c *Config) finishRun() error {
	c.Units = activity.Units(strings.ToLower(strings.TrimSpace(string(c.Units))))
	if c.Units == "" {
		c.Units = activity.Metric
	}
	if !c.Units.Valid() {
		return fmt.Errorf("units %q must be metric or imperial", c.Units)
	}
	c.ShoeLimitM = DefaultShoeLimitM
	if s := strings.TrimSpace(c.ShoeLimit); s != "" {
		m, err := ParseDistance(s, c.Units)
		if err != nil {
			return fmt.Errorf("shoe_limit %q %w", s, err)
		}
		c.ShoeLimitM = m
	}
	return nil
}

// authorRunField reads the run settings of an author's file: units and
// privacy (zones only: the trim is the site's). It reports whether key was
// one of them.
func authorRunField(a *Author, f field) (bool, *lineError) {
	switch strings.ToLower(f.key) {
	case "units":
		s, lerr := f.str()
		if lerr != nil {
			return true, lerr
		}
		u := activity.Units(strings.ToLower(strings.TrimSpace(s)))
		if u != "" && !u.Valid() {
			return true, errAt(f.line, "units %q must be metric or imperial", s)
		}
		a.Units = u
	case "privacy":
		if f.value == nil {
			return true, nil
		}
		if _, ok := f.value.(map[string]any); !ok {
			return true, errAt(f.line, "privacy must be zones: [{lat, lon, radius_m}, ...], not %s", f.what())
		}
		for _, sub := range f.fields {
			if strings.ToLower(sub.key) != strings.ToLower(f.key)+".zones" {
				return true, errAt(sub.line, "%s is not an author's privacy setting: an author has zones (the trim is the site's)", sub.key)
			}
			items, ok := sub.value.([]any)
			if !ok && sub.value != nil {
				return true, errAt(sub.line, "%s must be a list of {lat, lon, radius_m}, not %s", sub.key, sub.what())
			}
			for i, it := range items {
				z, err := zoneOf(it)
				if err != nil {
					return true, errAt(sub.line, "%s (zone %d): %v", sub.key, i+1, err)
				}
				a.Zones = append(a.Zones, z)
			}
		}
	default:
		return false, nil
	}
	return true, nil
}
