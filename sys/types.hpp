// The kernel structures the sys wrappers take.
//
// Where glibc and the kernel agree on a struct's layout (sockaddr, iovec,
// timespec, statx, epoll_event, rusage, rlimit64, io_uring_params) it is only
// declared here, so a hosted program passes its <sys/...> struct and a
// freestanding one the <linux/...> struct of the same name. Where they differ
// (sigaction, sigset_t, stack_t, utsname) rawrt defines the kernel's layout
// under its own name; sys/layout_checks.cpp checks every one of them against
// the UAPI headers.
#pragma once

#include <cstddef>
#include <cstdint>

struct epoll_event;
struct io_uring_params;
struct iovec;
struct rlimit64;
struct rusage;
struct sockaddr;
struct statx;
struct timespec;

namespace rawrt::sys {

// The kernel's sigset_t: one bit per signal, 64 signals, passed with
// sigsetsize = 8 (glibc's sigset_t is 128 bytes).
using SignalSet = uint64_t;
constexpr size_t kSignalSetSize = sizeof(SignalSet);

// rt_sigprocmask's `how` (<asm/signal.h>, which clashes with glibc's
// <signal.h> that GCC 12's <atomic> pulls in).
constexpr int kSigBlock = 0;
constexpr int kSigUnblock = 1;
constexpr int kSigSetmask = 2;

constexpr SignalSet signal_bit(int signo) { return SignalSet{1} << (signo - 1); }

// Signal numbers and sigaction flags rawrt uses, the same on x86_64 and
// arm64. Runtime code cannot include <asm/signal.h> for them: GCC 12's
// <atomic> pulls in glibc's <signal.h>, which clashes with it.
constexpr int kNsig = 64;
constexpr int kSIGILL = 4;
constexpr int kSIGBUS = 7;
constexpr int kSIGFPE = 8;
constexpr int kSIGKILL = 9;
constexpr int kSIGSEGV = 11;
constexpr int kSIGSTOP = 19;
constexpr unsigned long kSA_SIGINFO = 0x00000004;
constexpr unsigned long kSA_RESTORER = 0x04000000;
constexpr unsigned long kSA_ONSTACK = 0x08000000;
constexpr unsigned long kSA_RESTART = 0x10000000;
constexpr int kSS_DISABLE = 2;

// struct sigaction as rt_sigaction reads it (glibc's differs).
struct KernelSigaction {
    void* handler;  // void (*)(int) or, with SA_SIGINFO, void (*)(int, siginfo_t*, void*)
    unsigned long flags;
    void (*restorer)();  // with SA_RESTORER: rawrt_sigreturn (mandatory on x86_64)
    SignalSet mask;
};

// stack_t for sigaltstack.
struct SignalStack {
    void* sp;
    int flags;
    size_t size;
};

// The clocks rawrt reads itself. Runtime code cannot include <linux/time.h>
// for them: GCC 12's <atomic> pulls in glibc's <time.h>, whose timeval and
// itimerspec clash with the kernel's.
constexpr int kClockRealtime = 0;        // CLOCK_REALTIME
constexpr int kClockMonotonic = 1;       // CLOCK_MONOTONIC
constexpr int kClockRealtimeCoarse = 5;  // CLOCK_REALTIME_COARSE

// struct __kernel_timespec, which is what timespec is on both 64-bit ABIs,
// for runtime code that needs one it can fill in.
struct KernelTimespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};
inline timespec* as_timespec(KernelTimespec* ts) { return reinterpret_cast<timespec*>(ts); }
inline const timespec* as_timespec(const KernelTimespec* ts) {
    return reinterpret_cast<const timespec*>(ts);
}

// struct user_msghdr as sendmsg reads it: no UAPI header defines it for user
// space (glibc's struct msghdr has the same layout on both 64-bit ABIs).
struct KernelMsghdr {
    void* name;
    int namelen;
    iovec* iov;
    size_t iovlen;
    void* control;
    size_t controllen;
    unsigned flags;
};

// struct new_utsname for uname.
struct Utsname {
    char sysname[65];
    char nodename[65];
    char release[65];
    char version[65];
    char machine[65];
    char domainname[65];
};

}  // namespace rawrt::sys
