package build

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"milepost/internal/atomicfile"
)

// How a build after an earlier one skips pages without rendering them.
//
// The handler's render cache computes, for every page it would keep, a key
// naming everything the page shows (web.WithKeyProbe): its path, the posts
// it shows and their versions, the site's settings and authors, how many
// posts a list has. Those keys mean the same from one process to the next
// (a post's version is its files' identity, content.Post.Version); Inputs
// adds what a key does not name: the comments of the posts a page links
// to, and what every page depends on (the program, the theme, the build's
// options). Their digest is a page's state. The build keeps, in the output
// directory, each address's state, the files saved for it and the
// addresses it links to. A page whose state is what the last build
// recorded is not rendered: its files are left as they are and its links
// followed from the record, so that the crawl goes on as if it had been.
// A page without a key (a photo, a redirect, an error) is always asked for.
//
// The record is removed when a build starts and written when it ends: a
// build that stopped half way leaves none, and the next compares every
// page with its file, as a first build does.

// Inputs are what makes the render cache's keys a page's state across
// builds; without them (nil) every page is rendered.
type Inputs struct {
	// Global is a digest of what every page depends on that its key does
	// not name: the program, the theme, the build's options.
	Global []byte
	// Comments is a digest, by post slug, of what readers see of its
	// comments; posts without comments may be absent.
	Comments map[string][]byte
}

// stateFile is the record of the last build, beside the marker.
const stateFile = ".milepost-build-state"

// stateFormat changes whenever what a state digests changes, so that a
// record of another format is ignored.
const stateFormat = 1

// savedPage is what a build recorded of one address.
type savedPage struct {
	URI string
	// State is the digest of the page's key and inputs; empty for a page
	// that is always asked for.
	State []byte
	// File is the output file holding it ("" for none: a broken link, a
	// redirect the static server makes); Copies are its compressed
	// copies, as extensions (".gz", ".br").
	File   string
	Copies []string
	// Links are the addresses of the site the page links to, as indexes
	// into the record's pages.
	Links []int32
}

// record is the state file's content.
type record struct {
	Format int
	Pages  []savedPage
}

// pageRecord is one address's entry while a build runs: links as
// addresses, turned into indexes when the record is written.
type pageRecord struct {
	state  []byte
	file   string
	copies []string
	links  []string
}

// states holds the last build's record and makes this one's.
type states struct {
	inputs *Inputs
	prev   map[string]*pageRecord // nil without a usable record

	mu  sync.Mutex
	cur map[string]*pageRecord
}

// loadStates reads the last build's record from dir, and removes it: it
// no longer says what the directory holds once this build writes to it.
func loadStates(dir string, inputs *Inputs) (*states, error) {
	st := &states{inputs: inputs, cur: map[string]*pageRecord{}}
	path := filepath.Join(dir, stateFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the last build's record: %w", err)
	}
	var rec record
	decodeErr := gob.NewDecoder(bufio.NewReader(f)).Decode(&rec)
	f.Close()
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("removing the last build's record: %w", err)
	}
	// Durably: a record that came back after a crash would speak for
	// files this build may have replaced.
	if err := atomicfile.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("removing the last build's record: %w", err)
	}
	if decodeErr != nil || rec.Format != stateFormat || inputs == nil {
		return st, nil // as if there were none: every page is compared
	}
	st.prev = make(map[string]*pageRecord, len(rec.Pages))
	for _, p := range rec.Pages {
		pr := &pageRecord{state: p.State, file: p.File, copies: p.Copies, links: make([]string, 0, len(p.Links))}
		for _, i := range p.Links {
			if int(i) < len(rec.Pages) {
				pr.links = append(pr.links, rec.Pages[i].URI)
			}
		}
		st.prev[p.URI] = pr
	}
	return st, nil
}

// previous is what the last build recorded of uri, or nil.
func (st *states) previous(uri string) *pageRecord { return st.prev[uri] }

// hadRecord reports whether the last build left a record this one uses.
func (st *states) hadRecord() bool { return st.prev != nil }

// stateOf is the digest of a page's key with the inputs it depends on: the
// global ones and the comments of the posts it links to (each address's
// post, for links that are posts' addresses), under the site's path
// prefix. Nil without inputs.
func (st *states) stateOf(key []byte, self string, links []string, prefix string) []byte {
	if st.inputs == nil {
		return nil
	}
	h := sha256.New()
	h.Write(st.inputs.Global)
	h.Write([]byte{0})
	h.Write(key)
	var slugs []string
	for _, l := range append(links, self) {
		if slug := postOf(l, prefix); slug != "" {
			slugs = append(slugs, slug)
		}
	}
	slices.Sort(slugs)
	for _, slug := range slices.Compact(slugs) {
		h.Write([]byte{0})
		h.Write([]byte(slug))
		h.Write([]byte{0})
		h.Write(st.inputs.Comments[slug])
	}
	return h.Sum(nil)[:16]
}

// postOf is the slug of the post whose address (or an address below it:
// a page of its comments, its comment feed, a photo) uri is, or "".
func postOf(uri, prefix string) string {
	rest, ok := strings.CutPrefix(uri, prefix+"/posts/")
	if !ok {
		return ""
	}
	slug, _, _ := strings.Cut(rest, "/")
	slug, _, _ = strings.Cut(slug, "?")
	if s, err := url.PathUnescape(slug); err == nil {
		return s
	}
	return slug
}

// keep records what this build did with uri.
func (st *states) keep(uri string, pr *pageRecord) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.cur[uri] = pr
}

// write writes this build's record into dir.
func (st *states) write(dir string) error {
	if st.inputs == nil {
		return nil
	}
	uris := make([]string, 0, len(st.cur))
	for uri := range st.cur {
		uris = append(uris, uri)
	}
	slices.Sort(uris)
	index := make(map[string]int32, len(uris))
	for i, uri := range uris {
		index[uri] = int32(i)
	}
	rec := record{Format: stateFormat, Pages: make([]savedPage, len(uris))}
	for i, uri := range uris {
		pr := st.cur[uri]
		sp := savedPage{URI: uri, State: pr.state, File: pr.file, Copies: pr.copies, Links: make([]int32, 0, len(pr.links))}
		for _, l := range pr.links {
			if j, ok := index[l]; ok {
				sp.Links = append(sp.Links, j)
			}
		}
		rec.Pages[i] = sp
	}
	// Not synced: a record lost in a crash only makes the next build
	// compare every page, as a first build does.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(rec); err != nil {
		return fmt.Errorf("writing the build's record: %w", err)
	}
	if err := atomicfile.Replace(filepath.Join(dir, stateFile), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the build's record: %w", err)
	}
	return nil
}
