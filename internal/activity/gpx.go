package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// gpxReader gathers the trkpts of a GPX 1.0 or 1.1 file, with Garmin's
// TrackPointExtension heart rate and cadence. Every <trk> and <trkseg> is
// part of one run: a watch writes one track, and an export of a run with a
// pause may write several segments.
type gpxReader struct {
	act       Activity
	maxPoints int
	sawRoot   bool
	inPoint   bool
	point     Point
	bad       int // trkpts without a readable position
}

// expect makes room for the document's points, as many as it has
// <trkpt> tags (a point left out leaves its room unused).
func (g *gpxReader) expect(doc []byte) {
	g.act.Points = make([]Point, 0, expectedPoints(doc, "<trkpt", g.maxPoints))
}

func (g *gpxReader) start(name, parent string, attrs *xmlAttrs) {
	switch name {
	case "gpx":
		g.sawRoot = true
	case "trkpt":
		g.inPoint = true
		g.point = Point{}
		lat, err1 := strconv.ParseFloat(string(attrs.get("lat")), 64)
		lon, err2 := strconv.ParseFloat(string(attrs.get("lon")), 64)
		if err1 != nil || err2 != nil {
			g.inPoint = false // a GPX point is nothing but its position
			g.bad++
			return
		}
		g.point.Lat, g.point.Lon, g.point.HasPosition = lat, lon, validPosition(lat, lon)
	}
}

func (g *gpxReader) end(name, parent string, text []byte) error {
	if name == "type" && parent == "trk" && g.act.Sport == "" {
		// <trk><type> names the sport: "running" from Garmin, "9" (or
		// "running") from Strava. A <link><type> is a MIME type.
		g.act.Sport = gpxSport(string(text))
		return nil
	}
	if !g.inPoint {
		return nil
	}
	p := &g.point
	switch name {
	case "trkpt":
		if len(g.act.Points) >= g.maxPoints {
			return tooManyPoints(g.maxPoints)
		}
		g.act.Points = append(g.act.Points, *p)
		g.inPoint = false
	case "ele":
		if v, ok := parseNumber(text); ok && plausibleElevation(v) {
			p.ElevationM, p.HasElevation = v, true
		}
	case "time":
		p.Time, _ = parseXMLTime(string(text))
	case "hr":
		if v, ok := parseNumber(text); ok && plausibleHeartRate(v) {
			p.HeartRateBPM = int(v)
		}
	case "cad":
		if v, ok := parseNumber(text); ok && plausibleCadence(v) {
			p.CadenceSPM = int(v)
		}
	}
	return nil
}

// readGPX reads the tracks of a GPX file.
func readGPX(ctx context.Context, r io.Reader, maxPoints int) (*Activity, error) {
	g := &gpxReader{maxPoints: maxPoints}
	if err := scanXML(ctx, r, g); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if fe := (*FileError)(nil); errors.As(err, &fe) {
			return nil, fe
		}
		if len(g.act.Points) == 0 {
			return nil, &FileError{Reason: "not a readable GPX file", Err: err}
		}
		g.act.Warnings = append(g.act.Warnings, damageWarning(len(g.act.Points), err))
	}
	if !g.sawRoot {
		return nil, &FileError{Reason: "not a GPX file (no <gpx> element)"}
	}
	act := &g.act
	if g.bad > 0 {
		act.Warnings = append(act.Warnings, fmt.Sprintf("%d points without a readable position were left out", g.bad))
	}
	if onFoot(act.Sport) {
		// Garmin writes a runner's cadence per foot, as in its FIT files.
		for i := range act.Points {
			act.Points[i].CadenceSPM *= 2
		}
	}
	return act, nil
}

func gpxSport(t string) string {
	switch t = strings.ToLower(strings.TrimSpace(t)); t {
	case "running", "run", "9", "trail_running", "street_running", "treadmill_running":
		return SportRunning
	case "cycling", "biking", "ride", "1":
		return "cycling"
	case "walking", "walk", "10":
		return "walking"
	case "hiking", "hike", "4":
		return "hiking"
	}
	return t
}

// parseXMLTime reads the xsd:dateTime of GPX and TCX; a time without a
// zone is taken as UTC, as the schemas require UTC.
func parseXMLTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseNumber reads a decimal number from an element's text; NaN and
// infinities are refused.
func parseNumber[T string | []byte](s T) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	if err != nil || !finite(v) {
		return 0, false
	}
	return v, true
}
