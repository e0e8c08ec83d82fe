package web

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/content"
)

// An earlier version content would not load today has no form to list its
// problems under: the answer names them itself.
func TestAnUnrestorableVersionNamesItsProblems(t *testing.T) {
	inv := &authoring.InvalidError{Problems: []content.Problem{{File: "posts/a.md", Line: 4, Err: errors.New(`unknown author "lee"`)}}}
	p, ok := problemOf(&unrestorableError{inv}, nil)
	if !ok || p.Status != http.StatusUnprocessableEntity || p.Form || !strings.Contains(p.Message, `posts/a.md:4: unknown author "lee"`) {
		t.Errorf("problem = %+v, %t", p, ok)
	}
}
