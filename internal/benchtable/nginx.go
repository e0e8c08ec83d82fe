package main

import "context"

// nginx measures Milepost behind nginx (the shipped configuration) against
// nginx serving the same page as a static file.
func (b *bench) nginx(ctx context.Context) ([]row, error) {
	return []row{skippedRow("behind nginx", "not available: this milepost ships no nginx configuration (internal/deploy)")}, nil
}
