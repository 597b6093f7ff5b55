// The kernel structures the sys wrappers take.
//
// Where glibc and the kernel agree on a struct's layout (sockaddr, iovec,
// timespec, statx, epoll_event, rusage, rlimit64, io_uring_params, stat, ...)
// it is only declared here, so a hosted program passes its <sys/...> struct and a
// freestanding one the <linux/...> struct of the same name. Where they differ
// (sigaction, sigset_t, stack_t, utsname) rawrt defines the kernel's layout
// under its own name; sys/uapi_checks.cpp checks every one of them against
// the UAPI headers.
#pragma once

#include <cstddef>
#include <cstdint>

struct epoll_event;
struct file_handle;
struct io_uring_params;
struct iovec;
struct itimerspec;
struct itimerval;
struct mount_attr;
struct open_how;
struct perf_event_attr;
struct pollfd;
struct rlimit;
struct rlimit64;
struct rusage;
struct sched_attr;
struct sched_param;
struct sigevent;
struct sockaddr;
struct stat;
struct statfs;
struct statx;
struct sysinfo;
struct timespec;
struct timeval;
struct timex;
struct tms;

namespace rawrt::sys {

// The kernel's sigset_t: one bit per signal, 64 signals, passed with
// sigsetsize = 8 (glibc's sigset_t is 128 bytes).
using SignalSet = uint64_t;
constexpr size_t kSignalSetSize = sizeof(SignalSet);

constexpr SignalSet signal_bit(int signo) { return SignalSet{1} << (signo - 1); }

// struct sigaction as rt_sigaction reads it (glibc's differs).
struct KernelSigaction {
    void* handler;  // void (*)(int) or, with SA_SIGINFO, void (*)(int, siginfo_t*, void*)
    unsigned long flags;
    void (*restorer)();  // with SA_RESTORER: rawrt_sigreturn (mandatory on x86_64)
    SignalSet mask;
};

// siginfo_t: the head every kind shares, then a union, 128 bytes in all;
// the members rawrt reads or fills.
struct Siginfo {
    int32_t signo;
    int32_t errnum;
    int32_t code;
    int32_t pad;
    struct Queued {  // si_code SI_QUEUE (rt_sigqueueinfo, rt_tgsigqueueinfo)
        int32_t pid;
        uint32_t uid;
        uint64_t value;  // si_value
    };
    struct Child {  // SIGCHLD, and what waitid fills
        int32_t pid;
        uint32_t uid;
        int32_t status;  // the exit code (CLD_EXITED) or the signal's number
        int32_t pad;
        long utime;
        long stime;
    };
    union {
        uintptr_t addr;  // a fault's si_addr
        Queued queued;
        Child child;
        unsigned char bytes[112];
    } fields;
};

// stack_t for sigaltstack.
struct SignalStack {
    void* sp;
    int flags;
    size_t size;
};

// struct __kernel_timespec, which is what timespec is on both 64-bit ABIs,
// for runtime code that needs one it can fill in.
struct KernelTimespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};
inline timespec* as_timespec(KernelTimespec* ts) { return reinterpret_cast<timespec*>(ts); }
inline const timespec* as_timespec(const KernelTimespec* ts) { return reinterpret_cast<const timespec*>(ts); }

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

// struct __kernel_old_timeval: timeval on both 64-bit ABIs.
struct KernelTimeval {
    int64_t tv_sec;
    int64_t tv_usec;
};

// struct utimbuf for utime(2) (<linux/utime.h>): access and modification
// times, whole seconds.
struct KernelUtimbuf {
    int64_t actime;
    int64_t modtime;
};

// struct clone_args for clone3 (<linux/sched.h>, Linux 5.3; set_tid and
// cgroup are 5.5's, passed with size sizeof(CloneArgs)).
struct CloneArgs {
    uint64_t flags;
    uint64_t pidfd;  // with CLONE_PIDFD: an int* where the child's pidfd goes
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;  // the lowest address of the child's stack
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

// struct linux_dirent64, the records getdents64 fills (no UAPI header
// exports it; glibc's struct dirent64 has its layout).
struct Dirent64 {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;  // this record's length, name and padding included
    uint8_t type;     // DT_REG, DT_DIR, ...
    char name[];      // NUL-terminated
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
