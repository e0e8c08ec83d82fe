package bolt

import (
	"testing"

	"milepost/internal/comments"
	"milepost/internal/comments/commentstest"
)

// TestDBKeepsTheStoreContract runs the store contract, shared with the
// Service tests' in-memory fake, against a real database file.
func TestDBKeepsTheStoreContract(t *testing.T) {
	commentstest.TestStore(t, func(t *testing.T) comments.Store {
		db, _ := openTest(t)
		return db
	})
}
