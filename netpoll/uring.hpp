// The io_uring ring: the scheduler's second poller (sched/poller.hpp), beside
// epoll. A G hands the kernel one operation (an SQE whose user_data is the
// G's Op), parks as a G parks on a pollDesc, and its M runs other Gs; the
// completion (a CQE) is reaped wherever the scheduler polls (findRunnable,
// the M blocked in epoll, which the ring's eventfd wakes, sysmon) and readies
// the G. docs/file-io.md tells the design.
//
//   io_uring_sqe sqe{};
//   sqe.opcode = IORING_OP_READ; sqe.fd = fd; sqe.addr = ...; sqe.len = n;
//   long r = uring::submit_and_wait(sqe, 0);   // r >= 0, or -errno
//
// One ring per run, made on first use (uring_init) and shared by every M:
// submission is the raw flavour (no entersyscall: io_uring_enter with
// nothing to wait for never blocks), under a lock; completions are reaped
// under another. Where io_uring_setup fails (ENOSYS under qemu-user, EPERM
// with kernel.io_uring_disabled or a seccomp filter), or RAWRT_DEBUG has
// uring=0, uring_init fails and callers use the blocking syscalls instead.
#pragma once

#include <cstdint>

#include "sys/result.hpp"

struct io_uring_sqe;

namespace rawrt::netpoll::uring {

// Makes the ring and installs it behind the poller seam the first time;
// later calls cost one load. Errors: ENOTSUP when RAWRT_DEBUG says uring=0,
// else what io_uring_setup, mmap, eventfd2, io_uring_register or the seam
// said; nothing is left behind, and the run goes on without a ring (later
// calls fail the same way at once).
sys::Result<void> uring_init();

// submit_and_wait's answer when the calling thread may not submit: the
// io-wq workers are the kernel's per submitting thread, and every share
// of RAWRT_DEBUG=uringworkers is held by another thread. The caller takes
// the blocking path instead.
constexpr long kNotSubmitted = -(1L << 40);

// Submits *sqe (its user_data is overwritten) and parks the calling G until
// its completion; returns the CQE's res (>= 0, or -errno), or kNotSubmitted. deadline_ns > 0:
// an absolute vdso::nanotime() after which a linked timeout cancels the
// operation (-ECANCELED, or its result if it completed meanwhile): the G
// waits for the operation's own completion either way, so its buffers stay
// the G's. Only on a G, after uring_init succeeded.
long submit_and_wait(const io_uring_sqe& sqe, int64_t deadline_ns);

// Whether the ring's kernel has the operation (IORING_REGISTER_PROBE).
// After uring_init succeeded.
bool supports(uint8_t opcode);

// Counters since this run's ring was made.
struct UringStats {
    uint64_t submitted = 0;       // operations handed to the kernel
    uint64_t inline_done = 0;     // of which complete when submission returned (no park)
    uint64_t parked = 0;          // of which the G parked for
    uint64_t reaped = 0;          // CQEs of operations reaped
    uint64_t overflows = 0;       // times the CQ had overflowed and was flushed
    bool active = false;          // the ring exists
    uint32_t entries = 0;         // SQ entries
    uint32_t features = 0;        // io_uring_params.features
    uint64_t no_share = 0;        // operations refused for want of a share (kNotSubmitted)
    uint64_t kernel_cancels = 0;  // operations the kernel cancelled unasked, made again blocking
    int32_t submitters = 0;       // threads alive that have submitted (each has its io-wq)
    int32_t shares = 0;           // the most threads that may
    uint32_t workers_each = 0;    // the io-wq limit per thread (IOWQ_MAX_WORKERS)
    // Threads that registered the ring's fd (RAWRT_DEBUG uringregfd), and
    // of them those alive with the registration not yet undone.
    uint64_t ring_fd_registrations = 0;
    int32_t ring_fds = 0;
};
UringStats uring_stats();
// os/: an operation came back ECANCELED with no cancel of rawrt's.
void note_kernel_cancel();

}  // namespace rawrt::netpoll::uring
