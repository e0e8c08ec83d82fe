package comments

import (
	"context"
	"fmt"
	"sync"
)

// memStore is an in-memory Store for the Service tests. The real store lives
// in internal/bolt, which imports this package, so these tests cannot use it.
type memStore struct {
	mu     sync.Mutex
	next   uint64
	byID   map[uint64]Comment
	seeded bool
	// failAdd, when set, is returned by Add: a store that is down.
	failAdd error
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{byID: map[uint64]Comment{}} }

func (m *memStore) Add(ctx context.Context, c *Comment) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAdd != nil {
		return m.failAdd
	}
	if c.Parent != 0 {
		p, ok := m.byID[c.Parent]
		if !ok || p.Post != c.Post {
			return fmt.Errorf("adding comment: %w", ErrParent)
		}
		c.Depth = p.Depth + 1
	}
	m.next++
	c.ID = m.next
	m.byID[c.ID] = *c
	return nil
}

func (m *memStore) Get(ctx context.Context, id uint64) (Comment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byID[id]
	if !ok {
		return Comment{}, ErrNotFound
	}
	return c, nil
}

func (m *memStore) ByPost(ctx context.Context, post string) ([]Comment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Comment
	for _, c := range m.byID {
		if c.Post == post {
			out = append(out, c)
		}
	}
	SortOldestFirst(out)
	return out, nil
}

func (m *memStore) Counts(ctx context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, c := range m.byID {
		if c.Status == StatusApproved {
			out[c.Post]++
		}
	}
	return out, nil
}

func (m *memStore) Delete(ctx context.Context, id uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; !ok {
		return ErrNotFound
	}
	delete(m.byID, id)
	return nil
}

func (m *memStore) Seed(ctx context.Context, cs []Comment) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seeded {
		return false, nil
	}
	for _, c := range cs {
		m.byID[c.ID] = c
		m.next = max(m.next, c.ID)
	}
	m.seeded = true
	return true, nil
}

// put stores c as it is, for setting up a test.
func (m *memStore) put(c Comment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID[c.ID] = c
	m.next = max(m.next, c.ID)
}
