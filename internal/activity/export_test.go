package activity

import (
	"testing"

	"github.com/muktihari/fit/profile/mesgdef"
)

// Test-only names for the external tests of the package, which draw the
// charts (package chart imports this one, so the package's own tests
// cannot).

// LongTrack is n points of a real run repeated with drift.
func LongTrack(tb testing.TB, n int) []Point { return longTrack(tb, n) }

// EncodeFIT, EncodeGPX and EncodeTCX write points as a file of each
// format.
func EncodeFIT(tb testing.TB, points []Point, sessions ...*mesgdef.Session) []byte {
	return encodeFIT(tb, points, sessions...)
}
func EncodeGPX(points []Point) []byte { return encodeGPX(points) }
func EncodeTCX(points []Point) []byte { return encodeTCX(points) }

// RunningSession is a FIT session over all the points.
func RunningSession(points []Point) *mesgdef.Session { return runningSession(points) }
