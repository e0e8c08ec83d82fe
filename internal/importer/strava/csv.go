package strava

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Activity is one row of activities.csv: what an import uses of it.
type Activity struct {
	// Line is the row's line in activities.csv, for the report.
	Line int
	// ID is Strava's activity ID, digits: the key that makes a second
	// import of the same export add nothing.
	ID   string
	Name string
	// Type is Strava's activity type as written: "Run", "Trail Run",
	// "Virtual Run", "Ride", …
	Type        string
	Description string
	// Start is when the activity started. Strava writes it in UTC.
	Start time.Time
	// DistanceM, MovingS, ElapsedS and ElevationM are Strava's figures;
	// 0 when the row has none.
	DistanceM  float64
	MovingS    float64
	ElapsedS   float64
	ElevationM float64
	// WorkoutType is Strava's kind of run (race, long run, workout) when
	// the export has a "Workout Type" column; "" when it has none.
	WorkoutType string
	// File is the activity file as the row names it
	// ("activities/123.fit.gz"); "" for an activity entered by hand.
	File string
}

// RowError is a row of activities.csv that could not be read.
type RowError struct {
	Line int
	ID   string // "" when the row has none
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("%s:%d: %v", csvName, e.Line, e.Err) }

// The columns an import reads. The export names some twice: "Distance" is
// first in the runner's display unit (km) and later in metres, "Elapsed
// Time" and others twice in seconds.
const (
	colID          = "Activity ID"
	colDate        = "Activity Date"
	colName        = "Activity Name"
	colType        = "Activity Type"
	colDescription = "Activity Description"
	colFile        = "Filename"
	colElapsed     = "Elapsed Time"
	colMoving      = "Moving Time"
	colDistance    = "Distance"
	colElevation   = "Elevation Gain"
	colWorkoutType = "Workout Type"
)

// dateLayouts are how exports have written Activity Date: since 2019
// "Jan 2, 2024, 7:03:12 AM", before that "2024-01-02 07:03:12", in UTC.
var dateLayouts = []string{"Jan 2, 2006, 3:04:05 PM", "2006-01-02 15:04:05"}

var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

// parseCSV reads activities.csv. A file that is not CSV, or lacks a column
// no run can be imported without, is an error; a row that cannot be read
// is a RowError and the others are still read.
func parseCSV(data []byte) ([]Activity, []RowError, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // a short row is a RowError, not the end of the file
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the header of %s: %w", csvName, err)
	}
	cols := map[string][]int{}
	for i, name := range header {
		name = strings.TrimSpace(name)
		cols[name] = append(cols[name], i)
	}
	for _, need := range []string{colID, colDate, colType, colFile} {
		if len(cols[need]) == 0 {
			return nil, nil, fmt.Errorf("%s has no %q column: is it a Strava bulk export in English?", csvName, need)
		}
	}

	var acts []Activity
	var bad []RowError
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			// A quote left open swallows the rest of the file: nothing
			// after it can be trusted to be the rows Strava wrote.
			return nil, nil, fmt.Errorf("reading %s: %w", csvName, err)
		}
		if len(record) != len(header) {
			bad = append(bad, RowError{Line: line, Err: fmt.Errorf("the row has %d fields, the header %d", len(record), len(header))})
			continue
		}
		a, err := readRow(cols, record)
		a.Line = line
		if err != nil {
			bad = append(bad, RowError{Line: line, ID: a.ID, Err: err})
			continue
		}
		acts = append(acts, a)
	}
	return acts, bad, nil
}

// readRow reads one row whose field count matches the header.
func readRow(cols map[string][]int, record []string) (Activity, error) {
	first := func(col string) string {
		for _, i := range cols[col] {
			if v := strings.TrimSpace(record[i]); v != "" {
				return v
			}
		}
		return ""
	}
	a := Activity{
		ID:          first(colID),
		Name:        first(colName),
		Type:        first(colType),
		Description: strings.TrimSpace(strings.ReplaceAll(first(colDescription), "\r\n", "\n")),
		File:        first(colFile),
		WorkoutType: first(colWorkoutType),
	}
	if !digits.MatchString(a.ID) {
		return a, fmt.Errorf("the activity ID %q is not a number", a.ID)
	}
	date := first(colDate)
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, date, time.UTC); err == nil {
			a.Start = t
			break
		}
	}
	if a.Start.IsZero() {
		return a, fmt.Errorf("the activity date %q is not a date Strava writes", date)
	}

	a.ElapsedS = number(first(colElapsed))
	a.MovingS = number(first(colMoving))
	if a.MovingS == 0 {
		a.MovingS = a.ElapsedS
	}
	// The metres column is the later "Distance"; an export with one only
	// (or a row without metres) has the one in kilometres.
	if d := cols[colDistance]; len(d) > 1 {
		a.DistanceM = number(record[d[len(d)-1]])
	}
	if d := cols[colDistance]; a.DistanceM == 0 && len(d) > 0 {
		a.DistanceM = number(record[d[0]]) * 1000
	}
	a.ElevationM = number(first(colElevation))
	return a, nil
}

// number reads a figure of the export; what is not a finite, positive
// number is no figure (0).
func number(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}
