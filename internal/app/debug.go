package app

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// debugHandler serves the operator's view of the process: expvar, pprof and
// /debug/heap, which collects garbage and then reports the live heap — the
// figure that shows whether memory stays flat under load. It is meant for a
// loopback address only: none of it is for readers.
func debugHandler() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /debug/vars", expvar.Handler())
	m.HandleFunc("GET /debug/pprof/", pprof.Index)
	m.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	m.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	m.HandleFunc("GET /debug/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]uint64{
			"heap_alloc": ms.HeapAlloc, "heap_objects": ms.HeapObjects, "heap_sys": ms.HeapSys,
			"num_gc": uint64(ms.NumGC), "goroutines": uint64(runtime.NumGoroutine()),
		})
	})
	return m
}

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

// serveDebug listens on addr and serves debugHandler until ctx ends.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for debugging on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 5 * time.Second}
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
