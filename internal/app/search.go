package app

import (
	"context"
	"log/slog"

	"milepost/internal/search"
)

// The search index of `milepost serve`: made empty with the stores and
// given to the web handler, then built in the background once the site
// serves — until it is, /search answers that it is being built — and kept
// in step with every reload and every scheduled post coming due. A static
// build has none: its pages have no server to search with.

// newSearchIndex is the server's empty search index.
func newSearchIndex() *search.Index { return search.New() }

// followSearch builds st's search index from its content and keeps it in
// step until ctx ends, without holding up the caller.
func followSearch(ctx context.Context, st *stores, log *slog.Logger) {
	go st.search.Follow(ctx, st.src, nil, log)
}
