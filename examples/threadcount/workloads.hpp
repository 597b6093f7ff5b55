// The seed's "Thread Count Prediction" workloads, each run on rawrt and
// reported in one line: the OS threads observed against the prediction.
#pragma once

#include <cstdint>

namespace threadcount {

// --json: each workload also prints one JSON object on a line of stdout
// (what bench/go/threadbench reads beside Go's), after letting the process
// settle; the lines for people then go to stderr, so stdout is all JSON.
void set_json(bool on);
// Where the lines for people go: stdout, or stderr under --json.
int text_fd();

// A: n Gs parked, half on a channel, half on timers (the seed's 5 000 idle
// connections: Gs that wait cost no thread).
void workload_a(int64_t n);
// B: the same n parked Gs, plus n requests that each read a 10 KB file
// whole (os::read_file, Go's os.ReadFile: through the io_uring ring, where
// the page cache answers a read at once; without a ring, short blocking
// syscalls where the fast path wins).
void workload_b(int64_t n);
// C: n foreign calls of 50 ms each (rawrt::blocking_call, Go's cgocall,
// around a raw nanosleep), all at once: each call in flight holds an M.
void workload_c_unbounded(int64_t n);
// C with a Semaphore of 32 around each call: at most 32 Ms in calls.
void workload_c_bounded(int64_t n);
// D: n Gs that lock_os_thread and sleep: each parks holding its own thread.
void workload_d(int64_t n);
// E: bursts of n short blocking syscalls with idle time between.
void workload_e(int64_t n);
// F: the fsync storm: n Gs each create a file of their own, write 4 KiB,
// fsync and close it, 4 rounds (os::File: fsync goes to io-wq through the
// ring; without a ring each fsync in flight holds an M).
void workload_f(int64_t n);

// B and F write their files in a directory of their own under $TMPDIR and
// remove it; false when one could not (the line says why).
bool all_ok();

}  // namespace threadcount
