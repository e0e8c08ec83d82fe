package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"milepost/internal/web"
)

// checkLoopback refuses a debug address that is not on loopback: the debug
// server shows the command line, the heap and CPU profiles, and anyone who
// can reach it can make the process spend its CPU on profiling. An empty
// host (":6060") listens on every interface, so it is refused too.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("debug address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("debug address %q is not a loopback address: use 127.0.0.1 or [::1] (pprof and expvar are for the operator alone), or pass -debug-addr-public to serve it there anyway", addr)
}

// serveDebug listens on addr and serves web.DebugHandler until ctx ends.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for debugging on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: web.DebugHandler(), ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug server listening", "url", "http://"+ln.Addr().String()+"/debug/heap")
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug server", "err", err)
		}
	}()
	return nil
}
