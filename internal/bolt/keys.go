package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
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
