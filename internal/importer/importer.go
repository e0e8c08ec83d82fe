// Package importer reads comments exported from elsewhere — Milepost's own
// JSON export, a WordPress WXR file, a Disqus XML export — into one neutral
// shape, Item, and works out which of a site's posts each one belongs on
// (Place). It does not store anything: the caller turns placed items into
// comments, and uses Item.Source to make running the same import twice
// harmless.
//
// Everything is bounded: an input larger than MaxInputBytes, or one comment
// larger than MaxContentBytes, is refused rather than read, and no step does
// more than a sort's worth of work per item.
package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"milepost/internal/comments"
)

// Format is the kind of file Parse found.
type Format string

const (
	FormatMilepost Format = "milepost" // Milepost's own JSON export (comments.WriteExport)
	FormatWXR      Format = "wxr"      // a WordPress export (Tools → Export)
	FormatDisqus   Format = "disqus"   // a Disqus XML export
)

// Statuses an Item can have; they are the names of comments.Status.
const (
	StatusApproved = "approved"
	StatusPending  = "pending"
	StatusSpam     = "spam"
)

// Limits on what Parse reads.
const (
	// MaxInputBytes is the largest file Parse accepts. A large WordPress
	// site's export with every post's text is tens of MiB.
	MaxInputBytes = 256 << 20
	// MaxContentBytes is the largest single comment (its HTML as exported).
	// WordPress stores at most 64 KiB per comment and Disqus less, so a
	// larger one is a damaged or hostile file.
	MaxContentBytes = 256 << 10
)

// ErrTooLarge is returned (wrapped) for an input over MaxInputBytes: a
// file is refused before it is read, a stream once it has gone past it.
var ErrTooLarge = fmt.Errorf("the input is larger than the %d MiB an import may have", MaxInputBytes>>20)

// Item is one imported comment, whatever it came from.
type Item struct {
	// Source is a stable key for the comment in the system it came from:
	// "wxr:<comment_id>", "disqus:<post dsq:id>" or "milepost:<id>". Importing
	// the same file again yields the same keys.
	Source string
	// ParentSource is the Source of the comment this one answers, or "" for
	// a top-level comment. The parent need not be among the items (it may
	// have been deleted or skipped); Place deals with that.
	ParentSource string
	// PostRef says which post the comment was on, as the source knew it.
	PostRef PostRef
	Name    string
	Email   string
	Website string
	// Body is Markdown (or plain text, which is Markdown too). HTML from the
	// source is reduced to paragraphs, line breaks and [text](url) links.
	Body    string
	Created time.Time
	Status  string // StatusApproved, StatusPending or StatusSpam
	IP      string
}

// PostRef is what an export says about the post a comment is on. Any field
// may be empty.
type PostRef struct {
	Slug  string
	URL   string // the post's address on the old site
	Title string
}

// Parsed is a parsed input.
type Parsed struct {
	Format Format
	Items  []Item
	// Export is the whole of a Milepost export, for its bans and
	// moderation records (see LinkActions); nil for other formats.
	Export *comments.Export
}

// Parse reads a Milepost export, a WordPress WXR file or a Disqus export,
// telling them apart by their content, and returns its comments in file
// order. Comments the source marks as deleted or trashed, and pingbacks and
// trackbacks, are left out; spam is kept, with StatusSpam.
//
// On error the Format is the one detected ("" if none was), and the error
// says what was wrong and, for XML, on which line.
func Parse(r io.Reader) (Format, []Item, error) {
	p, err := ParseAll(r)
	return p.Format, p.Items, err
}

// ParseAll is Parse that also keeps a Milepost export whole. It reads at
// most MaxInputBytes, and fails with ErrTooLarge on a longer input.
func ParseAll(r io.Reader) (Parsed, error) {
	return parse(r, MaxInputBytes)
}

// ParseFile is ParseAll for a file, which it refuses before reading when
// it is larger than MaxInputBytes: parsing is what costs memory.
func ParseFile(path string) (Parsed, error) {
	f, err := os.Open(path)
	if err != nil {
		return Parsed{}, fmt.Errorf("importing comments: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Parsed{}, fmt.Errorf("importing comments: %w", err)
	}
	if err := checkSize(fi.Size(), MaxInputBytes); err != nil {
		return Parsed{}, err
	}
	return ParseAll(f)
}

// checkSize refuses an input of size bytes when it is over limit.
func checkSize(size, limit int64) error {
	if size > limit {
		return fmt.Errorf("importing comments: %w: it is %d MiB (split the export, or import the comments that matter)", ErrTooLarge, (size+(1<<20)-1)>>20)
	}
	return nil
}

// parse is ParseAll with the size limit as a parameter, so that tests can
// exercise it without a quarter-gigabyte input.
func parse(r io.Reader, limit int64) (Parsed, error) {
	br := bufio.NewReaderSize(&capReader{r: r, left: limit}, 64<<10)
	// Look at the first non-blank byte; Peek leaves it all to be read again,
	// so XML line numbers stay right.
	head, err := br.Peek(br.Size())
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Parsed{}, fmt.Errorf("importing comments: %w", err)
	}
	bom := 0
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		bom = 3
	}
	rest := bytes.TrimLeft(head[bom:], " \t\r\n")
	if len(rest) == 0 {
		if len(head) == br.Size() {
			return Parsed{}, fmt.Errorf("importing comments: the input starts with more than %d KiB of blank space", br.Size()>>10)
		}
		return Parsed{}, errors.New("importing comments: the input is empty")
	}
	if _, err := br.Discard(bom); err != nil {
		return Parsed{}, fmt.Errorf("importing comments: %w", err)
	}
	switch rest[0] {
	case '{':
		e, items, err := parseMilepost(br)
		if err != nil {
			return Parsed{Format: FormatMilepost}, err
		}
		return Parsed{Format: FormatMilepost, Items: items, Export: &e}, nil
	case '<':
		format, items, err := parseXML(br)
		return Parsed{Format: format, Items: items}, err
	case '[':
		return Parsed{}, errors.New("importing comments: the input is a JSON list, not a Milepost export (which is an object: {\"version\": 1, \"comments\": [...]})")
	}
	return Parsed{}, fmt.Errorf("importing comments: unrecognised format: the input starts with %s; want a Milepost export (JSON), a WordPress WXR file or a Disqus XML export",
		quoteStart(rest))
}

// quoteStart quotes the first few characters of b for an error message.
func quoteStart(b []byte) string {
	n := 0
	for i := 0; i < 16 && n < len(b); i++ {
		_, size := utf8.DecodeRune(b[n:])
		n += size
	}
	if n < len(b) {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b[:n])
}

// capReader reads at most left bytes from r, then fails with ErrTooLarge if
// r has more.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 {
		// Only an input with at least one more byte is too large.
		var one [1]byte
		for range 100 {
			n, err := c.r.Read(one[:])
			if n > 0 {
				return 0, ErrTooLarge
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
