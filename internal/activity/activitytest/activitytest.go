// Package activitytest gives any package's tests the real watch
// recordings the activity package is tested with — a triathlon from a
// running watch, the FIT SDK's multisport, truncated and chained files,
// Garmin and Polar GPX, a Garmin TCX — embedded, so that a test names a
// file rather than a path from its own folder. testdata/README.md says
// where each comes from and what it holds.
package activitytest

import (
	"embed"
	"testing"
)

//go:embed testdata/*.fit testdata/*.gpx testdata/*.tcx
var recordings embed.FS

// File returns the bytes of the recording name, such as
// "triathlon_fr255.fit"; it fails the test when there is none.
func File(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := recordings.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatalf("activity recording %s: %v", name, err)
	}
	return b
}
