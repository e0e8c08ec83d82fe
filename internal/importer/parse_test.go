package importer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameTime compares times by instant, whatever their zones.
var sameTime = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseFixtures(t *testing.T) {
	massageWP := PostRef{Slug: "massage-during-training", URL: "https://old.example/2011/10/massage-during-training/", Title: "Massage during training"}
	marathonWP := PostRef{Slug: "first-marathon", URL: "https://old.example/2012/01/first-marathon/", Title: "First marathon: done & dusted"}
	massageDsq := PostRef{Slug: "massage-during-training", URL: "https://kayruns.example/posts/massage-during-training/", Title: "Massage during training"}
	marathonDsq := PostRef{URL: "http://kayruns.example/2012/01/first-marathon.html", Title: "First marathon: done & dusted"}
	tests := []struct {
		file   string
		format Format
		want   []Item
	}{
		{
			// Left out: 15 (a pingback) and 21 (trashed); 22 still names 21.
			file: "wordpress.xml", format: FormatWXR,
			want: []Item{{
				Source: "wxr:12", PostRef: massageWP,
				Name: "Dana O'Neil", Email: "dana@dana.example.org", Website: "https://dana.example.org/",
				Body: "I've had a few massages through training & they helped — a lot.\n\n" +
					"My therapist wrote it up [on her blog](https://dana.example.org/massage).\nWorth it.",
				Created: utc("2011-10-04 16:12:00"), Status: "approved", IP: "203.0.113.7",
			}, {
				Source: "wxr:13", ParentSource: "wxr:12", PostRef: massageWP,
				Name: "Kay", Email: "kay@old.example", // the website was a bare "http://"
				Body:    "> they helped\n\nGlad to hear it! See [my taper post](https://old.example/2011/09/taper/).",
				Created: utc("2011-10-04 18:02:00"), Status: "approved", IP: "198.51.100.2",
			}, {
				Source: "wxr:14", ParentSource: "wxr:13", PostRef: massageWP,
				Name: "Dana O'Neil", Email: "dana@dana.example.org", Website: "https://dana.example.org/",
				Body:    "Will do. 5 < 10 miles tomorrow!",
				Created: utc("2011-10-05 14:30:00"), Status: "pending", IP: "203.0.113.7",
			}, {
				Source: "wxr:16", PostRef: massageWP,
				Name: "cheap shoes", Email: "sales@shoes.example", Website: "https://shoes.example/",
				Body:    "[BUY SHOES](https://shoes.example/buy)",
				Created: utc("2011-10-07 10:00:00"), Status: "spam", IP: "192.0.2.99",
			}, {
				Source: "wxr:20", PostRef: marathonWP,
				Body:    "Congrats!!\n\nSplits?",
				Created: utc("2012-01-02 08:00:00"), Status: "approved", IP: "203.0.113.20",
			}, {
				Source: "wxr:22", ParentSource: "wxr:21", PostRef: marathonWP,
				Name: "Kay", Email: "kay@old.example", Body: "Not to me.",
				Created: utc("2012-01-02 10:00:00"), Status: "approved", IP: "198.51.100.2",
			}},
		},
		{
			// Left out: 90003 (deleted); 90004 still names it.
			file: "disqus.xml", format: FormatDisqus,
			want: []Item{{
				Source: "disqus:90001", PostRef: massageDsq,
				Name: "Sam Park", Email: "sam@sam.example",
				Body:    "Sports massage twice a month kept my calves happy.\n\nDetails: [calves.example](https://calves.example/massage) & more",
				Created: utc("2013-05-03 08:15:00"), Status: "approved", IP: "203.0.113.41",
			}, {
				Source: "disqus:90002", ParentSource: "disqus:90001", PostRef: massageDsq,
				Name: "Jo", Email: "guest@mail.example", // anonymous: a guest who typed a name
				Body:    "Same here!\nEvery other week.",
				Created: utc("2013-05-03 09:00:00"), Status: "approved", IP: "203.0.113.42",
			}, {
				Source: "disqus:90004", ParentSource: "disqus:90003", PostRef: massageDsq,
				Name: "Lee", Body: "Thanks for sharing.",
				Created: utc("2013-05-03 11:00:00"), Status: "approved", IP: "203.0.113.44",
			}, {
				Source: "disqus:90005", PostRef: marathonDsq,
				Name: "Rin", Email: "rin@rin.example", Body: "Great race report — what shoes?",
				Created: utc("2013-05-04 12:00:00"), Status: "approved", IP: "203.0.113.45",
			}, {
				Source: "disqus:90006", PostRef: marathonDsq,
				Name: "pills", Body: "Cheap pills at [pills.example](https://pills.example/)",
				Created: utc("2013-05-04 13:00:00"), Status: "spam", IP: "192.0.2.10",
			}},
		},
		{
			file: "milepost.json", format: FormatMilepost,
			want: []Item{{
				Source: "milepost:1", PostRef: PostRef{Slug: "massage-during-training"},
				Name: "Dana", Email: "dana@dana.example.org", Website: "https://dana.example.org/",
				Body:    "A massage a month, **every** month.",
				Created: utc("2024-02-04 16:12:00"), Status: "approved", IP: "203.0.113.7",
			}, {
				Source: "milepost:2", ParentSource: "milepost:1", PostRef: PostRef{Slug: "massage-during-training"},
				Name: "Kay", Body: "Noted! See <https://example.org/race>.",
				Created: utc("2024-02-04 18:02:00"), Status: "approved",
			}, {
				Source: "milepost:5", PostRef: PostRef{Slug: "first-marathon"},
				Body: "Held for a moderator.", Created: utc("2024-02-05 08:00:00"), Status: "pending",
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			format, items, err := Parse(f)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
			if diff := cmp.Diff(tc.want, items, sameTime); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// wxrDoc is a one-item WordPress export; its <wp:comment> starts on line 8.
func wxrDoc(comment string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<item>
<title>Massage during training</title>
<link>https://old.example/2011/10/massage-during-training/</link>
<wp:post_name>massage-during-training</wp:post_name>
<wp:comment>` + comment + `</wp:comment>
</item>
</channel>
</rss>
`
}

const wxrComment12 = `<wp:comment_id>12</wp:comment_id><wp:comment_author>Dana</wp:comment_author>` +
	`<wp:comment_date_gmt>2011-10-04 16:12:00</wp:comment_date_gmt><wp:comment_content>Hi</wp:comment_content>` +
	`<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type><wp:comment_parent>0</wp:comment_parent>`

// wxr12 is wxrDoc with comment 12, changed by replacing pairs of strings.
func wxr12(oldnew ...string) string {
	return wxrDoc(strings.NewReplacer(oldnew...).Replace(wxrComment12))
}

// dsqDoc is a one-thread Disqus export; its <post> starts on line 4.
func dsqDoc(post string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
<thread dsq:id="5001"><id>massage-during-training</id><link>https://kayruns.example/posts/massage-during-training/</link><title>Massage</title></thread>
<post dsq:id="90001">` + post + `</post>
</disqus>
`
}

const dsqPost90001 = `<message><![CDATA[<p>Hi</p>]]></message><createdAt>2013-05-03T08:15:00Z</createdAt>` +
	`<isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>Sam</name><isAnonymous>false</isAnonymous></author>` +
	`<thread dsq:id="5001" />`

func dsq90001(oldnew ...string) string {
	return dsqDoc(strings.NewReplacer(oldnew...).Replace(dsqPost90001))
}

// TestParseVariants covers what the fixtures do not: other versions and
// spellings of the formats, and what is skipped.
func TestParseVariants(t *testing.T) {
	massage := PostRef{Slug: "massage-during-training", URL: "https://old.example/2011/10/massage-during-training/", Title: "Massage during training"}
	dsqMassage := PostRef{Slug: "massage-during-training", URL: "https://kayruns.example/posts/massage-during-training/", Title: "Massage"}
	wp12 := Item{Source: "wxr:12", PostRef: massage, Name: "Dana", Body: "Hi", Created: utc("2011-10-04 16:12:00"), Status: "approved"}
	dsq := Item{Source: "disqus:90001", PostRef: dsqMassage, Name: "Sam", Body: "Hi", Created: utc("2013-05-03 08:15:00"), Status: "approved"}
	with := func(it Item, f func(*Item)) []Item { f(&it); return []Item{it} }
	thread := `<thread dsq:id="5001"><id>massage-during-training</id><link>https://kayruns.example/posts/massage-during-training/</link><title>Massage</title></thread>`
	threadLast := strings.Replace(strings.Replace(dsq90001(), thread, "", 1), "</disqus>", thread+"\n</disqus>", 1)
	tests := []struct {
		name   string
		in     string
		format Format
		want   []Item
	}{
		{"wxr", wxr12(), FormatWXR, []Item{wp12}},
		{"wxr 1.0 namespace", strings.Replace(wxr12(), "export/1.2/", "export/1.0/", 1), FormatWXR, []Item{wp12}},
		{"wxr with a byte order mark and blank lines first", "\ufeff\n\n  " + wxr12(), FormatWXR, []Item{wp12}},
		{"wxr empty type is a comment", wxr12("<wp:comment_type>comment</wp:comment_type>", "<wp:comment_type></wp:comment_type>"), FormatWXR, []Item{wp12}},
		{"wxr trackback skipped", wxr12(">comment</wp:comment_type>", ">trackback</wp:comment_type>"), FormatWXR, nil},
		{"wxr plugin type skipped", wxr12(">comment</wp:comment_type>", ">order_note</wp:comment_type>"), FormatWXR, nil},
		{"wxr post-trashed skipped", wxr12(">1</wp:comment_approved>", ">post-trashed</wp:comment_approved>"), FormatWXR, nil},
		{"wxr zero gmt date falls back on comment_date",
			wxr12("2011-10-04 16:12:00", "0000-00-00 00:00:00", "<wp:comment_content>", "<wp:comment_date>2011-10-04 09:12:00</wp:comment_date><wp:comment_content>"),
			FormatWXR, with(wp12, func(it *Item) { it.Created = utc("2011-10-04 09:12:00") })},
		{"wxr year-1 gmt date falls back on comment_date",
			wxr12("2011-10-04 16:12:00", "0001-01-01 00:00:00", "<wp:comment_content>", "<wp:comment_date>2011-10-04 09:12:00</wp:comment_date><wp:comment_content>"),
			FormatWXR, with(wp12, func(it *Item) { it.Created = utc("2011-10-04 09:12:00") })},
		{"wxr percent-encoded slug", strings.Replace(wxr12(), "<wp:post_name>massage-during-training", "<wp:post_name>caf%c3%a9-run", 1),
			FormatWXR, with(wp12, func(it *Item) { it.PostRef.Slug = "café-run" })},
		{"wxr HTML entity outside CDATA", strings.Replace(wxr12(), "<title>Massage during training", "<title>Massage&nbsp;during training", 1),
			FormatWXR, []Item{wp12}},
		{"wxr no comments", strings.Replace(wxrDoc(""), "<wp:comment></wp:comment>", "", 1), FormatWXR, nil},
		{"disqus", dsq90001(), FormatDisqus, []Item{dsq}},
		{"disqus time without a zone is UTC", dsq90001("08:15:00Z", "08:15:00"), FormatDisqus, []Item{dsq}},
		{"disqus time with an offset", dsq90001("08:15:00Z", "10:15:00+02:00"), FormatDisqus, []Item{dsq}},
		{"disqus other prefix for the internals namespace",
			strings.NewReplacer("xmlns:dsq=", "xmlns:d=", "dsq:id", "d:id").Replace(dsq90001()), FormatDisqus, []Item{dsq}},
		{"disqus anonymous without a name", dsq90001("<name>Sam</name><isAnonymous>false", "<name></name><isAnonymous>true"),
			FormatDisqus, with(dsq, func(it *Item) { it.Name = "" })},
		{"disqus member without a name goes by username", dsq90001("<name>Sam</name>", "<name></name><username>sam_p</username>"),
			FormatDisqus, with(dsq, func(it *Item) { it.Name = "sam_p" })},
		{"disqus thread after its posts", threadLast, FormatDisqus, []Item{dsq}},
		{"disqus numeric identifier is not a slug",
			strings.Replace(dsq90001(), "<id>massage-during-training</id>", "<id>101 https://old.example/?p=101</id>", 1),
			FormatDisqus, with(dsq, func(it *Item) { it.PostRef.Slug = "" })},
		{"milepost with a byte order mark", "\ufeff" + `{"version": 1, "comments": [{"id": 3, "post": "a", "body": "b", "created": "2024-01-01T00:00:00Z"}]}`,
			FormatMilepost, []Item{{Source: "milepost:3", PostRef: PostRef{Slug: "a"}, Body: "b", Created: utc("2024-01-01 00:00:00"), Status: "approved"}}},
		{"milepost with no comments", `{"version": 1, "comments": []}`, FormatMilepost, []Item{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			format, items, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
			if diff := cmp.Diff(tc.want, items, sameTime, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	fixture := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wp, dsq := fixture("wordpress.xml"), fixture("disqus.xml")
	big := strings.Repeat("x", MaxContentBytes+1)
	tests := []struct {
		name   string
		in     string
		format Format // what Parse says it found
		want   string // the whole error message
	}{
		{"empty", "", "", "importing comments: the input is empty"},
		{"blank", " \n\t\n", "", "importing comments: the input is empty"},
		{"plain text", "Hello, world", "", `importing comments: unrecognised format: the input starts with "Hello, world"; want a Milepost export (JSON), a WordPress WXR file or a Disqus XML export`},
		{"binary", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xed\xbd\x07`\x1cI\x96%&/m\xca{\x7fJ", "",
			`importing comments: unrecognised format: the input starts with "\x1f\x8b\b\x00\x00\x00\x00\x00\x00\x03\xed\xbd\a` + "`" + `\x1cI"…; want a Milepost export (JSON), a WordPress WXR file or a Disqus XML export`},
		{"JSON list", `[{"id": 1}]`, "", `importing comments: the input is a JSON list, not a Milepost export (which is an object: {"version": 1, "comments": [...]})`},

		{"truncated WXR", wp[:len(wp)/2], FormatWXR,
			"importing WordPress export: XML syntax error on line 87: unexpected EOF (the file ends in the middle of the XML: is it cut short?)"},
		{"truncated Disqus", dsq[:len(dsq)-20], FormatDisqus,
			"importing Disqus export: XML syntax error on line 126: unexpected EOF (the file ends in the middle of the XML: is it cut short?)"},
		{"truncated before the root element", `<?xml version="1.0"?>` + "\n<rs", "",
			"importing comments: XML syntax error on line 2: unexpected EOF (the file ends in the middle of the XML: is it cut short?)"},
		{"mismatched tags", strings.Replace(wxr12(), "</item>", "</itme>", 1), FormatWXR,
			"importing WordPress export: XML syntax error on line 9: element <item> closed by </itme>"},
		{"wrong root", `<?xml version="1.0"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>`, "",
			"importing comments: line 2: the root element is <feed>; want <rss> (a WordPress WXR export) or <disqus> (a Disqus export)"},
		{"plain RSS", `<rss version="2.0"><channel><item><title>x</title></item></channel></rss>`, "",
			`importing comments: the input is an RSS feed, not a WordPress export: its <rss> element does not declare the WordPress export namespace (xmlns:wp="http://wordpress.org/export/1.2/"); export with Tools → Export in WordPress`},
		{"XML without elements", `<?xml version="1.0"?><!-- nothing -->`, "", "importing comments: line 1: the XML document has no elements"},
		{"second root", wxr12() + "<rss/>", FormatWXR, "importing WordPress export: line 12: a second root element <rss> after the end of the document"},
		{"text after the root", dsq90001() + "oops", FormatDisqus, "importing Disqus export: line 6: text after the end of the document"},
		{"deep nesting", "<disqus>" + strings.Repeat("<x>", 1000), FormatDisqus,
			"importing Disqus export: line 1: elements nested more than 256 deep"},
		{"deep nesting inside a comment", wxr12("<wp:comment_content>Hi", "<wp:comment_content>"+strings.Repeat("<b>", 1000)), FormatWXR,
			"importing WordPress export: line 8: elements nested more than 256 deep"},
		{"deep nesting inside a skipped element", strings.Replace(dsq90001(), "<thread dsq", "<category>"+strings.Repeat("<x>", 1000)+"</category><thread dsq", 1), FormatDisqus,
			"importing Disqus export: line 3: elements nested more than 256 deep"},
		{"Latin-1", strings.Replace(wxr12(), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), "",
			`importing comments: line 1: xml: opening charset "ISO-8859-1": only UTF-8 is supported; convert the file first (for example: iconv -f ISO-8859-1 -t UTF-8)`},
		{"invalid UTF-8", wxr12("Dana", "Dan\xe9"), FormatWXR, "importing WordPress export: XML syntax error on line 8: invalid UTF-8"},

		{"WXR bad date", wxr12("2011-10-04 16:12:00", "2011-13-04 16:12:00"), FormatWXR,
			`importing WordPress export: line 8: comment 12: comment_date_gmt "2011-13-04 16:12:00" is not a time like "2011-10-04 16:12:00"`},
		{"WXR date in another layout", wxr12("2011-10-04 16:12:00", "Tue, 04 Oct 2011 16:12:00 +0000"), FormatWXR,
			`importing WordPress export: line 8: comment 12: comment_date_gmt "Tue, 04 Oct 2011 16:12:00 +0000" is not a time like "2011-10-04 16:12:00"`},
		{"WXR no date", wxr12("2011-10-04 16:12:00", ""), FormatWXR,
			"importing WordPress export: line 8: comment 12: neither comment_date_gmt nor comment_date gives a time"},
		{"WXR bad fallback date", wxr12("2011-10-04 16:12:00", "0000-00-00 00:00:00", "<wp:comment_content>", "<wp:comment_date>04/10/2011</wp:comment_date><wp:comment_content>"), FormatWXR,
			`importing WordPress export: line 8: comment 12: comment_date "04/10/2011" is not a time like "2011-10-04 09:12:00"`},
		{"WXR unknown approval", wxr12(">1</wp:comment_approved>", ">maybe</wp:comment_approved>"), FormatWXR,
			`importing WordPress export: line 8: comment 12: comment_approved is "maybe"; want 1, 0, spam or trash`},
		{"WXR comment id not a number", wxr12(">12<", ">twelve<"), FormatWXR,
			`importing WordPress export: line 8: a wp:comment has comment_id "twelve"; want a number`},
		{"WXR missing comment id", wxr12("<wp:comment_id>12</wp:comment_id>", ""), FormatWXR,
			`importing WordPress export: line 8: a wp:comment has comment_id ""; want a number`},
		{"WXR duplicate comment id", wxrDoc(wxrComment12 + "</wp:comment>\n<wp:comment>" + wxrComment12), FormatWXR,
			"importing WordPress export: line 9: comment_id 12 is used twice (first on line 8)"},
		{"WXR bad parent", wxr12("<wp:comment_parent>0", "<wp:comment_parent>-1"), FormatWXR,
			`importing WordPress export: line 8: comment 12: comment_parent is "-1"; want a comment_id, or 0`},
		{"WXR huge comment", wxr12(">Hi<", ">"+big+"<"), FormatWXR,
			"importing WordPress export: line 8: comment 12: comment_content is 256 KiB, more than the 256 KiB a comment may be"},

		{"Disqus bad date", dsq90001("2013-05-03T08:15:00Z", "yesterday"), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": <createdAt> "yesterday" is not a time like "2011-10-04T16:12:00Z"`},
		{"Disqus year-1 date", dsq90001("2013-05-03T08:15:00Z", "0001-01-01T00:00:00"), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": <createdAt> "0001-01-01T00:00:00" is no time: the exporter did not know it`},
		{"WXR year-1 dates", wxr12("2011-10-04 16:12:00", "0001-01-01 00:00:00", "<wp:comment_content>", "<wp:comment_date>0001-01-01 00:00:00</wp:comment_date><wp:comment_content>"), FormatWXR,
			"importing WordPress export: line 8: comment 12: neither comment_date_gmt nor comment_date gives a time"},
		{"Disqus no date", dsq90001("<createdAt>2013-05-03T08:15:00Z</createdAt>", ""), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": no <createdAt>`},
		{"Disqus unknown thread", dsq90001(`<thread dsq:id="5001" />`, `<thread dsq:id="5999" />`), FormatDisqus,
			`importing Disqus export: line 4: disqus:90001: its thread dsq:id="5999" is not in the export`},
		{"Disqus post without thread", dsq90001(`<thread dsq:id="5001" />`, ""), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": no <thread dsq:id="…"> says which page it is on`},
		{"Disqus post without id", strings.Replace(dsq90001(), `<post dsq:id="90001">`, "<post>", 1), FormatDisqus,
			"importing Disqus export: line 4: a <post> has no dsq:id attribute"},
		{"Disqus thread without id", strings.Replace(dsq90001(), `<thread dsq:id="5001"><id>`, "<thread><id>", 1), FormatDisqus,
			"importing Disqus export: line 3: a <thread> has no dsq:id attribute"},
		{"Disqus duplicate post", dsqDoc(dsqPost90001 + "</post>\n" + `<post dsq:id="90001">` + dsqPost90001), FormatDisqus,
			`importing Disqus export: line 5: post dsq:id="90001" appears twice (first on line 4)`},
		{"Disqus bad flag", dsq90001("<isSpam>false", "<isSpam>nope"), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": <isSpam> is "nope"; want true or false`},
		{"Disqus huge message", dsq90001("<p>Hi</p>", big), FormatDisqus,
			`importing Disqus export: line 4: post dsq:id="90001": <message> is 256 KiB, more than the 256 KiB a comment may be`},

		{"Milepost syntax error", "{\"version\": 1,\n \"comments\": [\n  {\"id\": 1,}\n ]}", FormatMilepost,
			"reading comments export: line 3, column 12: invalid character '}' looking for beginning of object key string"},
		{"Milepost truncated", `{"version": 1, "comments": [`, FormatMilepost,
			"reading comments export: the file ends in the middle of the JSON (is a closing } or ] missing?): unexpected EOF"},
		// comments.ReadExport's own errors, passed on as they are; only
		// their start is checked, as that package words them.
		{"Milepost newer version", `{"version": 99, "comments": []}`, FormatMilepost,
			"reading comments export: version 99 is not one this milepost understands …"},
		{"Milepost bad date", `{"version": 1, "comments": [{"id": 1, "post": "a", "body": "b", "created": "yesterday"}]}`, FormatMilepost,
			`reading comments export: parsing time "yesterday" …`},
		{"Milepost missing post", `{"version": 1, "comments": [{"id": 1, "body": "b", "created": "2024-01-01T00:00:00Z"}]}`, FormatMilepost,
			`reading comments export: comment 1 (id 1): post: missing "post" …`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			format, items, err := Parse(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %d items, want error %q", len(items), tc.want)
			}
			if want, ok := strings.CutSuffix(tc.want, " …"); ok {
				if !strings.HasPrefix(err.Error(), want) {
					t.Errorf("error:\n got %s\nwant %s", err, tc.want)
				}
			} else if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
			if items != nil {
				t.Errorf("items = %d, want none on error", len(items))
			}
		})
	}
}

// endless is an input that never ends.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestParseRefusesHugeInput(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name   string
		in     io.Reader
		format Format
	}{
		{"WXR", io.MultiReader(strings.NewReader(strings.TrimSuffix(wxr12(), "</channel>\n</rss>\n")), endless(' ')), FormatWXR},
		{"Disqus with an endless comment", io.MultiReader(strings.NewReader(`<disqus><post dsq:id="1"><message>`), endless('a')), FormatDisqus},
		{"Milepost", io.MultiReader(strings.NewReader(`{"version": 1, "comments": [`), endless(' ')), FormatMilepost},
		{"blank", endless('\n'), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parse(tc.in, limit)
			format := p.Format
			if tc.format == "" {
				// Blank space is looked at before the limit is reached.
				if err == nil || !strings.Contains(err.Error(), "blank space") {
					t.Fatalf("err = %v, want one about blank space", err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), "the input is larger than the 256 MiB an import may have") {
				t.Errorf("error %q does not say what the limit is", err)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
		})
	}

	// Exactly at the limit is fine.
	doc := wxr12()
	in := doc + strings.Repeat(" ", limit-len(doc))
	if p, err := parse(strings.NewReader(in), limit); err != nil || len(p.Items) != 1 {
		t.Errorf("an input of exactly the limit: %d items, %v", len(p.Items), err)
	}
	if _, err := parse(strings.NewReader(in+" "), limit); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an input one byte over the limit: %v, want ErrTooLarge", err)
	}
}

// A reader's error comes back as it is, wrapped.
func TestParseReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, prefix := range []string{"", "{", "<disqus>", wxr12()[:200]} {
		r := io.MultiReader(bytes.NewReader([]byte(prefix)), iotestErr{boom})
		if _, _, err := Parse(r); !errors.Is(err, boom) {
			t.Errorf("after %q: err = %v, want the reader's", prefix, err)
		}
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestMilepostExportKeepsTheSourcesOfImportedComments(t *testing.T) {
	in := `{"version": 2, "comments": [
	  {"id": 7, "post": "massage-during-training", "body": "From WordPress", "status": "approved", "created": "2011-10-04T08:14:00Z", "source": "wxr:11"},
	  {"id": 8, "post": "massage-during-training", "parent": 7, "body": "Written here", "status": "approved", "created": "2011-10-05T08:14:00Z"}]}`
	_, items, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Source != "wxr:11" || items[1].Source != "milepost:8" || items[1].ParentSource != "wxr:11" {
		t.Fatalf("sources: %+v", items)
	}
}
