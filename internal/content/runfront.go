package content

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"milepost/internal/activity"
)

// Reading the run: front matter. Each key is read on its own: a bad value
// is a warning at its line (Site.Warnings) and the post is served without
// that figure, as a typo in a distance should not take a story down.

// runTypes are the run types a front matter may name, in the order the
// problems list them.
var runTypes = []RunType{RunEasy, RunLong, RunTempo, RunIntervals, RunRace, RunRecovery, RunWorkout, RunOther}

// Valid reports whether t is one of the run types a front matter may name.
func (t RunType) Valid() bool {
	for _, v := range runTypes {
		if t == v {
			return true
		}
	}
	return false
}

// RunTypes are the run types a front matter may name, for forms.
func RunTypes() []RunType { return append([]RunType(nil), runTypes...) }

// declaredRun is what a post's run: mapping declares; zero values are
// what it leaves out.
type declaredRun struct {
	Type         RunType
	DistanceM    float64
	TimeS        float64
	ElevationM   float64
	HasElevation bool
	Race         Race
	Shoes        string
}

// readRun reads the run: field f of a post shown in units. It returns
// what it could read and a warning for each key it could not.
func readRun(f field, units activity.Units) (declaredRun, []*lineError) {
	var d declaredRun
	if f.value == nil {
		return d, nil
	}
	if _, ok := f.value.(map[string]any); !ok {
		return d, []*lineError{errAt(f.line, "run must be keys such as type: race and distance: 10 km, not %s; the post is served without its run", f.what())}
	}
	var warnings []*lineError
	racePart := 0 // the line of the first of place, bib and official
	for _, sub := range f.fields {
		key := strings.ToLower(strings.TrimPrefix(sub.key, f.key+"."))
		if sub.value == nil {
			continue
		}
		text, lerr := sub.str()
		text = strings.TrimSpace(text)
		var err error
		switch key {
		case "type":
			if lerr == nil {
				t := RunType(strings.ToLower(text))
				if !t.Valid() {
					err = fmt.Errorf("is not a run type: write one of %s", joinRunTypes())
				} else {
					d.Type = t
				}
			}
		case "distance":
			if lerr == nil {
				d.DistanceM, err = ParseDistance(text, units)
			}
		case "time":
			d.TimeS, err = durationField(sub, text, lerr)
			lerr = nil
		case "official":
			d.Race.OfficialS, err = durationField(sub, text, lerr)
			lerr = nil
			racePart = firstLine(racePart, sub.line)
		case "elevation":
			if lerr == nil {
				d.ElevationM, err = ParseElevation(text, units)
				d.HasElevation = err == nil
			}
		case "race":
			d.Race.Name = text
		case "place":
			if lerr == nil {
				if n, perr := strconv.Atoi(text); perr != nil || n < 1 {
					err = fmt.Errorf("must be a whole number of at least 1, the finishing place")
				} else {
					d.Race.Place = n
				}
			}
			racePart = firstLine(racePart, sub.line)
		case "bib":
			d.Race.Bib = text
			racePart = firstLine(racePart, sub.line)
		case "shoes":
			d.Shoes = text
		default:
			err = fmt.Errorf("is not a run field: run takes type, distance, time, elevation, race, place, bib, official and shoes")
		}
		switch {
		case lerr != nil:
			warnings = append(warnings, errAt(lerr.line, "%v; the post is served without it", lerr.err))
		case err != nil:
			warnings = append(warnings, errAt(sub.line, "%s %s %v; the post is served without it", sub.key, quoteValue(sub), err))
		}
	}
	if d.Race.Name == "" && racePart != 0 {
		warnings = append(warnings, errAt(racePart, "%s.place, bib and official belong to a race result: name the race with %s.race", f.key, f.key))
		d.Race = Race{}
	}
	return d, warnings
}

func firstLine(have, line int) int {
	if have == 0 || line < have {
		return line
	}
	return have
}

// quoteValue is the value of f as a problem quotes it.
func quoteValue(f field) string {
	if f.scalar {
		return strconv.Quote(f.text)
	}
	return "(" + describe(f.value) + ")"
}

func joinRunTypes() string {
	names := make([]string, len(runTypes))
	for i, t := range runTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// durationField reads a time key: text as h:mm:ss or mm:ss, or a TOML
// local time (time = 03:28:15, which TOML reads as a time of day).
func durationField(f field, text string, lerr *lineError) (float64, error) {
	if t, ok := f.value.(time.Time); ok && t.Location().String() == "time-local" {
		h, m, s := t.Clock()
		return float64(h*3600+m*60+s) + float64(t.Nanosecond())/1e9, nil
	}
	if lerr != nil {
		return 0, fmt.Errorf("must be a time such as 3:28:15 or 45:10")
	}
	return ParseDuration(text)
}

// ParseDistance reads a distance as a front matter writes it: "42.195 km",
// "26.2 mi", "400 m", or a bare number in units' distance unit. The
// result is in metres.
func ParseDistance(s string, units activity.Units) (float64, error) {
	n, unit, err := splitQuantity(s)
	if err != nil {
		return 0, err
	}
	switch unit {
	case "":
		n *= units.UnitM()
	case "km", "kms", "kilometre", "kilometres", "kilometer", "kilometers", "k":
		n *= activity.MetresPerKm
	case "mi", "mile", "miles":
		n *= activity.MetresPerMile
	case "m", "metre", "metres", "meter", "meters":
	default:
		return 0, fmt.Errorf("has the unit %q: write km, mi or m, such as 42.195 km", unit)
	}
	if n <= 0 {
		return 0, fmt.Errorf("must be more than nothing")
	}
	return n, nil
}

// ParseElevation reads an elevation gain: "120 m", "400 ft", or a bare
// number in metres for metric units and feet for imperial ones. The
// result is in metres.
func ParseElevation(s string, units activity.Units) (float64, error) {
	n, unit, err := splitQuantity(s)
	if err != nil {
		return 0, err
	}
	switch unit {
	case "":
		if units == activity.Imperial {
			n *= activity.MetresPerFoot
		}
	case "m", "metre", "metres", "meter", "meters":
	case "ft", "feet", "foot":
		n *= activity.MetresPerFoot
	default:
		return 0, fmt.Errorf("has the unit %q: write m or ft, such as 120 m", unit)
	}
	if n < 0 {
		return 0, fmt.Errorf("must not be below zero: it is the climb, not the descent")
	}
	return n, nil
}

// splitQuantity splits "42.195 km" into its number and lowercased unit
// ("" when there is none).
func splitQuantity(s string) (float64, string, error) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || s[end] == '-' || s[end] == '+') {
		end++
	}
	n, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, "", fmt.Errorf("must be a number and a unit, such as 10 km")
	}
	return n, strings.ToLower(strings.TrimSpace(s[end:])), nil
}

// ParseDuration reads a time as h:mm:ss or mm:ss (seconds may have a
// fraction: 3:28:15.4) into seconds.
func ParseDuration(s string) (float64, error) {
	bad := fmt.Errorf("must be a time such as 3:28:15 or 45:10")
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	sec, err := strconv.ParseFloat(parts[len(parts)-1], 64)
	if err != nil || sec < 0 || sec >= 60 || strings.ContainsAny(parts[len(parts)-1], "+-eE") || len(parts[len(parts)-1]) < 2 {
		return 0, bad
	}
	total := sec
	scale := 60.0
	for i := len(parts) - 2; i >= 0; i-- {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 || (i > 0 && (n >= 60 || len(parts[i]) != 2)) {
			return 0, bad
		}
		total += float64(n) * scale
		scale *= 60
	}
	if total <= 0 {
		return 0, fmt.Errorf("must be more than nothing")
	}
	return total, nil
}
