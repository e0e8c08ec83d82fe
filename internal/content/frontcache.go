package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"milepost/internal/atomicfile"
)

// The front matter cache keeps, in a file between runs, what parsing each
// YAML front matter gave, by the exact text of that front matter. YAML is
// over half of what loading a post costs (some 25 µs for four keys, the
// rest being a file read): a build after one edit, or a server starting
// over an unchanged site, parses only the front matter it has not seen.
//
// A hit is exact: the key is the whole text between the delimiters, and
// what parseYAML makes of it depends on nothing else. The file is the
// program's own: it names the program file it was written by, and a
// different program (a new release, a rebuilt binary) ignores it, so a
// change to how front matter is read never meets an old cache. The file
// is replaced whole, unsynced: lost or damaged (its checksum does not
// match), it is only empty, and every front matter is parsed.
//
// Only successful parses are kept, of values the encoding below knows
// (text, numbers, booleans, times, lists and maps of them): anything else
// is parsed every time.

// frontCacheMagic starts the file; the 1 is the encoding's version.
const frontCacheMagic = "milepost front matter cache 1\n"

// frontCache is the cache during one full load.
type frontCache struct {
	path    string
	program []byte // identity of the program, checked against the file's

	prev map[string][]byte // front matter text → encoded fields, as read

	mu     sync.Mutex
	used   map[string][]byte // the entries this load used or added
	misses int               // entries added
}

// openFrontCache reads the cache at path; "" is a load without one. A
// missing, damaged or foreign file is an empty cache.
func openFrontCache(path string) *frontCache {
	if path == "" {
		return nil
	}
	c := &frontCache{path: path, program: programIdentity(), used: map[string][]byte{}}
	data, err := os.ReadFile(path)
	if err == nil {
		c.prev, _ = decodeFrontCache(data, c.program)
	}
	return c
}

// programIdentity names the running program's file: its path, size and
// modification time. Nil when it cannot be found: then no cache is used.
func programIdentity() []byte {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	info, err := os.Stat(exe)
	if err != nil {
		return nil
	}
	return fmt.Appendf(nil, "%s\x00%d\x00%d", exe, info.Size(), info.ModTime().UnixNano())
}

// parse is parseYAML through the cache.
func (c *frontCache) parse(doc document) ([]field, *lineError) {
	if c == nil || c.program == nil {
		return parseYAML(doc)
	}
	if blob, ok := c.prev[string(doc.front)]; ok {
		if fields, ok := decodeFields(blob); ok {
			c.keep(string(doc.front), blob, false)
			return fields, nil
		}
	}
	fields, lerr := parseYAML(doc)
	if lerr == nil {
		if blob, ok := appendFields(nil, fields); ok {
			c.keep(string(doc.front), blob, true)
		}
	}
	return fields, lerr
}

func (c *frontCache) keep(front string, blob []byte, added bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.used[front]; ok {
		return
	}
	c.used[front] = blob
	if added {
		c.misses++
	}
}

// save writes the entries this load used, unless they are what the file
// holds already: entries for front matter no longer in any file are
// dropped.
func (c *frontCache) save() error {
	if c == nil || c.program == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.misses == 0 && len(c.used) == len(c.prev) {
		return nil
	}
	if err := atomicfile.Replace(c.path, encodeFrontCache(c.used, c.program), 0o600); err != nil {
		return fmt.Errorf("saving the front matter cache: %w", err)
	}
	return nil
}

// The file: the magic line, the SHA-256 of the rest, then the program's
// identity and each entry, every piece a uvarint length and its bytes.

func encodeFrontCache(entries map[string][]byte, program []byte) []byte {
	size := len(frontCacheMagic) + sha256.Size + 2*binary.MaxVarintLen64 + len(program)
	for front, blob := range entries {
		size += 2*binary.MaxVarintLen64 + len(front) + len(blob)
	}
	out := make([]byte, len(frontCacheMagic)+sha256.Size, size)
	copy(out, frontCacheMagic)
	body := len(out)
	out = appendBytes(out, program)
	out = binary.AppendUvarint(out, uint64(len(entries)))
	for front, blob := range entries {
		out = appendBytes(out, []byte(front))
		out = appendBytes(out, blob)
	}
	sum := sha256.Sum256(out[body:])
	copy(out[len(frontCacheMagic):], sum[:])
	return out
}

var errBadFrontCache = errors.New("not a front matter cache of this program")

func decodeFrontCache(data, program []byte) (map[string][]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(frontCacheMagic))
	if !ok || len(rest) < sha256.Size {
		return nil, errBadFrontCache
	}
	sum, body := rest[:sha256.Size], rest[sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errBadFrontCache
	}
	d := decoder{b: body}
	if !bytes.Equal(d.bytes(), program) {
		return nil, errBadFrontCache
	}
	n := d.uvarint()
	entries := make(map[string][]byte, min(n, uint64(len(body))))
	for range n {
		front, blob := d.bytes(), d.bytes()
		if d.bad {
			return nil, errBadFrontCache
		}
		entries[string(front)] = blob
	}
	if d.bad || len(d.b) > 0 {
		return nil, errBadFrontCache
	}
	return entries, nil
}

// The fields: for each, its key, line, value, text, and flags, its items
// and its fields. A value is a kind byte and what that kind needs.

const (
	kindNil byte = iota
	kindString
	kindFalse
	kindTrue
	kindInt
	kindFloat
	kindTimeUTC
	kindTimeFixed // a zone given as an offset, with the zone's name
	kindList
	kindMap
)

// appendFields encodes fields; false when a value is of a kind the
// encoding does not know.
func appendFields(b []byte, fields []field) ([]byte, bool) {
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for _, f := range fields {
		var ok bool
		b = appendBytes(b, []byte(f.key))
		b = binary.AppendVarint(b, int64(f.line))
		if b, ok = appendValue(b, f.value); !ok {
			return nil, false
		}
		b = appendBytes(b, []byte(f.text))
		b = append(b, flags(f.scalar, f.list))
		b = binary.AppendUvarint(b, uint64(len(f.items)))
		for _, it := range f.items {
			b = appendBytes(b, []byte(it))
		}
		if b, ok = appendFields(b, f.fields); !ok {
			return nil, false
		}
	}
	return b, true
}

func flags(scalar, list bool) byte {
	var f byte
	if scalar {
		f |= 1
	}
	if list {
		f |= 2
	}
	return f
}

func appendValue(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, kindNil), true
	case string:
		return appendBytes(append(b, kindString), []byte(v)), true
	case bool:
		if v {
			return append(b, kindTrue), true
		}
		return append(b, kindFalse), true
	case int:
		return binary.AppendVarint(append(b, kindInt), int64(v)), true
	case float64:
		return binary.BigEndian.AppendUint64(append(b, kindFloat), math.Float64bits(v)), true
	case time.Time:
		switch loc := v.Location(); {
		case loc == time.UTC:
			b = append(b, kindTimeUTC)
		case loc == time.Local:
			return nil, false // it would come back in another Local
		default:
			name, offset := v.Zone()
			b = appendBytes(append(b, kindTimeFixed), []byte(name))
			b = binary.AppendVarint(b, int64(offset))
		}
		b = binary.AppendVarint(b, v.Unix())
		return binary.AppendVarint(b, int64(v.Nanosecond())), true
	case []any:
		b = binary.AppendUvarint(append(b, kindList), uint64(len(v)))
		for _, it := range v {
			var ok bool
			if b, ok = appendValue(b, it); !ok {
				return nil, false
			}
		}
		return b, true
	case map[string]any:
		b = binary.AppendUvarint(append(b, kindMap), uint64(len(v)))
		for k, it := range v {
			var ok bool
			b = appendBytes(b, []byte(k))
			if b, ok = appendValue(b, it); !ok {
				return nil, false
			}
		}
		return b, true
	}
	return nil, false
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeFields decodes what appendFields encoded; false when blob is not
// that.
func decodeFields(blob []byte) ([]field, bool) {
	d := decoder{b: blob}
	fields := d.fields()
	return fields, !d.bad && len(d.b) == 0
}

// decoder reads the encoding; once a read fails, bad is set and every
// later read gives zero values.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) fields() []field {
	n := d.count()
	if n == 0 {
		return nil
	}
	fields := make([]field, n)
	for i := range fields {
		f := &fields[i]
		f.key = string(d.bytes())
		f.line = int(d.varint())
		f.value = d.value()
		f.text = string(d.bytes())
		fl := d.byte()
		f.scalar, f.list = fl&1 != 0, fl&2 != 0
		if n := d.count(); n > 0 {
			f.items = make([]string, n)
			for j := range f.items {
				f.items[j] = string(d.bytes())
			}
		}
		f.fields = d.fields()
	}
	return fields
}

func (d *decoder) value() any {
	switch d.byte() {
	case kindNil:
		return nil
	case kindString:
		return string(d.bytes())
	case kindFalse:
		return false
	case kindTrue:
		return true
	case kindInt:
		return int(d.varint())
	case kindFloat:
		if len(d.b) < 8 {
			d.bad = true
			return nil
		}
		v := math.Float64frombits(binary.BigEndian.Uint64(d.b))
		d.b = d.b[8:]
		return v
	case kindTimeUTC:
		sec, nsec := d.varint(), d.varint()
		return time.Unix(sec, nsec).UTC()
	case kindTimeFixed:
		name, offset := string(d.bytes()), d.varint()
		sec, nsec := d.varint(), d.varint()
		return time.Unix(sec, nsec).In(time.FixedZone(name, int(offset)))
	case kindList:
		list := make([]any, d.count())
		for i := range list {
			list[i] = d.value()
		}
		return list
	case kindMap:
		n := d.count()
		m := make(map[string]any, n)
		for range n {
			k := string(d.bytes())
			m[k] = d.value()
		}
		return m
	}
	d.bad = true
	return nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count is a number of items, each of at least one byte: never more than
// the bytes left, so that damaged data cannot ask for a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}
