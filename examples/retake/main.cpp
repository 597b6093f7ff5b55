// The seed's scenario 3, measured: with one P, a G that blocks in read(2) on
// an empty pipe does not stop the Gs queued behind it on that P. The P sits
// in Psyscall; sysmon sees it there for a full tick with work waiting,
// takes it (retake) and hands it to another M, which runs the queued Gs;
// the last of them writes the byte that ends the read. The retake latency
// is the time from the read's start until the first queued G runs.
//
//   retake [warm-trials [backed-off-trials]]      200 and 40 by default
//
// (A backed-off trial first waits for sysmon to back off, ~20 ms of busy
// P here: hence fewer of them.)
//
// Three cases, each against what the seed predicts and what Go does:
//   sysmon warm            sysmon napping its shortest (20 µs) sleep
//   backed off             sysmon idle long enough to sleep 10 ms at a time
//   backed off, Go's way   sysmon_prompt=0: sysmon sleeps out its 10 ms
// In the first two, rawrt wakes sysmon when a P enters a syscall with Gs
// queued behind it (RAWRT_DEBUG sysmon_prompt=1, the default), and sysmon
// watches that syscall for one tick instead of sleeping one
// (docs/syscall-scheduling.md, "the prompt wake and the watch").
//
// Scenario 3 wants exactly one P: run with more, the program re-executes
// itself with RAWRT_MAXPROCS=1 (where it cannot, e.g. under qemu-user
// without binfmt_misc, it says so and exits with status 2).

#include <atomic>
#include <cstdint>

#include <linux/fcntl.h>

#include "examples/common/process.hpp"
#include "examples/retake/report.hpp"
#include "sched/debug.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::sys::fdprint;
using retake::duration;

constexpr int kQueued = 3;                           // Gs queued behind the blocked one, each trial
constexpr int64_t kBackoffLimitNs = 10'000'000'000;  // give up waiting for sysmon to back off

// What the blocked G and the queued Gs share (a G captures only a pointer).
struct Shared {
    int rfd = -1, wfd = -1;
    std::atomic<bool> in_read{false};
    std::atomic<int> ran{0};              // queued Gs that have run, this trial
    std::atomic<int> ran_during_read{0};  // ... and found the read still blocked
    std::atomic<int64_t> first_ns{0};     // when the first of them ran
    rawrt::WaitGroup done;
};

// One trial: the calling G (alone on the only P) queues kQueued Gs and
// blocks in read. Returns the retake latency; *all_ran_during is whether
// every queued G ran while the read was still blocked.
int64_t trial(Shared* s, bool* all_ran_during) {
    s->ran.store(0);
    s->ran_during_read.store(0);
    s->first_ns.store(0);
    s->in_read.store(true);
    s->done.add(kQueued);
    for (int i = 0; i < kQueued; ++i)
        rawrt::go([s] {
            int64_t none = 0;
            s->first_ns.compare_exchange_strong(none, rawrt::vdso::nanotime());
            if (s->in_read.load()) s->ran_during_read.fetch_add(1);
            // The last to run ends the read (raw: the queued Gs make no
            // syscall of their own for sysmon to take the P from).
            if (s->ran.fetch_add(1) + 1 == kQueued) (void)rawrt::sys::raw::write(s->wfd, "x", 1);
            s->done.done();
        });
    const int64_t start = rawrt::vdso::nanotime();
    char c;
    auto r = rawrt::sys::read(s->rfd, &c, 1);  // Go's Syscall flavour: entersyscall / exitsyscall
    s->in_read.store(false);
    s->done.wait();
    if (!r.ok()) rawrt::sys::fatal("retake: read: ", r.error());
    *all_ran_during = s->ran_during_read.load() == kQueued;
    return s->first_ns.load() - start;
}

enum class Sysmon { kWarm, kBackedOff };

struct Case {
    const char* label;
    Sysmon sysmon;
    const char* go_measured;  // Go's figure for the same experiment, on this machine
};

// Keeps the only P busy with no syscall (and no other G to run) until
// sysmon, finding nothing to do pass after pass, sleeps its longest; then
// for a random part of one more such sleep, so that the read starts at any
// point of sysmon's sleep, not just after it began. preempt_point honours
// sysmon's requests to yield, as Go's asynchronous preemption would. Last a
// yield: the blocked G starts on a fresh time slice, as a G just woken does.
bool wait_for_backoff(uint64_t* rng) {
    const int64_t max = rawrt::sched::debug.sysmon_max_ns;
    const int64_t deadline = rawrt::vdso::nanotime() + kBackoffLimitNs;
    bool backed_off = false;
    while (!(backed_off = rawrt::stats().sysmon_delay_ns >= max) && rawrt::vdso::nanotime() < deadline)
        rawrt::preempt_point();
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    const int64_t until = rawrt::vdso::nanotime() + static_cast<int64_t>(*rng % static_cast<uint64_t>(max));
    while (rawrt::vdso::nanotime() < until) rawrt::preempt_point();
    rawrt::yield();
    return backed_off;
}

void run_case(const Case& c, Shared* s, int64_t trials, int64_t* latencies) {
    int64_t ran_during = 0, in_state = 0;
    uint64_t rng = static_cast<uint64_t>(rawrt::vdso::nanotime()) | 1;
    const rawrt::SchedStats before = rawrt::stats();
    const int64_t began = rawrt::vdso::nanotime();
    for (int64_t i = 0; i < trials; ++i) {
        if (c.sysmon == Sysmon::kBackedOff) {
            in_state += wait_for_backoff(&rng) ? 1 : 0;
        } else {
            // Awake or on its shortest sleep (-1: asleep until the next
            // syscall, which wakes it, as every P was idle a moment ago).
            const int64_t d = rawrt::stats().sysmon_delay_ns;
            in_state += d <= rawrt::sched::debug.sysmon_min_ns ? 1 : 0;
        }
        bool all_ran = false;
        latencies[i] = trial(s, &all_ran);
        ran_during += all_ran ? 1 : 0;
    }
    const rawrt::SchedStats after = rawrt::stats();
    const int64_t elapsed = rawrt::vdso::nanotime() - began;
    const uint64_t passes = after.sysmon_passes - before.sysmon_passes;
    const int64_t median = retake::percentile(latencies, trials, 50);
    const int64_t p90 = retake::percentile(latencies, trials, 90);

    fdprint(1, c.label, ": retake latency median ", duration(median).text, ", p90 ", duration(p90).text,
            "   (seed: ~10 \xc2\xb5s; Go measured here: ", c.go_measured, ")\n");
    fdprint(1, c.label, ": other Gs ran while the read blocked: ", ran_during, "/", trials, "\n");
    if (c.sysmon == Sysmon::kBackedOff)
        fdprint(1, c.label, ": sysmon backed off to ", duration(rawrt::sched::debug.sysmon_max_ns).text,
                " before the read: ", in_state, "/", trials, "\n");
    else
        fdprint(1, c.label, ": sysmon on its shortest sleep (or woken by the read) when it began: ", in_state, "/",
                trials, "\n");
    fdprint(1, c.label, ": retakes ", after.retakes - before.retakes, ", by an M woken at the read ",
            after.retake_standby - before.retake_standby, ", sysmon woken early ",
            after.sysmon_wakes - before.sysmon_wakes, ", syscalls ", after.syscalls - before.syscalls, " (exits fast ",
            after.exit_fast - before.exit_fast, ", idle P ", after.exit_idle_p - before.exit_idle_p, ", slow ",
            after.exit_slow - before.exit_slow, ")\n");
    // How long sysmon's sleeps really last: a timed futex wait ends when
    // the kernel's timers say so (timer slack, a VM's clock), not at 20 µs.
    if (c.sysmon == Sysmon::kWarm && passes != 0)
        fdprint(1, c.label, ": sysmon passes ", passes, ", one every ",
                duration(elapsed / static_cast<int64_t>(passes)).text, " on average (it asks for ",
                duration(rawrt::sched::debug.sysmon_min_ns).text, ")\n");
}

bool equals(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

bool starts_with(const char* s, const char* prefix) {
    while (*prefix != '\0' && *s == *prefix) ++s, ++prefix;
    return *prefix == '\0';
}

// Runs this program again with RAWRT_MAXPROCS=1 in its environment.
// Returns only if that failed.
void reexec_with_one_p(char** argv) {
    char** envp = rawrt::sys::envp();
    int n = 0;
    while (envp[n] != nullptr) ++n;
    char** env = new char*[n + 2];
    int k = 0;
    for (int i = 0; i < n; ++i)
        if (!starts_with(envp[i], "RAWRT_MAXPROCS=")) env[k++] = envp[i];
    static char one_p[] = "RAWRT_MAXPROCS=1";
    env[k++] = one_p;
    env[k] = nullptr;
    // argv[0] when it is a path (under qemu-user /proc/self/exe would name
    // the emulator); else the kernel's own link to this program.
    const char* self = argv[0];
    bool path = false;
    for (const char* p = self; *p != '\0'; ++p) path = path || *p == '/';
    auto r = rawrt::sys::raw::execve(path ? self : "/proc/self/exe", argv, env);
    fdprint(2, "retake: scenario 3 wants one P, and re-running with RAWRT_MAXPROCS=1 failed (", r.error(),
            "): run it with RAWRT_MAXPROCS=1\n");
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t warm_trials = examples::positive_arg(argc > 1 ? argv[1] : nullptr, 200);
    const int64_t backedoff_trials = examples::positive_arg(argc > 2 ? argv[2] : nullptr, 40);
    if (rawrt::stats().procs != 1) {
        const char* env = rawrt::sys::getenv("RAWRT_MAXPROCS");
        if (env == nullptr || !equals(env, "1")) reexec_with_one_p(argv);
        return 2;
    }

    int fds[2];
    if (!rawrt::sys::pipe2(fds, O_CLOEXEC).ok()) return 1;
    Shared shared;
    shared.rfd = fds[0];
    shared.wfd = fds[1];
    int64_t* latencies = new int64_t[warm_trials > backedoff_trials ? warm_trials : backedoff_trials];

    fdprint(1, "retake: the seed's scenario 3 with one P: a G blocks in read(2) on an empty pipe with ", kQueued,
            " Gs queued behind it;\nthe retake latency runs from the read's start until the first of them runs. ",
            warm_trials, " trials warm, ", backedoff_trials, " per backed-off case.\n");
    fdprint(1,
            "Go's floor is one sysmon tick (20 \xc2\xb5s): a P is retaken only after sysmon has seen it in the "
            "same syscall twice.\n");

    run_case({"warm", Sysmon::kWarm, "~170 \xc2\xb5s"}, &shared, warm_trials, latencies);
    // sysmon_prompt is on by default; RAWRT_DEBUG may have switched it off.
    rawrt::sched::set_debug_vars("sysmon_prompt=1");
    run_case({"backed off", Sysmon::kBackedOff, "10-20 ms"}, &shared, backedoff_trials, latencies);
    // Go's behaviour: what RAWRT_DEBUG=sysmon_prompt=0 sets at the start of a
    // run, here switched on between cases; sysmon reads it each time it goes
    // to sleep.
    rawrt::sched::set_debug_vars("sysmon_prompt=0");
    run_case({"backed off, sysmon_prompt=0 (Go's way)", Sysmon::kBackedOff, "10-20 ms"}, &shared, backedoff_trials,
             latencies);

    delete[] latencies;
    (void)rawrt::sys::close(fds[0]);
    (void)rawrt::sys::close(fds[1]);
    return 0;
}
