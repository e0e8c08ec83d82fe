package federation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"milepost/internal/comments"
)

// ErrBadBlock is a block that names neither a domain nor an actor.
var ErrBadBlock = comments.ErrNotFediverse

// NormalizeBlock tidies what an admin typed: a domain, lower-cased (a
// leading "@" or "*." is dropped; a domain blocks its subdomains too), or
// an actor's https address, kept as it is. Comments own the rule, for
// their moderators' bans of fediverse accounts.
func NormalizeBlock(value string) (string, error) { return comments.NormalizeFediverse(value) }

// Blocks lists the blocks, by value.
func (s *Service) Blocks(ctx context.Context) ([]Block, error) {
	bs, err := s.opts.Store.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing blocks: %w", err)
	}
	return bs, nil
}

// Block keeps a domain or an actor out: its activities are refused from
// now on, and its followers are forgotten (nothing more is delivered to
// them). by is the admin's name.
func (s *Service) Block(ctx context.Context, by, value, reason string) (Block, error) {
	v, err := NormalizeBlock(value)
	if err != nil {
		return Block{}, err
	}
	b := Block{Value: v, Reason: strings.TrimSpace(reason), By: by, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.opts.Store.PutBlock(ctx, b); err != nil {
		return Block{}, fmt.Errorf("blocking %s: %w", v, err)
	}
	if st, err := s.current(); err == nil {
		for _, name := range st.actorNames() {
			fs, _, err := s.opts.Store.Followers(ctx, name, 0, 0)
			if err != nil {
				return b, fmt.Errorf("listing followers of %s: %w", name, err)
			}
			for _, f := range fs {
				if blocks([]Block{b}, f.Actor) {
					if err := s.opts.Store.RemoveFollower(ctx, name, f.Actor); err != nil {
						return b, fmt.Errorf("forgetting follower %s: %w", f.Actor, err)
					}
				}
			}
		}
	}
	return b, nil
}

// Unblock lifts a block.
func (s *Service) Unblock(ctx context.Context, value string) error {
	v, err := NormalizeBlock(value)
	if err != nil {
		return err
	}
	if err := s.opts.Store.RemoveBlock(ctx, v); err != nil {
		return fmt.Errorf("lifting the block on %s: %w", v, err)
	}
	return nil
}

// blocks reports whether one of bs keeps addr out: its host is a blocked
// domain or under one, or it is a blocked actor.
func blocks(bs []Block, addr string) bool {
	for _, b := range bs {
		if comments.FediverseMatch(b.Value, addr) {
			return true
		}
	}
	return false
}
