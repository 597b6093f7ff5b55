package main

// Starting /bin/true and waiting for it, as rawrt's BM_spawn_wait does
// (bench/bench_spawn.cpp): os/exec's Cmd.Run, which forks with
// CLONE_VFORK|CLONE_VM and waits on a pidfd (Go 1.23; Go 1.19 here waits
// in wait4 on a thread of its own).

import (
	"os/exec"
	"sync"
)

func spawnWait(n int64) result {
	if err := exec.Command("/bin/true").Run(); err != nil {
		panic(err)
	}
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		if err := exec.Command("/bin/true").Run(); err != nil {
			panic(err)
		}
	}
	return sw.stop(n)
}

// 100 goroutines each run /bin/sleep 0.3 at once, GOMAXPROCS=2: the most
// tasks in /proc/self/task meanwhile (counter threads_peak).
func spawn100Threads(int64) result {
	const children = 100
	stopWatch := watchTaskPeak()
	sw := startStopwatch()
	var wg sync.WaitGroup
	wg.Add(children)
	for i := 0; i < children; i++ {
		go func() {
			defer wg.Done()
			if err := exec.Command("/bin/sleep", "0.3").Run(); err != nil {
				panic(err)
			}
		}()
	}
	wg.Wait()
	res := sw.stop(1)
	res.counters = map[string]float64{"threads_peak": float64(stopWatch())}
	return res
}

func init() {
	register("BM_go_spawn_wait", 1, spawnWait)
	registerTrials("BM_go_spawn_100_threads", 2, 1, spawn100Threads)
}
