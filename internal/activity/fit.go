package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/muktihari/fit/decoder"
	"github.com/muktihari/fit/profile/basetype"
	"github.com/muktihari/fit/profile/mesgdef"
	"github.com/muktihari/fit/profile/typedef"
	"github.com/muktihari/fit/profile/untyped/mesgnum"
	"github.com/muktihari/fit/proto"
)

// fitCollector takes the messages a run needs as the decoder hands them
// over, so that what was decoded before a file breaks off is kept.
type fitCollector struct {
	records  []fitRecord
	sessions []*mesgdef.Session
	laps     []*mesgdef.Lap
	sport    typedef.Sport // from a sport message, for files without sessions
}

type fitRecord struct {
	point   Point
	cadence float64 // as the device counts it: per foot for running
}

func (c *fitCollector) OnMesg(mesg proto.Message) {
	switch mesg.Num {
	case mesgnum.Record:
		c.addRecord(mesgdef.NewRecord(&mesg))
	case mesgnum.Session:
		c.sessions = append(c.sessions, mesgdef.NewSession(&mesg))
	case mesgnum.Lap:
		c.laps = append(c.laps, mesgdef.NewLap(&mesg))
	case mesgnum.Sport:
		if s := mesgdef.NewSport(&mesg); s.Sport != typedef.SportInvalid {
			c.sport = s.Sport
		}
	}
}

func (c *fitCollector) addRecord(r *mesgdef.Record) {
	if r.Timestamp.IsZero() || r.Timestamp.Equal(fitEpoch) {
		return // a record with no time cannot be placed in the run
	}
	p := Point{Time: r.Timestamp.UTC()}
	if r.PositionLat != basetype.Sint32Invalid && r.PositionLong != basetype.Sint32Invalid {
		lat, lon := r.PositionLatDegrees(), r.PositionLongDegrees()
		p.Lat, p.Lon, p.HasPosition = lat, lon, validPosition(lat, lon)
	}
	// The enhanced fields carry the same value with more range; older
	// devices write only the plain ones.
	if v := r.EnhancedAltitudeScaled(); plausibleElevation(v) {
		p.ElevationM, p.HasElevation = v, true
	} else if v := r.AltitudeScaled(); plausibleElevation(v) {
		p.ElevationM, p.HasElevation = v, true
	}
	if v := r.DistanceScaled(); plausibleDistance(v) {
		p.DistanceM, p.HasDistance = v, true
	}
	if v := r.EnhancedSpeedScaled(); plausibleSpeed(v) {
		p.SpeedMPS, p.HasSpeed = v, true
	} else if v := r.SpeedScaled(); plausibleSpeed(v) {
		p.SpeedMPS, p.HasSpeed = v, true
	}
	if r.HeartRate != basetype.Uint8Invalid && plausibleHeartRate(float64(r.HeartRate)) {
		p.HeartRateBPM = int(r.HeartRate)
	}
	var cadence float64
	if r.Cadence != basetype.Uint8Invalid && plausibleCadence(float64(r.Cadence)) {
		cadence = float64(r.Cadence)
		if r.FractionalCadence != basetype.Uint8Invalid {
			cadence += r.FractionalCadenceScaled()
		}
	}
	c.records = append(c.records, fitRecord{point: p, cadence: cadence})
}

var fitEpoch = time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC)

// readFIT decodes every FIT sequence in r (a file may chain several) and
// keeps the running legs.
func readFIT(ctx context.Context, r io.Reader) (*Activity, error) {
	c := &fitCollector{}
	dec := decoder.New(r, decoder.WithMesgListener(c), decoder.WithBroadcastOnly())
	var damage error
	for dec.Next() {
		if _, err := dec.DecodeWithContext(ctx); err != nil {
			damage = err
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(c.records) == 0 {
		if damage != nil {
			return nil, &FileError{Reason: "not a readable FIT file", Err: damage}
		}
		return nil, &FileError{Reason: "the FIT file has no records (is it an activity?)"}
	}
	act := c.activity(damage != nil)
	if damage != nil {
		reason := "the file is damaged"
		if errors.Is(damage, io.ErrUnexpectedEOF) || errors.Is(damage, io.EOF) {
			reason = "the file is cut short"
		} else if errors.Is(damage, decoder.ErrCRCChecksumMismatch) {
			reason = "the file's checksum does not match (it may be damaged)"
		}
		act.Warnings = append(act.Warnings, fmt.Sprintf(
			"%s: the %d records read before the damage are used", reason, len(c.records)))
	}
	return act, nil
}

// fitLeg is one part of a FIT activity: a session, or the records after
// the last session of a file cut short, which belong to the sport named
// last (a multisport file names each leg's sport as it starts).
type fitLeg struct {
	sport      typedef.Sport
	start, end time.Time
	session    *mesgdef.Session // nil for the unfinished leg
}

// activity keeps the running legs — or every leg when none is a run, so
// a ride still reads as a ride — and the device's totals for them.
func (c *fitCollector) activity(damaged bool) *Activity {
	act := &Activity{Points: make([]Point, 0, len(c.records))}
	var legs []fitLeg
	var lastEnd time.Time
	for _, s := range c.sessions {
		start, end := sessionSpan(s)
		legs = append(legs, fitLeg{sport: s.Sport, start: start, end: end, session: s})
		if end.After(lastEnd) {
			lastEnd = end
		}
	}
	// Only a damaged file has an unfinished leg: a whole one may well
	// hold a last record a moment after its session's end.
	if last := c.records[len(c.records)-1].point.Time; len(legs) == 0 || (damaged && last.After(lastEnd)) {
		legs = append(legs, fitLeg{sport: c.sport, start: lastEnd.Add(time.Nanosecond), end: last})
		if len(c.sessions) > 0 {
			act.Warnings = append(act.Warnings, "the last leg has no summary (the file ends before it): its records are used as they are")
		}
	}

	slices.SortStableFunc(legs, func(a, b fitLeg) int { return a.start.Compare(b.start) })

	hasRun := false
	for _, l := range legs {
		hasRun = hasRun || l.sport == typedef.SportRunning
	}
	totals := &Totals{HasAscent: true}
	// A record belongs to one leg only, should a device write sessions
	// that overlap (a summary repeated): no stretch is counted twice.
	taken := make([]bool, len(c.records))
	for _, l := range legs {
		if hasRun && l.sport != typedef.SportRunning {
			act.Dropped = append(act.Dropped, describeLeg(l))
			continue
		}
		if act.Sport == "" {
			act.Sport = sportName(l.sport)
		}
		leg := 0
		if len(act.Points) > 0 {
			leg = act.Points[len(act.Points)-1].Leg + 1
		}
		for i, rec := range c.records {
			if taken[i] || rec.point.Time.Before(l.start) || rec.point.Time.After(l.end) {
				continue
			}
			taken[i] = true
			p := withCadence(rec, l.sport)
			p.Leg = leg
			act.Points = append(act.Points, p)
		}
		if l.session == nil {
			totals = nil // the device's totals do not cover this leg
		} else if totals != nil {
			addSessionTotals(totals, l.session)
		}
		for _, lap := range c.laps {
			if lap.StartTime.Before(l.start) || lap.StartTime.After(l.end) {
				continue
			}
			act.Laps = append(act.Laps, Lap{
				Start:     lap.StartTime.UTC(),
				DistanceM: orZero(lap.TotalDistanceScaled()),
				TimerS:    orZero(lap.TotalTimerTimeScaled()),
				ElapsedS:  orZero(lap.TotalElapsedTimeScaled()),
			})
		}
	}
	act.Device = totals
	return act
}

// sessionSpan is when a session ran: from its start for its elapsed time,
// or to its timestamp (its end) when the elapsed time is missing.
func sessionSpan(s *mesgdef.Session) (time.Time, time.Time) {
	start := s.StartTime
	if start.IsZero() || start.Equal(fitEpoch) {
		start = time.Time{}
	}
	end := s.Timestamp
	if el := s.TotalElapsedTimeScaled(); finite(el) && !start.IsZero() {
		end = start.Add(time.Duration(el * float64(time.Second)))
	}
	if end.IsZero() || end.Equal(fitEpoch) {
		end = time.Unix(math.MaxInt32, 0)
	}
	return start, end
}

func addSessionTotals(t *Totals, s *mesgdef.Session) {
	t.DistanceM += orZero(s.TotalDistanceScaled())
	t.TimerS += orZero(s.TotalTimerTimeScaled())
	t.ElapsedS += orZero(s.TotalElapsedTimeScaled())
	if s.TotalAscent == basetype.Uint16Invalid {
		t.HasAscent = false
	} else {
		t.AscentM += float64(s.TotalAscent)
	}
}

func describeLeg(l fitLeg) string {
	name := sportName(l.sport)
	if name == "" {
		name = "an unnamed sport"
	}
	if l.session == nil {
		return name
	}
	if d := l.session.TotalDistanceScaled(); finite(d) && d > 0 {
		return fmt.Sprintf("%s %.1f km", name, d/1000)
	}
	return name
}

// withCadence turns the device's cadence into steps per minute for a run
// or walk (FIT counts one foot) and keeps revolutions for anything else.
func withCadence(rec fitRecord, sport typedef.Sport) Point {
	p := rec.point
	if rec.cadence > 0 {
		c := rec.cadence
		if onFoot(sportName(sport)) {
			c *= 2
		}
		p.CadenceSPM = int(math.Round(c))
	}
	return p
}

func onFoot(sport string) bool {
	return sport == SportRunning || sport == "walking" || sport == "hiking"
}

func sportName(s typedef.Sport) string {
	if s == typedef.SportInvalid {
		return ""
	}
	return s.String()
}

func orZero(v float64) float64 {
	if finite(v) {
		return v
	}
	return 0
}
