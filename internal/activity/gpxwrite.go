package activity

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// GPX download. A runner may let readers download the route of a run as
// GPX; what is written is a track as Clean left it — never the file — and
// only positions and elevations, and the points' times when the runner
// opts in to them: no heart rate, no device.

const gpxNamespace = "http://www.topografix.com/GPX/1/1"

type gpxOut struct {
	XMLName xml.Name  `xml:"gpx"`
	Xmlns   string    `xml:"xmlns,attr"`
	Version string    `xml:"version,attr"`
	Creator string    `xml:"creator,attr"`
	Name    string    `xml:"metadata>name,omitempty"`
	Track   gpxOutTrk `xml:"trk"`
}

type gpxOutTrk struct {
	Name     string         `xml:"name,omitempty"`
	Type     string         `xml:"type,omitempty"`
	Segments []gpxOutTrkseg `xml:"trkseg"`
}

type gpxOutTrkseg struct {
	Points []gpxOutPoint `xml:"trkpt"`
}

type gpxOutPoint struct {
	Lat  string  `xml:"lat,attr"`
	Lon  string  `xml:"lon,attr"`
	Ele  *string `xml:"ele,omitempty"`
	Time string  `xml:"time,omitempty"` // after ele, as GPX 1.1's wptType orders them
}

// TrackPoint is what a GPX download keeps of a point: its position and
// elevation, and its time when the download carries times, in 32 bytes
// where a Point takes 128. A post offering its route keeps its track for
// the server's life.
type TrackPoint struct {
	Lat, Lon   float64
	ElevationM float64
	// The time is kept as whole seconds since 1970 and the milliseconds
	// after them, in the bytes the flags' padding would otherwise waste:
	// a time.Time would take 24 more bytes a point, times or not.
	unixS        uint32
	millis       uint16
	HasElevation bool
	hasTime      bool
}

// Time is the point's time to the millisecond; false when the download
// carries no times or the file gave the point none.
func (p TrackPoint) Time() (time.Time, bool) {
	if !p.hasTime {
		return time.Time{}, false
	}
	return time.Unix(int64(p.unixS), int64(p.millis)*int64(time.Millisecond)).UTC(), true
}

// withTime gives p the time t, to the millisecond; a time before 1970
// or past 2106, which no watch records, is left out.
func (p TrackPoint) withTime(t time.Time) TrackPoint {
	if t.IsZero() || t.Unix() < 0 || t.Unix() > math.MaxUint32 {
		return p
	}
	p.unixS, p.millis, p.hasTime = uint32(t.Unix()), uint16(t.Nanosecond()/int(time.Millisecond)), true
	return p
}

// Track is what WriteGPX needs of segments (Clean's output): their
// points with a position, each as a TrackPoint; an elevation that is not
// finite is none. The points keep their times only when withTimes is
// set: a download carries them only when its runner opted in.
func Track(segments [][]Point, withTimes bool) [][]TrackPoint {
	out := make([][]TrackPoint, 0, len(segments))
	for _, seg := range segments {
		track := make([]TrackPoint, 0, len(seg))
		for _, p := range seg {
			if !p.HasPosition {
				continue
			}
			tp := TrackPoint{Lat: p.Lat, Lon: p.Lon, ElevationM: p.ElevationM,
				HasElevation: p.HasElevation && finite(p.ElevationM)}
			if withTimes {
				tp = tp.withTime(p.Time)
			}
			track = append(track, tp)
		}
		out = append(out, track)
	}
	return out
}

// gpxTimeLayout is xsd:dateTime in UTC, as GPX requires, with the
// milliseconds when there are any.
const gpxTimeLayout = "2006-01-02T15:04:05.999Z"

// WriteGPX writes a track (Track of Clean's segments) as a GPX 1.1 track
// named name, one <trkseg> per segment, so the gaps privacy made stay
// gaps. Points carry their position (to 7 decimals, about a centimetre),
// elevation and, when Track kept it, time; nothing else of them is kept.
func WriteGPX(ctx context.Context, w io.Writer, name string, segments [][]TrackPoint) error {
	doc := gpxOut{Xmlns: gpxNamespace, Version: "1.1", Creator: "Milepost", Name: name,
		Track: gpxOutTrk{Name: name, Type: SportRunning}}
	for _, seg := range segments {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing a GPX track: %w", err)
		}
		var out gpxOutTrkseg
		for _, p := range seg {
			pt := gpxOutPoint{Lat: strconv.FormatFloat(p.Lat, 'f', 7, 64), Lon: strconv.FormatFloat(p.Lon, 'f', 7, 64)}
			if p.HasElevation {
				ele := strconv.FormatFloat(p.ElevationM, 'f', 1, 64)
				pt.Ele = &ele
			}
			if t, ok := p.Time(); ok {
				pt.Time = t.Format(gpxTimeLayout)
			}
			out.Points = append(out.Points, pt)
		}
		if len(out.Points) > 0 {
			doc.Track.Segments = append(doc.Track.Segments, out)
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing a GPX track: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing a GPX track: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("writing a GPX track: %w", err)
	}
	return nil
}
