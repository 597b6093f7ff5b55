package main

// The kernel-entry rows: rawrt's BM_getpid_stub / BM_getpid_blocking against
// Go's two flavours, and its vDSO clock against Go's.

import (
	"sort"
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

// The runtime's own hooks, as package syscall reaches them (its Syscall is
// runtime_entersyscall; RawSyscall6; runtime_exitsyscall, nosplit).
//
//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// One pair with nothing between: rawrt's BM_entersyscall_exitsyscall.
//
//go:nosplit
func enterExitSyscall() {
	entersyscall()
	exitsyscall()
}

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
	register("BM_go_getpid_interleaved", 0, getpidInterleaved)
	register("BM_go_entersyscall_exitsyscall", 0, func(n int64) result {
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			enterExitSyscall()
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

// rawrt's BM_getpid_interleaved: chunks of Syscall and RawSyscall getpids
// alternate, and enter_exit_ns is the median over chunk pairs of the
// difference per call, so that load coming and going between two separate
// benchmarks does not swamp the tens of ns looked for. Time: Syscall's.
const getpidChunk = 256

func getpidInterleaved(n int64) result {
	pairs := n / getpidChunk
	if pairs < 1 {
		pairs = 1
	}
	diff := make([]int64, pairs)
	var syscallNS, rawNS int64
	sw := startStopwatch()
	for p := range diff {
		t0 := nanotime()
		for i := 0; i < getpidChunk; i++ {
			syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		t1 := nanotime()
		for i := 0; i < getpidChunk; i++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		t2 := nanotime()
		syscallNS += t1 - t0
		rawNS += t2 - t1
		diff[p] = (t1 - t0) - (t2 - t1)
	}
	r := sw.stop(pairs * getpidChunk)
	calls := float64(pairs * getpidChunk)
	// The timed span holds both flavours' calls: report Syscall's share as
	// the time, and the CPU time per call of the two together halved.
	r.wall = time.Duration(syscallNS)
	r.cpu /= 2
	sort.Slice(diff, func(a, b int) bool { return diff[a] < diff[b] })
	r.counters = map[string]float64{
		"enter_exit_ns":      float64(diff[len(diff)/2]) / getpidChunk,
		"enter_exit_mean_ns": float64(syscallNS-rawNS) / calls,
		"raw_ns":             float64(rawNS) / calls,
	}
	return r
}
