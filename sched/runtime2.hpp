// The scheduler's data structures: G, M, P and the global schedt, as Go's
// runtime/runtime2.go lays them out (only what rawrt uses, same names).
//
//   G  a goroutine: a stack, a saved context, a status.
//   M  an OS thread (made with the raw clone trampoline). It runs Gs while it
//      holds a P; it parks on its note when there is nothing to run.
//   P  the right to run Gs: a local run queue, free lists and caches. There
//      are exactly `procs` of them; an M without a P runs no Go code.
//
// Beside them, what the syscall handoff and sysmon need (P status Psyscall
// and Pretaking, m.oldp, the syscallticks) and what polling through
// sched/poller.hpp needs (sched.lastpoll, sched.pollUntil).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/context.hpp"
#include "sched/layers_below.hpp"
#include "sched/time.hpp"
#include "sys/counter.hpp"
#include "sys/tcb.hpp"
#include "sys/types.hpp"

namespace rawrt::sched {

struct G;
struct M;
struct P;
struct Sudog;
struct mcache;

// Go: the _G* constants (same values).
enum Gstatus : uint32_t {
    Gidle = 0,      // just allocated, not yet initialised
    Grunnable = 1,  // on a run queue, not running
    Grunning = 2,   // running on an M that holds a P
    Gsyscall = 3,   // in a syscall, on an M; may have lost its P
    Gwaiting = 4,   // parked (gopark) until someone readies it
    Gdead = 6,      // finished, on a free list for reuse (or never used)
};

// Go: the _P* constants.
enum Pstatus : uint32_t {
    Pidle = 0,     // on the idle list, no M
    Prunning = 1,  // owned by an M that runs Gs
    Psyscall = 2,  // its M is in a syscall; sysmon may retake it
    Pdead = 4,     // not in use (procs shrank, or the runtime stopped)
    // rawrt: sysmon has claimed a Psyscall P and asks whether its M is on
    // the way back (sched/entersyscall.cpp); it ends as Psyscall or Pidle.
    Pretaking = 5,
};

// Go: stack. [lo, hi): hi is the top, where a fresh stack pointer starts.
struct Stack {
    uintptr_t lo = 0;
    uintptr_t hi = 0;
};

// Go: stackfreelist (one per stack size in a P's stackcache): free stacks
// linked through a word at their top (sched/stack.cpp).
struct StackFreeList {
    uintptr_t list = 0;  // lo of the first free stack, 0 when empty
    uint32_t n = 0;
};
inline constexpr int kNumStackClasses = 4;  // distinct stack sizes in a run

// Go: waitReason, as text (tests and the deadlock report print it).
using WaitReason = const char*;

// What go(callable) runs: a function taking the G's closure buffer. The
// callable's state is moved into closure[] (Go heap-allocates a funcval).
inline constexpr size_t kClosureBytes = 96;

struct G {
    Context sched;  // saved sp while not running
    Stack stack;    // the G's own stack (guard page below lo)
    std::atomic<uint32_t> atomicstatus{Gidle};
    int64_t goid = 0;
    M* m = nullptr;                       // the M running it, when running
    M* lockedm = nullptr;                 // lock_os_thread
    G* schedlink = nullptr;               // run queue / free list link
    G* alllink = nullptr;                 // allgs: every G ever made, for teardown
    void* param = nullptr;                // passed by the readier (Go: g.param)
    std::atomic<uint32_t> selectDone{0};  // a select's cases race to wake it once
    Sudog* waiting = nullptr;             // sudogs g is queued with (select)
    WaitReason waitreason = nullptr;
    int64_t waitsince = 0;
    uintptr_t syscallsp = 0;  // where entersyscall was called from
    uintptr_t syscallpc = 0;
    // Set by sysmon after 10 ms on the CPU: the G yields at its next
    // scheduling point (rawrt::preempt_point, exitsyscall, yield), or where
    // the preemption signal finds it (sched/preempt.cpp).
    std::atomic<bool> preempt{false};
    bool is_main = false;    // its return ends the run
    uint32_t site_line = 0;  // where go() was called, for the tracer
    const char* site_file = nullptr;
    void (*fn)(void* closure) = nullptr;       // the body go() was given
    void (*destroy)(void* closure) = nullptr;  // destroys the moved callable
    alignas(16) unsigned char closure[kClosureBytes];
};

// Counters an M keeps for rawrt::stats() (sched/stats.hpp): only the M
// writes them (sys::counter_inc_owned).
struct MStats {
    std::atomic<uint64_t> syscalls{0};         // entersyscall, either kind
    std::atomic<uint64_t> exit_fast{0};        // got its own P back
    std::atomic<uint64_t> exit_idle_p{0};      // took another, idle P
    std::atomic<uint64_t> exit_slow{0};        // no P: the G was queued, the M parked
    std::atomic<uint64_t> handoff_block{0};    // entersyscallblock handed the P off
    std::atomic<uint64_t> blocking_calls{0};   // rawrt::blocking_call
    std::atomic<uint64_t> preempted{0};        // switched out by the preemption signal
    std::atomic<uint64_t> preempt_refused{0};  // the signal found an unsafe point
};

struct M {
    sys::ThreadControlBlock tcb;  // the thread pointer points here (CLONE_SETTLS)
    G* g0 = nullptr;              // scheduling stack: the thread's own
    G* curg = nullptr;            // the user G it is running
    P* p = nullptr;               // attached P (Go: m.p)
    P* nextp = nullptr;           // P handed over by startm
    P* oldp = nullptr;            // P before a syscall (handoff layer)
    int64_t id = 0;
    bool spinning = false;           // looking for work, counted in sched.nmspinning
    bool readying_for_self = false;  // in findRunnable's timer check: ready need not wake another M
    note park;                       // stopm sleeps here
    M* schedlink = nullptr;          // idle list, or sched.mstopping
    M* alllink = nullptr;            // allm
    G* lockedg = nullptr;            // lock_os_thread
    uint32_t lockedExt = 0;          // lock_os_thread calls not yet undone
    void (*mstartfn)() = nullptr;    // an M without a P (sysmon) runs this instead of schedule
    bool locked_park = false;        // parked in stoplockedm, not yet woken (under sched.lock)
    // On its way to the idle list, under sched.lock: one of proc_mp.cpp's
    // kStopping* (on sched.mstopping, or handed a P there: in nextp).
    uint8_t stopping = 0;
    uint32_t syscalltick = 0;
    // Set while exitsyscall tries to take oldp back: sysmon, having claimed
    // oldp, reads it to let the M have it (sched/entersyscall.cpp).
    std::atomic<bool> exiting_syscall{false};
    // A standby M (sched/standby.hpp): kStandby* or the P it is given, and
    // the P whose syscall it watches (written under sched.lock before
    // standby becomes kStandbyWaiting).
    std::atomic<uintptr_t> standby{0};
    P* watch_p = nullptr;
    // Go: m.locks. Non-zero while a runtime path runs code of the program's
    // (a closure's move, a channel element's) with its P or a lock in hand:
    // the preemption signal then leaves the G be (acquirem / releasem).
    int32_t locks = 0;
    // A preemption signal is on its way to this thread (Go: m.signalPending):
    // sysmon sends one at a time; the handler clears it.
    std::atomic<bool> signalPending{false};
    MStats stats;  // written by this M only, summed by rawrt::stats()
    // The tracer's (sched/trace_internal.hpp): this M's buffer, how many
    // it has filled, and the events it dropped with none to hand.
    std::atomic<struct TraceBuf*> tracebuf{nullptr};
    uint64_t trace_seq = 0;
    uint32_t trace_dropped = 0;
    uint64_t cheaprand = 0;  // sched/rand.hpp's state: only this M draws from it
    // A poller's note on this thread, for what the kernel keeps per thread
    // (the io_uring ring: the run in which this thread first submitted,
    // hence has io-wq workers of its own). Written by that poller; an M
    // marked for the current run is not retired when idle.
    uint64_t poller_mark = 0;
    // That poller's second note, valid while poller_mark is the current
    // run's: the slot the ring's fd is registered in on this thread
    // (IORING_REGISTER_RING_FDS), or -1.
    int32_t poller_slot = -1;
    // Idle-M retirement (sched/proc_mp.cpp's retire_if_idle): when this M
    // went idle after the last G it ran; 0 from execute on. A wake that
    // finds no G to run leaves it as it was.
    int64_t idle_since = 0;
    // The kernel clears this word (CLONE_CHILD_CLEARTID) and wakes the futex
    // when the thread is gone; clone fills it in (CLONE_PARENT_SETTID) before
    // the child can run, so a join can never see 0 too early.
    alignas(4) int procid = 0;
    Stack g0_stack;              // mmap'd thread stack (not for m0's caller)
    Stack gsignal;               // alternate signal stack (Go: m.gsignal's), in g0_stack
    sys::SignalSet sigmask = 0;  // the mask to restore once running
    // Set by park_m's caller (gopark): run on g0 after the G is saved; false
    // means "do not park after all", the G resumes at once.
    bool (*waitunlockf)(G* gp, void* arg) = nullptr;
    void* waitlock = nullptr;
};

// Go: sudog. A G waiting in a queue (a channel's, a semaphore's): one G may
// wait in several at once (select). rawrt keeps sudogs on the waiting G's own
// stack: the G is parked for exactly as long as its sudogs are queued.
struct Sudog {
    G* g = nullptr;
    Sudog* next = nullptr;
    Sudog* prev = nullptr;
    void* elem = nullptr;       // data to send, or where to receive
    bool isSelect = false;      // g is in a select: wake it at most once
    bool success = false;       // woken by a value (not by close)
    void* c = nullptr;          // the channel (or semaphore address) waited on
    Sudog* waitlink = nullptr;  // g's other sudogs (select)
    uint32_t ticket = 0;
};

// Go: gQueue, a FIFO of Gs through schedlink.
struct GQueue {
    G* head = nullptr;
    G* tail = nullptr;
    bool empty() const { return head == nullptr; }
    void push_back(G* gp);
    void push_front(G* gp);
    G* pop();
};

// Go: gList, a LIFO of Gs through schedlink.
struct GList {
    G* head = nullptr;
    int32_t n = 0;
    bool empty() const { return head == nullptr; }
    void push(G* gp);
    G* pop();
};

inline constexpr uint32_t kRunqSize = 256;  // Go: len(p.runq)

struct P {
    int32_t id = 0;
    std::atomic<uint32_t> status{Pdead};
    P* link = nullptr;         // idle list
    uint32_t schedtick = 0;    // incremented on every scheduler call
    uint32_t syscalltick = 0;  // incremented on every syscall
    M* m = nullptr;            // back-link to its M (nullptr if idle)
    // The M in the syscall while Psyscall (stale otherwise): only that M
    // may take the P back, and sysmon asks it before retaking.
    std::atomic<M*> syscallm{nullptr};
    // Set by entersyscall when it prompted a watch of this P (sysmon_prompt):
    // the syscalltick of that syscall and when it began.
    std::atomic<uint32_t> prompt_tick{~0u};
    std::atomic<int64_t> prompt_when{0};

    // Local run queue, lock-free: only the owner puts; anyone may steal.
    std::atomic<uint32_t> runqhead{0};
    std::atomic<uint32_t> runqtail{0};
    std::atomic<G*> runq[kRunqSize] = {};
    // A G readied by the current G runs next, inheriting its time slice.
    std::atomic<G*> runnext{nullptr};

    GList gFree;                                 // dead Gs to reuse (Go: p.gFree)
    StackFreeList stackcache[kNumStackClasses];  // Go: mcache.stackcache
    Timers timers;                               // sleeping Gs started here (Go: p.timers)
    mcache* cache = nullptr;                     // Go: p.mcache, the allocator's per-P cache (mem/malloc.hpp)
    // What sysmon saw last time (Go: sysmontick), owned by sysmon.
    struct {
        uint32_t schedtick = 0;
        int64_t schedwhen = 0;
        uint32_t syscalltick = 0;
        int64_t syscallwhen = 0;
    } sysmontick;
    uint64_t stats_steals = 0;  // Gs this P stole from others (tests)
};

// Go: schedt.
struct Schedt {
    std::atomic<uint64_t> goidgen{0};
    mutex lock;

    M* midle = nullptr;  // idle Ms waiting for work
    // rawrt: Ms that gave up their P and are on their way to stopm, awake
    // (sched/proc_mp.cpp's mstopping_put): startm hands one of them a P
    // rather than make a thread.
    M* mstopping = nullptr;
    uint64_t mstopping_handed = 0;  // Ps so handed (stats: threads not made)
    // rawrt: before the netpoller starts, the idle M that waits for the
    // earliest timer, and until when (stopm(until)); the others park without
    // a deadline, as Go's idle Ms do beside its one M in netpoll(until).
    M* timer_waiter = nullptr;
    int64_t timer_until = 0;
    int32_t nmidle = 0;
    int32_t nmidlelocked = 0;  // idle Ms holding a locked G
    int64_t mnext = 0;         // number of Ms created; next M id
    int64_t nmfreed = 0;       // Ms that exited mid-run (a locked G's end, an idle M retired)
    int32_t mmax = 0;          // most Ms alive at once
    int32_t maxmcount = 10000;
    int32_t nmsys = 0;   // system Ms not counted for deadlock (sysmon)
    M* freem = nullptr;  // exited Ms whose stacks newm frees once their threads are gone
    // Ms with an id reserved whose thread newm has not yet cloned: the
    // run's teardown waits for them, or one could start on a stack it has
    // already unmapped.
    std::atomic<int32_t> m_starting{0};

    P* pidle = nullptr;  // idle Ps
    std::atomic<int32_t> npidle{0};
    std::atomic<int32_t> nmspinning{0};

    // Go: lastpoll, pollUntil. When the network was last polled (0 while
    // an M is blocked in netpoll: only one ever is), and until when that
    // M sleeps there (0: until woken).
    std::atomic<int64_t> lastpoll{1};
    std::atomic<int64_t> pollUntil{0};

    GQueue runq;  // the global run queue
    int32_t runqsize = 0;

    mutex gfree_lock;  // the global G free list
    GList gFree;

    int32_t gomaxprocs = 0;
    bool exiting = false;  // the main G returned: Ms leave instead of parking
    int exit_code = 0;
    G* allgs = nullptr;                // every G, linked through alllink (under lock)
    note done;                         // run()'s caller sleeps here until the end
    bool deadlock = false;             // the run ended because no G could ever run again
    bool exit_process_on_end = false;  // freestanding main: deadlock is fatal
};

extern Schedt sched;
extern P* allp[];  // gomaxprocs entries
inline constexpr int32_t kMaxProcs = 256;
extern M* allm;  // every M alive (under sched.lock)

// The calling thread's M and G through the thread pointer; nullptr on a
// thread that is not a runtime M. Each is two loads (the thread pointer,
// then the TCB's field): in the program's code, which the preemption signal
// may switch out between them and resume on another M, getg() can name the
// G the first M runs by then (a TCB's m never changes, so getm() names the
// M of an instruction earlier). The runtime's own calls are in its text,
// where no preemption lands.
inline M* getm() {
    sys::ThreadControlBlock* tcb = sys::current_runtime_tcb();
    return tcb != nullptr ? static_cast<M*>(tcb->m) : nullptr;
}
inline G* getg() {
    sys::ThreadControlBlock* tcb = sys::current_runtime_tcb();
    return tcb != nullptr ? static_cast<G*>(tcb->g) : nullptr;
}
// The G the calling thread's M runs; nullptr on a thread that is not an M,
// and on an M between Gs.
inline G* current_g() {
    M* mp = getm();
    return mp != nullptr ? mp->curg : nullptr;
}
// The same without the check, for the scheduler's own paths, which only
// ever run on an M (mcall, schedule, execute and what they call).
inline M* thism() { return static_cast<M*>(reinterpret_cast<sys::ThreadControlBlock*>(arch::thread_pointer())->m); }
// Go: acquirem / releasem. Between them the calling M's G is not preempted
// by the signal (sched/preempt.cpp): for the runtime's calls into the
// program's code (which lies outside the runtime's text) while the runtime
// holds its P or a lock. The fences keep the count where the handler, on
// the same thread, reads it.
inline M* acquirem() {
    M* mp = thism();
    ++mp->locks;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return mp;
}
inline void releasem(M* mp) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    --mp->locks;
}
// Only on an M (the thread pointer is its TCB).
inline void setg(G* gp) { reinterpret_cast<sys::ThreadControlBlock*>(arch::thread_pointer())->g = gp; }

}  // namespace rawrt::sched
