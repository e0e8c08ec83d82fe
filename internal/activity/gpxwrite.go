package activity

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// GPX download. A runner may let readers download the route of a run as
// GPX; what is written is a track as Clean left it — never the file — and
// only positions and elevations: no times, no heart rate, no device.

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
	Lat string  `xml:"lat,attr"`
	Lon string  `xml:"lon,attr"`
	Ele *string `xml:"ele,omitempty"`
}

// TrackPoint is what a GPX download keeps of a point: its position and
// elevation, in 32 bytes where a Point takes 128. A post offering its
// route keeps its track for the server's life.
type TrackPoint struct {
	Lat, Lon     float64
	ElevationM   float64
	HasElevation bool
}

// Track is what WriteGPX needs of segments (Clean's output): their
// points with a position, each as a TrackPoint; an elevation that is not
// finite is none.
func Track(segments [][]Point) [][]TrackPoint {
	out := make([][]TrackPoint, 0, len(segments))
	for _, seg := range segments {
		track := make([]TrackPoint, 0, len(seg))
		for _, p := range seg {
			if p.HasPosition {
				track = append(track, TrackPoint{Lat: p.Lat, Lon: p.Lon, ElevationM: p.ElevationM,
					HasElevation: p.HasElevation && finite(p.ElevationM)})
			}
		}
		out = append(out, track)
	}
	return out
}

// WriteGPX writes a track (Track of Clean's segments) as a GPX 1.1 track
// named name, one <trkseg> per segment, so the gaps privacy made stay
// gaps. Points carry their position (to 7 decimals, about a centimetre)
// and elevation; nothing else of them is kept.
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
