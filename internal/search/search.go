package search

import (
	"container/heap"
	"context"
	"html/template"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/kljensen/snowball/english"

	"milepost/internal/content"
)

// PerPage is how many results a page of them shows.
const PerPage = 10

// Results are one page of a search's results.
type Results struct {
	Hits []Hit
	// Total is how many posts matched; Page is this page (from 1) of
	// Pages.
	Total, Page, Pages int
	// Partial is set when no post had every word, and the posts shown
	// have some of them.
	Partial bool
	// Suggestion, when not "", is the query with its one misspelled word
	// put right ("did you mean"): set when the query found nothing.
	Suggestion string
}

// Hit is a post found, with the part of its text that matched.
type Hit struct {
	Post *content.Post
	// Snippet is a few lines of the post's text around the words found,
	// HTML-escaped, with each word found in a <mark>.
	Snippet template.HTML
	Score   float64
}

// scored is a candidate document and its score.
type scored struct {
	id    uint32
	score float64
}

// scratch is a search's per-document working memory, reused.
type scratch struct {
	weight []float64 // a term's weighted frequency in each document
	hits   []uint8   // how many query terms each document has
	score  []float64
	touch  []uint32
	// lists are a phrase's words' positions in one document.
	lists [][]uint32
}

var scratches = sync.Pool{New: func() any { return &scratch{} }}

// Search runs q and returns the page-th page (from 1) of its results,
// best first, among the posts published by now. Before the first Sync it
// returns ErrNotReady.
func (ix *Index) Search(ctx context.Context, q Query, page int, now time.Time) (*Results, error) {
	if !ix.Ready() {
		return nil, ErrNotReady
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	page = max(page, 1)
	ix.mu.RLock()
	stems := ix.queryStems(q)
	found, total, partial := ix.match(q, stems, now, page*PerPage)
	res := &Results{Total: total, Page: page, Pages: (total + PerPage - 1) / PerPage, Partial: partial}
	if total == 0 {
		res.Suggestion = ix.suggest(q)
	}
	marks := make([][]uint32, 0, PerPage)
	for _, c := range found[min((page-1)*PerPage, len(found)):] {
		res.Hits = append(res.Hits, Hit{Post: ix.docs[c.id].post, Score: c.score})
		marks = append(marks, ix.bodyPositions(c.id, stems))
	}
	ix.mu.RUnlock()
	for i := range res.Hits {
		res.Hits[i].Snippet = snippet(res.Hits[i].Post.Text(), marks[i])
	}
	return res, nil
}

// queryStems are the stems of every word of q, once each: its words',
// then its phrases'. ix.mu is held.
func (ix *Index) queryStems(q Query) []string {
	var stems []string
	add := func(w string) {
		if s := ix.stem(w); !slices.Contains(stems, s) {
			stems = append(stems, s)
		}
	}
	for _, w := range q.Words {
		add(w)
	}
	for _, ph := range q.Phrases {
		for _, w := range ph {
			add(w)
		}
	}
	return stems
}

// bodyPositions are the positions in document id's body of the words
// with stems, in order: the words a snippet marks. ix.mu is held.
func (ix *Index) bodyPositions(id uint32, stems []string) []uint32 {
	var all []uint32
	for _, s := range stems {
		t := ix.terms[s]
		if t == nil || t.fields[fieldBody] == nil {
			continue
		}
		p := t.fields[fieldBody]
		if i := p.find(id); i >= 0 {
			all = append(all, p.positions(i, nil)...)
		}
	}
	slices.Sort(all)
	return all
}

// stem is the stem of a normalized word. ix.mu is held (for reading is
// enough: the cache is only read here).
func (ix *Index) stem(w string) string { return ix.form(w).stem }

// form is a word as written normalized and stemmed, from the index's
// cache when it has it. ix.mu is held.
func (ix *Index) form(raw string) form {
	if f, ok := ix.stems[raw]; ok {
		return f
	}
	w := normalize(raw)
	return form{word: w, stem: english.Stem(w, true)}
}

// match finds the documents q, whose stems are order (queryStems), asks
// for: the keep best, in order, and how many there are; partial is set
// when none had all the words and those with some are returned. ix.mu is
// held.
//
// Only the first keep are sorted (the rest follow in no order): a page
// needs its own and those before it, and most searches want the first.
func (ix *Index) match(q Query, order []string, now time.Time, keep int) (top []scored, total int, partial bool) {
	var found []scored
	phrases := make([][]string, len(q.Phrases))
	for i, ph := range q.Phrases {
		for _, w := range ph {
			phrases[i] = append(phrases[i], ix.stem(w))
		}
	}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	ok := func(id uint32) bool {
		d := ix.docs[id]
		return d != nil && !d.post.Date.After(now) && d.filtered(q) && ix.hasPhrases(sc, id, phrases)
	}
	if len(order) == 0 {
		// Filters alone: every post they let through, newest first.
		for id := range ix.docs {
			if ok(uint32(id)) {
				found = append(found, scored{id: uint32(id)})
			}
		}
		return ix.best(found, keep), len(found), false
	}

	n := len(ix.docs)
	sc.weight = resize(sc.weight, n)
	sc.score = resize(sc.score, n)
	sc.hits = resize(sc.hits, n)
	live := float64(max(ix.live, 1))
	var avg [numFields]float64
	for f := range numFields {
		avg[f] = max(float64(ix.totalLen[f])/live, 1)
	}
	var all []uint32 // every document with a term, once
	for _, s := range order {
		t := ix.terms[s]
		if t == nil {
			continue
		}
		sc.touch = sc.touch[:0]
		for f, p := range t.fields {
			if p == nil {
				continue
			}
			for i, id := range p.docs {
				d := ix.docs[id]
				if d == nil {
					continue
				}
				if sc.weight[id] == 0 {
					sc.touch = append(sc.touch, id)
				}
				norm := 1 - bm25B + bm25B*float64(d.lens[f])/avg[f]
				sc.weight[id] += fieldWeight[f] * float64(p.tfs[i]) / norm
			}
		}
		idf := math.Log(1 + (live-float64(t.df)+0.5)/(float64(t.df)+0.5))
		for _, id := range sc.touch {
			w := sc.weight[id]
			sc.score[id] += idf * w / (bm25K1 + w)
			sc.weight[id] = 0
			if sc.hits[id] == 0 {
				all = append(all, id)
			}
			sc.hits[id]++
		}
	}
	need := uint8(min(len(order), math.MaxUint8))
	for _, id := range all {
		if sc.hits[id] == need && ok(id) {
			found = append(found, scored{id: id, score: sc.score[id]})
		}
	}
	if len(found) == 0 && len(order) > 1 && len(phrases) == 0 {
		// No post has every word: those with the most of them, rather
		// than nothing.
		partial = true
		for _, id := range all {
			if ok(id) {
				found = append(found, scored{id: id, score: sc.score[id] * float64(sc.hits[id])})
			}
		}
	}
	for _, id := range all {
		sc.score[id], sc.hits[id] = 0, 0
	}
	return ix.best(found, keep), len(found), partial
}

// before reports whether a ranks above b: a higher score, then a newer
// post.
func (ix *Index) before(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return ix.docs[a.id].post.Date.After(ix.docs[b.id].post.Date)
}

// best is the keep best of found, in order (all of them when there are
// no more); found may be reordered.
func (ix *Index) best(found []scored, keep int) []scored {
	cmp := func(a, b scored) int {
		switch {
		case ix.before(a, b):
			return -1
		case ix.before(b, a):
			return 1
		}
		return 0
	}
	if len(found) <= keep*4 {
		slices.SortFunc(found, cmp)
		return found[:min(keep, len(found))]
	}
	// A heap of the keep best so far, worst on top.
	h := &worstFirst{ix: ix, s: slices.Clone(found[:keep])}
	heap.Init(h)
	for _, c := range found[keep:] {
		if ix.before(c, h.s[0]) {
			h.s[0] = c
			heap.Fix(h, 0)
		}
	}
	slices.SortFunc(h.s, cmp)
	return h.s
}

// worstFirst is a heap of results whose top is the one ranked last.
type worstFirst struct {
	ix *Index
	s  []scored
}

func (h *worstFirst) Len() int           { return len(h.s) }
func (h *worstFirst) Less(i, j int) bool { return h.ix.before(h.s[j], h.s[i]) }
func (h *worstFirst) Swap(i, j int)      { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *worstFirst) Push(x any)         { h.s = append(h.s, x.(scored)) }
func (h *worstFirst) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// filtered reports whether d passes q's tag: and author: filters: every
// tag, and one of the authors.
func (d *doc) filtered(q Query) bool {
	for _, t := range q.Tags {
		if !slices.Contains(d.tags, t) {
			return false
		}
	}
	if len(q.Authors) == 0 {
		return true
	}
	for _, a := range q.Authors {
		if d.author != "" && (a == d.author || a == d.name) {
			return true
		}
	}
	return false
}

// hasPhrases reports whether document id holds every phrase, each word
// right after the one before, within one field (Query.Phrases). ix.mu is
// held.
func (ix *Index) hasPhrases(sc *scratch, id uint32, phrases [][]string) bool {
	for _, ph := range phrases {
		found := false
		for f := 0; f < numFields && !found; f++ {
			found = ix.hasPhrase(sc, id, ph, f)
		}
		if !found {
			return false
		}
	}
	return true
}

func (ix *Index) hasPhrase(sc *scratch, id uint32, ph []string, f int) bool {
	for len(sc.lists) < len(ph) {
		sc.lists = append(sc.lists, nil)
	}
	lists := sc.lists[:len(ph)]
	for i, s := range ph {
		t := ix.terms[s]
		if t == nil || t.fields[f] == nil {
			return false
		}
		p := t.fields[f]
		at := p.find(id)
		if at < 0 {
			return false
		}
		lists[i] = p.positions(at, lists[i])
	}
	for _, start := range lists[0] {
		all := true
		for i := 1; i < len(lists) && all; i++ {
			_, all = slices.BinarySearch(lists[i], start+uint32(i))
		}
		if all {
			return true
		}
	}
	return false
}

// suggest is q with its one word put right, when q is a single word (and
// filters) that is not in the index: the indexed word nearest to it in
// edits, the more frequent of those equally near. "" when there is none.
// ix.mu is held.
func (ix *Index) suggest(q Query) string {
	if len(q.Words) != 1 || len(q.Phrases) > 0 {
		return ""
	}
	typed := q.Words[0]
	if len([]rune(typed)) < 3 {
		return ""
	}
	if _, known := ix.words[typed]; known && ix.hasLive(ix.terms[ix.stem(typed)]) {
		return ""
	}
	limit := 1
	if len([]rune(typed)) > 5 {
		limit = 2
	}
	best, bestDist, bestN := "", limit+1, uint32(0)
	for w, n := range ix.words {
		if d := len(w) - len(typed); d > limit || d < -limit {
			continue
		}
		dist := levenshtein.ComputeDistance(typed, w)
		if dist > limit {
			continue
		}
		if dist < bestDist || (dist == bestDist && (n > bestN || n == bestN && w < best)) {
			// Only a word some post still has: the words of a post
			// removed stay in ix.words (what each post had is not kept).
			if !ix.hasLive(ix.terms[ix.stem(w)]) {
				continue
			}
			best, bestDist, bestN = w, dist, n
		}
	}
	if best == "" {
		return ""
	}
	return replaceWord(q.Raw, typed, best)
}

// replaceWord is raw with its word typed (lowercased in the query) put as
// with: the rest of the query, filters included, stays as written.
func replaceWord(raw, typed, with string) string {
	out := raw
	eachWord(raw, func(w string, start, end int) {
		if out == raw && normalize(w) == typed {
			out = raw[:start] + with + raw[end:]
		}
	})
	return out
}
