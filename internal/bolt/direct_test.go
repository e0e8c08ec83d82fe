package bolt

import (
	"reflect"
	"testing"

	"milepost/internal/comments"
)

// TestDirectAccessIsNotPartOfTheStore: Add, ByPost and Delete go round the
// Service's rules (see direct.go), so the Store the Service and the site
// use must not offer them, whatever *DB does for tests and tools.
func TestDirectAccessIsNotPartOfTheStore(t *testing.T) {
	store := reflect.TypeFor[comments.Store]()
	db := reflect.TypeFor[*DB]()
	for _, name := range []string{"Add", "ByPost", "Delete"} {
		if _, ok := store.MethodByName(name); ok {
			t.Errorf("comments.Store has %s, which only tests and tools may use", name)
		}
		if _, ok := db.MethodByName(name); !ok {
			t.Errorf("*DB has no %s for tests and tools", name)
		}
	}
}
