package activity

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// gpxPoint is a GPX 1.0 or 1.1 trkpt. Tags name no namespace, so they
// match whatever prefix a writer chose for Garmin's TrackPointExtension
// (gpxtpx:, ns3:, v1 or v2).
type gpxPoint struct {
	Lat  string `xml:"lat,attr"`
	Lon  string `xml:"lon,attr"`
	Ele  string `xml:"ele"`
	Time string `xml:"time"`
	HR   string `xml:"extensions>TrackPointExtension>hr"`
	Cad  string `xml:"extensions>TrackPointExtension>cad"`
}

// xmlTokensPerContextCheck spaces the context checks of the XML readers.
const xmlTokensPerContextCheck = 4096

// readGPX reads the tracks of a GPX file; each <trk> is read as part of
// one run (watches write one; an export of a run with a pause may write
// several segments, which are one run too).
func readGPX(ctx context.Context, r io.Reader) (*Activity, error) {
	dec := xml.NewDecoder(sniffXML(r))
	dec.Strict = false // real exports carry stray entities and bad encodings
	dec.CharsetReader = charsetReader
	act := &Activity{}
	var bad int
	sawRoot := false
	var parents []string // the open elements, to tell <trk><type> from <link><type>
	for n := 0; ; n++ {
		if n%xmlTokensPerContextCheck == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) && len(parents) > 0 {
			err = io.ErrUnexpectedEOF // the lenient decoder does not say so itself
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(act.Points) == 0 {
				return nil, &FileError{Reason: "not a readable GPX file", Err: err}
			}
			act.Warnings = append(act.Warnings, fmt.Sprintf(
				"the file is cut short or damaged after %d points (%v): those points are used", len(act.Points), err))
			break
		}
		if _, ok := tok.(xml.EndElement); ok && len(parents) > 0 {
			parents = parents[:len(parents)-1]
			continue
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		parent := ""
		if len(parents) > 0 {
			parent = parents[len(parents)-1]
		}
		switch {
		case start.Name.Local == "gpx":
			sawRoot = true
		case start.Name.Local == "type" && parent == "trk":
			// <trk><type> names the sport: "running" from Garmin, "9"
			// (or "running") from Strava.
			var t string
			if err := dec.DecodeElement(&t, &start); err == nil && act.Sport == "" {
				act.Sport = gpxSport(t)
			}
			continue
		case start.Name.Local == "trkpt":
			var gp gpxPoint
			if err := dec.DecodeElement(&gp, &start); err != nil {
				if len(act.Points) == 0 {
					return nil, &FileError{Reason: "not a readable GPX file", Err: err}
				}
				act.Warnings = append(act.Warnings, fmt.Sprintf(
					"the file is cut short or damaged after %d points (%v): those points are used", len(act.Points), err))
				return gpxDone(act, bad)
			}
			p, ok := gp.point()
			if !ok {
				bad++
				continue
			}
			act.Points = append(act.Points, p)
			continue
		}
		parents = append(parents, start.Name.Local)
	}
	if !sawRoot {
		return nil, &FileError{Reason: "not a GPX file (no <gpx> element)"}
	}
	return gpxDone(act, bad)
}

func gpxDone(act *Activity, bad int) (*Activity, error) {
	if bad > 0 {
		act.Warnings = append(act.Warnings, fmt.Sprintf("%d points without a readable position were left out", bad))
	}
	if onFoot(act.Sport) {
		// Garmin writes a runner's cadence per foot, as in its FIT files.
		for i := range act.Points {
			act.Points[i].CadenceSPM *= 2
		}
	}
	return act, nil
}

// point converts a trkpt; a point whose position cannot be read is
// refused, as a GPX point is nothing but its position.
func (gp gpxPoint) point() (Point, bool) {
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(gp.Lat), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(gp.Lon), 64)
	if err1 != nil || err2 != nil {
		return Point{}, false
	}
	p := Point{Lat: lat, Lon: lon, HasPosition: validPosition(lat, lon)}
	p.Time, _ = parseXMLTime(gp.Time)
	if v, ok := parseNumber(gp.Ele); ok {
		p.ElevationM, p.HasElevation = v, true
	}
	if v, ok := parseNumber(gp.HR); ok && v > 0 && v < 255 {
		p.HeartRateBPM = int(v)
	}
	if v, ok := parseNumber(gp.Cad); ok && v > 0 && v < 255 {
		p.CadenceSPM = int(v)
	}
	return p, true
}

func gpxSport(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "running", "run", "9", "trail_running", "street_running", "treadmill_running":
		return SportRunning
	case "cycling", "biking", "ride", "1":
		return "cycling"
	case "walking", "walk", "10":
		return "walking"
	case "hiking", "hike", "4":
		return "hiking"
	}
	return strings.ToLower(strings.TrimSpace(t))
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

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0, false
	}
	return v, true
}

// charsetReader lets the XML readers accept the ISO-8859-1 and
// Windows-1252 declarations some older exporters write; the track data is
// ASCII either way, so the bytes are passed through unchanged.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported character set %q", charset)
}
