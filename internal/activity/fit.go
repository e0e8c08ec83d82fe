package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muktihari/fit/decoder"
	"github.com/muktihari/fit/profile/basetype"
	"github.com/muktihari/fit/profile/mesgdef"
	"github.com/muktihari/fit/profile/typedef"
	"github.com/muktihari/fit/profile/untyped/mesgnum"
	"github.com/muktihari/fit/proto"
)

// fitCollector takes the messages a run needs as the decoder hands them
// over, so that what was decoded before a file breaks off is kept. It
// keeps of each message only what a run uses: a 6-byte FIT record decodes
// into a few hundred bytes, and a lap message into more.
type fitCollector struct {
	records  []fitRecord
	sessions []*mesgdef.Session
	laps     []fitLap
	sport    typedef.Sport // from the last sport message: the leg under way

	// maxPoints bounds the records and laps kept (Limits.MaxPoints); past
	// it, or past maxFITSessions, full is set and stop ends the decoding.
	maxPoints int
	full      string
	stop      context.CancelFunc
}

// maxFITSessions bounds the sessions of one file: a triathlon has five, a
// day of a multisport race a few dozen; thousands are a hostile file.
const maxFITSessions = 1000

type fitRecord struct {
	point   Point
	cadence float64       // as the device counts it: per foot for running
	sport   typedef.Sport // of the sport message before it; SportInvalid when none
}

// fitLap is a lap message: the device's lap, with the sport and end the
// legs of a file without sessions are told by.
type fitLap struct {
	Lap
	sport typedef.Sport
	end   time.Time
}

func (c *fitCollector) OnMesg(mesg proto.Message) {
	if c.full != "" {
		return
	}
	switch mesg.Num {
	case mesgnum.Record:
		c.addRecord(mesgdef.NewRecord(&mesg))
	case mesgnum.Session:
		c.sessions = append(c.sessions, mesgdef.NewSession(&mesg))
		// The leg is over; the next one's sport message may come a record
		// after its start.
		c.sport = typedef.SportInvalid
		if len(c.sessions) > maxFITSessions {
			c.refuse(fmt.Sprintf("the file has more than %d sessions", maxFITSessions))
		}
	case mesgnum.Lap:
		c.addLap(mesgdef.NewLap(&mesg))
	case mesgnum.Sport:
		if s := mesgdef.NewSport(&mesg); s.Sport != typedef.SportInvalid {
			c.sport = s.Sport
		}
	}
	if len(c.records)+len(c.laps) > c.maxPoints {
		c.refuse(fmt.Sprintf("the file has more than %d points", c.maxPoints))
	}
}

// refuse stops the decoding of a file too large to keep, saying why.
func (c *fitCollector) refuse(reason string) {
	c.full = reason
	c.stop()
}

func (c *fitCollector) addLap(lap *mesgdef.Lap) {
	start, end := lap.StartTime.UTC(), lap.Timestamp.UTC()
	if el := lap.TotalElapsedTimeScaled(); finite(el) && !start.IsZero() {
		end = start.Add(time.Duration(el * float64(time.Second)))
	}
	c.laps = append(c.laps, fitLap{
		Lap: Lap{
			Start:     start,
			DistanceM: orZero(lap.TotalDistanceScaled()),
			TimerS:    orZero(lap.TotalTimerTimeScaled()),
			ElapsedS:  orZero(lap.TotalElapsedTimeScaled()),
		},
		sport: lap.Sport,
		end:   end,
	})
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
	c.records = append(c.records, fitRecord{point: p, cadence: cadence, sport: c.sport})
}

var fitEpoch = time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC)

// readFIT decodes every FIT sequence in r (a file may chain several) and
// keeps the running legs; it refuses a file of more than maxPoints
// records and laps.
func readFIT(ctx context.Context, r io.Reader, maxPoints int) (*Activity, error) {
	decoding, stop := context.WithCancel(ctx)
	defer stop()
	c := &fitCollector{maxPoints: maxPoints, stop: stop, sport: typedef.SportInvalid}
	dec := decoder.New(r, decoder.WithMesgListener(c), decoder.WithBroadcastOnly())
	var damage error
	for dec.Next() {
		if _, err := dec.DecodeWithContext(decoding); err != nil {
			damage = err
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.full != "" {
		return nil, &FileError{Reason: c.full}
	}
	if len(c.records) == 0 {
		if damage != nil {
			return nil, &FileError{Reason: "not a readable FIT file", Err: damage}
		}
		return nil, &FileError{Reason: "the FIT file has no records (is it an activity?)"}
	}
	act, err := c.activity(ctx, damage != nil)
	if err != nil {
		return nil, err
	}
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

// fitLeg is one part of a FIT activity: a session, or a stretch of the
// records after the last session of a file cut short, of the sport the
// file gave them (a multisport file names each leg's sport as it starts).
type fitLeg struct {
	sport      typedef.Sport
	start, end time.Time
	session    *mesgdef.Session // nil for an unfinished leg
}

// activity keeps the running legs — or every leg when none is a run and
// all are of one sport, so a ride still reads as a ride — and the
// device's totals for them. A multisport file without a running leg read
// (a triathlon cut off in its ride) is refused: nothing in it is the run.
func (c *fitCollector) activity(ctx context.Context, damaged bool) (*Activity, error) {
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
	slices.SortStableFunc(c.laps, func(a, b fitLap) int { return a.Start.Compare(b.Start) })
	// Only a damaged file has unfinished legs: a whole one may well hold
	// a last record a moment after its session's end.
	if last := c.records[len(c.records)-1].point.Time; len(legs) == 0 || (damaged && last.After(lastEnd)) {
		unfinished := c.unfinishedLegs(lastEnd)
		legs = append(legs, unfinished...)
		if len(c.sessions) > 0 && len(unfinished) > 0 {
			act.Warnings = append(act.Warnings, "the last leg has no summary (the file ends before it): its records are used as they are")
		}
	}

	slices.SortStableFunc(legs, func(a, b fitLeg) int { return a.start.Compare(b.start) })
	// Records in time order (the laps are already), so each leg finds its
	// own by binary search rather than by a look at every one.
	slices.SortStableFunc(c.records, func(a, b fitRecord) int { return a.point.Time.Compare(b.point.Time) })

	keep, warning, err := fitLegsKept(legs)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		act.Warnings = append(act.Warnings, warning)
	}
	totals := &Totals{HasAscent: true}
	// A record belongs to one leg only, should a device write sessions
	// that overlap (a summary repeated): no stretch is counted twice. The
	// legs go in order of their start, so a record before nextRecord was
	// taken or is before every leg still to come.
	nextRecord, nextLap := 0, 0
	for _, l := range legs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !keep(l) {
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
		from := max(nextRecord, sort.Search(len(c.records), func(i int) bool { return !c.records[i].point.Time.Before(l.start) }))
		for ; from < len(c.records) && !c.records[from].point.Time.After(l.end); from++ {
			p := withCadence(c.records[from], l.sport)
			p.Leg = leg
			act.Points = append(act.Points, p)
			nextRecord = from + 1
		}
		if l.session == nil {
			totals = nil // the device's totals do not cover this leg
		} else if totals != nil {
			addSessionTotals(totals, l.session)
		}
		lap := max(nextLap, sort.Search(len(c.laps), func(i int) bool { return !c.laps[i].Start.Before(l.start) }))
		for ; lap < len(c.laps) && !c.laps[lap].Start.After(l.end); lap++ {
			act.Laps = append(act.Laps, c.laps[lap].Lap)
			nextLap = lap + 1
		}
	}
	act.Device = totals
	return act, nil
}

// fitLegsKept tells which legs are the run: the running legs; without
// one, every leg of a file of one sport (a ride reads as a ride). A file
// of several sports and no running leg (a triathlon cut off in its ride)
// has no run to show: its legs of no named sport are kept, with a warning
// that they may not be the run, and without any such leg it is refused.
func fitLegsKept(legs []fitLeg) (keep func(fitLeg) bool, warning string, err error) {
	named := map[typedef.Sport]bool{}
	unnamed := false
	for _, l := range legs {
		if l.sport == typedef.SportRunning {
			return func(l fitLeg) bool { return l.sport == typedef.SportRunning }, "", nil
		}
		if l.sport == typedef.SportInvalid {
			unnamed = true
		} else {
			named[l.sport] = true
		}
	}
	if len(named) <= 1 {
		return func(fitLeg) bool { return true }, "", nil
	}
	var described []string
	for _, l := range legs {
		described = append(described, describeLeg(l))
	}
	legsText := strings.Join(slices.Compact(described), ", ")
	if !unnamed {
		return nil, "", &FileError{Reason: fmt.Sprintf(
			"a multisport file with no running leg (%s): none of it is shown as the run", legsText)}
	}
	return func(l fitLeg) bool { return l.sport == typedef.SportInvalid },
		fmt.Sprintf("the file does not say which of its legs (%s) is the run: only the records of no named sport are shown", legsText), nil
}

// unfinishedLegs are the legs of the records after the sessions' end
// (every record of a file without sessions), one per stretch of a sport:
// each record's sport is the sport message's before it or, in a file
// without sport messages, the sport of the lap it falls in.
func (c *fitCollector) unfinishedLegs(after time.Time) []fitLeg {
	var legs []fitLeg
	for _, rec := range c.records {
		t := rec.point.Time
		if !after.IsZero() && !t.After(after) {
			continue
		}
		sport := rec.sport
		if sport == typedef.SportInvalid {
			sport = c.lapSport(t)
		}
		n := len(legs)
		if n > 0 && legs[n-1].sport == typedef.SportInvalid {
			// The records before a leg's sport message are its own: a
			// device names the sport a record or so after the leg starts.
			legs[n-1].sport = sport
		}
		if n > 0 && legs[n-1].sport == sport {
			legs[n-1].start, legs[n-1].end = minTime(legs[n-1].start, t), maxTime(legs[n-1].end, t)
			continue
		}
		legs = append(legs, fitLeg{sport: sport, start: t, end: t})
	}
	return legs
}

// lapSport is the sport of the lap that holds t; SportInvalid when no lap
// says. The laps are in order of their start.
func (c *fitCollector) lapSport(t time.Time) typedef.Sport {
	i := sort.Search(len(c.laps), func(i int) bool { return c.laps[i].Start.After(t) }) - 1
	if i >= 0 && !t.After(c.laps[i].end) {
		return c.laps[i].sport
	}
	return typedef.SportInvalid
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
