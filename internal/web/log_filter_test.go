package web_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// growingLog is a store whose moderation log grows while it is being read:
// before each read of the log, another moderator bans someone.
type growingLog struct {
	comments.Store
	mu    sync.Mutex
	reads []comments.ActionKind
}

func (g *growingLog) Actions(ctx context.Context, kind comments.ActionKind, offset, limit int) ([]comments.Action, int, error) {
	g.mu.Lock()
	n := len(g.reads)
	g.reads = append(g.reads, kind)
	g.mu.Unlock()
	ban := comments.Ban{Kind: comments.BanEmail, Value: "late" + strconv.Itoa(n) + "@example.org", By: "other", Created: time.Now()}
	if err := g.Store.PutBan(ctx, ban, comments.Action{At: time.Now(), By: "other", Kind: comments.ActionBan, Target: "email " + ban.Value}); err != nil {
		return nil, 0, err
	}
	return g.Store.Actions(ctx, kind, offset, limit)
}

// TestTheLogFilterReadsItsPageAndCountAtOnce: the filter by kind read the
// whole log in batches of 500, each in its own read, so a log that grew
// meanwhile made a page skip or repeat entries. Now the page and the count
// of one kind come from one read of the index by kind: however the log
// grows, the page is the newest entries at that moment, with their number.
func TestTheLogFilterReadsItsPageAndCountAtOnce(t *testing.T) {
	log := &growingLog{}
	h := newHarness(t, massageSite(""), withStore(func(s comments.Store) comments.Store { log.Store = s; return log }))
	var as []comments.Action
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2 * comments.MaxPerPage {
		kind := comments.ActionBan
		if i%2 == 1 {
			kind = comments.ActionApprove
		}
		as = append(as, comments.Action{At: at.Add(time.Duration(i) * time.Second), By: "mod", Kind: kind, Target: "entry " + strconv.Itoa(i)})
	}
	if _, err := h.db.ImportAll(context.Background(), comments.Export{Version: comments.ExportVersion, Actions: as}); err != nil {
		t.Fatal(err)
	}
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")

	page := mod.get("/admin/log/?kind=ban").body
	log.mu.Lock()
	reads := append([]comments.ActionKind(nil), log.reads...)
	log.mu.Unlock()
	if len(reads) != 1 || reads[0] != comments.ActionBan {
		t.Errorf("one page of bans read the log %d times, for kinds %q; want once, for bans", len(reads), reads)
	}
	// The ban made just before the read is on the page and in the count.
	wantCount := comments.MaxPerPage + len(reads)
	mustContain(t, "bans", page, `<span class="count">`+strconv.Itoa(wantCount)+`</span>`, "late0@example.org")
	if n := strings.Count(page, "<td>approve "); n != 0 {
		t.Errorf("the page of bans shows %d approvals", n)
	}
}
