package main

// The scheduler rows, each the shape of its rawrt counterpart in
// bench/bench_chan.cpp and bench/bench_sched.cpp (see the comments there for
// what one operation is). The timed region starts once the Gs are set up.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The operations split between two goroutines, so an odd count gets one more.
func halfUp(n int64) int64 { return (n + 1) / 2 }

// Two goroutines on one P calling Gosched in turn: one switch per call.
func gosched(n int64) result {
	each := halfUp(n)
	var start atomic.Bool
	done := make(chan struct{})
	go func() {
		for !start.Load() {
			runtime.Gosched()
		}
		for i := int64(0); i < each; i++ {
			runtime.Gosched()
		}
		close(done)
	}()
	runtime.Gosched() // the partner is spinning on start: the loop's first Gosched switches
	sw := startStopwatch()
	start.Store(true)
	for i := int64(0); i < each; i++ {
		runtime.Gosched()
	}
	<-done
	return sw.stop(2 * each)
}

// An echo goroutine and the timing one bounce values over unbuffered
// channels; one operation is a one-way handoff (Go's BenchmarkChanSync shape).
func chanPingPong(n int64) result {
	ping, pong, done := make(chan int64), make(chan int64), make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v
		}
		close(done)
	}()
	ping <- -1
	<-pong
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		if i&1 == 0 {
			ping <- i
		} else {
			<-pong
		}
	}
	r := sw.stop(n)
	if n&1 == 1 {
		<-pong
	}
	close(ping)
	<-done
	return r
}

const spawnBatch = 100_000

func spawnJoinBatch() {
	var wg sync.WaitGroup
	wg.Add(spawnBatch)
	for i := 0; i < spawnBatch; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
}

// Batches of 100 000 goroutines, all started before any runs (one P, the
// spawner does not block until Wait), joined with a WaitGroup: ns per G.
// An untimed batch first, as on the rawrt side: the timed ones reuse its
// dead Gs (and their stacks, unless a collection freed them meanwhile).
func spawnJoin(n int64) result {
	batches := (n + spawnBatch - 1) / spawnBatch
	spawnJoinBatch()
	sw := startStopwatch()
	for b := int64(0); b < batches; b++ {
		spawnJoinBatch()
	}
	return sw.stop(batches * spawnBatch)
}

// Two goroutines on one P each run Lock; Gosched; Unlock, so every Lock finds
// the mutex held. sync.Mutex lets the unlocker take it straight back while
// the woken waiter has not run (normal mode) until a waiter has waited 1 ms
// (starvation mode, then direct handoff); rawrt's hands off every time. Both
// report ns per contended Lock+Unlock over the same count.
func mutexHandoff(n int64) result {
	each := halfUp(n)
	var mu sync.Mutex
	done := make(chan struct{})
	sw := startStopwatch()
	go func() {
		for i := int64(0); i < each; i++ {
			mu.Lock()
			runtime.Gosched()
			mu.Unlock()
		}
		close(done)
	}()
	for i := int64(0); i < each; i++ {
		mu.Lock()
		runtime.Gosched()
		mu.Unlock()
	}
	<-done
	return sw.stop(2 * each)
}

// 1 ns is due by the time the scheduler checks the P's timers: the cost of
// the mechanism, not of the kernel's sleeping.
func sleepWakeup(n int64) result {
	time.Sleep(1)
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		time.Sleep(1)
	}
	return sw.stop(n)
}

// A real sleep of 100 µs: how long it lasts, the runtime's timer wake-up
// and the kernel's included (counter slept_us, as BM_sleep_100us).
func sleep100us(n int64) result {
	time.Sleep(100 * time.Microsecond)
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		time.Sleep(100 * time.Microsecond)
	}
	r := sw.stop(n)
	r.counters = map[string]float64{"slept_us": float64(r.wall.Nanoseconds()) / 1e3 / float64(n)}
	return r
}

func init() {
	register("BM_go_gosched_1p", 1, gosched)
	register("BM_go_chan_pingpong_1p", 1, chanPingPong)
	register("BM_go_chan_pingpong_2p", 2, chanPingPong)
	register("BM_go_spawn_join", 1, spawnJoin)
	register("BM_go_mutex_handoff", 1, mutexHandoff)
	register("BM_go_sleep_wakeup", 1, sleepWakeup)
	register("BM_go_sleep_100us/1", 1, sleep100us)
	register("BM_go_sleep_100us/2", 2, sleep100us)
}
