package search

import (
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
	found, partial := ix.match(q, now)
	res := &Results{Total: len(found), Page: page, Pages: (len(found) + PerPage - 1) / PerPage, Partial: partial}
	if len(found) == 0 {
		res.Suggestion = ix.suggest(q)
	}
	var stems map[string]bool
	from, to := min((page-1)*PerPage, len(found)), min(page*PerPage, len(found))
	if from < to {
		stems = ix.queryStems(q)
	}
	for _, c := range found[from:to] {
		res.Hits = append(res.Hits, Hit{Post: ix.docs[c.id].post, Score: c.score})
	}
	ix.mu.RUnlock()
	for i := range res.Hits {
		res.Hits[i].Snippet = ix.snippet(res.Hits[i].Post.Text(), stems)
	}
	return res, nil
}

// queryStems are the stems of every word of q, for the snippets. ix.mu is
// held.
func (ix *Index) queryStems(q Query) map[string]bool {
	stems := map[string]bool{}
	for _, w := range q.Words {
		stems[ix.stem(w)] = true
	}
	for _, ph := range q.Phrases {
		for _, w := range ph {
			stems[ix.stem(w)] = true
		}
	}
	return stems
}

// stem is w's stem, from the index's words when it has it. ix.mu is held
// (for reading is enough: the cache is only read here).
func (ix *Index) stem(w string) string {
	if s, ok := ix.stems[w]; ok {
		return s
	}
	return english.Stem(w, true)
}

// match finds the documents q asks for, best first; partial is set when
// none had all the words and those with some are returned. ix.mu is held.
func (ix *Index) match(q Query, now time.Time) (found []scored, partial bool) {
	stems := map[string]bool{}
	var order []string
	for _, w := range q.Words {
		if s := ix.stem(w); !stems[s] {
			stems[s] = true
			order = append(order, s)
		}
	}
	phrases := make([][]string, len(q.Phrases))
	for i, ph := range q.Phrases {
		for _, w := range ph {
			s := ix.stem(w)
			phrases[i] = append(phrases[i], s)
			if !stems[s] {
				stems[s] = true
				order = append(order, s)
			}
		}
	}
	ok := func(id uint32) bool {
		d := ix.docs[id]
		return d != nil && !d.post.Date.After(now) && d.filtered(q) && ix.hasPhrases(id, phrases)
	}
	if len(order) == 0 {
		// Filters alone: every post they let through, newest first.
		for id := range ix.docs {
			if ok(uint32(id)) {
				found = append(found, scored{id: uint32(id)})
			}
		}
		slices.SortFunc(found, func(a, b scored) int { return ix.docs[b.id].post.Date.Compare(ix.docs[a.id].post.Date) })
		return found, false
	}

	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
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
	slices.SortFunc(found, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return ix.docs[b.id].post.Date.Compare(ix.docs[a.id].post.Date)
	})
	return found, partial
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
// right after the one before, within its title or its body. ix.mu is held.
func (ix *Index) hasPhrases(id uint32, phrases [][]string) bool {
	for _, ph := range phrases {
		if !ix.hasPhrase(id, ph, fieldTitle) && !ix.hasPhrase(id, ph, fieldBody) {
			return false
		}
	}
	return true
}

func (ix *Index) hasPhrase(id uint32, ph []string, f int) bool {
	lists := make([][]uint32, len(ph))
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
		lists[i] = p.positions(at, nil)
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
	if _, known := ix.words[typed]; known || len([]rune(typed)) < 3 {
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
		if dist < bestDist || (dist == bestDist && (n > bestN || n == bestN && w < best)) {
			// Only a word some post still has.
			if t := ix.terms[ix.stem(w)]; t == nil {
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
		if w == typed && out == raw {
			out = raw[:start] + with + raw[end:]
		}
	})
	return out
}
