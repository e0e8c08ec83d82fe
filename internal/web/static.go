package web

// For `milepost build`, which saves what this handler serves as files and
// precompresses each beside it (page.html.gz, page.html.br) for a static
// file server: the same codings, at the same settings, that pages and feeds
// are sent in, so there is one owner of how Milepost compresses.

// GzipBytes is b gzip-compressed, as pages are sent with Content-Encoding:
// gzip.
func GzipBytes(b []byte) ([]byte, error) { return gzipBytes(b) }

// BrotliBytes is b brotli-compressed, as pages are sent with
// Content-Encoding: br.
func BrotliBytes(b []byte) ([]byte, error) { return brotliBytes(b) }

// MinCompressBytes is the size below which a body is not worth
// compressing: pages and feeds smaller than it are sent as they are.
const MinCompressBytes = minCompressBytes
