package bolt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"milepost/internal/clientaddr"
	"milepost/internal/comments"
)

// idKey encodes an ID big-endian, so that bbolt's byte order is ID order.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

func keyID(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, fmt.Errorf("comment key %x is not 8 bytes", k)
	}
	return binary.BigEndian.Uint64(k), nil
}

// postPrefix is the start of every index key of a post. The 0x00 separator
// keeps "run" from matching the keys of "run-club", and cannot occur in a
// slug (checkPost refuses it).
func postPrefix(post string) []byte {
	k := make([]byte, 0, len(post)+9)
	k = append(k, post...)
	return append(k, 0)
}

func indexKey(post string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(postPrefix(post), id)
}

// splitIndexKey is the inverse of indexKey.
func splitIndexKey(k []byte) (string, uint64, error) {
	if len(k) < 9 || k[len(k)-9] != 0 {
		return "", 0, fmt.Errorf("index key %x is not slug, 0x00, 8-byte ID", k)
	}
	return string(k[:len(k)-9]), binary.BigEndian.Uint64(k[len(k)-8:]), nil
}

// threadKey is a thread's key in the threads index: its post's prefix and
// the Thread, so that a post's threads are together, in Thread order.
func threadKey(post string, thread uint64) []byte {
	return binary.BigEndian.AppendUint64(postPrefix(post), thread)
}

// threadCommentKey is an approved comment's key in thread_comments.
func threadCommentKey(post string, thread, id uint64) []byte {
	return binary.BigEndian.AppendUint64(threadKey(post, thread), id)
}

// splitThreadKey returns the Thread at the end of a threads key, or of a
// thread_comments key's prefix, checking the post.
func splitThreadKey(k []byte, post string) (uint64, error) {
	n := len(post) + 1
	if len(k) < n+8 || string(k[:n-1]) != post || k[n-1] != 0 {
		return 0, fmt.Errorf("thread key %x is not %q, 0x00, 8-byte thread", k, post)
	}
	return binary.BigEndian.Uint64(k[n : n+8]), nil
}

// heldByKey is a held comment's key in held_by: its writer's commenter id
// (printable ASCII, so without 0x00), its post and its ID.
func heldByKey(commenter, post string, id uint64) []byte {
	return indexKey(commenter+"\x00"+post, id)
}

// heldByPrefix is the start of the held_by keys of one writer on one post.
func heldByPrefix(commenter, post string) []byte { return postPrefix(commenter + "\x00" + post) }

// postTimeKey is an approved comment's key in post_approved: the post's
// prefix, then its creation time and ID.
func postTimeKey(post string, t time.Time, id uint64) []byte {
	return append(postPrefix(post), timeIDKey(t, id)...)
}

func countValue(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

func readCount(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("count %x is not 8 bytes", v)
	}
	return binary.BigEndian.Uint64(v), nil
}

// errBadPost is returned for a comment whose post slug cannot be a key.
var errBadPost = errors.New("comment has no post slug, or one containing NUL")

func checkPost(post string) error {
	if post == "" || strings.IndexByte(post, 0) >= 0 {
		return fmt.Errorf("%w: %q", errBadPost, post)
	}
	return nil
}

// timeKey encodes t so that byte order is time order, before 1970 too: 8
// bytes of Unix seconds with the sign bit flipped, then 4 of nanoseconds.
func timeKey(t time.Time) []byte {
	k := make([]byte, 0, timeKeyLen+8)
	k = binary.BigEndian.AppendUint64(k, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(k, uint32(t.Nanosecond()))
}

const timeKeyLen = 12

func keyTime(k []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:12]))).UTC()
}

// timeIDKey is the key of the held and recent indexes: creation time, then
// ID, so that comments made in the same instant stay apart and in order.
func timeIDKey(t time.Time, id uint64) []byte {
	return binary.BigEndian.AppendUint64(timeKey(t), id)
}

// splitTimeIDKey is the inverse of timeIDKey.
func splitTimeIDKey(k []byte) (time.Time, uint64, error) {
	if len(k) != timeKeyLen+8 {
		return time.Time{}, 0, fmt.Errorf("key %x is not a 12-byte time and an 8-byte ID", k)
	}
	return keyTime(k), binary.BigEndian.Uint64(k[timeKeyLen:]), nil
}

// dupPrefixLen is how much of a SHA-256 of address group and body the
// duplicates index keeps: 128 bits make a collision between two readers'
// comments practically impossible.
const dupPrefixLen = 16

// dupPrefix is the start of the duplicates index keys of every comment with
// this body from the address group of ip (clientaddr.Key: an IPv6 /64 is
// one writer, so rotating addresses inside it is no way round the rule).
func dupPrefix(ip, body string) []byte {
	h := sha256.New()
	h.Write([]byte(clientaddr.Key(ip)))
	h.Write([]byte{0})
	h.Write([]byte(body))
	return h.Sum(nil)[:dupPrefixLen]
}

// dupKey is a comment's duplicates index key: the hash of its address group
// and body, then its creation time and ID, so that the newest with one hash is
// the last key with that prefix.
func dupKey(c *comments.Comment) []byte {
	return append(dupPrefix(c.IP, c.Body), timeIDKey(c.Created, c.ID)...)
}

// splitDupKey returns the ID at the end of a duplicates index key.
func splitDupKey(k []byte) (uint64, error) {
	if len(k) != dupPrefixLen+timeKeyLen+8 {
		return 0, fmt.Errorf("key %x is not a 16-byte hash, a 12-byte time and an 8-byte ID", k)
	}
	return binary.BigEndian.Uint64(k[len(k)-8:]), nil
}

// Keys of the known-commenters index: 'e' and the SHA-256 of the email in
// lower case (the index need not spell addresses out), or 'c' and the
// commenter id.
func knownEmailKey(email string) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return append([]byte{'e'}, sum[:]...)
}

func knownIDKey(id string) []byte { return append([]byte{'c'}, id...) }

// describeKnownKey names a known-commenters key in Check's report.
func describeKnownKey(k []byte) string {
	switch {
	case len(k) == 1+sha256.Size && k[0] == 'e':
		return fmt.Sprintf("email hash %x…", k[1:7])
	case len(k) > 1 && k[0] == 'c':
		return fmt.Sprintf("commenter id %q", k[1:])
	}
	return fmt.Sprintf("malformed key %x", k)
}

// banKey is a ban's key: its kind, 0x00, its normalised value.
func banKey(kind comments.BanKind, value string) []byte {
	k := make([]byte, 0, len(kind)+1+len(value))
	k = append(k, kind...)
	k = append(k, 0)
	return append(k, value...)
}

// checkSource refuses a source key that is too long to be one.
func checkSource(s string) error {
	if len(s) > comments.MaxSourceChars {
		return fmt.Errorf("source %.40q… is longer than %d bytes", s, comments.MaxSourceChars)
	}
	return nil
}
