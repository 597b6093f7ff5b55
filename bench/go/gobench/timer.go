package main

// Go's timers, the same shapes as bench/bench_timer.cpp.

import "time"

func timerResetStop(n int64) result {
	t := time.NewTimer(time.Hour)
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		t.Reset(time.Hour)
		t.Stop()
	}
	return sw.stop(n)
}

// Before Go 1.23 the hour-long timer of each time.After stays queued until
// it fires: that is what this Go (1.19) pays, in the heap and at each push.
func afterSelect(n int64) result {
	ch := make(chan int, 1)
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		select {
		case ch <- 1:
		default:
		}
		select {
		case <-ch:
		case <-time.After(time.Hour):
		}
	}
	return sw.stop(n)
}

func tickerOverhead(ticks int64) result {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	<-t.C
	sw := startStopwatch()
	for i := int64(0); i < ticks; i++ {
		<-t.C
	}
	r := sw.stop(ticks)
	r.counters = map[string]float64{"cpu_ns_per_tick": float64(r.cpu.Nanoseconds()) / float64(ticks)}
	return r
}

func init() {
	register("BM_go_timer_reset_stop", 1, timerResetStop)
	register("BM_go_after_select", 1, afterSelect)
	registerTrials("BM_go_ticker_1ms_overhead", 1, 500, tickerOverhead)
}
