// Package search is the site's full-text search: an in-memory inverted
// index of the published posts (title, body, tags, author and run), ranked
// with BM25F, with English stemming, phrases, tag: and author: filters,
// highlighted snippets and "did you mean" for a misspelled word.
//
// The index follows the content: Sync reads again only the posts whose
// Version changed, drops the posts that went, and adds a scheduled post
// when it comes due (Follow waits for it), never before. A draft is never
// indexed.
package search

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// The fields of a post that are searched, and how much a word found in
// each counts next to one in the body.
const (
	fieldTitle = iota
	fieldBody
	fieldTags
	fieldAuthor
	fieldRun
	numFields
)

var fieldWeight = [numFields]float64{fieldTitle: 4, fieldBody: 1, fieldTags: 2.5, fieldAuthor: 2, fieldRun: 1.5}

// BM25 parameters: k1 is how soon more of the same word stops counting,
// b how much a long field is discounted.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// ErrNotReady is what a search gets before the first Sync has finished:
// the index is still being built.
var ErrNotReady = errors.New("search: the index is still being built")

// postings are one term's occurrences in one field: the documents, in
// increasing id, the term's count in each, and its positions (delta
// varints, posOff[i] the start of document i's).
type postings struct {
	docs   []uint32
	tfs    []uint16
	posOff []uint32
	pos    []byte
}

// positions decodes the positions of the i-th document of p.
func (p *postings) positions(i int, into []uint32) []uint32 {
	end := len(p.pos)
	if i+1 < len(p.posOff) {
		end = int(p.posOff[i+1])
	}
	b := p.pos[p.posOff[i]:end]
	into = into[:0]
	var at uint32
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		b = b[n:]
		at += uint32(d)
		into = append(into, at)
	}
	return into
}

// find returns the index of doc in p, or -1.
func (p *postings) find(doc uint32) int {
	lo, hi := 0, len(p.docs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.docs[m] < doc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p.docs) && p.docs[lo] == doc {
		return lo
	}
	return -1
}

// term is an indexed stem: its postings in each field, and in how many
// documents it is (counting removed ones until the next compaction).
type term struct {
	fields [numFields]*postings
	df     int
}

// doc is an indexed post.
type doc struct {
	post   *content.Post // its Version is the one indexed
	lens   [numFields]uint32
	tags   []string // lowercased
	author string   // the author's ID, lowercased; "" for none
	name   string   // the author's name, lowercased
}

// Index is the search index. It is safe for concurrent use: searches run
// together, and a Sync holds them off only while it puts in a chunk of what
// it read (each post is then wholly its old or its new version).
type Index struct {
	ready atomic.Bool

	syncMu sync.Mutex // one Sync at a time

	mu       sync.RWMutex
	docs     []*doc // by id; nil for a removed post
	bySlug   map[string]uint32
	terms    map[string]*term
	words    map[string]uint32 // each word (normalized), how often
	stems    stemmer           // the words' forms, for queries and snippets
	totalLen [numFields]uint64 // of the live documents
	live     int
	removed  int // documents removed since the last compaction
}

// New returns an empty index, which answers ErrNotReady until its first
// Sync.
func New() *Index {
	return &Index{bySlug: map[string]uint32{}, terms: map[string]*term{}, words: map[string]uint32{}, stems: stemmer{}}
}

// Ready reports whether the first Sync has finished.
func (ix *Index) Ready() bool { return ix.ready.Load() }

// Len is the number of posts indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Sync makes the index hold exactly the posts of site published by now
// (drafts never), reading only the posts that are new or changed
// (Post.Version). It returns when the next post dated after now comes due,
// zero when none is waiting: the caller syncs again then.
func (ix *Index) Sync(ctx context.Context, site *content.Site, now time.Time) (next time.Time, err error) {
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	all := content.View{Site: site, Now: time.Unix(math.MaxInt32*16, 0)}.Posts()
	published := all.At(now)
	if n := len(all) - len(published); n > 0 {
		next = all[n-1].Date // the earliest of those still to come
	}

	ix.mu.RLock()
	var changed []*content.Post
	keep := make(map[string]bool, len(published))
	for _, p := range published {
		keep[p.Slug] = true
		if id, ok := ix.bySlug[p.Slug]; !ok || ix.docs[id].post.Version != p.Version {
			changed = append(changed, p)
		}
	}
	var gone []string
	for slug := range ix.bySlug {
		if !keep[slug] {
			gone = append(gone, slug)
		}
	}
	ix.mu.RUnlock()

	ix.mu.Lock()
	for _, slug := range gone {
		ix.remove(slug)
	}
	ix.mu.Unlock()
	// The posts are read a chunk at a time and each chunk put in before the
	// next is read: a post read is some twenty times the size it takes in
	// the index, and reading a whole site before putting any of it in held
	// 180 MB at once on 10,000 posts, which the collector's pacing then
	// doubled for as long as the server ran.
	stems := make([]stemmer, min(runtime.GOMAXPROCS(0), len(changed)))
	for i := range stems {
		stems[i] = stemmer{}
	}
	for start := 0; start < len(changed); start += syncChunk {
		read, err := analyzeAll(ctx, changed[start:min(start+syncChunk, len(changed))], stems)
		if err != nil {
			return next, err
		}
		ix.mu.Lock()
		for _, a := range read {
			ix.remove(a.doc.post.Slug)
			ix.add(a)
		}
		ix.mu.Unlock()
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, st := range stems {
		for raw, f := range st {
			if len(ix.stems) >= maxStemCache {
				break
			}
			ix.stems[raw] = f
		}
	}
	if ix.removed > 256 && ix.removed > ix.live/8 {
		ix.compact()
	}
	ix.ready.Store(true)
	return next, nil
}

// syncChunk is how many posts a Sync reads before putting them in.
const syncChunk = 256

// analyzed is a post read for the index: its document and, per stem, the
// positions in each field.
type analyzed struct {
	doc   *doc
	terms map[string]*[numFields][]uint32
	words map[string]uint32
}

// analyzeAll reads posts on every core, one worker for each of stems:
// rendering and stemming are the cost of a build. The stemmers keep what
// they learn, for the next posts and for the index.
func analyzeAll(ctx context.Context, posts []*content.Post, stems []stemmer) ([]*analyzed, error) {
	out := make([]*analyzed, len(posts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, st := range stems {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(posts) || ctx.Err() != nil {
					return
				}
				out[i] = analyze(posts[i], st)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// analyze reads one post's fields.
func analyze(p *content.Post, st stemmer) *analyzed {
	a := &analyzed{doc: &doc{post: p}, terms: map[string]*[numFields][]uint32{}, words: map[string]uint32{}}
	for _, t := range p.Tags {
		a.doc.tags = append(a.doc.tags, strings.ToLower(t))
	}
	var author []string
	if p.Author != nil {
		a.doc.author = strings.ToLower(p.Author.ID)
		a.doc.name = strings.ToLower(p.Author.Name)
		author = []string{p.Author.Name, p.Author.ID}
	}
	// Each field is a list of parts: a phrase is found within one part,
	// never across two tags or from a run's type into its shoes.
	texts := [numFields][]string{
		fieldTitle:  {p.Title},
		fieldBody:   {p.Text()},
		fieldTags:   p.Tags,
		fieldAuthor: author,
		fieldRun:    runParts(p.Run),
	}
	for f, parts := range texts {
		var at, n uint32
		for _, text := range parts {
			eachWord(text, func(raw string, _, _ int) {
				w := st.form(raw)
				ps := a.terms[w.stem]
				if ps == nil {
					ps = new([numFields][]uint32)
					a.terms[w.stem] = ps
				}
				ps[f] = append(ps[f], at)
				at++
				n++
				if f == fieldTitle || f == fieldBody {
					a.words[w.word]++
				}
			})
			at++ // a gap between parts
		}
		a.doc.lens[f] = n
	}
	return a
}

// runParts is what a post's run is found by: its type, race, shoes and
// distance (in both units, and by name when it is a standard one).
func runParts(r *content.Run) []string {
	if r == nil {
		return nil
	}
	parts := []string{string(r.Type), r.Shoes}
	if r.Race != nil {
		parts = append(parts, r.Race.Name)
	}
	if activity.Positive(r.DistanceM) {
		parts = append(parts, activity.DistanceText(r.DistanceM, activity.Metric), activity.DistanceText(r.DistanceM, activity.Imperial))
		for _, e := range activity.EffortDistances {
			if math.Abs(r.DistanceM-e.DistanceM) <= e.DistanceM*standardDistanceSlack {
				parts = append(parts, e.Name)
			}
		}
	}
	return parts
}

// standardDistanceSlack is how far a run may be from a standard distance
// and still be found by its name: GPS and courses are a little off.
const standardDistanceSlack = 0.02

// add puts a read post in as a new document. ix.mu is held.
func (ix *Index) add(a *analyzed) {
	id := uint32(len(ix.docs))
	ix.docs = append(ix.docs, a.doc)
	ix.bySlug[a.doc.post.Slug] = id
	ix.live++
	for f := range numFields {
		ix.totalLen[f] += uint64(a.doc.lens[f])
	}
	var buf [binary.MaxVarintLen32]byte
	for s, fields := range a.terms {
		t := ix.terms[s]
		if t == nil {
			t = &term{}
			ix.terms[s] = t
		}
		t.df++
		for f, positions := range fields {
			if len(positions) == 0 {
				continue
			}
			p := t.fields[f]
			if p == nil {
				p = &postings{}
				t.fields[f] = p
			}
			p.docs = append(p.docs, id)
			p.tfs = append(p.tfs, uint16(min(len(positions), math.MaxUint16)))
			p.posOff = append(p.posOff, uint32(len(p.pos)))
			var last uint32
			for _, at := range positions {
				p.pos = append(p.pos, buf[:binary.PutUvarint(buf[:], uint64(at-last))]...)
				last = at
			}
		}
	}
	for w, n := range a.words {
		ix.words[w] += n
	}
}

// remove takes the post with slug out, if it is in: its document is
// marked removed, and its postings are skipped until compact drops them.
// ix.mu is held.
func (ix *Index) remove(slug string) {
	id, ok := ix.bySlug[slug]
	if !ok {
		return
	}
	d := ix.docs[id]
	for f := range numFields {
		ix.totalLen[f] -= uint64(d.lens[f])
	}
	ix.docs[id] = nil
	delete(ix.bySlug, slug)
	ix.live--
	ix.removed++
}

// hasLive reports whether a post still in the index has t (which t.df,
// counting removed posts until compact, cannot say). Removed documents
// stay in the postings until compact, which Sync runs once there are more
// than 256 of them and an eighth of the live ones: so few are skipped
// before a live one, or the end. ix.mu is held.
func (ix *Index) hasLive(t *term) bool {
	if t == nil {
		return false
	}
	for _, p := range t.fields {
		if p == nil {
			continue
		}
		for _, id := range p.docs {
			if ix.docs[id] != nil {
				return true
			}
		}
	}
	return false
}

// compact drops the postings of removed documents and numbers the live
// ones afresh. ix.mu is held.
func (ix *Index) compact() {
	renum := make([]uint32, len(ix.docs))
	var docs []*doc
	for id, d := range ix.docs {
		if d != nil {
			renum[id] = uint32(len(docs))
			ix.bySlug[d.post.Slug] = uint32(len(docs))
			docs = append(docs, d)
		}
	}
	for s, t := range ix.terms {
		seen := map[uint32]bool{}
		for f, p := range t.fields {
			if p == nil {
				continue
			}
			q := &postings{}
			for i, id := range p.docs {
				if ix.docs[id] == nil {
					continue
				}
				end := len(p.pos)
				if i+1 < len(p.posOff) {
					end = int(p.posOff[i+1])
				}
				q.docs = append(q.docs, renum[id])
				q.tfs = append(q.tfs, p.tfs[i])
				q.posOff = append(q.posOff, uint32(len(q.pos)))
				q.pos = append(q.pos, p.pos[p.posOff[i]:end]...)
				seen[id] = true
			}
			if len(q.docs) == 0 {
				q = nil
			}
			t.fields[f] = q
		}
		if len(seen) == 0 {
			delete(ix.terms, s)
			continue
		}
		t.df = len(seen)
	}
	// The words only removed posts had go too: a word is kept while its
	// stem is in some post (words are not counted per post, which would
	// take a list of them for each).
	for w := range ix.words {
		if ix.terms[ix.stem(w)] == nil {
			delete(ix.words, w)
		}
	}
	ix.docs = docs
	ix.removed = 0
}
