package web

import (
	"encoding/json"
	"expvar"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// DebugHandler serves the operator's view of the process: expvar, pprof and
// /debug/heap, which collects garbage and then reports the live heap — the
// figure that shows whether memory stays flat under load. It is meant for a
// loopback address only: none of it is for readers.
func DebugHandler() http.Handler {
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
