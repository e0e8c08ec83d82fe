package activity

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// tcxPoint is a TCX Trackpoint. As in gpxPoint, tags name no namespace so
// Garmin's ActivityExtension matches under any prefix.
type tcxPoint struct {
	Time       string `xml:"Time"`
	Lat        string `xml:"Position>LatitudeDegrees"`
	Lon        string `xml:"Position>LongitudeDegrees"`
	Altitude   string `xml:"AltitudeMeters"`
	Distance   string `xml:"DistanceMeters"`
	HR         string `xml:"HeartRateBpm>Value"`
	Cadence    string `xml:"Cadence"`
	Speed      string `xml:"Extensions>TPX>Speed"`
	RunCadence string `xml:"Extensions>TPX>RunCadence"`
}

// tcxActivity is one <Activity> as read so far.
type tcxActivity struct {
	sport     string
	points    []Point
	distanceM float64 // the sum of its laps' DistanceMeters
	timerS    float64 // the sum of its laps' TotalTimeSeconds
	laps      []Lap
}

// readTCX reads the activities of a TCX file, keeping the runs when there
// are runs and other sports besides (a multisport export).
func readTCX(ctx context.Context, r io.Reader) (*Activity, error) {
	dec := xml.NewDecoder(sniffXML(r))
	dec.Strict = false
	dec.CharsetReader = charsetReader
	var (
		acts     []*tcxActivity
		parents  []string
		warnings []string
		bad      int
		sawRoot  bool
		points   int
	)
	current := func() *tcxActivity {
		if len(acts) == 0 {
			acts = append(acts, &tcxActivity{})
		}
		return acts[len(acts)-1]
	}
	damaged := func(err error) {
		warnings = append(warnings, fmt.Sprintf(
			"the file is cut short or damaged after %d points (%v): those points are used", points, err))
	}
read:
	for n := 0; ; n++ {
		if n%xmlTokensPerContextCheck == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) && len(parents) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if points == 0 {
				return nil, &FileError{Reason: "not a readable TCX file", Err: err}
			}
			damaged(err)
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
		switch name := start.Name.Local; {
		case name == "TrainingCenterDatabase":
			sawRoot = true
		case name == "Activity":
			a := &tcxActivity{sport: strings.ToLower(attr(start, "Sport"))}
			if a.sport == "biking" {
				a.sport = "cycling"
			}
			acts = append(acts, a)
		case name == "Lap" && parent == "Activity":
			a := current()
			lap := Lap{}
			lap.Start, _ = parseXMLTime(attr(start, "StartTime"))
			a.laps = append(a.laps, lap)
		case (name == "TotalTimeSeconds" || name == "DistanceMeters") && parent == "Lap":
			var s string
			if err := dec.DecodeElement(&s, &start); err != nil {
				continue
			}
			v, ok := parseNumber(s)
			a := current()
			if !ok || v < 0 || len(a.laps) == 0 {
				continue
			}
			lap := &a.laps[len(a.laps)-1]
			if name == "TotalTimeSeconds" {
				lap.TimerS = v
				a.timerS += v
			} else {
				lap.DistanceM = v
				a.distanceM += v
			}
			continue
		case name == "Trackpoint":
			var tp tcxPoint
			if err := dec.DecodeElement(&tp, &start); err != nil {
				if points == 0 {
					return nil, &FileError{Reason: "not a readable TCX file", Err: err}
				}
				damaged(err)
				break read
			}
			p, ok := tp.point()
			if !ok {
				bad++
				continue
			}
			a := current()
			a.points = append(a.points, p)
			points++
			continue
		}
		parents = append(parents, start.Name.Local)
	}
	if !sawRoot {
		return nil, &FileError{Reason: "not a TCX file (no <TrainingCenterDatabase> element)"}
	}
	act := keepTCXRuns(acts)
	act.Warnings = append(act.Warnings, warnings...)
	if bad > 0 {
		act.Warnings = append(act.Warnings, fmt.Sprintf("%d points without a readable time were left out", bad))
	}
	return act, nil
}

// keepTCXRuns keeps the running activities as legs when there are runs
// among other sports, and everything otherwise.
func keepTCXRuns(acts []*tcxActivity) *Activity {
	act := &Activity{}
	hasRun := false
	for _, a := range acts {
		if a.sport == SportRunning {
			hasRun = true
		}
	}
	var totals Totals
	leg := 0
	for _, a := range acts {
		if hasRun && a.sport != SportRunning {
			d := a.sport
			if a.distanceM > 0 {
				d = fmt.Sprintf("%s %.1f km", a.sport, a.distanceM/1000)
			}
			act.Dropped = append(act.Dropped, d)
			continue
		}
		if act.Sport == "" && a.sport != "other" {
			act.Sport = a.sport
		}
		for _, p := range a.points {
			p.Leg = leg
			if onFoot(a.sport) {
				p.CadenceSPM *= 2 // RunCadence counts one foot
			}
			act.Points = append(act.Points, p)
		}
		act.Laps = append(act.Laps, a.laps...)
		totals.DistanceM += a.distanceM
		totals.TimerS += a.timerS
		leg++
	}
	if totals.TimerS > 0 || totals.DistanceM > 0 {
		act.Device = &totals
	}
	return act
}

func (tp tcxPoint) point() (Point, bool) {
	t, ok := parseXMLTime(tp.Time)
	if !ok {
		return Point{}, false
	}
	p := Point{Time: t}
	lat, ok1 := parseNumber(tp.Lat)
	lon, ok2 := parseNumber(tp.Lon)
	if ok1 && ok2 {
		p.Lat, p.Lon, p.HasPosition = lat, lon, validPosition(lat, lon)
	}
	if v, ok := parseNumber(tp.Altitude); ok {
		p.ElevationM, p.HasElevation = v, true
	}
	if v, ok := parseNumber(tp.Distance); ok && v >= 0 {
		p.DistanceM, p.HasDistance = v, true
	}
	if v, ok := parseNumber(tp.Speed); ok && v >= 0 {
		p.SpeedMPS, p.HasSpeed = v, true
	}
	if v, ok := parseNumber(tp.HR); ok && v > 0 && v < 255 {
		p.HeartRateBPM = int(v)
	}
	if v, ok := parseNumber(tp.RunCadence); ok && v > 0 && v < 255 {
		p.CadenceSPM = int(v)
	} else if v, ok := parseNumber(tp.Cadence); ok && v > 0 && v < 255 {
		p.CadenceSPM = int(v)
	}
	return p, true
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
