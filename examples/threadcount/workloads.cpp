// The seed's thread-count workloads A-E and the fsync storm F
// (workloads.hpp), each run and reported as one line (and a JSON line with
// --json) against the seed's prediction.

#include "examples/threadcount/workloads.hpp"

#include <atomic>
#include <initializer_list>

#include <linux/stat.h>

#include "examples/common/process.hpp"
#include "examples/threadcount/observe.hpp"
#include "examples/threadcount/scratch.hpp"
#include "netpoll/uring.hpp"
#include "os/file.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/entersyscall.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "vdso/vdso.hpp"

namespace threadcount {
namespace {

using rawrt::sys::fdprint;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kForeignCallNs = 50 * kMs;   // the seed's 50 ms cgo call
constexpr uint32_t kCallBound = 32;            // the seed's semaphore
constexpr int64_t kFileBytes = 10 * 1024;      // the seed's 10 KB file
constexpr int64_t kLockedSleepNs = 300 * kMs;  // the seed says 1 s; any time they all sleep at once will do
constexpr int kBursts = 3;
constexpr int64_t kBurstSyscallNs = 5 * kMs;
constexpr int64_t kIdleNs = 200 * kMs;
// After E's last burst: idle so long that, with the settling time, the
// process has idled 2 s when its threads are read (the seed: threads
// shrink when idle; rawrt ends idle Ms past procs after RAWRT_DEBUG's
// mretire, 500 ms by default).
constexpr int64_t kIdleAfterLastNs = 1700 * kMs;
constexpr int64_t kSettleNs = 100 * kMs;
// F, the fsync storm: BM_fsync_storm's (bench/bench_file.cpp).
constexpr int kSyncBytes = 4096;
constexpr int kSyncRounds = 4;

bool json = false;
bool failed = false;

// How os::File reaches the kernel in this run, for the workloads' lines.
const char* way() {
    if (rawrt::os::uses_ring()) return "through the io_uring ring";
    return rawrt::netpoll::uring::uring_init().error() == rawrt::sys::Errno(ENOTSUP)
               ? "blocking syscalls: RAWRT_DEBUG uring=0"
               : "blocking syscalls: no io_uring here";
}

// A workload's scratch directory, made; false (and the run fails) when it
// cannot be.
bool prepare(Scratch* dir) {
    if (auto r = dir->make(); !r.ok()) {
        fdprint(2, "threadcount: no scratch directory under $TMPDIR or /tmp: ", r.error(), "\n");
        failed = true;
        return false;
    }
    return true;
}

// The workload's files removed, its directory too; false (and the run
// fails) when something was left behind.
bool finish(const Scratch& dir) {
    char path[kPathMax];
    if (auto r = dir.remove(); !r.ok()) {
        fdprint(2, "threadcount: ", dir.path(path, ""), " left behind: ", r.error(), "\n");
        failed = true;
        return false;
    }
    return true;
}

// B's file: kFileBytes, every byte its offset's low bits.
bool write_b_file(const char* path) {
    char data[kFileBytes];
    for (int64_t i = 0; i < kFileBytes; ++i) data[i] = static_cast<char>(i);
    if (auto r = rawrt::os::write_file(path, data, sizeof data, 0600); !r.ok()) {
        fdprint(2, "threadcount: cannot write ", path, ": ", r.error(), "\n");
        failed = true;
        return false;
    }
    return true;
}

// The workload's one line: what was observed, then what the seed predicts.
void report(const char* label, const Watch& w, const char* prediction) {
    fdprint(text_fd(), label, ": threads at peak: ", w.peak_threads(), " (/proc/self/status: ", w.peak_os_threads(),
            "; Ms made: ", w.made(), "; threads_max: ", w.after().threads_max, ")   seed predicts: ", prediction, "\n");
}

// One more field of a workload's JSON line, beside the common ones.
struct Field {
    const char* name;
    int64_t value;
};

// The workload's JSON line (--json only). "Settled" is read once its Gs
// have all ended and the process has idled kSettleNs more: what stays is
// the idle Ms not yet retired, minus the threads of Gs that ended locked.
// The same names as bench/go/threadcount's, whose lines sit beside these.
void json_line(const char* workload, int64_t n, const Watch& w, std::initializer_list<Field> extra = {}) {
    if (!json) return;
    rawrt::sleep(kSettleNs);
    const rawrt::SchedStats now = rawrt::stats();
    rawrt::sys::OutputBuffer out(1);
    const auto field = [&out](const char* name, int64_t value) {
        out.put(",\"");
        out.put(name);
        out.put("\":");
        out.put(value);
    };
    out.put("{\"runtime\":\"rawrt\",\"workload\":\"");
    out.put(workload);
    out.put("\"");
    field("n", n);
    field("procs", now.procs);
    field("peak_os_threads", w.peak_os_threads());
    field("settled_os_threads", examples::os_threads());
    field("peak_threads", w.peak_threads());
    field("settled_threads", now.threads);
    field("threads_made", w.made());
    for (const Field& f : extra) field(f.name, f.value);
    out.put("}\n");
}

// What a workload did to the syscall machinery, indented under its line.
void syscall_counts(const Watch& w) {
    const rawrt::SchedStats& a = w.after();
    const rawrt::SchedStats& b = w.before();
    fdprint(text_fd(), "    syscalls ", a.syscalls - b.syscalls, " (fast ", a.exit_fast - b.exit_fast, ", idle P ",
            a.exit_idle_p - b.exit_idle_p, ", slow ", a.exit_slow - b.exit_slow, "), retakes ", a.retakes - b.retakes,
            ", blocking calls ", a.blocking_calls - b.blocking_calls, "\n");
}

// n Gs parked until release(): half receiving on a channel nobody sends
// on, half asleep on timers (waking every 50 ms to go back to sleep).
class Parked {
public:
    void start(int64_t n) {
        done_.add(static_cast<int32_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            if (i % 2 == 0)
                rawrt::go([this] {
                    parked_.fetch_add(1);
                    (void)gate_.recv();  // returns once the gate is closed
                    done_.done();
                });
            else
                rawrt::go([this] {
                    parked_.fetch_add(1);
                    while (!released_.load()) rawrt::sleep(50 * kMs);
                    done_.done();
                });
        }
        // Every one of them has started; a moment more and all are parked.
        while (parked_.load() < n) rawrt::sleep(kMs);
        rawrt::sleep(10 * kMs);
    }
    void release() {
        released_.store(true);
        gate_.close();
        done_.wait();
    }

private:
    rawrt::Chan<int> gate_;
    std::atomic<bool> released_{false};
    std::atomic<int64_t> parked_{0};
    rawrt::WaitGroup done_;
};

}  // namespace

void set_json(bool on) { json = on; }

bool all_ok() { return !failed; }

int text_fd() { return json ? 2 : 1; }

void workload_a(int64_t n) {
    Parked parked;
    Watch w;
    w.start();
    parked.start(n);
    w.stop();
    parked.release();
    fdprint(text_fd(), "A  ", n, " Gs parked, half on a channel, half on timers\n");
    report("A", w, "10-20 (GOMAXPROCS Ms doing work, 1-2 idle, sysmon, GC)");
    json_line("A", n, w);
}

void workload_b(int64_t n) {
    Scratch dir;
    char path[kPathMax];
    if (!prepare(&dir)) return;
    if (!write_b_file(dir.path(path, "b"))) {
        (void)rawrt::os::remove(path);
        (void)finish(dir);
        return;
    }
    Parked parked;
    Watch w;
    w.start();
    parked.start(n);
    rawrt::WaitGroup requests;
    std::atomic<int64_t> bytes{0}, whole{0};
    requests.add(static_cast<int32_t>(n));
    for (int64_t i = 0; i < n; ++i)
        rawrt::go([&] {
            // Go's os.ReadFile: open, read to the end, close, through the
            // ring (reads of cached data at once), or without it the
            // blocking syscalls the scheduler hears about.
            char buf[kFileBytes];
            const auto r = rawrt::os::read_file(path, buf, sizeof buf);
            if (r.ok()) bytes.fetch_add(static_cast<int64_t>(r.value()));
            if (r.value_or(0) == kFileBytes) whole.fetch_add(1);
            requests.done();
        });
    requests.wait();
    w.stop();
    parked.release();
    (void)rawrt::os::remove(path);
    const bool removed = finish(dir);  // fails (ENOTEMPTY) if the file stayed
    fdprint(text_fd(), "B  ", n, " Gs parked as in A, and ", n, " requests each reading a ", kFileBytes / 1024,
            " KB file whole (os::read_file, ", way(), "); bytes read: ", bytes.load(), "; whole reads: ", whole.load(),
            " of ", n, "; scratch directory removed: ", removed, "\n");
    report("B", w, "15-25 (A plus ~5 Ms in reads of ~1 ms each)");
    syscall_counts(w);
    json_line("B", n, w,
              {{"ring", rawrt::os::uses_ring()}, {"bytes_read", bytes.load()}, {"reads_whole", whole.load()},
               {"removed", removed}});
}

void workload_f(int64_t n) {
    Scratch dir;
    if (!prepare(&dir)) return;
    std::atomic<int64_t> errors{0};
    Watch w;
    w.start();
    const int64_t start = rawrt::vdso::nanotime();
    for (int round = 0; round < kSyncRounds; ++round) {
        rawrt::WaitGroup done;
        done.add(static_cast<int32_t>(n));
        for (int64_t i = 0; i < n; ++i)
            rawrt::go([&, i] {
                char path[kPathMax];
                char data[kSyncBytes];
                for (int k = 0; k < kSyncBytes; ++k) data[k] = static_cast<char>(i + k);
                rawrt::os::File f;
                if (!rawrt::os::File::create(dir.path(path, "f", i), &f).ok() ||
                    f.write(data, sizeof data).value_or(0) != sizeof data || !f.sync().ok() || !f.close().ok())
                    errors.fetch_add(1);
                done.done();
            });
        done.wait();
    }
    const int64_t elapsed = rawrt::vdso::nanotime() - start;
    w.stop();
    // Every file there with its 4 KiB, then every one removed.
    int64_t synced = 0, removed = 0;
    for (int64_t i = 0; i < n; ++i) {
        char path[kPathMax];
        struct statx st {};
        if (rawrt::os::stat(dir.path(path, "f", i), &st).ok() && st.stx_size == kSyncBytes) ++synced;
        if (rawrt::os::remove(path).ok()) ++removed;
    }
    const bool gone = finish(dir);
    const int64_t files_per_s = elapsed > 0 ? kSyncRounds * n * 1'000'000'000 / elapsed : 0;
    fdprint(text_fd(), "F  ", n, " Gs each create a file of their own, write ", kSyncBytes / 1024,
            " KiB, fsync and close it, ", kSyncRounds, " rounds (os::File, ", way(), "): ", files_per_s,
            " files/s; errors: ", errors.load(), "; files of 4 KiB: ", synced, " of ", n, "; removed: ", removed,
            "; scratch directory removed: ", gone, "\n");
    report("F", w, "none (not a seed workload; the seed: each fsync in flight holds an M)");
    syscall_counts(w);
    json_line("F", n, w,
              {{"ring", rawrt::os::uses_ring()}, {"files_per_s", files_per_s}, {"errors", errors.load()},
               {"files_synced", synced}, {"removed", gone && removed == n}});
}

namespace {

struct Calls {
    rawrt::WaitGroup done;
    std::atomic<int64_t> in_flight{0};
    std::atomic<int64_t> in_flight_max{0};
};

// A foreign call: the P is released for its whole length, and it runs on
// the M's own stack, so it must stay out of the scheduler: a raw nanosleep
// and atomics only.
void foreign_call(Calls* c) {
    rawrt::blocking_call([c] {
        raise_max(&c->in_flight_max, c->in_flight.fetch_add(1) + 1);
        const rawrt::sys::KernelTimespec ts = {0, kForeignCallNs};
        (void)rawrt::sys::raw::nanosleep(rawrt::sys::as_timespec(&ts), nullptr);
        c->in_flight.fetch_sub(1);
    });
}

}  // namespace

void workload_c_unbounded(int64_t n) {
    Calls calls;
    Watch w;
    w.start();
    calls.done.add(static_cast<int32_t>(n));
    for (int64_t i = 0; i < n; ++i)
        rawrt::go([&calls] {
            foreign_call(&calls);
            calls.done.done();
        });
    calls.done.wait();
    w.stop();
    fdprint(text_fd(), "C  ", n, " foreign calls of 50 ms (blocking_call), all at once; most in flight at once: ",
            calls.in_flight_max.load(), "\n");
    report("C unbounded", w, "hundreds to thousands (one M per call in flight)");
    syscall_counts(w);
    json_line("C_unbounded", n, w, {{"in_flight_max", calls.in_flight_max.load()}});
}

void workload_c_bounded(int64_t n) {
    Calls calls;
    rawrt::Semaphore bound(kCallBound);
    Watch w;
    w.start();
    calls.done.add(static_cast<int32_t>(n));
    for (int64_t i = 0; i < n; ++i)
        rawrt::go([&calls, &bound] {
            bound.acquire();  // parks the G, not its M
            foreign_call(&calls);
            bound.release();
            calls.done.done();
        });
    calls.done.wait();
    w.stop();
    fdprint(text_fd(), "C  ", n, " foreign calls of 50 ms, at most ", kCallBound,
            " at once (a Semaphore); most in flight at once: ", calls.in_flight_max.load(), "\n");
    report("C bounded by 32", w, "40-60 (<= 32 Ms in calls, GOMAXPROCS, idle)");
    syscall_counts(w);
    json_line("C_bounded", n, w, {{"in_flight_max", calls.in_flight_max.load()}});
}

void workload_d(int64_t n) {
    rawrt::WaitGroup done;
    std::atomic<int64_t> locked{0};
    Watch w;
    w.start();
    done.add(static_cast<int32_t>(n));
    for (int64_t i = 0; i < n; ++i)
        rawrt::go([&] {
            rawrt::lock_os_thread();
            locked.fetch_add(1);
            rawrt::sleep(kLockedSleepNs);
            // Asleep until every one of them is (thread creation can be
            // slow, e.g. under qemu): then all n were parked at once.
            while (locked.load() < n) rawrt::sleep(10 * kMs);
            // Ends still locked: as in Go, the thread ends with the G.
            done.done();
        });
    done.wait();
    w.stop();
    // The locked Gs' threads exit right after them: give them a moment.
    rawrt::sleep(50 * kMs);
    fdprint(text_fd(), "D  ", locked.load(), " Gs locked to their threads (lock_os_thread), asleep ",
            kLockedSleepNs / kMs,
            " ms or more, all at once; threads once they ended (still locked): ", rawrt::stats().threads, "\n");
    report("D", w, "100+ (one parked M per locked G)");
    json_line("D", n, w, {{"locked", locked.load()}});
}

void workload_e(int64_t n) {
    Watch w;
    w.start();
    int64_t made[kBursts] = {};
    for (int burst = 0; burst < kBursts; ++burst) {
        const int64_t created = rawrt::stats().threads_created;
        rawrt::WaitGroup done;
        done.add(static_cast<int32_t>(n));
        for (int64_t i = 0; i < n; ++i)
            rawrt::go([&done] {
                const rawrt::sys::KernelTimespec ts = {0, kBurstSyscallNs};
                (void)rawrt::sys::nanosleep(rawrt::sys::as_timespec(&ts), nullptr);  // Go's Syscall
                done.done();
            });
        done.wait();
        made[burst] = rawrt::stats().threads_created - created;
        rawrt::sleep(kIdleNs);  // every P idle
    }
    rawrt::sleep(kIdleAfterLastNs);
    w.stop();
    const rawrt::SchedStats& idle = w.after();
    fdprint(text_fd(), "E  ", kBursts, " bursts of ", n, " syscalls of ", kBurstSyscallNs / kMs, " ms, ", kIdleNs / kMs,
            " ms idle after each (", (kIdleNs + kIdleAfterLastNs) / kMs, " ms after the last); Ms made per burst:");
    for (int64_t m : made) fdprint(text_fd(), " ", m);
    fdprint(text_fd(), "; after the idle time: ", idle.threads, " threads, ", idle.idle_threads,
            " of them parked in the idle pool (rawrt ends idle Ms beyond procs after mretire; Go never does)\n");
    report("E", w, "bursty 30-100, steady state 5-10 (the seed: threads shrink when idle)");
    syscall_counts(w);
    json_line("E", n, w);
}

}  // namespace threadcount
