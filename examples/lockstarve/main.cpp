// The seed's lock_os_thread starvation case: GOMAXPROCS Gs, each locked to its
// thread (lock_os_thread) and blocked in a slow syscall, so that every P's G
// is locked and in the kernel, with other Gs queued behind them. The seed
// warns that the other Gs starve: "4 Ms in the kernel, 0 Ms available".
// They do not, in Go or here: each P sits in Psyscall, sysmon retakes it
// and hands it to another M (an idle one, or a new thread), which runs the
// queued Gs; the locked Ms keep their threads, and each locked G comes back
// on its own thread when its syscall ends.
//
//   lockstarve [others]    Gs queued behind the locked ones (100)

#include <atomic>
#include <cstdint>

#include <linux/fcntl.h>

#include "examples/common/process.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"

namespace {

using examples::positive_arg;
using rawrt::sys::fdprint;

// What the Gs share (each captures a pointer).
struct Shared {
    int rfd = -1, wfd = -1;  // the locked Gs read one byte each: their slow syscall
    int32_t locked_gs = 0;
    std::atomic<int32_t> in_read{0};  // locked Gs between "about to read" and "read returned"
    rawrt::WaitGroup all_locked;      // each locked G, just before its read
    rawrt::WaitGroup others_done;
    rawrt::WaitGroup locked_done;
    std::atomic<int64_t> others_during{0};    // others that started while every locked G was in its read
    std::atomic<int64_t> others_finished{0};  // ... and that finished while they all still were
    std::atomic<int64_t> same_thread{0};      // locked Gs back on the thread they left from
    std::atomic<int64_t> work{0};
    rawrt::SchedStats blocked;  // read by the last other G to finish
    std::atomic<int64_t> others_left{0};
};

void locked_g(Shared* s) {
    rawrt::lock_os_thread();
    const int tid = rawrt::sys::raw::gettid().value();
    s->in_read.fetch_add(1);
    s->all_locked.done();
    char c;
    (void)rawrt::sys::read(s->rfd, &c, 1);  // the slow syscall (Go's Syscall flavour)
    s->in_read.fetch_sub(1);
    if (rawrt::sys::raw::gettid().value() == tid) s->same_thread.fetch_add(1);
    rawrt::unlock_os_thread();
    s->locked_done.done();
}

void other_g(Shared* s) {
    // Released only once every locked G is about to block: until then this
    // G is parked, not holding anything.
    s->all_locked.wait();
    if (s->in_read.load() == s->locked_gs) s->others_during.fetch_add(1);
    // Some work with scheduling points in it.
    for (int i = 0; i < 10; ++i) {
        s->work.fetch_add(1);
        rawrt::yield();
    }
    rawrt::sleep(1'000'000);
    if (s->in_read.load() == s->locked_gs) s->others_finished.fetch_add(1);
    if (s->others_left.fetch_sub(1) == 1) s->blocked = rawrt::stats();  // the locked Gs are still blocked
    s->others_done.done();
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t others = positive_arg(argc > 1 ? argv[1] : nullptr, 100);
    int fds[2];
    if (!rawrt::sys::pipe2(fds, O_CLOEXEC).ok()) return 1;
    Shared s;
    s.rfd = fds[0];
    s.wfd = fds[1];
    const rawrt::SchedStats before = rawrt::stats();
    s.locked_gs = before.procs;
    s.others_left.store(others);

    s.all_locked.add(s.locked_gs);
    s.locked_done.add(s.locked_gs);
    s.others_done.add(static_cast<int32_t>(others));
    // The others first: parked on all_locked, they are readied onto the
    // locked Gs' Ps by the last of them, just before it blocks.
    for (int64_t i = 0; i < others; ++i) rawrt::go([p = &s] { other_g(p); });
    for (int32_t i = 0; i < s.locked_gs; ++i) rawrt::go([p = &s] { locked_g(p); });
    s.others_done.wait();
    const int32_t still_blocked = s.in_read.load();

    // Release the locked Gs: one byte each.
    for (int32_t i = 0; i < s.locked_gs; ++i) (void)rawrt::sys::raw::write(s.wfd, "x", 1);
    s.locked_done.wait();
    const rawrt::SchedStats after = rawrt::stats();

    fdprint(1, "lockstarve: Ps: ", before.procs, "; locked Gs: ", s.locked_gs,
            " (lock_os_thread), each blocked in read(2) on a pipe; other Gs queued behind them: ", others, "\n");
    fdprint(1, "seed predicts: every M is in the kernel with a locked G, none is left, the other Gs starve\n");
    fdprint(1, "Go: the locked Ms keep their threads, sysmon hands the Ps off, new Ms run the other Gs\n");
    fdprint(1, "other Gs that started while every locked G was in its read: ", s.others_during.load(), "/", others,
            "\n");
    fdprint(1, "other Gs that finished while every locked G was in its read: ", s.others_finished.load(), "/", others,
            " (locked Gs in read when the last had finished: ", still_blocked, "/", s.locked_gs, ")\n");
    fdprint(1, "while blocked: threads ", s.blocked.threads, ", in a syscall ", s.blocked.in_syscall, ", retakes ",
            s.blocked.retakes - before.retakes, ", Ms made ", s.blocked.threads_created - before.threads_created, "\n");
    fdprint(1, "locked Gs back on their own threads: ", s.same_thread.load(), "/", s.locked_gs, "\n");
    fdprint(1, "in all: syscalls ", after.syscalls - before.syscalls, " (fast ", after.exit_fast - before.exit_fast,
            ", idle P ", after.exit_idle_p - before.exit_idle_p, ", slow ", after.exit_slow - before.exit_slow,
            "), retakes ", after.retakes - before.retakes, ", threads_max ", after.threads_max, "\n");
    (void)rawrt::sys::close(fds[0]);
    (void)rawrt::sys::close(fds[1]);
    return still_blocked == s.locked_gs ? 0 : 1;
}
