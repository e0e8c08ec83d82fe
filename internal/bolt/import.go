package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// ImportResult is what ImportAll did: how many comments, bans and audit
// log entries it added, and how many of each it skipped because the
// database already had them.
type ImportResult struct {
	Added, Skipped               int // comments
	BansAdded, BansSkipped       int
	ActionsAdded, ActionsSkipped int
}

// Import adds comments from another system or another Milepost; it is
// ImportAll with comments only, and returns how many were added and how
// many skipped.
func (db *DB) Import(ctx context.Context, cs []comments.Comment) (added, skipped int, err error) {
	r, err := db.ImportAll(ctx, comments.Export{Comments: cs})
	return r.Added, r.Skipped, err
}

// ImportAll adds the comments, bans and audit log entries of e (its Version
// and Exported are ignored), all in one transaction: on any error nothing
// is added. It is idempotent, and adds nothing to the database an export
// came from.
//
// Comments: each comment's Source is a stable key ("wxr:123",
// "disqus:456"; a comment without one gets "milepost:<its ID>"), kept in
// the sources index, and a comment whose source is already stored is
// skipped. So is a "milepost:<n>" comment that is comment n here, on the
// same post, from the same instant, with the same body: an export imported
// back into the database it came from. The comments must make a valid
// batch (comments.ValidateBatch): every field within the rules of a comment
// written here, IDs the batch's own, unique and non-zero, and a Parent
// another comment of the batch, which may come after it. Imported comments get new
// IDs and their parents are remapped (to the stored comment when the parent
// was skipped). Depth is recomputed and HTML rendered again from Body: no
// HTML from elsewhere is trusted. An empty Status means approved. Policy
// does not apply: statuses are kept.
//
// Bans are keyed by kind and value (normalised as comments.NormalizeBan
// does; two bans of e on the same one are an error). A ban on a kind and
// value that already has one is skipped, whatever its reason or end, so a
// ban changed here since is left as it is. An expired ban is restored as it
// is: as history, not in force.
//
// Audit log entries are appended in the order given, under new IDs (their
// ID in e is ignored). An entry is skipped when the log already holds one
// with the same At, By, Kind, Target and Detail, each stored entry
// standing for one entry of e at most, so that two identical entries of e
// need two in the log. Comment, when not zero, is a batch ID: it becomes
// the ID that comment has here (added or skipped), and is cleared when no
// comment of the batch has it (a comment deleted before the export, or
// left out of the batch), so that it never points at another comment.
func (db *DB) ImportAll(ctx context.Context, e comments.Export) (ImportResult, error) {
	todo, batch, err := prepareComments(e.Comments)
	if err != nil {
		return ImportResult{}, fmt.Errorf("importing comments: %w", err)
	}
	bans, err := prepareBans(e.Bans)
	if err != nil {
		return ImportResult{}, fmt.Errorf("importing comments: %w", err)
	}
	actions, err := prepareActions(e.Actions)
	if err != nil {
		return ImportResult{}, fmt.Errorf("importing comments: %w", err)
	}
	var r ImportResult
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		r = ImportResult{}
		stored, err := importComments(b, todo, batch, &r)
		if err != nil {
			return err
		}
		if err := importBans(b, bans, &r); err != nil {
			return err
		}
		return importActions(b, actions, stored, &r)
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("importing comments: %w", err)
	}
	return r, nil
}

// prepareComments checks an import's comments (comments.ValidateBatch,
// after giving a comment without a Source its "milepost:<ID>" key) and
// returns a normalised copy, and the index of each batch ID.
func prepareComments(cs []comments.Comment) ([]comments.Comment, map[uint64]int, error) {
	todo := slices.Clone(cs)
	for i := range todo {
		if todo[i].Source == "" && todo[i].ID != 0 {
			todo[i].Source = comments.MilepostSource(todo[i].ID)
		}
	}
	if err := comments.ValidateBatch(todo, comments.BatchOptions{}); err != nil {
		return nil, nil, err
	}
	batch := make(map[uint64]int, len(todo))
	for i, c := range todo {
		if err := checkPost(c.Post); err != nil {
			return nil, nil, fmt.Errorf("comment %d (id %d): %w", i+1, c.ID, err)
		}
		batch[c.ID] = i
	}
	return todo, batch, nil
}

// importComments stores the comments of todo that are not stored already,
// parents first, and returns every one of them as stored, by batch ID.
func importComments(b buckets, todo []comments.Comment, batch map[uint64]int, r *ImportResult) (map[uint64]comments.Comment, error) {
	stored := make(map[uint64]comments.Comment, len(todo)) // batch ID → as stored
	for i := range todo {
		c := &todo[i]
		if existing, ok, err := alreadyImported(b, c); err != nil {
			return nil, err
		} else if ok {
			stored[c.ID] = existing
			r.Skipped++
		}
	}
	// place stores a comment after its parent (ValidateBatch has ruled out
	// loops).
	var place func(i int) (comments.Comment, error)
	place = func(i int) (comments.Comment, error) {
		c := todo[i]
		if s, ok := stored[c.ID]; ok {
			return s, nil
		}
		batchID := c.ID
		c.Depth = 0
		if c.Parent != 0 {
			p, err := place(batch[c.Parent])
			if err != nil {
				return comments.Comment{}, err
			}
			// A parent found already stored may differ from the batch's.
			if p.Post != c.Post {
				return comments.Comment{}, fmt.Errorf("comment %d (id %d): parent %d is on another post (%q)", i+1, batchID, c.Parent, p.Post)
			}
			depth, ok := comments.ReplyDepth(p.Depth)
			if !ok {
				return comments.Comment{}, fmt.Errorf("comment %d (id %d): its parent %d is stored %d levels deep, and replies nest at most %d",
					i+1, batchID, c.Parent, p.Depth, comments.MaxDepth)
			}
			c.Parent, c.Depth = p.ID, depth
		}
		id, err := b.comments.NextSequence()
		if err != nil {
			return comments.Comment{}, fmt.Errorf("allocating an ID: %w", err)
		}
		c.ID = id
		c.HTML = comments.Render(c.Body)
		if err := putComment(b, &c); err != nil {
			return comments.Comment{}, err
		}
		stored[batchID] = c
		r.Added++
		return c, nil
	}
	for i := range todo {
		if _, err := place(i); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// prepareBans checks an import's bans and returns a copy with their values
// normalised.
func prepareBans(bans []comments.Ban) ([]comments.Ban, error) {
	out := make([]comments.Ban, len(bans))
	seen := make(map[string]int, len(bans))
	for i, ban := range bans {
		v, err := comments.NormalizeBan(ban.Kind, ban.Value)
		if err != nil {
			return nil, fmt.Errorf("ban %d: %w", i+1, err)
		}
		ban.Value = v
		k := string(banKey(ban.Kind, v))
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("ban %d: ban %d is on the same %s %s", i+1, j+1, ban.Kind, v)
		}
		seen[k] = i
		out[i] = ban
	}
	return out, nil
}

// importBans stores each ban whose kind and value has none yet.
func importBans(b buckets, bans []comments.Ban, r *ImportResult) error {
	for _, ban := range bans {
		key := banKey(ban.Kind, ban.Value)
		if b.bans.Get(key) != nil {
			r.BansSkipped++
			continue
		}
		data, err := json.Marshal(ban)
		if err != nil {
			return fmt.Errorf("encoding the ban on %s %s: %w", ban.Kind, ban.Value, err)
		}
		if err := b.bans.Put(key, data); err != nil {
			return fmt.Errorf("storing the ban on %s %s: %w", ban.Kind, ban.Value, err)
		}
		r.BansAdded++
	}
	return nil
}

// prepareActions checks an import's audit log entries and returns a copy.
func prepareActions(as []comments.Action) ([]comments.Action, error) {
	out := make([]comments.Action, len(as))
	for i, a := range as {
		switch {
		case a.At.IsZero():
			return nil, fmt.Errorf("audit log entry %d (id %d): no time", i+1, a.ID)
		case a.Kind == "":
			return nil, fmt.Errorf("audit log entry %d (id %d): no kind", i+1, a.ID)
		}
		out[i] = a
	}
	return out, nil
}

// actionKey is what makes two audit log entries the same one for an
// import: everything but the ID and the links (Comment, Post), which an
// import may change.
type actionKey struct {
	at                       string // timeKey: the same instant in any zone
	by, kind, target, detail string
}

func keyOfAction(a *comments.Action) actionKey {
	return actionKey{string(timeKey(a.At)), a.By, string(a.Kind), a.Target, a.Detail}
}

// importActions appends the entries of as that the log does not hold yet;
// stored maps the batch's comment IDs to the comments as stored.
func importActions(b buckets, as []comments.Action, stored map[uint64]comments.Comment, r *ImportResult) error {
	if len(as) == 0 {
		return nil
	}
	have := map[actionKey]int{} // how many of each the log holds
	err := b.actions.ForEach(func(k, v []byte) error {
		var a comments.Action
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decoding audit log entry %x: %w", k, err)
		}
		have[keyOfAction(&a)]++
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range as {
		key := keyOfAction(&a)
		if have[key] > 0 {
			have[key]--
			r.ActionsSkipped++
			continue
		}
		if a.Comment != 0 {
			a.Comment = stored[a.Comment].ID // zero when it is not in the batch
		}
		if err := appendAction(b, &a); err != nil {
			return err
		}
		r.ActionsAdded++
	}
	return nil
}

// alreadyImported finds the stored comment an imported one already is.
func alreadyImported(b buckets, c *comments.Comment) (comments.Comment, bool, error) {
	if v := b.sources.Get([]byte(c.Source)); v != nil {
		id, err := keyID(v)
		if err != nil {
			return comments.Comment{}, false, fmt.Errorf("sources: %q: %w", c.Source, err)
		}
		s, err := getComment(b, id)
		if err != nil {
			return comments.Comment{}, false, fmt.Errorf("sources: %q: %w", c.Source, err)
		}
		return s, true, nil
	}
	id, ok := comments.ParseMilepostSource(c.Source)
	if !ok {
		return comments.Comment{}, false, nil
	}
	s, err := getComment(b, id)
	if errors.Is(err, comments.ErrNotFound) {
		return comments.Comment{}, false, nil
	}
	if err != nil {
		return comments.Comment{}, false, err
	}
	if s.Post == c.Post && s.Created.Equal(c.Created) && comments.NormalizeBody(s.Body) == c.Body {
		return s, true, nil
	}
	return comments.Comment{}, false, nil
}
