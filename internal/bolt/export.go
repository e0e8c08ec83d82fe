package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// ExportAll returns every comment (in ID order, every status, email and IP
// included), every ban and the whole audit log (oldest first), read in one
// transaction, for comments.WriteExport. An export is the site's own
// backup: keep it private.
func (db *DB) ExportAll(ctx context.Context) (comments.Export, error) {
	e := comments.Export{Version: comments.ExportVersion, Exported: time.Now().UTC().Round(0)}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		err := b.comments.ForEach(func(k, v []byte) error {
			var c comments.Comment
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decoding comment %x: %w", k, err)
			}
			e.Comments = append(e.Comments, c)
			return nil
		})
		if err != nil {
			return err
		}
		if e.Bans, err = readBans(b); err != nil {
			return err
		}
		return b.actions.ForEach(func(k, v []byte) error {
			var a comments.Action
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decoding audit log entry %x: %w", k, err)
			}
			e.Actions = append(e.Actions, a)
			return nil
		})
	})
	if err != nil {
		return comments.Export{}, fmt.Errorf("exporting comments: %w", err)
	}
	return e, nil
}
