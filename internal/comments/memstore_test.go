package comments

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"milepost/internal/clientaddr"
)

// memStore is an in-memory Store for the Service tests. The real store lives
// in internal/bolt, which imports this package, so these tests cannot use it;
// internal/bolt runs the Service over the real one. Both pass the same
// contract test, commentstest.TestStore (see contract_test.go), so this
// fake cannot drift from the real thing.
type memStore struct {
	mu       sync.Mutex
	next     uint64
	byID     map[uint64]Comment
	bans     map[string]Ban
	closures map[string]Closure
	actions  []Action
	seeded   bool
	// failAdd, when set, is returned by Add and Submit: a store that is down.
	failAdd error
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{byID: map[uint64]Comment{}, bans: map[string]Ban{}, closures: map[string]Closure{}}
}

func (m *memStore) Submit(ctx context.Context, c *Comment, _ time.Time, decide func(*Comment, Facts) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAdd != nil {
		return m.failAdd
	}
	stored := *c
	var parent *Comment
	stored.Depth = 0
	if stored.Parent != 0 {
		p, ok := m.byID[stored.Parent]
		if !ok || p.Post != stored.Post {
			return fmt.Errorf("adding comment: %w", ErrParent)
		}
		stored.Depth = p.Depth + 1
		parent = &p
	}
	if decide != nil {
		var f Facts
		for _, b := range m.bans {
			if b.Matches(&stored) {
				f.Bans = append(f.Bans, b)
			}
		}
		if cl, ok := m.closures[stored.Post]; ok {
			f.Closure = &cl
		}
		for _, o := range m.byID {
			if o.IP != "" && clientaddr.Key(o.IP) == clientaddr.Key(stored.IP) && o.Body == stored.Body && o.Created.After(f.LastSame) {
				f.LastSame = o.Created
			}
			if o.Status == StatusApproved && ((stored.Email != "" && strings.EqualFold(o.Email, stored.Email)) ||
				(stored.CommenterID != "" && o.CommenterID == stored.CommenterID)) {
				f.Known = true
			}
		}
		if err := decide(&stored, f); err != nil {
			return fmt.Errorf("adding comment: %w", err)
		}
	}
	m.next++
	stored.ID = m.next
	stored.Thread = ThreadOf(stored.ID, parent)
	m.byID[stored.ID] = stored
	*c = stored
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

func (m *memStore) Replies(ctx context.Context, id uint64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.approvedReplies(id), nil
}

func (m *memStore) approvedReplies(id uint64) int {
	n := 0
	for _, c := range m.byID {
		if c.Parent == id && c.Status == StatusApproved {
			n++
		}
	}
	return n
}

// threads returns the post's threads, in order: the Thread of each approved
// comment on it, once.
// layout returns the IDs of each thread's approved comments, in order,
// and the post's threads laid out by a Pager.
func (m *memStore) layout(post string) (ids map[uint64][]uint64, spans map[uint64][]Span, pages int) {
	ids = map[uint64][]uint64{}
	for _, c := range m.byID {
		if c.Post == post && c.Status == StatusApproved {
			ids[c.Thread] = append(ids[c.Thread], c.ID)
		}
	}
	var p Pager
	spans = map[uint64][]Span{}
	for _, t := range slices.Sorted(maps.Keys(ids)) {
		slices.Sort(ids[t])
		spans[t] = p.Add(nil, t, len(ids[t]))
	}
	return ids, spans, p.Pages()
}

// pageOf is the page that shows c, as Store.PageOf says.
func pageOf(c Comment, ids map[uint64][]uint64, spans map[uint64][]Span, pages int) int {
	in, ok := ids[c.Thread]
	if !ok {
		return pages
	}
	i, found := slices.BinarySearch(in, c.ID)
	if !found {
		i = max(i-1, 0)
	}
	return SpanOf(spans[c.Thread], i).Page
}

func (m *memStore) Threads(ctx context.Context, q ThreadQuery) (ThreadSlice, error) {
	if err := ctx.Err(); err != nil {
		return ThreadSlice{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids, spans, pages := m.layout(q.Post)
	out := ThreadSlice{Pages: pages, Threads: len(ids)}
	var held []Comment
	for _, c := range m.byID {
		if c.Post != q.Post {
			continue
		}
		switch {
		case c.Status == StatusApproved:
			out.Comments++
			if pageOf(c, ids, spans, pages) == q.Page {
				out.Approved = append(out.Approved, c)
			}
		case c.Status == StatusPending && q.Viewer != "" && c.CommenterID == q.Viewer:
			held = append(held, c)
		}
	}
	onPage := map[uint64]bool{}
	for _, c := range out.Approved {
		onPage[c.ID] = true
	}
	for _, c := range out.Approved {
		if p, ok := m.byID[c.Parent]; ok && p.Status == StatusApproved && !onPage[p.ID] {
			out.Elsewhere = append(out.Elsewhere, c.ID)
		}
	}
	slices.SortFunc(held, func(a, b Comment) int { return -cmp.Compare(a.ID, b.ID) })
	for _, c := range held[:min(len(held), MaxHeldShown)] {
		if _, counted := ids[c.Thread]; !counted || pageOf(c, ids, spans, pages) == q.Page {
			out.Held = append(out.Held, c)
		}
	}
	return out, nil
}

func (m *memStore) PageOf(ctx context.Context, c Comment) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids, spans, pages := m.layout(c.Post)
	return pageOf(c, ids, spans, pages), nil
}

func (m *memStore) ApprovedOn(ctx context.Context, post string, limit int) ([]Comment, error) {
	all := m.newestFirst(func(c Comment) bool { return c.Post == post && c.Status == StatusApproved })
	return window(all, 0, limit), nil
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

// remove deletes a comment as it is, recording nothing, for setting up a
// test.
func (m *memStore) remove(id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byID, id)
}

func (m *memStore) Seed(ctx context.Context, cs []Comment) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seeded {
		return false, nil
	}
	for _, c := range cs {
		m.next = max(m.next, c.ID)
	}
	for _, c := range cs {
		if c.ID == 0 {
			m.next++
			c.ID = m.next
		}
		m.byID[c.ID] = c
	}
	for id := range m.byID {
		m.fillThread(id)
	}
	m.seeded = true
	return true, nil
}

func (m *memStore) Modify(ctx context.Context, id uint64, fn func(*Comment, int) (Change, error)) (Comment, error) {
	if err := ctx.Err(); err != nil {
		return Comment{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.byID[id]
	if !ok {
		return Comment{}, ErrNotFound
	}
	replies := m.approvedReplies(id)
	c := old
	ch, err := fn(&c, replies)
	if err != nil {
		return Comment{}, err
	}
	if c.ID != old.ID || c.Post != old.Post || c.Parent != old.Parent || c.Depth != old.Depth || c.Thread != old.Thread || !c.Created.Equal(old.Created) {
		return Comment{}, fmt.Errorf("modify changed comment %d's identity", id)
	}
	if ch.Delete {
		delete(m.byID, id)
		c = old
	} else {
		m.byID[id] = c
	}
	m.log(ch.Log)
	return c, nil
}

func (m *memStore) log(a *Action) {
	if a != nil {
		a.ID = uint64(len(m.actions) + 1)
		m.actions = append(m.actions, *a)
	}
}

func (m *memStore) PutBan(ctx context.Context, b Ban, a Action) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bans[string(b.Kind)+" "+b.Value] = b
	m.log(&a)
	return nil
}

func (m *memStore) RemoveBan(ctx context.Context, kind BanKind, value string, a Action) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(kind) + " " + value
	if _, ok := m.bans[k]; !ok {
		return ErrNotBanned
	}
	delete(m.bans, k)
	m.log(&a)
	return nil
}

func (m *memStore) Bans(ctx context.Context) ([]Ban, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Ban
	for _, b := range m.bans {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Ban) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (m *memStore) SetClosure(ctx context.Context, c Closure, a Action) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closures[c.Post] = c
	m.log(&a)
	return nil
}

func (m *memStore) Closure(ctx context.Context, post string) (Closure, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.closures[post]
	return c, ok, nil
}

// newestFirst lists the comments keep selects, newest first.
func (m *memStore) newestFirst(keep func(Comment) bool) []Comment {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Comment
	for _, c := range m.byID {
		if keep(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Comment) int { return -cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	return out
}

func window[T any](all []T, offset, limit int) []T {
	if offset >= len(all) {
		return nil
	}
	return all[offset:min(len(all), offset+limit)]
}

func (m *memStore) Held(ctx context.Context, offset, limit int) ([]Comment, int, error) {
	all := m.newestFirst(func(c Comment) bool { return c.Status == StatusPending })
	return window(all, offset, limit), len(all), nil
}

func (m *memStore) Recent(ctx context.Context, offset, limit int) ([]Comment, int, error) {
	all := m.newestFirst(func(Comment) bool { return true })
	return window(all, offset, limit), len(all), nil
}

func (m *memStore) RecentApproved(ctx context.Context, limit int) ([]Comment, error) {
	return window(m.newestFirst(func(c Comment) bool { return c.Status == StatusApproved }), 0, limit), nil
}

func (m *memStore) Actions(ctx context.Context, kind ActionKind, offset, limit int) ([]Action, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []Action
	for _, a := range slices.Backward(m.actions) {
		if kind == "" || a.Kind == kind {
			all = append(all, a)
		}
	}
	return window(all, offset, limit), len(all), nil
}

// put stores c as it is, for setting up a test, with its Thread worked out
// from its parent when it has none.
func (m *memStore) put(c Comment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID[c.ID] = c
	m.next = max(m.next, c.ID)
	m.fillThread(c.ID)
}

// fillThread sets the Thread of comment id, and of its ancestors, when it
// has none.
func (m *memStore) fillThread(id uint64) uint64 {
	c, ok := m.byID[id]
	if !ok {
		return 0
	}
	if c.Thread == 0 {
		c.Thread = c.ID
		m.byID[id] = c // ends a loop of parents here
		if p, ok := m.byID[c.Parent]; ok && c.Parent != 0 && c.Parent != c.ID {
			if t := m.fillThread(p.ID); t != 0 {
				c.Thread = t
			}
		}
		m.byID[id] = c
	}
	return c.Thread
}
