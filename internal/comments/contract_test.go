package comments_test

import (
	"testing"

	"milepost/internal/comments"
	"milepost/internal/comments/commentstest"
)

// TestMemStoreKeepsTheStoreContract runs the contract that the bbolt store
// also passes (internal/bolt) against the Service tests' in-memory fake.
func TestMemStoreKeepsTheStoreContract(t *testing.T) {
	commentstest.TestStore(t, func(*testing.T) comments.Store { return comments.NewMemStore() })
}
