package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"milepost/internal/atomicfile"
)

// renderVersion is part of every cache key: change it when render's output
// changes (filter, quality, format), and variants are built anew instead of
// old ones being served. The old files are no longer used, and Prune
// removes them in time.
const renderVersion = "1"

// Cache keeps the variants of photos in a directory: each is built once,
// the first time it is asked for, then read from disk. A variant's file
// name is made from the SHA-256 of the photo's bytes, its width and its
// format, so a changed photo gets new variants, two copies of a photo share
// theirs, and the names say nothing of where a photo came from.
//
// A Cache is safe for concurrent use: requests for a variant being built
// wait for that one build.
type Cache struct {
	dir     string
	flights singleflight.Group
	renders *Renderer
	built   atomic.Int64
	reused  atomic.Int64

	// pruning is held by Prune while it looks at a file and removes it,
	// and shared by a variant being found and marked used: a variant
	// returned was marked within MarkUsedAfter, far inside what Prune
	// keeps, so a file is never pruned under a request about to open it.
	pruning sync.RWMutex

	mu sync.Mutex
	// versions maps the versions callers name photos by to what reading
	// them found.
	versions map[string]probed
}

// NewCache returns a Cache keeping its files in dir, which it creates if
// missing, and building variants with renders: they take their turns with
// every other render of the server's one Renderer.
func NewCache(dir string, renders *Renderer) (*Cache, error) {
	if dir == "" || renders == nil {
		return nil, errors.New("media: the cache needs a directory and a Renderer")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the photo cache %s: %w", dir, err)
	}
	return &Cache{dir: dir, renders: renders}, nil
}

// Variant is a built variant of a photo, in the cache's directory.
type Variant struct {
	// Path is the variant's file. Cache files are only ever replaced
	// whole, so an open one stays complete.
	Path      string
	MediaType string
	Width     int
	Height    int
	// Key names the variant's bytes: it changes whenever they do (an
	// ETag).
	Key string
}

// Stats counts what a Cache has done since it was made.
type Stats struct {
	// Built is how many variants were rendered.
	Built int64
	// Reused is how many requests were answered with a variant already on
	// disk.
	Reused int64
}

// Stats says how many variants the Cache has built and reused.
func (c *Cache) Stats() Stats {
	return Stats{Built: c.built.Load(), Reused: c.reused.Load()}
}

// Variant returns the variant of the photo read from src that answers a
// request for width w — 0 for the photo's full width, else one of Widths
// (see Info.Fit) — building it if the cache has none. A photo media refuses
// is an error matching ErrRefused; so is a width no variant is made at.
//
// version, when not "", names the photo file as it is now (its path, size
// and modification time, say): while it stays the same the photo is taken
// to be unchanged, and a variant already built is returned without reading
// src at all — a photo is up to 25 MB, and a page of them is asked for
// again and again.
func (c *Cache) Variant(ctx context.Context, src io.Reader, version string, w int) (Variant, error) {
	if version != "" {
		if known, ok := c.known(version); ok {
			if known.refused != nil {
				return Variant{}, known.refused
			}
			v, err := c.variant(known, w)
			if err != nil {
				return Variant{}, err
			}
			if c.reuse(v.Path) == nil {
				c.reused.Add(1)
				return v, nil
			}
			// Deleted from the cache directory: read and built again.
		}
	}
	photo, data, err := c.read(src, version)
	if err != nil {
		return Variant{}, err
	}
	v, err := c.variant(photo, w)
	if err != nil {
		return Variant{}, err
	}
	if err := c.reuse(v.Path); err == nil {
		c.reused.Add(1)
		return v, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Variant{}, fmt.Errorf("looking for the photo variant %s: %w", v.Path, err)
	}
	// One build per variant: the others asking wait for it. The build
	// owns data, so it finishes even when the request that started it
	// goes away, and the variant is there for the next.
	build := context.WithoutCancel(ctx)
	done := c.flights.DoChan(v.Path, func() (any, error) {
		if _, err := os.Stat(v.Path); err == nil {
			return nil, nil // built by a flight that just ended
		}
		if err := atomicfile.Write(v.Path, 0o640, func(f io.Writer) error {
			return c.renders.Render(build, f, data, photo.info, v.Width)
		}); err != nil {
			return nil, fmt.Errorf("building the %d px variant of a photo: %w", v.Width, err)
		}
		c.built.Add(1)
		return nil, nil
	})
	select {
	case res := <-done:
		if res.Err != nil {
			return Variant{}, res.Err
		}
		return v, nil
	case <-ctx.Done():
		return Variant{}, fmt.Errorf("waiting for a photo variant: %w", ctx.Err())
	}
}

// MarkUsedAfter is how old a variant's file may be before a request for it
// marks it used again (its time set to now): once a day at most, rather
// than a write for every photo served.
const MarkUsedAfter = 24 * time.Hour

// reuse finds the variant file at path and marks it used when its mark is
// older than MarkUsedAfter.
func (c *Cache) reuse(path string) error {
	c.pruning.RLock()
	defer c.pruning.RUnlock()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if now := time.Now(); now.Sub(fi.ModTime()) > MarkUsedAfter {
		// Failing to mark it only lets Prune take it, to be built again.
		_ = os.Chtimes(path, now, now)
	}
	return nil
}

// DefaultUnusedFor is how long a variant nobody asked for is kept: the
// variants of a photo changed or removed are never asked for again, and a
// photo on an old post nobody reads is built again if someone does.
const DefaultUnusedFor = 90 * 24 * time.Hour

// leftoverAfter is how old a temporary file must be to be a build that
// never finished (a crash): a render takes seconds.
const leftoverAfter = time.Hour

// Prune removes the variants not used for unusedFor (DefaultUnusedFor when
// 0) and the half-written files of builds a crash ended, and says how many
// files it removed and how many bytes they held.
func (c *Cache) Prune(ctx context.Context, unusedFor time.Duration) (files int, bytes int64, err error) {
	if unusedFor <= 0 {
		unusedFor = DefaultUnusedFor
	}
	err = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() {
			return nil
		}
		keep := unusedFor
		if strings.HasSuffix(d.Name(), ".tmp") {
			keep = leftoverAfter
		}
		n, err := c.pruneFile(path, keep)
		if err != nil {
			return err
		}
		if n >= 0 {
			files++
			bytes += n
		}
		return nil
	})
	if err != nil {
		return files, bytes, fmt.Errorf("pruning the photo cache %s: %w", c.dir, err)
	}
	return files, bytes, nil
}

// pruneFile removes the file at path if it was last used longer than keep
// ago, and returns its size; -1 when it is kept.
func (c *Cache) pruneFile(path string, keep time.Duration) (int64, error) {
	c.pruning.Lock()
	defer c.pruning.Unlock()
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	if time.Since(fi.ModTime()) <= keep {
		return -1, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return -1, err
	}
	return fi.Size(), nil
}

// read reads and probes the photo in src. Readers of one version share one
// read: a post just published is asked for by many readers at once, and
// each read holds up to MaxBytes.
func (c *Cache) read(src io.Reader, version string) (probed, []byte, error) {
	if version == "" {
		return readPhoto(src)
	}
	type result struct {
		photo probed
		data  []byte
	}
	res, err, _ := c.flights.Do("read "+version, func() (any, error) {
		photo, data, err := readPhoto(src)
		if errors.Is(err, ErrRefused) {
			c.remember(version, probed{refused: err})
		} else if err == nil {
			c.remember(version, photo)
		}
		return result{photo, data}, err
	})
	if err != nil {
		return probed{}, nil, err
	}
	r := res.(result)
	return r.photo, r.data, nil
}

// readPhoto reads a whole photo, at most MaxBytes, and probes it.
func readPhoto(src io.Reader) (probed, []byte, error) {
	data, err := io.ReadAll(io.LimitReader(src, MaxBytes+1))
	if err != nil {
		return probed{}, nil, fmt.Errorf("reading a photo: %w", err)
	}
	info, err := Probe(bytes.NewReader(data))
	if err != nil {
		return probed{}, nil, err
	}
	sum := sha256.Sum256(data)
	return probed{hash: hex.EncodeToString(sum[:16]), info: info}, data, nil
}

// probed is what the cache knows of a photo once read: the start of the
// SHA-256 of its bytes, in hex, and its header; or why it was refused.
type probed struct {
	hash    string
	info    Info
	refused error
}

// variant is the variant of a probed photo that answers a request for
// width w (see Variant).
func (c *Cache) variant(photo probed, w int) (Variant, error) {
	width := photo.info.FullWidth()
	if w != 0 {
		var ok bool
		if width, ok = photo.info.Fit(w); !ok {
			return Variant{}, &WidthError{Width: w}
		}
	}
	out := photo.info.Output()
	key := photo.hash + "-" + strconv.Itoa(width) + "w-v" + renderVersion
	return Variant{
		Path:      filepath.Join(c.dir, key[:2], key+out.Ext()),
		MediaType: out.MediaType(),
		Width:     width,
		Height:    photo.info.HeightAt(width),
		Key:       key,
	}, nil
}

// maxVersions bounds how many photo versions a Cache remembers: a few
// hundred bytes each. Past it, one is forgotten for each one learnt; a
// forgotten photo is only read again.
const maxVersions = 10_000

func (c *Cache) known(version string) (probed, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.versions[version]
	return p, ok
}

func (c *Cache) remember(version string, p probed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.versions == nil {
		c.versions = make(map[string]probed)
	}
	if _, ok := c.versions[version]; !ok && len(c.versions) >= maxVersions {
		for v := range c.versions { // any one: map order is random
			delete(c.versions, v)
			break
		}
	}
	c.versions[version] = p
}

// WidthError refuses a request for a width no variant is made at.
type WidthError struct {
	Width int
}

func (e *WidthError) Error() string {
	return fmt.Sprintf("photos are served %v pixels wide, not %d", standardWidths, e.Width)
}
func (e *WidthError) Is(target error) bool { return target == ErrRefused }
