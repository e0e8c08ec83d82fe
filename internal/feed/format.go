package feed

import "strconv"

// Format is a feed document format.
type Format int

// The formats a feed is served in. The zero Format is not one of them, so a
// Format left unset is caught by Build instead of silently meaning RSS.
const (
	RSS  Format = iota + 1 // RSS 2.0
	Atom                   // Atom 1.0
	JSON                   // JSON Feed 1.1
)

// Formats lists every Format, in the order pages advertise them.
var Formats = [...]Format{RSS, Atom, JSON}

type formatInfo struct {
	name      string
	mediaType string
	fileName  string
}

var formatInfos = [...]formatInfo{
	RSS:  {"RSS", "application/rss+xml", "feed.xml"},
	Atom: {"Atom", "application/atom+xml", "atom.xml"},
	JSON: {"JSON Feed", "application/feed+json", "feed.json"},
}

func (f Format) info() formatInfo {
	if f < RSS || f > JSON {
		return formatInfo{}
	}
	return formatInfos[f]
}

func (f Format) valid() bool { return f.info().name != "" }

// Name is the format's human-readable name, as shown in feed link titles.
// It is "" for an unknown Format.
func (f Format) Name() string { return f.info().name }

func (f Format) String() string {
	if !f.valid() {
		return "Format(" + strconv.Itoa(int(f)) + ")"
	}
	return f.Name()
}

// MediaType is the format's media type without parameters, as used in
// <link rel="alternate" type=...> and in RSS's atom:link.
// It is "" for an unknown Format.
func (f Format) MediaType() string { return f.info().mediaType }

// ContentType is the Content-Type header a feed of the format is served
// with. It is "" for an unknown Format.
func (f Format) ContentType() string {
	if !f.valid() {
		return ""
	}
	return f.MediaType() + "; charset=utf-8"
}

// FileName is the name a feed of the format is served at, below the page it
// belongs to: "feed.xml", "atom.xml" or "feed.json".
// It is "" for an unknown Format.
func (f Format) FileName() string { return f.info().fileName }

// ByFileName returns the Format served at the file name, and false when no
// format is.
func ByFileName(name string) (Format, bool) {
	for _, f := range Formats {
		if f.FileName() == name {
			return f, true
		}
	}
	return 0, false
}
