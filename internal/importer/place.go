package importer

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"milepost/internal/comments"
)

// PostInfo is a post of the site being imported into.
type PostInfo struct {
	Slug string
	URL  string // its absolute permalink, https://host/posts/slug/
}

// Match says how an item was matched to its post.
type Match string

const (
	MatchSlug        Match = "slug"         // the export gave the post's slug
	MatchURL         Match = "url"          // the old link has the same path as the post's URL
	MatchLastSegment Match = "last-segment" // the old link's last path segment is the post's slug
)

// Placed is an item with the post it goes on and the comment it answers.
type Placed struct {
	Item Item
	Post string // the slug of the post
	By   Match
	// Parent is the Source of the placed item this one replies to, or ""
	// for a top-level comment. It is on the same post, and no thread goes
	// deeper than comments.MaxDepth allows.
	Parent string
	// Note says why Parent differs from Item.ParentSource, if it does.
	Note string
}

// Unplaced is an item Place could not put on any post, and why.
type Unplaced struct {
	Item   Item
	Reason string
}

// Place works out which post each item goes on: by the slug in its PostRef
// if a post has it, else by its old link — a post whose URL has the same
// path (scheme, host, query, fragment and a trailing slash aside), or whose
// slug is the link's last path segment (so WordPress's
// https://old.example/2011/10/massage-during-training/ finds
// massage-during-training; a trailing .html or .htm is ignored).
//
// Items without a post, without text, without a Source, or with the Source
// of an earlier item are returned as unplaced, each with the reason. A reply
// whose parent is not placed, is on another post, or would nest deeper than
// comments.MaxDepth is kept: it moves up to the top level (or beside its
// parent, for depth) and its Note says so.
//
// Placed items come parents first and otherwise oldest first, so they can
// be stored in order; unplaced ones come in input order.
func Place(items []Item, posts []PostInfo) (placed []Placed, unplaced []Unplaced) {
	bySlug, byPath := indexPosts(posts)

	index := make(map[string]int, len(items)) // Source → position in placed
	why := make(map[string]string)            // Source → why it is unplaced
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		var post string
		var by Match
		var reason string
		switch {
		case it.Source == "":
			reason = "it has no Source, so a second import could not recognise it"
		case seen[it.Source]:
			reason = fmt.Sprintf("its Source %q is the same as an earlier item's", it.Source)
		case strings.TrimSpace(it.Body) == "":
			reason = "its text is empty"
		default:
			post, by, reason = match(it.PostRef, bySlug, byPath)
		}
		dup := seen[it.Source]
		seen[it.Source] = true
		if reason != "" {
			unplaced = append(unplaced, Unplaced{Item: it, Reason: reason})
			if !dup && it.Source != "" {
				why[it.Source] = reason
			}
			continue
		}
		index[it.Source] = len(placed)
		placed = append(placed, Placed{Item: it, Post: post, By: by})
	}

	par := linkParents(placed, index, why)

	if len(placed) == 0 {
		return nil, unplaced
	}
	depth, key := settle(placed, par)

	order := make([]int, len(placed))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(key[a].Compare(key[b]), cmp.Compare(depth[a], depth[b]), cmp.Compare(a, b))
	})
	out := make([]Placed, len(placed))
	for k, i := range order {
		out[k] = placed[i]
		if par[i] >= 0 {
			out[k].Parent = placed[par[i]].Item.Source
		}
	}
	return out, unplaced
}

// indexPosts maps the site's post slugs, and the paths of their URLs to
// their slugs.
func indexPosts(posts []PostInfo) (bySlug map[string]bool, byPath map[string]string) {
	bySlug = make(map[string]bool, len(posts))
	byPath = make(map[string]string, len(posts))
	for _, p := range posts {
		slug := strings.TrimSpace(p.Slug)
		if slug == "" {
			continue
		}
		bySlug[slug] = true
		if pth, ok := urlPath(p.URL); ok && pth != "/" {
			if _, dup := byPath[pth]; !dup {
				byPath[pth] = slug
			}
		}
	}
	return bySlug, byPath
}

// linkParents returns the position in placed of each item's parent, -1 for
// none, and notes why a reply goes to the top level: its parent is itself,
// on another post, unplaced (why has the reason) or not among the items.
// index is the position of each placed Source.
func linkParents(placed []Placed, index map[string]int, why map[string]string) []int {
	par := make([]int, len(placed))
	for i := range placed {
		p := &placed[i]
		par[i] = -1
		ps := p.Item.ParentSource
		if ps == "" {
			continue
		}
		j, ok := index[ps]
		switch {
		case ps == p.Item.Source:
			p.Note = fmt.Sprintf("reply to %s, which is itself: placed at top level", ps)
		case ok && placed[j].Post != p.Post:
			p.Note = fmt.Sprintf("reply to %s, which is on another post (%s): placed at top level", ps, placed[j].Post)
		case ok:
			par[i] = j
		case why[ps] != "":
			p.Note = fmt.Sprintf("reply to %s, which could not be placed (%s): placed at top level", ps, why[ps])
		default:
			p.Note = fmt.Sprintf("reply to %s, which is not among the imported comments (deleted, trashed or skipped): placed at top level", ps)
		}
	}
	return par
}

// Visit states of settle's walk.
const (
	unvisited = iota
	onPath
	done
)

// settle breaks loops of parents and re-parents replies nested too deeply,
// adjusting par and the Notes, and returns each item's depth and sort key:
// the latest Created on its way up, so that with depth as tie-break every
// parent sorts before its replies. It visits each item a bounded number of
// times.
func settle(placed []Placed, par []int) (depth []int, key []time.Time) {
	state := make([]uint8, len(placed))
	depth = make([]int, len(placed))
	key = make([]time.Time, len(placed))
	var walk []int
	for i := range placed {
		for state[i] != done {
			var loopAt int
			walk, loopAt = climb(i, par, state, walk[:0])
			if loopAt >= 0 {
				// Cut the loop where the walk came back round, and walk again.
				placed[loopAt].Note = fmt.Sprintf("reply to %s, but its replies lead back to it: placed at top level", placed[loopAt].Item.ParentSource)
				par[loopAt] = -1
				for _, k := range walk {
					state[k] = unvisited
				}
				continue
			}
			// Each item's parent is later on the walk, or already done.
			for k := len(walk) - 1; k >= 0; k-- {
				settleOne(placed, par, depth, key, walk[k])
				state[walk[k]] = done
			}
		}
	}
	return depth, key
}

// climb walks up from item i through par until an item that is done or
// top-level, marking the items on its way and returning them, nearest
// first; or, when it comes back to an item on its way, that item as loopAt
// (else -1).
func climb(i int, par []int, state []uint8, walk []int) (_ []int, loopAt int) {
	for cur := i; ; cur = par[cur] {
		switch state[cur] {
		case done:
			return walk, -1
		case onPath:
			return walk, cur
		}
		state[cur] = onPath
		walk = append(walk, cur)
		if par[cur] < 0 {
			return walk, -1
		}
	}
}

// settleOne gives item x, whose parent is settled, its depth and key,
// moving it up beside its parent when it would nest deeper than
// comments.MaxDepth.
func settleOne(placed []Placed, par, depth []int, key []time.Time, x int) {
	p := par[x]
	if _, ok := comments.ReplyDepth(depthOf(depth, p)); !ok {
		if gp := par[p]; gp >= 0 {
			placed[x].Note = fmt.Sprintf("reply to %s, but threads go only %d levels deep: placed beside it, as a reply to %s",
				placed[p].Item.Source, comments.MaxDepth, placed[gp].Item.Source)
		} else {
			placed[x].Note = fmt.Sprintf("reply to %s, but threads go only %d levels deep: placed at top level",
				placed[p].Item.Source, comments.MaxDepth)
		}
		p = par[p]
		par[x] = p
	}
	created := placed[x].Item.Created
	if p < 0 {
		depth[x], key[x] = 0, created
		return
	}
	// One level up from a parent too deep to answer is never too deep.
	depth[x], _ = comments.ReplyDepth(depth[p])
	key[x] = key[p]
	if created.After(key[x]) {
		key[x] = created
	}
}

// depthOf is item p's depth, or -1 for no item (p < 0): the depth a
// top-level comment's parent would have.
func depthOf(depth []int, p int) int {
	if p < 0 {
		return -1
	}
	return depth[p]
}

// match finds the post for ref, or says why there is none.
func match(ref PostRef, bySlug map[string]bool, byPath map[string]string) (post string, by Match, reason string) {
	slug := strings.TrimSpace(ref.Slug)
	link := strings.TrimSpace(ref.URL)
	if slug != "" && bySlug[slug] {
		return slug, MatchSlug, ""
	}
	pth, ok := urlPath(link)
	if ok && pth != "/" {
		if post, ok := byPath[pth]; ok {
			return post, MatchURL, ""
		}
		if seg := lastSegment(pth); seg != "" && bySlug[seg] {
			return seg, MatchLastSegment, ""
		}
	}
	var tried []string
	if slug != "" {
		tried = append(tried, fmt.Sprintf("the slug %q", slug))
	}
	if link != "" {
		tried = append(tried, fmt.Sprintf("the link %s", link))
	}
	if len(tried) == 0 {
		reason = "the export does not say which post it is on (no slug or link)"
	} else {
		reason = "no post matches " + strings.Join(tried, " or ")
	}
	if t := strings.TrimSpace(ref.Title); t != "" {
		reason += fmt.Sprintf(" (the old post %q)", t)
	}
	return "", "", reason
}

// urlPath is the cleaned path of an absolute or relative URL: decoded, with
// a leading slash and without a trailing one.
func urlPath(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return "", false
	}
	return path.Clean("/" + u.Path), true
}

// lastSegment is the last segment of a cleaned path, without a .html or
// .htm extension.
func lastSegment(p string) string {
	seg := p[strings.LastIndexByte(p, '/')+1:]
	for _, ext := range []string{".html", ".htm"} {
		seg = strings.TrimSuffix(seg, ext)
	}
	return seg
}
