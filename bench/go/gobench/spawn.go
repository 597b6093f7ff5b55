package main

// Starting /bin/true and waiting for it, as rawrt's BM_spawn_wait does
// (bench/bench_spawn.cpp): os/exec's Cmd.Run, which forks with
// CLONE_VFORK|CLONE_VM and waits on a pidfd (Go 1.23; Go 1.19 here waits
// in wait4 on a thread of its own).

import "os/exec"

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

func init() {
	register("BM_go_spawn_wait", 1, spawnWait)
}
