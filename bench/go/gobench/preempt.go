package main

// Asynchronous preemption, the experiments of rawrt's bench/bench_preempt.cpp
// on Go 1.19 (see the comments there): GOMAXPROCS 1 and goroutines that
// spin in a plain loop, which only sysmon's signal takes the P from. Go's
// quantum is forcePreemptNS, 10 ms, with no knob.
//
//	BM_go_preempt_latency           a goroutine spins, the timing one sleeps
//	                                1 ms: from the timer's due time (and from
//	                                the spin's start) to the sleeper running
//	BM_go_preempt_cost              ns per preemption, from the gap between
//	                                the two spinners' clock stamps
//	BM_go_preempt_throughput/off    two goroutines spin a fixed count each,
//	BM_go_preempt_throughput/10ms   GODEBUG=asyncpreemptoff=1 (off) or not:
//	                                Go reads GODEBUG once, at start, so each
//	                                run is a child gobench (-child), the off
//	                                and on runs alternating
//
// Go counts no preemptions: the loops count the switches between them.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var preemptSink atomic.Uint64

const preemptSeed = 88172645463325252

// xorshift64 steps: a serial chain, about 1-2 ns a step, and a loop with no
// call in it.
func spin(x uint64, n int64) uint64 {
	for i := int64(0); i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func percentileOf(v []int64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]int64(nil), v...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return float64(s[int(q*float64(len(s)-1)+0.5)])
}

// ---- latency

const (
	preemptLatencyTrials  = 100 // 10-20 ms each
	preemptUntimedTrials  = 3
	preemptSleep          = time.Millisecond
	preemptSpinChunk      = 1024
	preemptLoopChunk      = 4096
	preemptLoopNsPerG     = 100 * time.Millisecond
	preemptThroughputRuns = 5
	preemptCostChunk      = 64
	preemptCostNsPerG     = 750 * time.Millisecond // at 10 ms a preemption, some 100 of them
	preemptChunkSample    = 256
	forcePreemptNS        = 10 * time.Millisecond // Go's quantum (runtime/proc.go)
)

func preemptLatency(trials int64) result {
	fromDue := make([]int64, trials)
	fromStart := make([]int64, trials)
	cpu0 := processCPU()
	// A busy wait of a random length up to a quantum before each trial, as
	// on rawrt's side: back to back, every spin would start just after the
	// sysmon pass that preempted the last one and take 20 ms. Then a fresh
	// time slice: the spinner, from runnext, inherits the rest of this one.
	rnd := uint64(preemptSeed)
	for i := -int64(preemptUntimedTrials); i < trials; i++ {
		rnd = spin(rnd, 1)
		for until := nanotime() + int64(rnd%uint64(forcePreemptNS)); nanotime() < until; {
		}
		runtime.Gosched()
		var stop atomic.Bool
		var spinStart atomic.Int64
		done := make(chan struct{})
		go func() {
			spinStart.Store(nanotime())
			x := uint64(preemptSeed)
			for !stop.Load() {
				x = spin(x, preemptSpinChunk)
			}
			preemptSink.Store(x)
			close(done)
		}()
		due := nanotime() + int64(preemptSleep)
		time.Sleep(preemptSleep)
		ran := nanotime()
		stop.Store(true)
		<-done
		if i >= 0 {
			fromDue[i] = ran - due
			fromStart[i] = ran - spinStart.Load()
		}
	}
	cpu := processCPU() - cpu0
	var sum int64
	for _, l := range fromDue {
		sum += l
	}
	return result{
		ops:  trials,
		wall: time.Duration(sum),
		cpu:  cpu,
		counters: map[string]float64{
			"median_us":       percentileOf(fromDue, 0.5) / 1e3,
			"p90_us":          percentileOf(fromDue, 0.9) / 1e3,
			"max_us":          percentileOf(fromDue, 1.0) / 1e3,
			"start_median_us": percentileOf(fromStart, 0.5) / 1e3,
			"start_p90_us":    percentileOf(fromStart, 0.9) / 1e3,
		},
	}
}

// ---- two spinners

// Who stamped last; a goroutine that finds the other's mark counts a
// switch. The first entry of each and the resumption of one after the other
// ends count too: switches - 2 is the preemptions that handed the P over.
type owner struct {
	owner    atomic.Int32
	switches atomic.Int64
}

func newOwner() *owner {
	o := &owner{}
	o.owner.Store(-1)
	return o
}

func (o *owner) countSwitch(me int32) bool {
	if o.owner.Load() == me {
		return false
	}
	o.owner.Store(me)
	o.switches.Add(1)
	return true
}

// Runs worker(0) and worker(1) on two goroutines and waits for both.
func twoSpinners(worker func(me int32)) time.Duration {
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := nanotime()
	for me := int32(0); me < 2; me++ {
		me := me
		go func() {
			worker(me)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Duration(nanotime() - t0)
}

// ns per spin step here, measured once.
var (
	stepOnce  sync.Once
	stepNs    float64
	chunkOnce sync.Once
	chunkNs   float64
)

func nsPerStep() float64 {
	stepOnce.Do(func() {
		stepNs = 1e9
		for i := 0; i < 5; i++ {
			t0 := nanotime()
			preemptSink.Store(spin(preemptSeed+uint64(i), 1<<22))
			if v := float64(nanotime()-t0) / (1 << 22); v < stepNs {
				stepNs = v
			}
		}
	})
	return stepNs
}

// ns per cost chunk (its steps and a clock read), measured once.
func costNsPerChunk() float64 {
	chunkOnce.Do(func() {
		chunkNs = 1e9
		for i := 0; i < 5; i++ {
			x := uint64(preemptSeed)
			var t int64
			t0 := nanotime()
			for k := 0; k < 100_000; k++ {
				x = spin(x, preemptCostChunk)
				t += nanotime()
			}
			preemptSink.Store(x + uint64(t))
			if v := float64(nanotime()-t0) / 100_000; v < chunkNs {
				chunkNs = v
			}
		}
	})
	return chunkNs
}

// ---- throughput

type loopRun struct {
	WallNs   int64 `json:"wall_ns"`
	Switches int64 `json:"switches"`
}

func spinRun(steps int64) loopRun {
	o := newOwner()
	wall := twoSpinners(func(me int32) {
		x := uint64(preemptSeed) + uint64(me)
		for done := int64(0); done < steps; done += preemptLoopChunk {
			x = spin(x, preemptLoopChunk)
			o.countSwitch(me)
		}
		preemptSink.Store(x)
	})
	return loopRun{WallNs: wall.Nanoseconds(), Switches: o.switches.Load()}
}

// One run in a child gobench, GOMAXPROCS 1, with or without async preemption.
func spinRunChild(steps int64, async bool) (loopRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return loopRun{}, err
	}
	cmd := exec.Command(exe, "-child", "preempt_spin:"+strconv.FormatInt(steps, 10))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	if !async {
		cmd.Env = append(cmd.Env, "GODEBUG=asyncpreemptoff=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return loopRun{}, err
	}
	var r loopRun
	err = json.Unmarshal(out, &r)
	return r, err
}

func preemptThroughput(async bool) func(n int64) result {
	return func(n int64) result {
		steps := int64(float64(preemptLoopNsPerG)/nsPerStep()) / preemptLoopChunk * preemptLoopChunk
		loops := 2 * float64(steps)
		var nsPerLoop, rate, vsOff, preempted []float64
		for i := int64(0); i < n; i++ {
			off, err := spinRunChild(steps, false)
			on := off
			if err == nil && async {
				on, err = spinRunChild(steps, true)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "gobench: preempt child:", err)
				os.Exit(1)
			}
			nsPerLoop = append(nsPerLoop, float64(on.WallNs)/loops)
			rate = append(rate, loops/float64(on.WallNs)*1e3)
			vsOff = append(vsOff, 100*float64(off.WallNs)/float64(on.WallNs))
			preempted = append(preempted, float64(on.Switches-2))
		}
		var sum float64
		for _, v := range nsPerLoop {
			sum += v
		}
		r := result{
			ops:  n,
			wall: time.Duration(sum), // the mean ns per loop, as rawrt's manual times
			counters: map[string]float64{
				"Mloops_per_s": medianOf(rate),
				"preempted":    medianOf(preempted),
			},
		}
		if async {
			r.counters["vs_off_pct"] = medianOf(vsOff)
		}
		return r
	}
}

// ---- cost

// The gap between the preempted goroutine's last stamp and the next one's
// first holds one preemption and, in the median, one chunk: the cost is
// median(gap) - median(chunk), as on rawrt's side.
func preemptCost(int64) result {
	chunks := int64(float64(preemptCostNsPerG) / costNsPerChunk())
	o := newOwner()
	var last atomic.Int64
	// Sized up front: an append that grows calls into the allocator. Each
	// slot is written once, by whichever goroutine took its index.
	gaps := make([]int64, 1<<16)
	var ngaps atomic.Int64
	chunkSamples := [2][]int64{}
	twoSpinners(func(me int32) {
		x := uint64(preemptSeed) + uint64(me)
		prev := nanotime()
		mine := make([]int64, 0, chunks/preemptChunkSample+1)
		for i := int64(0); i < chunks; i++ {
			x = spin(x, preemptCostChunk)
			now := nanotime()
			otherLast := last.Load()
			if o.countSwitch(me) {
				if i > 0 {
					if k := ngaps.Add(1) - 1; k < int64(len(gaps)) {
						gaps[k] = now - otherLast
					}
				}
			} else if i%preemptChunkSample == 0 && len(mine) < cap(mine) {
				mine = append(mine, now-prev)
			}
			last.Store(now)
			prev = now
		}
		chunkSamples[me] = mine
		preemptSink.Store(x)
	})
	if n := ngaps.Load(); n < int64(len(gaps)) {
		gaps = gaps[:n]
	}
	gap := percentileOf(gaps, 0.5)
	chunk := percentileOf(append(chunkSamples[0], chunkSamples[1]...), 0.5)
	// No CPU time: the process's over the whole run, per preemption, would
	// mean nothing.
	return result{
		ops:  1,
		wall: time.Duration(gap - chunk),
		counters: map[string]float64{
			"gap_median_ns": gap,
			"gap_p90_ns":    percentileOf(gaps, 0.9),
			"chunk_ns":      chunk,
			"samples":       float64(len(gaps)),
			"preempted":     float64(o.switches.Load() - 2),
		},
	}
}

func init() {
	registerTrials("BM_go_preempt_latency", 1, preemptLatencyTrials, preemptLatency)
	registerTrials("BM_go_preempt_cost", 1, 1, preemptCost)
	registerTrials("BM_go_preempt_throughput/off", 1, preemptThroughputRuns, preemptThroughput(false))
	registerTrials("BM_go_preempt_throughput/10ms", 1, preemptThroughputRuns, preemptThroughput(true))
	registerChild("preempt_spin", func(arg string) (any, error) {
		steps, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return nil, err
		}
		return spinRun(steps), nil
	})
}
