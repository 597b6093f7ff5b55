// Compile-time proof that the structures sys/types.hpp declares or defines
// have the kernel's layout on this architecture. Nothing here runs.

#include <asm/signal.h>
#include <linux/eventpoll.h>
#include <linux/time.h>
#include <linux/uio.h>
#include <linux/utsname.h>

#include <cstddef>

#include "sys/types.hpp"

namespace rawrt::sys {

static_assert(sizeof(KernelSigaction) == sizeof(struct sigaction));
static_assert(offsetof(KernelSigaction, handler) == offsetof(struct sigaction, sa_handler));
static_assert(offsetof(KernelSigaction, flags) == offsetof(struct sigaction, sa_flags));
static_assert(offsetof(KernelSigaction, restorer) == offsetof(struct sigaction, sa_restorer));
static_assert(offsetof(KernelSigaction, mask) == offsetof(struct sigaction, sa_mask));
static_assert(sizeof(SignalSet) == sizeof(sigset_t));
static_assert(kSigBlock == SIG_BLOCK && kSigUnblock == SIG_UNBLOCK && kSigSetmask == SIG_SETMASK);

static_assert(sizeof(SignalStack) == sizeof(stack_t));
static_assert(offsetof(SignalStack, sp) == offsetof(stack_t, ss_sp));
static_assert(offsetof(SignalStack, flags) == offsetof(stack_t, ss_flags));
static_assert(offsetof(SignalStack, size) == offsetof(stack_t, ss_size));

static_assert(sizeof(Utsname) == sizeof(struct new_utsname));

// The one struct whose layout differs by architecture: packed on x86_64 only.
#if defined(__x86_64__)
static_assert(sizeof(struct epoll_event) == 12);
#else
static_assert(sizeof(struct epoll_event) == 16);
#endif
static_assert(sizeof(struct timespec) == 16);
static_assert(sizeof(KernelTimespec) == sizeof(struct __kernel_timespec));
static_assert(offsetof(KernelTimespec, tv_nsec) == offsetof(struct __kernel_timespec, tv_nsec));
static_assert(kClockRealtime == CLOCK_REALTIME && kClockMonotonic == CLOCK_MONOTONIC &&
              kClockRealtimeCoarse == CLOCK_REALTIME_COARSE);
static_assert(sizeof(struct iovec) == 16);

}  // namespace rawrt::sys
