package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"milepost/internal/search"
)

// Search: GET /search?q=&page= shows the posts the search index finds,
// and /opensearch.xml describes it, so a browser can offer the site's
// search from its address bar. Both need no script.

// searchPage is the data of the search page.
type searchPage struct {
	// Query is what the reader typed, as it is shown back in the box
	// (valid UTF-8, at most search.MaxQueryBytes).
	Query string
	// Problem, when set, is why the query was not run.
	Problem *problem
	Results *search.Results
	// Suggestion is the link to the query with its misspelled word put
	// right; "" for none.
	Suggestion, SuggestionURL string
	Prev, Next                string
}

// maxSearchPage is the furthest page of results a search goes to: a reader
// never pages that far, and a script gets no deeper.
const maxSearchPage = 100

// Errors of the search page's own.
var errBadSearchPage = errors.New("search: the page number is not one of 1 to 100")

// searchRetry is how soon a reader is asked to search again while the
// index is still being built.
const searchRetry = 5 * time.Second

func (s *Server) searchRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /search", s.search)
	m.HandleFunc("GET /opensearch.xml", s.openSearch)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	site := s.opts.Content.Current()
	raw := r.URL.Query().Get("q")
	sp := &searchPage{Query: shownQuery(raw)}
	data := pageData{Title: "Search", Nav: "search", Search: sp, Feeds: feedLinks(s.config(r, site), "/", "")}
	if sp.Query != "" {
		data.Title = "Search: " + sp.Query
	}
	status := http.StatusOK
	page, err := searchPageNumber(r.URL.Query().Get("page"))
	var q search.Query
	if err == nil {
		q, err = search.Parse(raw)
	}
	if err == nil && !q.Empty() {
		sp.Results, err = s.opts.Search.Search(r.Context(), q, page, s.now())
	}
	if err != nil {
		p, ok := problemOf(err, s.location())
		if !ok {
			s.serverError(w, r, "searching", err)
			return
		}
		sp.Problem, sp.Results, status = &p, nil, p.Status
		setRetryAfter(w, p.RetryAfter)
		if p.RetryAfter > 0 {
			// An answer of the moment: no cache may keep it.
			w.Header().Set("Cache-Control", "no-store")
		}
	}
	if res := sp.Results; res != nil {
		if res.Total > 0 && page > res.Pages {
			s.notFound(w, r)
			return
		}
		if res.Suggestion != "" {
			sp.Suggestion, sp.SuggestionURL = res.Suggestion, searchURL(res.Suggestion, 1)
		}
		if page > 1 {
			sp.Prev = searchURL(raw, page-1)
		}
		if page < min(res.Pages, maxSearchPage) {
			sp.Next = searchURL(raw, page+1)
		}
	}
	s.render(w, r, status, "search", data, site)
}

// shownQuery is raw as the search box shows it back: valid UTF-8 and no
// longer than a query may be.
func shownQuery(raw string) string {
	if len(raw) > search.MaxQueryBytes {
		raw = raw[:search.MaxQueryBytes]
	}
	return strings.ToValidUTF8(raw, "\uFFFD")
}

// searchPageNumber reads page=, 1 when it is missing.
func searchPageNumber(raw string) (int, error) {
	if raw == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxSearchPage {
		return 0, errBadSearchPage
	}
	return n, nil
}

// searchURL is the site path of a search's page.
func searchURL(q string, page int) string {
	v := url.Values{"q": {q}}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/search?" + v.Encode()
}

// openSearchXML is the OpenSearch description: the site's search, for a
// browser to add. text/template: the values are escaped for XML by hand.
var openSearchXML = template.Must(template.New("opensearch").Funcs(template.FuncMap{"xml": xmlEscape}).Parse(
	`<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>{{xml .ShortName}}</ShortName>
  <Description>{{xml .Description}}</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <Image type="image/svg+xml">{{xml .Base}}/static/favicon.svg</Image>
  <Url type="text/html" method="get" template="{{xml .Base}}/search?q={searchTerms}"/>
  <Url type="application/opensearchdescription+xml" rel="self" template="{{xml .Base}}/opensearch.xml"/>
</OpenSearchDescription>
`))

// openSearchShortName is the longest ShortName the specification allows.
const openSearchShortName = 16

func (s *Server) openSearch(w http.ResponseWriter, r *http.Request) {
	site := s.opts.Content.Current()
	cfg := s.config(r, site)
	short := []rune(cfg.Title)
	if len(short) > openSearchShortName {
		short = short[:openSearchShortName]
	}
	var buf bytes.Buffer
	err := openSearchXML.Execute(&buf, struct{ ShortName, Description, Base string }{
		ShortName: strings.TrimSpace(string(short)), Description: "Search " + cfg.Title, Base: cfg.BaseURL,
	})
	if err != nil {
		s.serverError(w, r, "writing the OpenSearch description", err)
		return
	}
	w.Header().Set("Content-Type", "application/opensearchdescription+xml; charset=utf-8")
	w.Header().Set("Cache-Control", s.sharedPageCache())
	body := buf.Bytes()
	s.serveBody(w, r, http.StatusOK, body, etagOf(body), time.Time{})
}

// xmlEscape is s escaped for XML text and attribute values.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}
