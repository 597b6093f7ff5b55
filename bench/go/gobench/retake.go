package main

// The retake latency, the same experiment as rawrt's bench/bench_retake.cpp:
// GOMAXPROCS 1; goroutine A starts goroutine B (it goes to runnext on A's
// P) and blocks in syscall.Read on a pipe (blocking fds from syscall.Pipe2,
// not os.Pipe, whose fds the netpoller would park on instead); B notes the
// time and writes the pipe, which releases A. One trial's latency is B's
// first instant minus the instant just before A's read: how long sysmon
// takes to retake the P from the syscall and hand it to another M.
//
//	BM_go_retake_latency_warm       trials back to back: every retake resets
//	                                sysmon's idle count (20 µs polls)
//	BM_go_retake_latency_backedoff  before each trial A computes for
//	                                backOffSpin without a syscall, so that
//	                                sysmon, finding nothing to retake, has
//	                                backed off to its 10 ms sleep
//
// Each result's time is the mean latency over the trials; the counters
// median_us and p90_us are what the comparison table uses. cpu_ns is the
// process's CPU time over the whole experiment (spins included) per trial.

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	retakeWarmTrials      = 200
	retakeBackedOffTrials = 40
	retakeUntimedTrials   = 5 // the first retake creates the M that runs B
	// sysmon reaches its 10 ms sleep after 50 idle passes and 9 doublings:
	// about 21 ms of nominal sleeps, some 30 ms here where a 20 µs sleep
	// lasts about 150 µs. Go offers no way to see it, so A spins well past
	// that. (Async preemption every 10 ms interrupts the spin, but a
	// preemption is not a retake: sysmon's idle count keeps growing.)
	backOffSpin = 150 * time.Millisecond
)

var retakeByte = []byte{'b'}

func percentileUS(sorted []int64, q float64) float64 {
	i := int(q*float64(len(sorted)-1) + 0.5)
	return float64(sorted[i]) / 1e3
}

func retakeLatency(trials int64, backedOff bool) result {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		panic(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	rfd, wfd := fds[0], fds[1]
	latency := make([]int64, trials)
	buf := make([]byte, 1)
	var bStart atomic.Int64

	cpu0 := processCPU()
	for i := -int64(retakeUntimedTrials); i < trials; i++ {
		if backedOff {
			for end := nanotime() + int64(backOffSpin); nanotime() < end; {
			}
			// A fresh schedtick, as rawrt's side takes with rawrt::yield: a
			// G that has not been rescheduled for 10 ms would be retaken at
			// sysmon's first look (sysretake), which is not what is measured.
			runtime.Gosched()
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			bStart.Store(nanotime())
			syscall.Write(wfd, retakeByte)
			wg.Done()
		}()
		t0 := nanotime()
		syscall.Read(rfd, buf)
		if i >= 0 {
			latency[i] = bStart.Load() - t0
		}
		wg.Wait()
	}
	cpu := processCPU() - cpu0

	var sum int64
	for _, l := range latency {
		sum += l
	}
	sorted := append([]int64(nil), latency...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	return result{
		ops:  trials,
		wall: time.Duration(sum),
		cpu:  cpu,
		counters: map[string]float64{
			"median_us": percentileUS(sorted, 0.5),
			"p90_us":    percentileUS(sorted, 0.9),
			"max_us":    percentileUS(sorted, 1.0),
		},
	}
}

func init() {
	registerTrials("BM_go_retake_latency_warm", 1, retakeWarmTrials, func(n int64) result {
		return retakeLatency(n, false)
	})
	registerTrials("BM_go_retake_latency_backedoff", 1, retakeBackedOffTrials, func(n int64) result {
		return retakeLatency(n, true)
	})
}
