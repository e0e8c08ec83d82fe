package build

import (
	"net/url"
	"path"
	"slices"
	"strings"

	"milepost/internal/content"
)

// A static file server answers a path with a file and ignores the query, but
// a few of the site's addresses differ only by their query: a photo's
// narrower copies (finish.jpg?w=960), a post's later pages of comments
// (?comments=2) and a runner's log of another year (log/?year=2024). Each
// of these is saved as a file of its own, and the links to it are rewritten
// to that file's path, so the static site shows what the server shows:
//
//	/posts/x/finish.jpg?w=960    posts/x/finish.w-960.jpg
//	/posts/x/?comments=2         posts/x/comments-2/index.html
//	/authors/a/log/?year=2024    authors/a/log/year-2024/index.html
//
// Any other query (a reply form's ?reply=, a just-posted comment's ?posted=)
// is the live server's to answer: links with one point at the base URL.

// staticQueries are the query parameters that name a page or photo a static
// site can hold. "comments" and "year" are web's parameters for a post's
// page of comments and a log's year.
var staticQueries = map[string]bool{content.PhotoWidthParam: true, "comments": true, "year": true}

// queryPart is how a static query is written into a file name: "w-960", or
// "k1-v1_k2-v2" for several. It reports false for a query a static file
// cannot stand for: an unknown parameter, a repeated one, or a value other
// than letters, digits and hyphens.
func queryPart(q url.Values) (string, bool) {
	if len(q) == 0 {
		return "", true
	}
	keys := make([]string, 0, len(q))
	for k, vs := range q {
		if !staticQueries[k] || len(vs) != 1 || !plainValue(vs[0]) {
			return "", false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "-" + q.Get(k)
	}
	return strings.Join(parts, "_"), true
}

func plainValue(v string) bool {
	if v == "" {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// staticPath is the path, below the site's root, that a static server
// answers for the site path p (unescaped, from "/") with query q: p itself
// without a query, else p with the query written into it. It reports false
// for an address no file can stand for.
func staticPath(p string, q url.Values) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return "", false
	}
	trimmed := strings.TrimSuffix(p, "/")
	if trimmed != "" && path.Clean(trimmed) != trimmed {
		return "", false // "..", ".", "//": the server cleans or refuses these
	}
	qp, ok := queryPart(q)
	if !ok {
		return "", false
	}
	if qp == "" {
		return p, true
	}
	if strings.HasSuffix(p, "/") {
		return p + qp + "/", true
	}
	dir, name := path.Split(p)
	ext := path.Ext(name)
	return dir + strings.TrimSuffix(name, ext) + "." + qp + ext, true
}

// fileOf is the output file, a slash-separated path relative to the output
// directory, that holds the static path sp: a directory's index.html for a
// path ending in a slash.
func fileOf(sp string) string {
	rel := strings.TrimPrefix(sp, "/")
	if rel == "" || strings.HasSuffix(rel, "/") {
		rel += "index.html"
	}
	return rel
}
