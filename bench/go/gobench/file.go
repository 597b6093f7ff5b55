package main

// File I/O as rawrt's bench/bench_file.cpp measures it: a cached 4 KiB
// File.ReadAt on one goroutine, and the fsync storm (1000 goroutines each
// create a file, write 4 KiB, fsync and close it, 4 rounds, GOMAXPROCS=2),
// with files_per_s and threads_peak (every task in /proc/self/task, this
// program's own threads included, as Go's are all its runtime's).

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

func filePread4k(n int64) result {
	dir, err := os.MkdirTemp("", "gobench-file")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pread4k")
	buf := make([]byte, 4096)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		panic(err)
	}
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	for i := 0; i < 100; i++ {
		f.ReadAt(buf, 0)
	}
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		if k, _ := f.ReadAt(buf, 0); k != len(buf) {
			panic("short read")
		}
	}
	return sw.stop(n)
}

func tasks() int64 {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	return int64(len(entries))
}

// watchTaskPeak reads the task count every millisecond until the returned
// function is called, which gives the most it saw.
func watchTaskPeak() func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				if t := tasks(); t > peak.Load() {
					peak.Store(t)
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		return peak.Load()
	}
}

func fsyncStorm(int64) result {
	const gs, rounds = 1000, 4
	dir, err := os.MkdirTemp("", "gobench-storm")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	stopWatch := watchTaskPeak()
	data := make([]byte, 4096)
	sw := startStopwatch()
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		wg.Add(gs)
		for i := 0; i < gs; i++ {
			go func(i int) {
				defer wg.Done()
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%d", i)))
				if err != nil {
					panic(err)
				}
				if _, err := f.Write(data); err != nil {
					panic(err)
				}
				if err := f.Sync(); err != nil {
					panic(err)
				}
				f.Close()
			}(i)
		}
		wg.Wait()
	}
	res := sw.stop(rounds)
	res.counters = map[string]float64{
		"files_per_s":  gs * rounds / res.wall.Seconds(),
		"threads_peak": float64(stopWatch()),
	}
	return res
}

func init() {
	register("BM_go_file_pread_4k", 1, filePread4k)
	registerTrials("BM_go_fsync_storm", 2, 1, fsyncStorm)
}
