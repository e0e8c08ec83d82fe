package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// tcxActivity is one <Activity> as read so far.
type tcxActivity struct {
	sport     string
	points    []Point
	distanceM float64 // the sum of its laps' DistanceMeters
	timerS    float64 // the sum of its laps' TotalTimeSeconds
	laps      []Lap
}

// tcxReader gathers the Activities of a TCX file: their laps with the
// device's totals, and their trackpoints with Garmin's ActivityExtension
// speed and run cadence.
type tcxReader struct {
	acts      []*tcxActivity
	maxPoints int
	sawRoot   bool
	inPoint   bool
	point     Point
	hasTime   bool
	points    int
	bad       int // trackpoints without a readable time
	expected  int // the document's <Trackpoint> tags
}

// expect notes how many points the document has, for the room an
// Activity's points are given when its first one comes.
func (x *tcxReader) expect(doc []byte) {
	x.expected = expectedPoints(doc, "<Trackpoint", x.maxPoints)
}

func (x *tcxReader) current() *tcxActivity {
	if len(x.acts) == 0 {
		x.acts = append(x.acts, &tcxActivity{})
	}
	return x.acts[len(x.acts)-1]
}

func (x *tcxReader) start(name, parent string, attrs *xmlAttrs) {
	switch name {
	case "TrainingCenterDatabase":
		x.sawRoot = true
	case "Activity":
		a := &tcxActivity{sport: strings.ToLower(string(attrs.get("Sport")))}
		if a.sport == "biking" {
			a.sport = "cycling"
		}
		x.acts = append(x.acts, a)
	case "Lap":
		if parent == "Activity" {
			a := x.current()
			lap := Lap{}
			lap.Start, _ = parseXMLTime(string(attrs.get("StartTime")))
			a.laps = append(a.laps, lap)
		}
	case "Trackpoint":
		x.inPoint, x.hasTime, x.point = true, false, Point{}
	}
}

func (x *tcxReader) end(name, parent string, text []byte) error {
	if parent == "Lap" && (name == "TotalTimeSeconds" || name == "DistanceMeters") {
		a := x.current()
		v, ok := parseNumber(text)
		if !ok || len(a.laps) == 0 || (name == "TotalTimeSeconds" && !plausibleLapTime(v)) || (name == "DistanceMeters" && !plausibleDistance(v)) {
			return nil
		}
		lap := &a.laps[len(a.laps)-1]
		if name == "TotalTimeSeconds" {
			lap.TimerS = v
			a.timerS += v
		} else {
			lap.DistanceM = v
			a.distanceM += v
		}
		return nil
	}
	if !x.inPoint {
		return nil
	}
	p := &x.point
	switch name {
	case "Trackpoint":
		x.inPoint = false
		if !x.hasTime {
			x.bad++
			return nil
		}
		p.HasPosition = p.HasPosition && validPosition(p.Lat, p.Lon)
		if x.points >= x.maxPoints {
			return tooManyPoints(x.maxPoints)
		}
		a := x.current()
		if a.points == nil {
			// Room for every point still to come: a file of one
			// Activity, as nearly all are, fills it exactly.
			a.points = make([]Point, 0, max(x.expected-x.points, 1))
		}
		a.points = append(a.points, *p)
		x.points++
	case "Time":
		p.Time, x.hasTime = parseXMLTime(string(text))
	case "LatitudeDegrees":
		p.Lat, p.HasPosition = parseNumber(text)
	case "LongitudeDegrees":
		var ok bool
		p.Lon, ok = parseNumber(text)
		p.HasPosition = p.HasPosition && ok
	case "AltitudeMeters":
		if v, ok := parseNumber(text); ok && plausibleElevation(v) {
			p.ElevationM, p.HasElevation = v, true
		}
	case "DistanceMeters":
		if v, ok := parseNumber(text); ok && plausibleDistance(v) {
			p.DistanceM, p.HasDistance = v, true
		}
	case "Speed":
		if v, ok := parseNumber(text); ok && plausibleSpeed(v) {
			p.SpeedMPS, p.HasSpeed = v, true
		}
	case "Value":
		if v, ok := parseNumber(text); ok && parent == "HeartRateBpm" && plausibleHeartRate(v) {
			p.HeartRateBPM = int(v)
		}
	case "RunCadence", "Cadence":
		// A run's cadence is in the extension's RunCadence; <Cadence> is
		// a bike's. Either is one per foot or per revolution.
		if v, ok := parseNumber(text); ok && plausibleCadence(v) && (p.CadenceSPM == 0 || name == "RunCadence") {
			p.CadenceSPM = int(v)
		}
	}
	return nil
}

// readTCX reads the activities of a TCX file, keeping the runs when there
// are runs and other sports besides (a multisport export).
func readTCX(ctx context.Context, r io.Reader, maxPoints int) (*Activity, error) {
	x := &tcxReader{maxPoints: maxPoints}
	var warnings []string
	if err := scanXML(ctx, r, x); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if fe := (*FileError)(nil); errors.As(err, &fe) {
			return nil, fe
		}
		if x.points == 0 {
			return nil, &FileError{Reason: "not a readable TCX file", Err: err}
		}
		warnings = append(warnings, damageWarning(x.points, err))
	}
	if !x.sawRoot {
		return nil, &FileError{Reason: "not a TCX file (no <TrainingCenterDatabase> element)"}
	}
	act := keepTCXRuns(x.acts)
	act.Warnings = append(act.Warnings, warnings...)
	if x.bad > 0 {
		act.Warnings = append(act.Warnings, fmt.Sprintf("%d points without a readable time were left out", x.bad))
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
	kept, keptActs := 0, 0
	for _, a := range acts {
		if !hasRun || a.sport == SportRunning {
			kept += len(a.points)
			keptActs++
		}
	}
	if keptActs > 1 {
		act.Points = make([]Point, 0, kept)
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
		// A file of one kept Activity gives its points as they are,
		// rather than a copy of 100,000 of them.
		points := a.points
		if keptActs > 1 {
			from := len(act.Points)
			act.Points = append(act.Points, a.points...)
			points = act.Points[from:]
		} else {
			act.Points = a.points
		}
		for i := range points {
			points[i].Leg = leg
			if onFoot(a.sport) {
				points[i].CadenceSPM *= 2 // RunCadence counts one foot
			}
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
