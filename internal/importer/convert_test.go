package importer

import (
	"strings"
	"testing"
	"time"

	"milepost/internal/comments"
)

var convertNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func placedItem(source, parent, name, body string) Placed {
	return Placed{Item: Item{Source: source, Name: name, Body: body, Created: time.Date(2011, 10, 6, 16, 0, 0, 0, time.UTC),
		Status: StatusApproved}, Post: "massage", Parent: parent}
}

func TestConvertNumbersTheBatchAndLinksParents(t *testing.T) {
	out := Convert([]Placed{placedItem("wxr:1", "", "Ana", "Top"), placedItem("wxr:2", "wxr:1", "Bo", "Reply")}, convertNow)
	if len(out.Comments) != 2 || len(out.Refused)+len(out.Changed) != 0 {
		t.Fatalf("Convert = %+v", out)
	}
	if c := out.Comments[1]; c.ID != 2 || c.Parent != 1 || c.Source != "wxr:2" || c.Status != comments.StatusApproved {
		t.Errorf("the reply: %+v", c)
	}
}

func TestConvertRefusesWhatBreaksTheRulesAndLiftsItsReplies(t *testing.T) {
	out := Convert([]Placed{
		placedItem("wxr:1", "", strings.Repeat("n", comments.MaxNameChars+1), "Top"),
		placedItem("wxr:2", "wxr:1", "Bo", "Reply"),
	}, convertNow)
	if len(out.Refused) != 1 || out.Refused[0].Source != "wxr:1" || !strings.Contains(out.Refused[0].Note, "the name is 101 characters long") {
		t.Fatalf("refused: %+v", out.Refused)
	}
	if len(out.Comments) != 1 || out.Comments[0].Parent != 0 {
		t.Fatalf("comments: %+v", out.Comments)
	}
	if len(out.Changed) != 1 || !strings.Contains(out.Changed[0].Note, "which is refused") {
		t.Errorf("changed: %+v", out.Changed)
	}
}

func TestConvertLeavesOutBadAddressesAndKeepsTheComment(t *testing.T) {
	p := placedItem("wxr:1", "", "Ana", "Top")
	p.Item.IP, p.Item.Email, p.Item.Website = strings.Repeat("9", 1<<20), "ana at example", "javascript:alert(1)"
	out := Convert([]Placed{p}, convertNow)
	if len(out.Comments) != 1 {
		t.Fatalf("Convert = %+v", out)
	}
	if c := out.Comments[0]; c.IP != "" || c.Email != "" || c.Website != "" {
		t.Errorf("kept IP %.20q, email %q, website %q", c.IP, c.Email, c.Website)
	}
	note := out.Changed[0].Note
	for _, want := range []string{"not an IP address: left out", "the email address is not an address", "the website is not a valid http or https address"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %.200q lacks %q", note, want)
		}
	}
	if len(note) > 1000 {
		t.Errorf("the note is %d bytes long", len(note))
	}
}

func TestLinkActionsFollowsSourcesAndDropsLinksToCommentsNotImported(t *testing.T) {
	e := &comments.Export{
		Comments: []comments.Comment{{ID: 7, Source: "wxr:1"}, {ID: 8}, {ID: 9}},
		Actions:  []comments.Action{{Comment: 7}, {Comment: 8}, {Comment: 9}, {Comment: 99}},
	}
	batch := []comments.Comment{{ID: 1, Source: "wxr:1"}, {ID: 2, Source: "milepost:8"}}
	got := LinkActions(e, batch)
	want := []uint64{1, 2, 0, 0}
	for i, a := range got {
		if a.Comment != want[i] {
			t.Errorf("action %d links comment %d, want %d", i, a.Comment, want[i])
		}
	}
}
