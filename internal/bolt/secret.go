package bolt

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// secretLen is the size of the keys Secret makes: 256 bits, as HMAC-SHA256
// wants.
const secretLen = 32

// Secret returns the 32-byte random key stored under name, making and
// storing it on first use, so that it is the same after a restart: for the
// web layer's HMAC signing of cookies. Two callers racing on a new name get
// the same key. Keep the returned slice private; it is a copy.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("reading secret: no name")
	}
	var key []byte
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		key = bytes.Clone(bucketsOf(tx).secrets.Get([]byte(name)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading secret %q: %w", name, err)
	}
	if key != nil {
		return key, nil
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if v := b.secrets.Get([]byte(name)); v != nil {
			key = bytes.Clone(v) // made meanwhile by another caller
			return nil
		}
		key = make([]byte, secretLen)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		return b.secrets.Put([]byte(name), key)
	})
	if err != nil {
		return nil, fmt.Errorf("making secret %q: %w", name, err)
	}
	return key, nil
}
