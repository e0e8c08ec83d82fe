package comments

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var batchNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func goodRecord(id uint64) Comment {
	return Comment{ID: id, Post: "massage", Name: "Kay", Body: "Nice run.", Created: time.Date(2011, 10, 4, 9, 12, 0, 0, time.UTC)}
}

func TestCheckRecordRefusesEveryFieldOutsideTheRules(t *testing.T) {
	cases := []struct {
		field  string
		change func(c *Comment)
	}{
		{"ip", func(c *Comment) { c.IP = strings.Repeat("1", 5<<20) }},
		{"ip", func(c *Comment) { c.IP = "runner.example.org" }},
		{"ip", func(c *Comment) { c.IP = "fe80::1%eth0" }},
		{"name", func(c *Comment) { c.Name = strings.Repeat("n", MaxNameChars+1) }},
		{"name", func(c *Comment) { c.Name = "Kay\u202eyaK" }},
		{"email", func(c *Comment) { c.Email = "not an address" }},
		{"email", func(c *Comment) { c.Email = strings.Repeat("e", MaxEmailChars) + "@example.org" }},
		{"website", func(c *Comment) { c.Website = "javascript:alert(1)" }},
		{"body", func(c *Comment) { c.Body = strings.Repeat("b", MaxBodyChars+1) }},
		{"body", func(c *Comment) { c.Body = " \r\n " }},
		{"body", func(c *Comment) { c.Body = "nul\x00" }},
		{"status", func(c *Comment) { c.Status = "published" }},
		{"created", func(c *Comment) { c.Created = time.Time{} }},
		{"created", func(c *Comment) { c.Created = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) }},
		{"created", func(c *Comment) { c.Created = batchNow.Add(48 * time.Hour) }},
		{"updated", func(c *Comment) { c.Updated = c.Created.Add(-time.Minute) }},
		{"source", func(c *Comment) { c.Source = strings.Repeat("s", MaxSourceChars+1) }},
		{"commenter", func(c *Comment) { c.CommenterID = strings.Repeat("c", MaxCommenterIDChars+1) }},
		{"hold_reason", func(c *Comment) { c.HoldReason = "line\nbreak" }},
		{"post", func(c *Comment) { c.Post = " " }},
	}
	for _, tc := range cases {
		c := goodRecord(1)
		tc.change(&c)
		errs := CheckRecord(&c, batchNow)
		if errs[tc.field] == "" || len(errs) != 1 {
			t.Errorf("%s: CheckRecord = %v, want one error, on %s", tc.field, errs, tc.field)
		}
	}
}

func TestCheckRecordNormalises(t *testing.T) {
	c := goodRecord(1)
	c.Name, c.Body, c.IP, c.Website = "  Kay ", "line one\r\nline two\rthree\n\n", " ::ffff:192.0.2.7 ", "HTTPS://Runner.Example.org/x"
	if errs := CheckRecord(&c, batchNow); errs != nil {
		t.Fatal(errs)
	}
	want := Comment{ID: 1, Post: "massage", Name: "Kay", Body: "line one\nline two\nthree", IP: "192.0.2.7",
		Website: "https://runner.example.org/x", Status: StatusApproved, Created: c.Created}
	if c != want {
		t.Errorf("CheckRecord made\n%+v\nwant\n%+v", c, want)
	}
	anon := goodRecord(2)
	anon.Name = ""
	if errs := CheckRecord(&anon, batchNow); errs != nil {
		t.Errorf("an anonymous comment: %v", errs)
	}
}

func TestValidateBatchChecksIDsSourcesAndParents(t *testing.T) {
	reply := func(id, parent uint64) Comment { c := goodRecord(id); c.Parent = parent; return c }
	withSource := func(c Comment, s string) Comment { c.Source = s; return c }
	onPost := func(c Comment, p string) Comment { c.Post = p; return c }
	cases := []struct {
		name      string
		cs        []Comment
		want      string
		errParent bool
	}{
		{"no id", []Comment{goodRecord(0)}, `missing "id"`, false},
		{"duplicate id", []Comment{goodRecord(1), goodRecord(1)}, "comment 2 (id 1): the id is also comment 1's", false},
		{"duplicate source", []Comment{withSource(goodRecord(1), "wxr:1"), withSource(goodRecord(2), "wxr:1")}, "is also comment 1's", false},
		{"missing parent", []Comment{reply(1, 9)}, "parent 9", true},
		{"parent on another post", []Comment{goodRecord(1), onPost(reply(2, 1), "other")}, "another post", true},
		{"loop", []Comment{reply(1, 2), reply(2, 1)}, "loop", true},
		{"own parent", []Comment{reply(1, 1)}, "loop", true},
		{"too deep", []Comment{goodRecord(1), reply(2, 1), reply(3, 2), reply(4, 3), reply(5, 4), reply(6, 5)}, "comment 6 (id 6): parent comment not found on this post: replies nest more than 5", true},
		{"a bad field", []Comment{goodRecord(1), func() Comment { c := goodRecord(2); c.IP = "x"; return c }()}, `comment 2 (id 2): ip: "x" is not an IP address`, false},
	}
	for _, tc := range cases {
		err := ValidateBatch(tc.cs, BatchOptions{Now: batchNow})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ValidateBatch = %v, want an error with %q", tc.name, err, tc.want)
		}
		if tc.errParent != errors.Is(err, ErrParent) {
			t.Errorf("%s: errors.Is(%v, ErrParent) = %v", tc.name, err, !tc.errParent)
		}
	}
}

func TestValidateBatchFindsDepthsWhateverTheOrder(t *testing.T) {
	cs := []Comment{goodRecord(3), goodRecord(2), goodRecord(1)}
	cs[0].Parent, cs[1].Parent = 2, 1 // replies before their parents
	if err := ValidateBatch(cs, BatchOptions{Now: batchNow}); err != nil {
		t.Fatal(err)
	}
	if got := [3]int{cs[0].Depth, cs[1].Depth, cs[2].Depth}; got != [3]int{2, 1, 0} {
		t.Errorf("depths %v, want [2 1 0]", got)
	}
}

func TestValidateBatchForASeedAllowsNoIDAndStoredParents(t *testing.T) {
	stored := Comment{ID: 40, Post: "massage", Depth: 3}
	lookup := func(id uint64) (Comment, error) {
		if id == stored.ID {
			return stored, nil
		}
		return Comment{}, ErrNotFound
	}
	cs := []Comment{goodRecord(0), goodRecord(50)}
	cs[1].Parent = 40
	if err := ValidateBatch(cs, BatchOptions{Now: batchNow, NoID: true, Stored: lookup}); err != nil {
		t.Fatal(err)
	}
	if cs[1].Depth != 4 {
		t.Errorf("reply to a stored comment at depth 3 has depth %d, want 4", cs[1].Depth)
	}
	deeper := []Comment{goodRecord(60), goodRecord(61)}
	deeper[0].Parent, deeper[1].Parent = 40, 60
	if err := ValidateBatch(deeper, BatchOptions{Now: batchNow, Stored: lookup}); !errors.Is(err, ErrParent) {
		t.Errorf("a reply six deep through a stored comment: %v, want ErrParent", err)
	}
	if err := ValidateBatch([]Comment{{ID: 1, Post: "massage", Parent: 99, Body: "x", Created: goodRecord(1).Created}},
		BatchOptions{Now: batchNow, Stored: lookup}); err == nil || !strings.Contains(err.Error(), "neither in the batch nor stored") {
		t.Errorf("a parent neither given nor stored: %v", err)
	}
}

func TestMilepostSourceRoundTrips(t *testing.T) {
	if s := MilepostSource(12); s != "milepost:12" {
		t.Errorf("MilepostSource(12) = %q", s)
	}
	for s, want := range map[string]uint64{"milepost:12": 12, "milepost:0": 0, "milepost:x": 0, "wxr:12": 0} {
		if id, ok := ParseMilepostSource(s); id != want || ok != (want != 0) {
			t.Errorf("ParseMilepostSource(%q) = %d, %v", s, id, ok)
		}
	}
	if s := SourceOf(Comment{ID: 3, Source: "disqus:9"}); s != "disqus:9" {
		t.Errorf("SourceOf an imported comment = %q", s)
	}
	if s := SourceOf(Comment{ID: 3}); s != "milepost:3" {
		t.Errorf("SourceOf a comment written here = %q", s)
	}
}
