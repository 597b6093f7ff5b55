// Poll descriptors: the platform-independent half of Go's netpoller
// (runtime/netpoll.go). One pollDesc per registered fd carries two binary
// semaphores, rg for the reader and wg for the writer, each in one of four
// states, changed only by CAS:
//
//   0 (pdNil)   nothing pending
//   pdReady     an I/O notification arrived and nobody has consumed it yet
//   pdWait      a G is about to park; it commits by CAS(pdWait -> G)
//   G*          that G is parked; a notification swaps in pdReady (I/O) or
//               0 (close, deadline) and readies it
//
// A G blocks in poll_runtime_pollWait; the poller (netpoll/netpoll.hpp)
// finds ready fds and collects their parked Gs with netpollready; close and
// deadlines unblock with netpollunblock. The life of a read that would block:
//
//   fd::FD::read -> read(2) says EAGAIN -> pollWait(pd, 'r') -> netpollblock:
//   CAS rg 0 -> pdWait, gopark, commit rg pdWait -> G ... epoll reports the
//   fd -> netpoll -> netpollready -> rg G -> pdReady, G in the list -> the
//   caller readies it -> pollWait consumes pdReady -> read(2) again.
//
// pollDescs are type-stable, as in Go: they come from a cache of blocks that
// are never freed while the poller lives, because the kernel can hand back
// an event for an fd that has been closed meanwhile. The fdseq tag packed
// with the pointer into the epoll data tells such a stale event from a live
// one once the pollDesc has been reused.
#pragma once

#include <atomic>
#include <cstdint>

#include "locks/lock_futex.hpp"
#include "sched/poller.hpp"
#include "sched/runtime2.hpp"
#include "sched/time.hpp"
#include "sys/result.hpp"

namespace rawrt::netpoll {

// Go: the error codes of pollReset and pollWait (internal/poll's).
enum PollError : int {
    pollNoError = 0,         // ready
    pollErrClosing = 1,      // the descriptor is being closed
    pollErrTimeout = 2,      // its deadline has passed
    pollErrNotPollable = 3,  // epoll reported an error on it (EPOLLERR alone)
};

// Go's modes: 'r', 'w', or 'r' + 'w' for both.
inline constexpr int32_t kModeRead = 'r';
inline constexpr int32_t kModeWrite = 'w';
inline constexpr int32_t kModeReadWrite = 'r' + 'w';

// Go: pdNil, pdReady, pdWait. Anything larger is a G*.
inline constexpr uintptr_t pdNil = 0;
inline constexpr uintptr_t pdReady = 1;
inline constexpr uintptr_t pdWait = 2;

// Go: taggedPointer (tagptr_64bit.go). A user-space pointer on x86_64 and
// arm64 fits in 48 bits and a pollDesc is 8-byte aligned: shifted up by 16,
// the pointer leaves 19 low bits for the tag (fdseq modulo 2^19).
inline constexpr uint32_t kTaggedPointerAddrBits = 48;
inline constexpr uint32_t kTaggedPointerBits = 64 - kTaggedPointerAddrBits + 3;
inline constexpr uintptr_t kTagMask = (uintptr_t{1} << kTaggedPointerBits) - 1;

// Go: the bits of pollDesc.atomicInfo. Above the four flags sits a copy of
// fdseq (all 19 bits here; Go keeps 20 bits at a shift that loses some).
inline constexpr uint32_t pollClosing = 1u << 0;
inline constexpr uint32_t pollEventErr = 1u << 1;
inline constexpr uint32_t pollExpiredReadDeadline = 1u << 2;
inline constexpr uint32_t pollExpiredWriteDeadline = 1u << 3;
inline constexpr uint32_t pollFDSeqShift = 4;
inline constexpr uint32_t pollFDSeqMask = static_cast<uint32_t>(kTagMask);
static_assert(pollFDSeqShift + kTaggedPointerBits <= 32);

struct pollDesc;

// Go: taggedPointerPack. Fatal if pd does not fit (never on Linux's layouts).
uint64_t taggedPointerPack(pollDesc* pd, uintptr_t tag);
inline pollDesc* taggedPointerPointer(uint64_t tp) {
    return reinterpret_cast<pollDesc*>(static_cast<uintptr_t>(tp >> kTaggedPointerBits << 3));
}
inline uintptr_t taggedPointerTag(uint64_t tp) { return static_cast<uintptr_t>(tp) & kTagMask; }

// Go: pollDesc. Lives in the pollcache; aligned to a cache line so two fds'
// semaphores never share one.
struct alignas(64) pollDesc {
    pollDesc* link = nullptr;  // the pollcache's free list (under its lock)
    int fd = -1;               // constant from pollOpen to pollClose

    // Go: fdseq. Bumped each time the pollDesc is freed (modulo 2^19): an
    // epoll event tagged with an older value is for a previous owner.
    std::atomic<uintptr_t> fdseq{0};

    // Go: atomicInfo. closing, eventErr and expired deadlines, plus fdseq's
    // low bits, so pollWait checks them without the lock (publishInfo).
    std::atomic<uint32_t> atomicInfo{0};

    // Go: rg and wg, the two semaphores (see the top of this file).
    std::atomic<uintptr_t> rg{pdNil};
    std::atomic<uintptr_t> wg{pdNil};

    // Set by the poller once epoll reports hang-up, an error or urgent data
    // for this registration (EPOLLRDHUP, EPOLLHUP, EPOLLERR, EPOLLPRI), and
    // kept until the pollDesc is reused: from then on a short read does not
    // prove the receive queue empty, so the next read is made before any
    // wait (fd::FD::read; docs/netpoll.md, "The read that is skipped").
    // Stored before the event readies rg, and read after the reader's reset
    // of rg, all sequentially consistent: a reset that erased that event's
    // notification comes after the store.
    std::atomic<bool> short_read_inconclusive{false};

    // Go: lock. Protects what follows; pollWait, pollReset and netpollready
    // do without it (they use the atomics above).
    locks::mutex lock;
    bool closing = false;
    // Deadlines, as nanotime: 0 none, < 0 passed (I/O fails with
    // pollErrTimeout), > 0 the time it passes. rseq/wseq are bumped whenever
    // a deadline changes or the descriptor is reused, so a deadline timer
    // started for an older setting finds a different value and does nothing.
    uintptr_t rseq = 0;
    int64_t rd = 0;
    uintptr_t wseq = 0;
    int64_t wd = 0;
    // Go: rt, wt. The deadline timers: f != nullptr while one is meant to
    // run (rt alone serves both sides when rd == wd: Go's combo).
    sched::Timer rt;
    sched::Timer wt;
    // Go: pollDesc.info / publishInfo / setEventErr.
    uint32_t info() const { return atomicInfo.load(std::memory_order_acquire); }
    void publishInfo();  // with lock held
    void setEventErr(bool b, uintptr_t seq);
};

// Go: poll_runtime_pollOpen. Takes a pollDesc from the cache and registers
// fd with epoll, starting the poller on first use. Errors: whatever
// epoll_ctl says (EPERM for a regular file, which cannot be polled; EBADF;
// ENOMEM), or what starting the poller failed with.
sys::Result<pollDesc*> poll_runtime_pollOpen(int fd);
// Go: poll_runtime_pollClose. Unregisters the fd (before it is closed) and
// returns pd to the cache. poll_runtime_pollUnblock must have run and no G
// may be parked on pd (fatal otherwise).
void poll_runtime_pollClose(pollDesc* pd);
// Go: poll_runtime_pollReset. Before an I/O attempt in mode: forgets an old
// readiness notification, or reports why the attempt must not be made.
PollError poll_runtime_pollReset(pollDesc* pd, int32_t mode);
// Go: poll_runtime_pollWait. Parks the calling G until pd is ready in mode
// ('r' or 'w'), it is closed, or its deadline passes. Only on a G.
PollError poll_runtime_pollWait(pollDesc* pd, int32_t mode);
// Go: poll_runtime_pollUnblock. Marks pd closing and readies every G parked
// on it (they return pollErrClosing). Called by the fd layer's close.
void poll_runtime_pollUnblock(pollDesc* pd);

// Go: poll_runtime_pollSetDeadline. d: 0 no deadline, < 0 already passed,
// > 0 that many nanoseconds from now; mode 'r', 'w' or 'r' + 'w'. A passed
// deadline takes effect at once: parked Gs of that side are readied and
// return pollErrTimeout, and later waits fail the same way until the
// deadline is changed. A future one arms a timer (on the caller's P) that
// does the same when it passes; changing the deadline moves or stops it.
// Only on a G.
void poll_runtime_pollSetDeadline(pollDesc* pd, int64_t d, int32_t mode);
// Go: netpollReadDeadline / netpollWriteDeadline / netpollDeadline: what a
// deadline timer runs when it fires. A seq that is no longer pd's current
// one (the deadline was changed, or the descriptor reused) is ignored.
// They ready the Gs they unblock, so they need a P (a G, or g0 with a P).
void netpollReadDeadline(pollDesc* pd, uintptr_t seq);
void netpollWriteDeadline(pollDesc* pd, uintptr_t seq);
void netpollDeadline(pollDesc* pd, uintptr_t seq);

// Go: netpollready. The poller found pd ready in mode: collects the Gs to
// ready into *toRun. Returns the change to netpollWaiters (see below) that
// the caller applies once the Gs are on a run queue.
int32_t netpollready(sched::GList* toRun, pollDesc* pd, int32_t mode);
// Go: netpollunblock. Moves pd's mode semaphore to pdReady (ioready) or
// pdNil and returns the G parked there, if any; *delta counts it.
sched::G* netpollunblock(pollDesc* pd, int32_t mode, bool ioready, int32_t* delta);

// Go: pollCache. pollDescs are carved from blocks mapped for the purpose and
// never unmapped while the poller lives (type stability, see above).
pollDesc* pollcache_alloc();  // nullptr when no memory can be mapped
void pollcache_free(pollDesc* pd);
// Teardown only (netpoll_destroy): unmaps every block. Every pollDesc is
// invalid afterwards.
void pollcache_release();

}  // namespace rawrt::netpoll
