package importer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"milepost/internal/comments"
)

// Note is one item of an import and what happened to it.
type Note struct {
	Source string // the item's key in the export, "wxr:12"
	Post   string // the slug of the post it was placed on, if any
	Note   string
}

// Converted is what Convert makes of placed items.
type Converted struct {
	// Comments are the batch to store (see bolt.DB.ImportAll): batch IDs
	// from 1 in order, parents given by batch ID, parents first.
	Comments []comments.Comment
	// Refused were placed but break the rules every comment keeps
	// (comments.CheckRecord): a body too long, a name with control
	// characters, a date that cannot be, …
	Refused []Note
	// Changed were kept with a change, which their Note gives: a reply
	// moved to the top level, an invalid email, website or IP address left
	// out, …
	Changed []Note
}

// droppable are the fields an item may lose and still be imported: the
// text and who wrote it matter, and an address that breaks the rules is no
// use anyway.
var droppable = []string{"email", "website", "ip"}

// Convert turns placed items (Place's order: parents first) into comments
// that keep the rules of comments.CheckRecord, checked as of now. An item
// that breaks a rule is refused, unless the rule is about its email,
// website or IP address: then that is left out and the comment kept. A
// reply whose parent is refused goes to the top level.
func Convert(placed []Placed, now time.Time) Converted {
	var out Converted
	out.Comments = make([]comments.Comment, 0, len(placed))
	ids := make(map[string]uint64, len(placed)) // Source → batch ID
	refused := make(map[string]string)          // Source → why
	for _, p := range placed {
		it := p.Item
		c, changes, reason := toComment(it, p.Post, now)
		if reason != "" {
			refused[it.Source] = reason
			out.Refused = append(out.Refused, Note{Source: it.Source, Post: p.Post, Note: reason})
			continue
		}
		if p.Note != "" {
			changes = append([]string{p.Note}, changes...)
		}
		if p.Parent != "" {
			if id, ok := ids[p.Parent]; ok {
				c.Parent = id
			} else {
				why := refused[p.Parent]
				if why == "" { // Place promises parents first; be safe anyway
					why = "not imported"
				}
				changes = append(changes, fmt.Sprintf("reply to %s, which is refused (%s): placed at top level", p.Parent, why))
			}
		}
		c.ID = uint64(len(out.Comments) + 1)
		ids[it.Source] = c.ID
		out.Comments = append(out.Comments, c)
		if len(changes) > 0 {
			out.Changed = append(out.Changed, Note{Source: it.Source, Post: p.Post, Note: strings.Join(changes, "; ")})
		}
	}
	return out
}

// toComment returns it as a comment on post (without ID or Parent), with
// the changes made to keep the rules, or the reason it cannot.
func toComment(it Item, post string, now time.Time) (c comments.Comment, changes []string, reason string) {
	c = comments.Comment{
		Post:    post,
		Name:    it.Name,
		Email:   it.Email,
		Website: it.Website,
		Body:    it.Body,
		Status:  comments.Status(it.Status),
		Created: it.Created,
		IP:      it.IP,
		Source:  it.Source,
	}
	errs := comments.CheckRecord(&c, now)
	for _, field := range droppable {
		if errs[field] == "" {
			continue
		}
		changes = append(changes, errs[field]+": left out")
		delete(errs, field)
		switch field {
		case "email":
			c.Email = ""
		case "website":
			c.Website = ""
		case "ip":
			c.IP = ""
		}
	}
	if len(errs) > 0 {
		return comments.Comment{}, nil, describe(errs)
	}
	return c, changes, ""
}

// describe lists a record's problems in a stable order.
func describe(errs comments.FieldErrors) string {
	fields := make([]string, 0, len(errs))
	for f := range errs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = errs[f] // each names its field
	}
	return strings.Join(parts, "; ")
}

// LinkActions returns e's moderation records with each comment link turned
// from the comment's ID in the file to its batch ID in cs, found through
// the comment's Source (comments.SourceOf). A record about a comment that
// is not in cs (deleted before the export, unplaced or refused) loses its
// link: its ID would be another comment's here. Its Target still names it.
func LinkActions(e *comments.Export, cs []comments.Comment) []comments.Action {
	if e == nil || len(e.Actions) == 0 {
		return nil
	}
	sources := make(map[uint64]string, len(e.Comments)) // ID in the file → Source
	for _, c := range e.Comments {
		sources[c.ID] = comments.SourceOf(c)
	}
	batch := make(map[string]uint64, len(cs)) // Source → batch ID
	for _, c := range cs {
		batch[c.Source] = c.ID
	}
	out := make([]comments.Action, len(e.Actions))
	for i, a := range e.Actions {
		if src, inFile := sources[a.Comment]; inFile {
			a.Comment = batch[src] // zero when the comment is not in cs
		} else {
			a.Comment = 0
		}
		out[i] = a
	}
	return out
}
