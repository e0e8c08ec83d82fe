package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts a CPU profile into cpuFile and arranges a heap
// profile into memFile (either "" for none); the returned func ends the
// CPU profile and writes the heap's. For measuring a command such as
// build, where a debug endpoint would come and go with the process.
func startProfiles(cpuFile, memFile string) (func(), error) {
	var cpu *os.File
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return nil, fmt.Errorf("creating the CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("starting the CPU profile: %w", err)
		}
		cpu = f
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				slog.Warn("writing the CPU profile", "err", err)
			}
		}
		if memFile == "" {
			return
		}
		f, err := os.Create(memFile)
		if err != nil {
			slog.Warn("creating the heap profile", "err", err)
			return
		}
		defer f.Close()
		runtime.GC() // the heap as the build left it, not its garbage
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			slog.Warn("writing the heap profile", "err", err)
		}
	}, nil
}
