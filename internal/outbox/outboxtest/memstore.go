// Package outboxtest holds what tests of outbox users share: the Store
// contract every implementation must keep, and an in-memory Store that
// keeps it.
package outboxtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"milepost/internal/outbox"
)

// MemStore is an in-memory outbox.Store for tests. The zero value is ready.
type MemStore struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]outbox.Message
	dead    map[uint64]outbox.Message
	keys    map[string]bool
	Now     func() time.Time // for Enqueue's defaults; time.Now when nil
}

var _ outbox.Store = (*MemStore)(nil)

func (s *MemStore) init() {
	if s.pending == nil {
		s.pending, s.dead, s.keys = map[uint64]outbox.Message{}, map[uint64]outbox.Message{}, map[string]bool{}
	}
}

func (s *MemStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Enqueue keeps the messages whose Key is new.
func (s *MemStore) Enqueue(ctx context.Context, msgs ...outbox.Message) error {
	for _, m := range msgs {
		if err := outbox.Valid(m); err != nil {
			return fmt.Errorf("enqueuing %q: %w", m.Key, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	now := s.now()
	for _, m := range msgs {
		if s.keys[m.Key] {
			continue
		}
		s.keys[m.Key] = true
		s.next++
		m.ID = s.next
		m.Created = or(m.Created, now)
		m.NotBefore = or(m.NotBefore, now)
		m.Payload = slices.Clone(m.Payload)
		s.pending[m.ID] = m
	}
	return nil
}

func or(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// Due lists pending messages due at now, by NotBefore then ID.
func (s *MemStore) Due(ctx context.Context, now time.Time, limit int, skip ...string) ([]outbox.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []outbox.Message
	for _, m := range s.pending {
		if !m.NotBefore.After(now) && !slices.Contains(skip, m.Kind) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b outbox.Message) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		return int(a.ID) - int(b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Sent forgets the message; its Key stays known.
func (s *MemStore) Sent(ctx context.Context, id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[id]; !ok {
		return fmt.Errorf("marking message %d sent: %w", id, outbox.ErrNotFound)
	}
	delete(s.pending, id)
	return nil
}

// Retry counts an attempt.
func (s *MemStore) Retry(ctx context.Context, id uint64, next time.Time, lastErr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.pending[id]
	if !ok {
		return fmt.Errorf("recording an attempt of message %d: %w", id, outbox.ErrNotFound)
	}
	m.Attempts++
	m.NotBefore, m.LastError = next, lastErr
	s.pending[id] = m
	return nil
}

// GiveUp moves the message to the dead list.
func (s *MemStore) GiveUp(ctx context.Context, id uint64, lastErr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.pending[id]
	if !ok {
		return fmt.Errorf("giving up message %d: %w", id, outbox.ErrNotFound)
	}
	delete(s.pending, id)
	m.Attempts++
	m.LastError = lastErr
	s.init()
	s.dead[id] = m
	return nil
}

// Stats counts by kind.
func (s *MemStore) Stats(ctx context.Context) (outbox.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := outbox.Stats{Pending: map[string]int{}, Dead: map[string]int{}}
	for _, m := range s.pending {
		st.Pending[m.Kind]++
	}
	for _, m := range s.dead {
		st.Dead[m.Kind]++
	}
	return st, nil
}
