package main

// The kernel-entry rows: rawrt's BM_getpid_stub / BM_getpid_blocking against
// Go's two flavours, and its vDSO clock against Go's.

import (
	"syscall"
	"time"
	_ "unsafe" // for go:linkname
)

// runtime.nanotime is one vDSO clock_gettime(CLOCK_MONOTONIC), the same
// work as BM_clock_gettime_vdso; time.Since, what Go programs call, reads
// the wall clock as well. The bodyless declaration needs the empty
// linkname.s beside this file.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var sinkInt int64

func init() {
	// GOMAXPROCS left at its default: a syscall's cost does not depend on it,
	// and Syscall's entersyscall/exitsyscall is measured as programs see it.
	register("BM_go_getpid_RawSyscall", 0, func(n int64) result {
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		return sw.stop(n)
	})
	register("BM_go_getpid_Syscall", 0, func(n int64) result {
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		return sw.stop(n)
	})
	register("BM_go_time_Since", 0, func(n int64) result {
		t0 := time.Now()
		var sum time.Duration
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			sum += time.Since(t0)
		}
		r := sw.stop(n)
		sinkInt += int64(sum)
		return r
	})
	register("BM_go_nanotime", 0, func(n int64) result {
		var sum int64
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			sum += nanotime()
		}
		r := sw.stop(n)
		sinkInt += sum
		return r
	})
}
