// The seed's "Thread Count Prediction for Real Workloads", run: for each
// workload, the OS threads rawrt needed (rawrt::stats() and the kernel's
// /proc/self/status, sampled every millisecond while it runs) against what
// the seed predicts for Go.
//
//   threadcount [--json] [workload [n]]
//
//   --json    also one JSON object per workload on stdout, the rest on
//             stderr (bench/go/threadbench puts them beside Go's)
//   workload  A, B, C, D, E, F or all (the default)
//   n         the workload's size: A and B, Gs parked (5 000); C, foreign
//             calls (1 000); D, locked Gs (100); E, syscalls per burst (64);
//             F, Gs each syncing a file of their own (1 000)
//
// B and F go through rawrt::os (the io_uring ring, or without it the
// blocking syscalls: RAWRT_DEBUG=uring=0) and write their files in a
// directory of their own under $TMPDIR (else /tmp), removed at their end.
//
// An idle M ends once it has been idle for RAWRT_DEBUG=mretire (500 ms by
// default) while more Ms than Ps are idle (Go's never end; only a G that
// exits locked takes its thread with it). A workload that starts sooner
// than that after another finds the idle Ms the other left, and its peak
// may count them: `all` runs them from the fewest threads to the most (A,
// B, C bounded, E, F, D, C unbounded), and a single letter runs one
// workload in a fresh process.

#include <cstdint>

#include "examples/common/process.hpp"
#include "examples/threadcount/workloads.hpp"
#include "sched/stats.hpp"
#include "sys/print.hpp"

namespace {

using examples::positive_arg;
using rawrt::sys::fdprint;

bool is(const char* s, const char* word) {
    while (*word != '\0' && (*s == *word || *s == *word - 'A' + 'a')) ++s, ++word;
    return *word == '\0' && *s == '\0';
}

}  // namespace

int main(int argc, char** argv) {
    int first = 1;
    if (argc > 1 && is(argv[1], "--JSON")) {
        threadcount::set_json(true);
        first = 2;
    }
    const char* which = argc > first ? argv[first] : "all";
    const char* size = argc > first + 1 ? argv[first + 1] : nullptr;
    const bool all = is(which, "ALL");
    if (!all && !is(which, "A") && !is(which, "B") && !is(which, "C") && !is(which, "D") && !is(which, "E") &&
        !is(which, "F")) {
        fdprint(2, "usage: threadcount [--json] [A|B|C|D|E|F|all [n]]\n");
        return 2;
    }
    fdprint(threadcount::text_fd(), "threadcount: the seed's workloads; Ps: ", rawrt::stats().procs,
            " (the seed's GOMAXPROCS)\nthreads: rawrt's Ms, sysmon's included; /proc/self/status counts the "
            "process's first thread too (it only waits for the run to end)\n");
    if (all || is(which, "A")) threadcount::workload_a(positive_arg(size, 5000));
    if (all || is(which, "B")) threadcount::workload_b(positive_arg(size, 5000));
    if (all || is(which, "C")) threadcount::workload_c_bounded(positive_arg(size, 1000));
    if (all || is(which, "E")) threadcount::workload_e(positive_arg(size, 64));
    if (all || is(which, "F")) threadcount::workload_f(positive_arg(size, 1000));
    if (all || is(which, "D")) threadcount::workload_d(positive_arg(size, 100));
    if (all || is(which, "C")) threadcount::workload_c_unbounded(positive_arg(size, 1000));
    return threadcount::all_ok() ? 0 : 1;
}
