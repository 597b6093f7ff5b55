// Starting and ending a run of the runtime (Go: schedinit, procresize, and
// what happens when main returns, runtime/proc.go), for both ways in:
//
//   hosted        rawrt::run(config, fn) from any ordinary thread
//   freestanding  rawrt_main_entry, called by rawrt's crt with main's args
//
// Both take the same path: the calling thread only starts the first M (m0)
// and sleeps on sched.done. A glibc thread cannot become an M (its thread
// pointer belongs to glibc), so m0 is always a thread of rawrt's own.

#include <linux/futex.h>
#include <linux/mman.h>

#include "sched/poller.hpp"
#include "sched/asymfence.hpp"
#include "sched/debug.hpp"
#include "sched/go.hpp"
#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/sema.hpp"
#include "sched/signal_unix.hpp"
#include "sched/stack.hpp"
#include "sched/stats.hpp"
#include "sched/entersyscall.hpp"
#include "sched/standby.hpp"
#include "sched/sysmon.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

size_t stack_size = kDefaultStackSize;

namespace {

std::atomic<bool> running{false};
std::atomic<uint64_t> generation{0};  // runs started, this one included
P* p_storage = nullptr;               // the array allp points into
size_t p_storage_bytes = 0;

// What the main G calls, kept in its closure buffer.
struct MainBody {
    void (*fn)(void*);
    void* arg;
};

void call_main(void* closure) {
    auto* body = static_cast<MainBody*>(closure);
    body->fn(body->arg);
}

// RAWRT_MAXPROCS, if it is a positive number (schedinit caps it at kMaxProcs).
int32_t procs_from_environment() {
    const int64_t n = sys::parse_decimal(sys::getenv("RAWRT_MAXPROCS"), nullptr, INT32_MAX);
    return n > 0 ? static_cast<int32_t>(n) : 0;
}

// Go: schedinit + procresize, for a fresh run.
sys::Result<void> schedinit(const RunConfig& config) {
    int32_t procs = config.procs;
    if (procs < 0 || procs > kMaxProcs) return sys::Errno(EINVAL);
    if (procs == 0) procs = procs_from_environment();
    if (procs == 0) procs = getproccount();
    if (procs > kMaxProcs) procs = kMaxProcs;
    if (config.stack_size % 4096 != 0) return sys::Errno(EINVAL);
    if (config.max_threads < 0) return sys::Errno(EINVAL);
    if (config.preempt_us != 0 && config.preempt_us < kMinPreemptUs) return sys::Errno(EINVAL);
    stack_size = config.stack_size != 0 ? config.stack_size : kDefaultStackSize;
    sched.maxmcount = config.max_threads != 0 ? config.max_threads : 10000;
    parsedebugvars(config.debug);
    if (config.preempt_us != 0) debug.forcepreempt_ns = config.preempt_us * 1000;
    (void)asymfence_init(debug.membarrier);
    sched.lastpoll.store(vdso::nanotime(), std::memory_order_relaxed);

    p_storage_bytes = (sizeof(P) * procs + 4095) & ~size_t{4095};
    auto mem = sys::raw::mmap(nullptr, p_storage_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!mem.ok()) return mem.error();
    p_storage = static_cast<P*>(mem.value());
    sched.gomaxprocs = procs;
    for (int32_t i = 0; i < procs; ++i) {
        P* pp = ::new (&p_storage[i]) P;
        pp->id = i;
        pp->cache = allocmcache();
        allp[i] = pp;
    }
    // P 0 goes to m0 (acquirep wants it idle); the rest wait on the idle
    // list, last P first.
    allp[0]->status.store(Pidle, std::memory_order_relaxed);
    for (int32_t i = procs - 1; i > 0; --i) pidleput(allp[i]);  // no lock yet: nothing else runs
    return {};
}

// Waits until the kernel has cleared mp->procid: the thread is gone and its
// stack may be unmapped. CLONE_CHILD_CLEARTID wakes a shared futex.
void join(M* mp) {
    // clone stored the tid (PARENT_SETTID) before the thread could run.
    const int tid = __atomic_load_n(&mp->procid, __ATOMIC_ACQUIRE);
    for (int t = tid; t != 0; t = __atomic_load_n(&mp->procid, __ATOMIC_ACQUIRE))
        (void)sys::raw::futex(reinterpret_cast<uint32_t*>(&mp->procid), FUTEX_WAIT, static_cast<uint32_t>(t));
    // The word is cleared a moment before the thread leaves /proc/self/task
    // (qemu-user clears it before the host thread even starts to exit):
    // signal 0 finds the thread until it is really gone.
    if (tid == 0) return;
    const int pid = sys::raw::getpid().value();
    while (sys::raw::tgkill(pid, tid, 0).ok()) osyield();
}

// After sched.done: join every M, unmap every stack, forget everything, so
// that the next run starts from nothing.
void teardown() {
    // An M that startm reserved before the run began to end may not be on
    // allm yet, or not have its thread: wait until it has (it then sees
    // sched.exiting and leaves like the rest). The acquire pairs with newm's
    // release, which follows its link into allm.
    while (sched.m_starting.load(std::memory_order_acquire) != 0) osyield();
    for (M* mp = allm; mp != nullptr; mp = mp->alllink) join(mp);
    for (M* mp = sched.freem; mp != nullptr; mp = mp->alllink) join(mp);
    install_syscall_hooks(false);
    netpoll_destroy();  // every M is gone: nobody polls or holds a pollDesc
    semtable_reset();   // Gs still parked on semaphores: their stacks go below
    final_stats();
    deinit_sig();
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        free_timers(&allp[i]->timers);
        freemcache(allp[i]->cache);
    }
    trace_release();
    mheap_release_all();  // every object the run allocated, freed or not
    stack_free_all();     // every G's and M's stack, with the Gs and Ms in them
    (void)sys::raw::munmap(p_storage, p_storage_bytes);
    p_storage = nullptr;
    for (int32_t i = 0; i < kMaxProcs; ++i) allp[i] = nullptr;
    allm = nullptr;
    sched.~Schedt();
    ::new (&sched) Schedt;
}

}  // namespace

uint64_t run_generation() { return generation.load(std::memory_order_acquire); }

sys::Result<void> run_main(const RunConfig& config, void (*fn)(void*), void* arg, bool exit_process_on_end) {
    if (getm() != nullptr) return sys::Errno(EBUSY);  // from inside a run
    bool expected = false;
    if (!running.compare_exchange_strong(expected, true)) return sys::Errno(EBUSY);
    generation.fetch_add(1, std::memory_order_acq_rel);
    auto init = schedinit(config);
    if (!init.ok()) {
        running.store(false);
        return init;
    }
    sched.exit_process_on_end = exit_process_on_end;
    current_mcache = [] {
        M* mp = getm();
        return mp != nullptr && mp->p != nullptr ? mp->p->cache : nullptr;
    };
    reset_stats();
    sysmon_reset();
    standby_reset();
    initsig();
    install_syscall_hooks(true);

    G* main_g = malg();
    casgstatus(main_g, Gidle, Gdead);
    allgadd(main_g);
    main_g->fn = call_main;
    ::new (main_g->closure) MainBody{fn, arg};
    main_g->goid = static_cast<int64_t>(sched.goidgen.fetch_add(1) + 1);
    main_g->is_main = true;
    main_g->site_file = "main";
    casgstatus(main_g, Gdead, Grunnable);
    runqput(allp[0], main_g, false);  // before m0 owns P 0: nobody else touches it yet

    // A trace the program asked for is an error of the run's; one from the
    // environment only a warning.
    const char* trace_path = config.trace != nullptr ? config.trace : sys::getenv("RAWRT_TRACE");
    if (auto t = trace_run_start(trace_path); !t.ok()) {
        if (config.trace != nullptr) {
            teardown();
            running.store(false);
            return t;
        }
        sys::fdprint(2, "rawrt: RAWRT_TRACE=", trace_path, ": ", t.error(), "; not tracing\n");
    }
    // Nothing else runs yet: no lock needed for the ids.
    newm(allp[0], false, mReserveID());
    newm(nullptr, false, mReserveID(), sysmon);
    notesleep(&sched.done);
    trace_run_end();
    const bool deadlock = sched.deadlock;
    teardown();
    running.store(false);
    if (deadlock) return sys::Errno(EDEADLK);
    return {};
}

}  // namespace rawrt::sched

// A freestanding program's main, as the main G (overrides the crt's weak
// definition, which calls main directly). main's return ends the process
// with its status, as in Go; a deadlock is fatal.
namespace {
struct ProgramMain {
    int argc;
    char** argv;
    char** envp;
};
}  // namespace

int rawrt_program_main(int, char**, char**) __asm__("main");

extern "C" int rawrt_main_entry(int argc, char** argv, char** envp) {
    ProgramMain args{argc, argv, envp};
    auto body = [](void* p) {
        auto* a = static_cast<ProgramMain*>(p);
        rawrt::sys::exit_group(rawrt_program_main(a->argc, a->argv, a->envp));
    };
    auto r = rawrt::sched::run_main(rawrt::RunConfig{}, body, &args, true);
    rawrt::sys::fatal("runtime: cannot start: ", r.error());
}
