package outbox_test

import (
	"testing"

	"milepost/internal/outbox"
	"milepost/internal/outbox/outboxtest"
)

func TestMemStoreKeepsTheStoreContract(t *testing.T) {
	outboxtest.TestStore(t, func(t *testing.T) outbox.Store { return &outboxtest.MemStore{} })
}
