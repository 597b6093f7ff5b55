// The table's process, credential, scheduling, signal, time, system and
// mount wrappers (sys/syscalls.tbl), one CASE each: tests/sys_table.hpp runs
// them. What would change the machine runs in a namespace child, or is given
// arguments the kernel refuses before it looks at privileges.
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/klog.h>
#include <sys/statvfs.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>

#include <cstring>

#include "tests/sys_table.hpp"

namespace rawrt::test::table {
namespace {

namespace sys = ::rawrt::sys;

// --- identity
CASE(getpid) { EXPECT_EQ(CALL(getpid).value_or(-1), ::getpid()); }
CASE(getppid) { EXPECT_EQ(CALL(getppid).value_or(-1), ::getppid()); }
CASE(gettid) { EXPECT_EQ(CALL(gettid).value_or(-1), ::gettid()); }
CASE(getpgid) {
    EXPECT_EQ(CALL(getpgid, 0).value_or(-1), ::getpgid(0));
    EXPECT_TRUE(SameAsGlibc(CALL(getpgid, 0x3fffffff), GLIBC(::getpgid(0x3fffffff))));
}
CASE(getpgrp) { EXPECT_EQ(CALL(getpgrp).value_or(-1), ::getpgrp()); }
CASE(setpgid) {
    EXPECT_EQ(in_child([] { return CALL(setpgid, 0, 0).ok() && ::getpgrp() == ::getpid() ? 0 : 1; }), 0);
}
CASE(getsid) { EXPECT_EQ(CALL(getsid, 0).value_or(-1), ::getsid(0)); }
CASE(setsid) {
    EXPECT_EQ(in_child([] { return CALL(setsid).value_or(-1) == ::getpid() && ::getsid(0) == ::getpid() ? 0 : 1; }), 0);
}
CASE(getuid) { EXPECT_EQ(CALL(getuid).value_or(-1), ::getuid()); }
CASE(geteuid) { EXPECT_EQ(CALL(geteuid).value_or(-1), ::geteuid()); }
CASE(getgid) { EXPECT_EQ(CALL(getgid).value_or(-1), ::getgid()); }
CASE(getegid) { EXPECT_EQ(CALL(getegid).value_or(-1), ::getegid()); }
CASE(getresuid) {
    unsigned r[3], g[3];
    ASSERT_TRUE(Ok(CALL(getresuid, &r[0], &r[1], &r[2])));
    ASSERT_EQ(::getresuid(&g[0], &g[1], &g[2]), 0);
    EXPECT_EQ(std::memcmp(r, g, sizeof r), 0);
}
CASE(getresgid) {
    unsigned r[3], g[3];
    ASSERT_TRUE(Ok(CALL(getresgid, &r[0], &r[1], &r[2])));
    ASSERT_EQ(::getresgid(&g[0], &g[1], &g[2]), 0);
    EXPECT_EQ(std::memcmp(r, g, sizeof r), 0);
}
// Setting a credential to what it is changes nothing and is allowed to anyone.
CASE(setuid) { EXPECT_TRUE(Ok(CALL(setuid, ::getuid()))); }
CASE(setgid) { EXPECT_TRUE(Ok(CALL(setgid, ::getgid()))); }
CASE(setreuid) { EXPECT_TRUE(Ok(CALL(setreuid, -1u, ::geteuid()))); }
CASE(setregid) { EXPECT_TRUE(Ok(CALL(setregid, -1u, ::getegid()))); }
CASE(setresuid) { EXPECT_TRUE(Ok(CALL(setresuid, -1u, -1u, -1u))); }
CASE(setresgid) { EXPECT_TRUE(Ok(CALL(setresgid, -1u, -1u, -1u))); }
CASE(setfsuid) { EXPECT_EQ(CALL(setfsuid, -1u).value_or(-1), static_cast<int>(::geteuid())); }
CASE(setfsgid) { EXPECT_EQ(CALL(setfsgid, -1u).value_or(-1), static_cast<int>(::getegid())); }
CASE(getgroups) {
    unsigned a[256];
    gid_t b[256];
    EXPECT_EQ(CALL(getgroups, 256, a).value_or(-1), ::getgroups(256, b));
}
CASE(setgroups) {
    // In a child: the list it already has (root may; others get EPERM, as from glibc).
    EXPECT_EQ(in_child([] {
                  gid_t list[256];
                  const int n = ::getgroups(256, list);
                  auto r = CALL(setgroups, n, reinterpret_cast<unsigned*>(list));
                  return r.ok() == (::geteuid() == 0) ? 0 : 1;
              }),
              0);
}
CASE(capget) {
    __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct a[2] = {}, b[2] = {};
    ASSERT_TRUE(Ok(CALL(capget, &h, a)));
    ASSERT_EQ(syscall(SYS_capget, &h, b), 0);
    EXPECT_EQ(std::memcmp(a, b, sizeof a), 0);
}
CASE(capset) {
    EXPECT_EQ(in_child([] {
                  __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
                  __user_cap_data_struct d[2] = {};
                  if (syscall(SYS_capget, &h, d) != 0) return 1;
                  return CALL(capset, &h, d).ok() ? 0 : 2;  // the same sets again
              }),
              0);
}
CASE(prctl) {
    char name[16] = {};
    ASSERT_TRUE(Ok(CALL(prctl, PR_GET_NAME, reinterpret_cast<unsigned long>(name))));
    char glibc[16] = {};
    ASSERT_EQ(::prctl(PR_GET_NAME, glibc), 0);
    EXPECT_STREQ(name, glibc);
}
#ifdef __NR_arch_prctl
CASE(arch_prctl) {
    unsigned long fs = 0;
    ASSERT_TRUE(Ok(CALL(arch_prctl, 0x1003 /* ARCH_GET_FS */, reinterpret_cast<unsigned long>(&fs))));
    EXPECT_EQ(fs, reinterpret_cast<unsigned long>(::pthread_self()));  // glibc's TCB is its pthread_t
}
#endif
CASE(personality) { EXPECT_EQ(CALL(personality, 0xffffffff).value_or(-1), ::personality(0xffffffff)); }
CASE(membarrier) {
    EXPECT_TRUE(SameAsGlibc(CALL(membarrier, sys::kMEMBARRIER_CMD_QUERY), GLIBC(syscall(SYS_membarrier, 0, 0, 0))));
}
CASE(rseq) {
    // glibc registered the thread's rseq area: a second one is EBUSY.
    alignas(32) char area[32] = {};
    auto r = CALL(rseq, area, 32, 0, 0x53053053);
    SKIP_IF_QEMU_LACKS(r, "rseq");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_rseq, area, 32, 0, 0x53053053))));
}
CASE(futex) {
    uint32_t word = 1;
    EXPECT_EQ(CALL(futex, &word, FUTEX_WAKE_PRIVATE, 1).value_or(-1), 0);  // nobody waits
    const timespec zero = {0, 0};
    EXPECT_EQ(err(CALL(futex, &word, FUTEX_WAIT_PRIVATE, 0, &zero)), "EAGAIN");  // the word is not 0
    EXPECT_EQ(err(CALL(futex, &word, FUTEX_WAIT_PRIVATE, 1, &zero)), "ETIMEDOUT");
}
CASE(futex_waitv) {
    uint32_t word = 1;
    struct {
        uint64_t val, uaddr;
        uint32_t flags, reserved;
    } waiter = {0, reinterpret_cast<uint64_t>(&word), 2 /* FUTEX2_SIZE_U32 */ | FUTEX_PRIVATE_FLAG, 0};
    timespec past = {0, 0};  // an absolute time long gone
    auto r = CALL(futex_waitv, &waiter, 1, 0, &past, CLOCK_MONOTONIC);
    SKIP_IF_QEMU_LACKS(r, "futex_waitv");
    EXPECT_EQ(err(r), "EAGAIN");  // the word is not 0
}
CASE(set_robust_list) {
    void* head = nullptr;
    size_t len = 0;
    if (under_qemu() && syscall(SYS_get_robust_list, 0, &head, &len) != 0)
        GTEST_SKIP() << "qemu-user does not implement get_robust_list";
    ASSERT_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0);
    EXPECT_TRUE(Ok(CALL(set_robust_list, head, len)));  // glibc's own list, put back
    EXPECT_TRUE(FailsLikeGlibc(CALL(set_robust_list, head, len + 1), GLIBC(syscall(SYS_set_robust_list, head, len + 1)),
                               "EINVAL"));
}
CASE(get_robust_list) {
    void *a = nullptr, *b = nullptr;
    size_t la = 0, lb = 0;
    auto r = CALL(get_robust_list, 0, &a, &la);
    SKIP_IF_QEMU_LACKS(r, "get_robust_list");
    ASSERT_TRUE(Ok(r));
    ASSERT_EQ(syscall(SYS_get_robust_list, 0, &b, &lb), 0);
    EXPECT_EQ(a, b);
    EXPECT_EQ(la, lb);
}
CASE(set_tid_address) {
    // In a child: glibc's pthread_join relies on this thread's own address.
    EXPECT_EQ(in_child([] {
                  static int word;
                  return CALL(set_tid_address, &word).value_or(-1) == ::gettid() ? 0 : 1;
              }),
              0);
}
CASE(kcmp) {
    auto r = CALL(kcmp, ::getpid(), ::getpid(), 0 /* KCMP_FILE */, 1, 1);
    SKIP_IF_QEMU_LACKS(r, "kcmp");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 1, 1))));
}

// --- signals to processes and threads
CASE(kill) {
    EXPECT_TRUE(Ok(CALL(kill, ::getpid(), 0)));
    EXPECT_TRUE(SameAsGlibc(CALL(kill, 0x3fffffff, 0), GLIBC(::kill(0x3fffffff, 0))));
}
CASE(tgkill) {
    EXPECT_TRUE(Ok(CALL(tgkill, ::getpid(), ::gettid(), 0)));
    EXPECT_TRUE(SameAsGlibc(CALL(tgkill, ::getpid(), 0x3fffffff, 0), GLIBC(::tgkill(::getpid(), 0x3fffffff, 0))));
}
CASE(tkill) { EXPECT_TRUE(Ok(CALL(tkill, ::gettid(), 0))); }
// A child that blocks sig, sends it with send() and takes it with sigtimedwait.
template <class Send>
int send_and_take(int sig, Send send) {
    return in_child([&] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_BLOCK, &set, nullptr);
        if (!send()) return 1;
        const timespec zero = {0, 0};
        siginfo_t info;
        return ::sigtimedwait(&set, &info, &zero) == sig ? 0 : 2;
    });
}
CASE(rt_sigqueueinfo) {
    EXPECT_EQ(send_and_take(
                  SIGUSR1,
                  [] {
        sys::Siginfo si{};
        si.signo = SIGUSR1;
        si.code = sys::kSI_QUEUE;
        si.fields.queued.pid = ::getpid();
        return CALL(rt_sigqueueinfo, ::getpid(), SIGUSR1, &si).ok();
                  }),
              0);
}
CASE(rt_tgsigqueueinfo) {
    EXPECT_EQ(send_and_take(
                  SIGUSR2,
                  [] {
        sys::Siginfo si{};
        si.signo = SIGUSR2;
        si.code = sys::kSI_QUEUE;
        return CALL(rt_tgsigqueueinfo, ::getpid(), ::gettid(), SIGUSR2, &si).ok();
                  }),
              0);
}
CASE(rt_sigaction) {
    SavedSignalAction saved(SIGUSR1);
    sys::KernelSigaction act{}, old{};
    act.handler = reinterpret_cast<void*>(SIG_IGN);
    act.flags = sys::kSA_RESTORER;
    act.restorer = rawrt_sigreturn;
    ASSERT_TRUE(Ok(CALL(rt_sigaction, SIGUSR1, &act, &old)));
    struct sigaction now;
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, SIG_IGN);
}
CASE(rt_sigprocmask) {
    sys::SignalSet mine = 0;
    ASSERT_TRUE(Ok(CALL(rt_sigprocmask, sys::kSIG_BLOCK, nullptr, &mine)));
    sigset_t glibc;
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &glibc), 0);
    for (int s = 1; s < 32; ++s) EXPECT_EQ((mine & sys::signal_bit(s)) != 0, sigismember(&glibc, s) == 1) << s;
}
CASE(rt_sigpending) {
    EXPECT_EQ(in_child([] {
                  sigset_t set;
                  sigemptyset(&set);
                  sigaddset(&set, SIGUSR1);
                  sigprocmask(SIG_BLOCK, &set, nullptr);
                  ::raise(SIGUSR1);
                  sys::SignalSet pending = 0;
                  return CALL(rt_sigpending, &pending).ok() && (pending & sys::signal_bit(SIGUSR1)) ? 0 : 1;
              }),
              0);
}
void note_signal(int) {}
CASE(rt_sigsuspend) {
    EXPECT_EQ(in_child([] {
                  ::signal(SIGUSR1, note_signal);
                  sigset_t set;
                  sigemptyset(&set);
                  sigaddset(&set, SIGUSR1);
                  sigprocmask(SIG_BLOCK, &set, nullptr);
                  ::raise(SIGUSR1);  // pending until the suspend's mask lets it in
                  const sys::SignalSet none = 0;
                  auto r = CALL(rt_sigsuspend, &none);
                  return !r.ok() && r.error().code() == EINTR ? 0 : 1;
              }),
              0);
}
CASE(rt_sigtimedwait) {
    EXPECT_EQ(in_child([] {
                  sigset_t set;
                  sigemptyset(&set);
                  sigaddset(&set, SIGUSR2);
                  sigprocmask(SIG_BLOCK, &set, nullptr);
                  ::raise(SIGUSR2);
                  const sys::SignalSet want = sys::signal_bit(SIGUSR2);
                  sys::Siginfo info{};
                  timespec zero = {0, 0};
                  return CALL(rt_sigtimedwait, &want, &info, &zero).value_or(-1) == SIGUSR2 && info.signo == SIGUSR2
                             ? 0
                             : 1;
              }),
              0);
}
CASE(sigaltstack) {
    sys::SignalStack mine{};
    ASSERT_TRUE(Ok(CALL(sigaltstack, nullptr, &mine)));
    stack_t glibc;
    ASSERT_EQ(::sigaltstack(nullptr, &glibc), 0);
    EXPECT_EQ(mine.sp, glibc.ss_sp);
    EXPECT_EQ(mine.flags, glibc.ss_flags);
}
// A signalfd for SIGUSR1 in a child that blocks it, raises it and reads it.
template <class Make>
int signalfd_round_trip(Make make) {
    return in_child([&] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, nullptr);
        const sys::SignalSet mask = sys::signal_bit(SIGUSR1);
        const int fd = make(mask);
        if (fd < 0) return 1;
        ::raise(SIGUSR1);
        uint32_t info[32];
        return ::read(fd, info, sizeof info) == sizeof info && info[0] == SIGUSR1 ? 0 : 2;
    });
}
CASE(signalfd4) {
    EXPECT_EQ(signalfd_round_trip([](const sys::SignalSet& m) {
                  return CALL(signalfd4, -1, &m, O_CLOEXEC).value_or(-1);
              }),
              0);
}
CASE(signalfd) {
    EXPECT_EQ(signalfd_round_trip([](const sys::SignalSet& m) { return CALL(signalfd, -1, &m).value_or(-1); }), 0);
}
CASE(pause) {
    // A timer's SIGALRM ends the pause with EINTR.
    EXPECT_EQ(in_child([] {
                  ::signal(SIGALRM, note_signal);
                  const itimerval t = {{0, 0}, {0, 20000}};
                  ::setitimer(ITIMER_REAL, &t, nullptr);
                  auto r = CALL(pause);
                  return !r.ok() && r.error().code() == EINTR ? 0 : 1;
              }),
              0);
}
#ifdef __NR_alarm
CASE(alarm) {
    EXPECT_EQ(in_child([] {
                  if (CALL(alarm, 100).value_or(1) != 0) return 1;
                  const unsigned left = CALL(alarm, 0).value_or(0);  // and cancels it
                  return left >= 99 && left <= 100 ? 0 : 2;
              }),
              0);
}
#endif

// --- scheduling
CASE(sched_yield) { EXPECT_TRUE(Ok(CALL(sched_yield))); }
CASE(sched_getaffinity) {
    cpu_set_t a, b;
    CPU_ZERO(&a);
    CPU_ZERO(&b);
    ASSERT_GT(CALL(sched_getaffinity, 0, sizeof a, &a).value_or(0), 0);
    ASSERT_EQ(::sched_getaffinity(0, sizeof b, &b), 0);
    EXPECT_TRUE(CPU_EQUAL(&a, &b));
}
CASE(sched_setaffinity) {
    cpu_set_t set;
    ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
    EXPECT_TRUE(Ok(CALL(sched_setaffinity, 0, sizeof set, &set)));  // the same set
}
CASE(sched_getscheduler) { EXPECT_EQ(CALL(sched_getscheduler, 0).value_or(-1), ::sched_getscheduler(0)); }
CASE(sched_setscheduler) {
    sched_param p = {0};
    EXPECT_TRUE(SameAsGlibc(CALL(sched_setscheduler, 0, SCHED_OTHER, &p),
                            GLIBC(::sched_setscheduler(0, SCHED_OTHER, &p))));
}
CASE(sched_getparam) {
    sched_param a = {-1}, b = {-2};
    ASSERT_TRUE(Ok(CALL(sched_getparam, 0, &a)));
    ASSERT_EQ(::sched_getparam(0, &b), 0);
    EXPECT_EQ(a.sched_priority, b.sched_priority);
}
CASE(sched_setparam) {
    sched_param p = {0};
    EXPECT_TRUE(Ok(CALL(sched_setparam, 0, &p)));
}
CASE(sched_get_priority_max) {
    EXPECT_EQ(CALL(sched_get_priority_max, SCHED_FIFO).value_or(-1), ::sched_get_priority_max(SCHED_FIFO));
}
CASE(sched_get_priority_min) {
    EXPECT_EQ(CALL(sched_get_priority_min, SCHED_FIFO).value_or(-1), ::sched_get_priority_min(SCHED_FIFO));
}
CASE(sched_rr_get_interval) {
    timespec ts = {-1, -1};
    ASSERT_TRUE(Ok(CALL(sched_rr_get_interval, 0, &ts)));
    EXPECT_GE(ts.tv_sec, 0);
}
CASE(sched_getattr) {
    uint32_t attr[14] = {};  // struct sched_attr, 56 bytes (SCHED_ATTR_SIZE_VER1)
    auto r = CALL(sched_getattr, 0, reinterpret_cast<sched_attr*>(attr), sizeof attr, 0);
    SKIP_IF_QEMU_LACKS(r, "sched_getattr");
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(attr[0], sizeof attr);                                     // size
    EXPECT_EQ(attr[1], static_cast<uint32_t>(::sched_getscheduler(0)));  // policy
}
CASE(sched_setattr) {
    uint32_t attr[14] = {};
    attr[0] = sizeof attr;
    attr[1] = SCHED_OTHER;
    attr[4] = static_cast<uint32_t>(::getpriority(PRIO_PROCESS, 0));  // nice, as it is
    auto r = CALL(sched_setattr, 0, reinterpret_cast<sched_attr*>(attr), 0);
    SKIP_IF_QEMU_LACKS(r, "sched_setattr");
    EXPECT_TRUE(Ok(r));
}
CASE(getpriority) { EXPECT_EQ(CALL(getpriority, PRIO_PROCESS, 0).value_or(-100), 20 - ::getpriority(PRIO_PROCESS, 0)); }
CASE(setpriority) {
    EXPECT_TRUE(Ok(CALL(setpriority, PRIO_PROCESS, 0, ::getpriority(PRIO_PROCESS, 0))));  // as it is
}
CASE(ioprio_get) {
    auto r = CALL(ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    SKIP_IF_QEMU_LACKS(r, "ioprio_get");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_ioprio_get, 1, 0))));
}
CASE(ioprio_set) {
    const long now = syscall(SYS_ioprio_get, 1, 0);
    auto r = CALL(ioprio_set, 1, 0, static_cast<int>(now));
    SKIP_IF_QEMU_LACKS(r, "ioprio_set");
    EXPECT_TRUE(Ok(r));
}
CASE(getcpu) {
    unsigned cpu = ~0u, node = ~0u;
    ASSERT_TRUE(Ok(CALL(getcpu, &cpu, &node)));
    EXPECT_LT(cpu, static_cast<unsigned>(CPU_SETSIZE));
}

// --- children
CASE(wait4) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(7);
    int status = 0;
    ASSERT_EQ(CALL(wait4, pid, &status, 0).value_or(-1), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
}
CASE(waitid) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(9);
    sys::Siginfo info{};
    ASSERT_TRUE(Ok(CALL(waitid, sys::kP_PID, pid, &info, sys::kWEXITED)));
    EXPECT_EQ(info.fields.child.pid, pid);
    EXPECT_EQ(info.code, sys::kCLD_EXITED);
    EXPECT_EQ(info.fields.child.status, 9);
}
CASE(execve) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        char* argv[] = {const_cast<char*>("true"), nullptr};
        (void)CALL(execve, "/bin/true", argv, environ);
        ::_exit(100);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(status, 0);
    char* argv[] = {nullptr};
    EXPECT_TRUE(SameAsGlibc(CALL(execve, "/rawrt/missing", argv, argv), GLIBC(::execve("/rawrt/missing", argv, argv))));
}
CASE(execveat) {
    const int status = in_child([] {
        char* argv[] = {const_cast<char*>("false"), nullptr};
        auto r = CALL(execveat, sys::kAT_FDCWD, "/bin/false", argv, environ, 0);
        return 100 + r.error().code();
    });
    if (under_qemu() && status == 100 + ENOSYS) GTEST_SKIP() << "qemu-user does not implement execveat";
    EXPECT_EQ(status, 1);  // /bin/false ran
}
CASE(fork) {
    auto r = CALL(fork);
    if (r.ok() && r.value() == 0) ::_exit(5);
    ASSERT_TRUE(Ok(r));
    int status = 0;
    ASSERT_EQ(::waitpid(r.value(), &status, 0), r.value());
    EXPECT_EQ(WEXITSTATUS(status), 5);
}
CASE(clone3) {
    sys::CloneArgs args{};
    args.exit_signal = SIGCHLD;
    auto r = CALL(clone3, &args, sizeof args);  // a fork: the child returns here too
    if (r.ok() && r.value() == 0) ::_exit(6);
    SKIP_IF_QEMU_LACKS(r, "clone3");
    ASSERT_TRUE(Ok(r));
    int status = 0;
    ASSERT_EQ(::waitpid(r.value(), &status, 0), r.value());
    EXPECT_EQ(WEXITSTATUS(status), 6);
}
CASE(pidfd_open) {
    auto r = CALL(pidfd_open, ::getpid(), 0);
    SKIP_IF_QEMU_LACKS(r, "pidfd_open");
    ASSERT_TRUE(Ok(r));
    ::close(r.value());
    EXPECT_TRUE(SameAsGlibc(CALL(pidfd_open, 0x3fffffff, 0), GLIBC(syscall(SYS_pidfd_open, 0x3fffffff, 0))));
}
CASE(pidfd_send_signal) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    auto r = CALL(pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    if (!r.ok()) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(pidfd);
    SKIP_IF_QEMU_LACKS(r, "pidfd_send_signal");
    ASSERT_TRUE(Ok(r));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}
CASE(pidfd_getfd) {
    const int self = static_cast<int>(syscall(SYS_pidfd_open, ::getpid(), 0));
    auto r = CALL(pidfd_getfd, self, 0, 0);
    SKIP_IF_QEMU_LACKS(r, "pidfd_getfd");
    if (r.ok()) ::close(r.value());
    EXPECT_TRUE(AgreesWithGlibc(r, [&] {
        errno = 0;
        const long fd = syscall(SYS_pidfd_getfd, self, 0, 0);
        if (fd >= 0) ::close(fd);
        return GlibcCall{fd, errno};
    }()));
    ::close(self);
}
CASE(ptrace) {
    EXPECT_TRUE(SameAsGlibc(CALL(ptrace, PTRACE_PEEKUSER, 0x3fffffff, nullptr, nullptr),
                            GLIBC(syscall(SYS_ptrace, PTRACE_PEEKUSER, 0x3fffffff, nullptr, nullptr))));
}
CASE(unshare) {
    const int status = in_child([] {
        if (!CALL(unshare, CLONE_NEWUTS).ok()) return kNoNamespace;
        return ::sethostname("rawrt-unshare", 13) == 0 ? 0 : 1;
    });
    if (status == kNoNamespace) GTEST_SKIP() << "no UTS namespace for this process (not root, or qemu's threads)";
    EXPECT_EQ(status, 0);
}
CASE(setns) {
    UniqueFd ns(::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC));
    // Into the namespace it is in already: CAP_SYS_ADMIN allows it, else EPERM.
    EXPECT_TRUE(SameAsGlibc(CALL(setns, ns.get(), CLONE_NEWUTS), GLIBC(::setns(ns.get(), CLONE_NEWUTS))));
}

// --- resources and the system
CASE(prlimit64) {
    rlimit64 a, b;
    ASSERT_TRUE(Ok(CALL(prlimit64, 0, RLIMIT_NOFILE, nullptr, &a)));
    ASSERT_EQ(::prlimit64(0, RLIMIT_NOFILE, nullptr, &b), 0);
    EXPECT_EQ(a.rlim_cur, b.rlim_cur);
}
CASE(getrlimit) {
    rlimit a, b;
    ASSERT_TRUE(Ok(CALL(getrlimit, RLIMIT_STACK, &a)));
    ASSERT_EQ(::getrlimit(RLIMIT_STACK, &b), 0);
    EXPECT_EQ(a.rlim_cur, b.rlim_cur);
    EXPECT_EQ(a.rlim_max, b.rlim_max);
}
CASE(setrlimit) {
    EXPECT_EQ(in_child([] {
                  rlimit r;
                  ::getrlimit(RLIMIT_NOFILE, &r);
                  r.rlim_cur = 64;
                  if (!CALL(setrlimit, RLIMIT_NOFILE, &r).ok()) return 1;
                  rlimit now;
                  ::getrlimit(RLIMIT_NOFILE, &now);
                  return now.rlim_cur == 64 ? 0 : 2;
              }),
              0);
}
CASE(getrusage) {
    rusage a, b;
    ASSERT_TRUE(Ok(CALL(getrusage, RUSAGE_SELF, &a)));
    ASSERT_EQ(::getrusage(RUSAGE_SELF, &b), 0);
    EXPECT_LE(a.ru_maxrss, b.ru_maxrss);
    EXPECT_TRUE(SameAsGlibc(CALL(getrusage, 99, &a), GLIBC(::getrusage(static_cast<__rusage_who>(99), &b))));
}
CASE(times) {
    tms a, b;
    ASSERT_TRUE(Ok(CALL(times, &a)));
    ::times(&b);
    EXPECT_LE(a.tms_utime, b.tms_utime);
}
CASE(uname) {
    sys::Utsname a;
    struct utsname b;
    ASSERT_TRUE(Ok(CALL(uname, &a)));
    ASSERT_EQ(::uname(&b), 0);
    EXPECT_STREQ(a.release, b.release);
    EXPECT_STREQ(a.machine, b.machine);
}
CASE(sysinfo) {
    struct sysinfo a, b;
    ASSERT_TRUE(Ok(CALL(sysinfo, &a)));
    ASSERT_EQ(::sysinfo(&b), 0);
    EXPECT_EQ(a.totalram, b.totalram);
    EXPECT_EQ(a.mem_unit, b.mem_unit);
}
CASE(sethostname) {
    EXPECT_IN_NAMESPACE(in_namespace([] {
        if (!CALL(sethostname, "rawrt-ns", 8).ok()) return 1;
        char name[64] = {};
        ::gethostname(name, sizeof name);
        return std::strcmp(name, "rawrt-ns") == 0 ? 0 : 2;
    }));
}
CASE(setdomainname) {
    EXPECT_IN_NAMESPACE(in_namespace([] {
        if (!CALL(setdomainname, "rawrt.test", 10).ok()) return 1;
        struct utsname u;
        ::uname(&u);
        return std::strcmp(u.domainname, "rawrt.test") == 0 ? 0 : 2;
    }));
}
CASE(syslog) {
    // SYSLOG_ACTION_SIZE_BUFFER: the size, or EPERM under dmesg_restrict.
    EXPECT_TRUE(SameAsGlibc(CALL(syslog, 10, nullptr, 0), GLIBC(::klogctl(10, nullptr, 0))));
}
CASE(acct) { EXPECT_TRUE(SameAsGlibc(CALL(acct, "/rawrt/missing/acct"), GLIBC(::acct("/rawrt/missing/acct")))); }
CASE(reboot) {
    // A wrong magic: EPERM without CAP_SYS_BOOT, EINVAL with it. Never a reboot.
    auto r = CALL(reboot, 0x12345678, 0, LINUX_REBOOT_CMD_CAD_OFF);
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_reboot, 0x12345678, 0, LINUX_REBOOT_CMD_CAD_OFF, nullptr))));
    EXPECT_TRUE(err(r) == "EPERM" || err(r) == "EINVAL") << err(r);
}
CASE(vhangup) {
    // In a child with a session of its own: no terminal to hang up.
    EXPECT_EQ(in_child([] {
                  ::setsid();
                  auto r = CALL(vhangup);
                  return r.ok() || r.error().code() == EPERM ? 0 : 1;
              }),
              0);
}
CASE(seccomp) {
    uint32_t action = SECCOMP_RET_KILL_PROCESS;
    auto r = CALL(seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
    SKIP_IF_QEMU_LACKS(r, "seccomp");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action))));
}
CASE(bpf) {
    char attr[64] = {};
    auto r = CALL(bpf, 100000, attr, sizeof attr);  // no such command
    SKIP_IF_QEMU_LACKS(r, "bpf");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_bpf, 100000, attr, sizeof attr))));
}
CASE(perf_event_open) {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    auto r = CALL(perf_event_open, &attr, 0, -1, -1, 0);
    SKIP_IF_QEMU_LACKS(r, "perf_event_open");
    if (r.ok()) ::close(r.value());
    EXPECT_TRUE(AgreesWithGlibc(r, [&] {
        errno = 0;
        const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
        if (fd >= 0) ::close(fd);
        return GlibcCall{fd, errno};
    }()));
}
CASE(landlock_create_ruleset) {
    auto r = CALL(landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    SKIP_IF_QEMU_LACKS(r, "landlock_create_ruleset");
    EXPECT_TRUE(SameAsGlibc(r,
                            GLIBC(syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION))));
}
CASE(landlock_add_rule) {
    auto r = CALL(landlock_add_rule, closed_fd(), LANDLOCK_RULE_PATH_BENEATH, nullptr, 0);
    SKIP_IF_QEMU_LACKS(r, "landlock_add_rule");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_landlock_add_rule, closed_fd(), LANDLOCK_RULE_PATH_BENEATH, nullptr,
                                             0))));
}
CASE(landlock_restrict_self) {
    auto r = CALL(landlock_restrict_self, closed_fd(), 0);
    SKIP_IF_QEMU_LACKS(r, "landlock_restrict_self");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_landlock_restrict_self, closed_fd(), 0))));
}
CASE(init_module) {
    // An empty image: ENOEXEC or EINVAL with CAP_SYS_MODULE, EPERM without; never a module.
    char image[4] = {};
    auto r = CALL(init_module, image, 0, "");
    SKIP_IF_QEMU_LACKS(r, "init_module");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_init_module, image, 0, ""))));
}
CASE(finit_module) {
    auto r = CALL(finit_module, closed_fd(), "", 0);
    SKIP_IF_QEMU_LACKS(r, "finit_module");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_finit_module, closed_fd(), "", 0))));
}
CASE(delete_module) {
    auto r = CALL(delete_module, "rawrt_no_such_module", O_NONBLOCK);
    SKIP_IF_QEMU_LACKS(r, "delete_module");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_delete_module, "rawrt_no_such_module", O_NONBLOCK))));
}
CASE(kexec_load) {
    auto r = CALL(kexec_load, 0, 0, nullptr, 0xdead0000ul);  // unknown flags: EINVAL (or EPERM)
    SKIP_IF_QEMU_LACKS(r, "kexec_load");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_kexec_load, 0, 0, nullptr, 0xdead0000ul))));
}
CASE(kexec_file_load) {
    auto r = CALL(kexec_file_load, closed_fd(), -1, 1, "", 0xdead0000ul);
    SKIP_IF_QEMU_LACKS(r, "kexec_file_load");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_kexec_file_load, closed_fd(), -1, 1, "", 0xdead0000ul))));
}
CASE(swapon) {
    auto r = CALL(swapon, "/rawrt/missing", 0);
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::swapon("/rawrt/missing", 0))));
}
CASE(swapoff) { EXPECT_TRUE(SameAsGlibc(CALL(swapoff, "/rawrt/missing"), GLIBC(::swapoff("/rawrt/missing")))); }
CASE(quotactl) {
    auto r = CALL(quotactl, QCMD(Q_GETFMT, USRQUOTA), "/rawrt/missing", 0, nullptr);
    SKIP_IF_QEMU_LACKS(r, "quotactl");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_quotactl, QCMD(Q_GETFMT, USRQUOTA), "/rawrt/missing", 0, nullptr))));
}
CASE(quotactl_fd) {
    auto r = CALL(quotactl_fd, closed_fd(), QCMD(Q_GETFMT, USRQUOTA), 0, nullptr);
    SKIP_IF_QEMU_LACKS(r, "quotactl_fd");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_quotactl_fd, closed_fd(), QCMD(Q_GETFMT, USRQUOTA), 0, nullptr))));
}
#ifdef __NR_ioperm
CASE(ioperm) {
    // Turning off ports never granted: allowed to anyone, changes nothing.
    EXPECT_TRUE(SameAsGlibc(CALL(ioperm, 0x80, 1, 0), GLIBC(syscall(SYS_ioperm, 0x80, 1, 0))));
}
CASE(iopl) { EXPECT_TRUE(SameAsGlibc(CALL(iopl, 0), GLIBC(syscall(SYS_iopl, 0)))); }
CASE(ustat) {
    char buf[32];
    EXPECT_TRUE(SameAsGlibc(CALL(ustat, 0xffff, buf), GLIBC(syscall(SYS_ustat, 0xffff, buf))));
}
#endif

// --- keys
CASE(add_key) {
    auto r = CALL(add_key, "user", "rawrt-test", "payload", 7, KEY_SPEC_PROCESS_KEYRING);
    SKIP_IF_QEMU_LACKS(r, "add_key");
    if (!r.ok()) GTEST_SKIP() << "no keyrings here: " << err(r);
    char buf[16] = {};
    EXPECT_EQ(syscall(SYS_keyctl, KEYCTL_READ, r.value(), buf, sizeof buf), 7);
    EXPECT_STREQ(buf, "payload");
}
CASE(request_key) {
    auto r = CALL(request_key, "user", "rawrt-no-such-key", nullptr, 0);
    SKIP_IF_QEMU_LACKS(r, "request_key");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_request_key, "user", "rawrt-no-such-key", nullptr, 0))));
}
CASE(keyctl) {
    auto r = CALL(keyctl, KEYCTL_GET_KEYRING_ID, static_cast<unsigned long>(KEY_SPEC_PROCESS_KEYRING), 0);
    SKIP_IF_QEMU_LACKS(r, "keyctl");
    EXPECT_TRUE(AgreesWithGlibc(r, GLIBC(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0))));
}

// --- time
CASE(nanosleep) {
    const timespec ts = {0, 1000};
    EXPECT_TRUE(Ok(CALL(nanosleep, &ts, nullptr)));
    const timespec bad = {0, 2000000000};
    EXPECT_TRUE(FailsLikeGlibc(CALL(nanosleep, &bad, nullptr), GLIBC(::nanosleep(&bad, nullptr)), "EINVAL"));
}
CASE(clock_nanosleep) {
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    EXPECT_TRUE(Ok(CALL(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &now, nullptr)));  // already passed
}
CASE(clock_gettime) {
    timespec a, b;
    ASSERT_EQ(::clock_gettime(CLOCK_MONOTONIC, &a), 0);
    ASSERT_TRUE(Ok(CALL(clock_gettime, CLOCK_MONOTONIC, &b)));
    EXPECT_TRUE(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
}
CASE(clock_getres) {
    timespec a, b;
    ASSERT_TRUE(Ok(CALL(clock_getres, CLOCK_MONOTONIC, &a)));
    ASSERT_EQ(::clock_getres(CLOCK_MONOTONIC, &b), 0);
    EXPECT_EQ(a.tv_nsec, b.tv_nsec);
}
CASE(clock_settime) {
    const timespec ts = {1, 0};  // the monotonic clock cannot be set: EINVAL, for anyone
    EXPECT_TRUE(FailsLikeGlibc(CALL(clock_settime, CLOCK_MONOTONIC, &ts), GLIBC(::clock_settime(CLOCK_MONOTONIC, &ts)),
                               "EINVAL"));
}
CASE(clock_adjtime) {
    timex a{}, b{};  // modes 0: read only
    auto r = CALL(clock_adjtime, CLOCK_REALTIME, &a);
    SKIP_IF_QEMU_LACKS(r, "clock_adjtime");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::clock_adjtime(CLOCK_REALTIME, &b))));
    EXPECT_EQ(a.tick, b.tick);
}
CASE(adjtimex) {
    timex a{}, b{};
    auto r = CALL(adjtimex, &a);
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::adjtimex(&b))));
    EXPECT_EQ(a.freq, b.freq);
}
CASE(gettimeofday) {
    timeval a, b;
    ::gettimeofday(&a, nullptr);
    ASSERT_TRUE(Ok(CALL(gettimeofday, &b)));
    EXPECT_GE(b.tv_sec, a.tv_sec);
}
CASE(settimeofday) {
    if (under_qemu()) GTEST_SKIP() << "qemu-user 7.2 aborts (a cpu_exec assertion) on settimeofday";
    // Neither time nor zone: nothing to set, success for anyone; a bad
    // microsecond count is EINVAL before any privilege check.
    EXPECT_TRUE(Ok(CALL(settimeofday, nullptr)));
    const timeval bad = {0, 2000000};
    EXPECT_TRUE(FailsLikeGlibc(CALL(settimeofday, &bad), GLIBC(syscall(SYS_settimeofday, &bad, nullptr)), "EINVAL"));
}
#ifdef __NR_time
CASE(time) {
    long t = 0;
    const long before = ::time(nullptr);
    const long got = CALL(time, &t).value_or(0);
    EXPECT_EQ(got, t);
    EXPECT_GE(got, before);
}
#endif
CASE(getitimer) {
    itimerval a;
    ASSERT_TRUE(Ok(CALL(getitimer, ITIMER_VIRTUAL, &a)));
    EXPECT_EQ(a.it_value.tv_sec, 0);
    EXPECT_TRUE(SameAsGlibc(CALL(getitimer, 99, &a), GLIBC(::getitimer(static_cast<__itimer_which>(99), &a))));
}
CASE(setitimer) {
    EXPECT_EQ(in_child([] {
                  const itimerval t = {{0, 0}, {100, 0}};
                  if (!CALL(setitimer, ITIMER_REAL, &t, nullptr).ok()) return 1;
                  itimerval now;
                  ::getitimer(ITIMER_REAL, &now);
                  return now.it_value.tv_sec >= 99 ? 0 : 2;
              }),
              0);
}
CASE(timer_create) {
    sigevent ev{};
    ev.sigev_notify = SIGEV_NONE;
    int id = -1;
    ASSERT_TRUE(Ok(CALL(timer_create, CLOCK_MONOTONIC, &ev, &id)));
    EXPECT_GE(id, 0);
    syscall(SYS_timer_delete, id);
}
// A kernel timer (SIGEV_NONE) for the timer_* cases, deleted after.
struct KernelTimer {
    KernelTimer() {
        sigevent ev{};
        ev.sigev_notify = SIGEV_NONE;
        syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
    }
    ~KernelTimer() { syscall(SYS_timer_delete, id); }
    int id = -1;
};
CASE(timer_settime) {
    KernelTimer t;
    const itimerspec v = {{0, 0}, {100, 0}};
    ASSERT_TRUE(Ok(CALL(timer_settime, t.id, 0, &v, nullptr)));
    itimerspec now;
    syscall(SYS_timer_gettime, t.id, &now);
    EXPECT_GE(now.it_value.tv_sec, 99);
}
CASE(timer_gettime) {
    KernelTimer t;
    itimerspec now = {{1, 1}, {1, 1}};
    ASSERT_TRUE(Ok(CALL(timer_gettime, t.id, &now)));
    EXPECT_EQ(now.it_value.tv_sec, 0);  // disarmed
}
CASE(timer_getoverrun) {
    KernelTimer t;
    EXPECT_EQ(CALL(timer_getoverrun, t.id).value_or(-1), 0);
}
CASE(timer_delete) {
    KernelTimer t;
    ASSERT_TRUE(Ok(CALL(timer_delete, t.id)));
    EXPECT_TRUE(SameAsGlibc(CALL(timer_delete, t.id), GLIBC(syscall(SYS_timer_delete, t.id))));
}
CASE(getrandom) {
    unsigned char buf[32] = {};
    ASSERT_EQ(CALL(getrandom, buf, sizeof buf, 0).value_or(0), sizeof buf);
    int nonzero = 0;
    for (unsigned char c : buf) nonzero += c != 0;
    EXPECT_GT(nonzero, 0);
}

// --- mounts, in a namespace of the test's own
CASE(mount) {
    TempDir d;
    // Outside a namespace only a bad file system type: ENODEV as root, EPERM otherwise.
    EXPECT_TRUE(SameAsGlibc(CALL(mount, "none", d.path(), "rawrt_nofs", 0, nullptr),
                            GLIBC(::mount("none", d.path(), "rawrt_nofs", 0, nullptr))));
    EXPECT_IN_NAMESPACE(in_namespace([&] {
        if (!CALL(mount, "rawrt", d.path(), "tmpfs", 0, "size=64k").ok()) return 1;
        struct statfs st;
        return ::statfs(d.path(), &st) == 0 && st.f_type == 0x01021994 /* TMPFS_MAGIC */ ? 0 : 2;
    }));
}
CASE(umount2) {
    TempDir d;
    EXPECT_IN_NAMESPACE(in_namespace([&] {
        if (::mount("rawrt", d.path(), "tmpfs", 0, nullptr) != 0) return 1;
        if (!CALL(umount2, d.path(), 0).ok()) return 2;
        struct statfs st;
        return ::statfs(d.path(), &st) == 0 && st.f_type != 0x01021994 ? 0 : 3;
    }));
}
CASE(chroot) {
    TempDir d;
    EXPECT_IN_NAMESPACE(in_namespace([&] {
        ::close(::open((d / "only-here").c_str(), O_CREAT | O_WRONLY, 0600));
        if (!CALL(chroot, d.path()).ok()) return 1;
        return ::access("/only-here", F_OK) == 0 ? 0 : 2;
    }));
}
CASE(pivot_root) {
    TempDir d;
    EXPECT_IN_NAMESPACE(in_namespace([&] {
        if (::mount("rawrt", d.path(), "tmpfs", 0, nullptr) != 0) return 1;
        ::close(::open((d / "mark").c_str(), O_CREAT | O_WRONLY, 0600));
        if (::chdir(d.path()) != 0) return 2;
        if (!CALL(pivot_root, ".", ".").ok()) return 3;  // the old root stacked under the new
        ::umount2(".", MNT_DETACH);
        return ::access("/mark", F_OK) == 0 ? 0 : 4;
    }));
}
// The new mount API (5.2): a tmpfs made with fsopen, fsconfig and fsmount,
// attached with move_mount; open_tree, fspick and mount_setattr on it.
template <class F>
int new_mount_api(const char* dir, int step) {
    auto fs = CALL(fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (!fs.ok()) return fs.error().code() == ENOSYS ? kNoNamespace : 10;
    if (!CALL(fsconfig, fs.value(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0).ok()) return 11;
    auto mnt = CALL(fsmount, fs.value(), FSMOUNT_CLOEXEC, 0);
    if (!mnt.ok()) return 12;
    if (!CALL(move_mount, mnt.value(), "", sys::kAT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH).ok()) return 13;
    if (step == 1) {
        auto tree = CALL(open_tree, sys::kAT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        return tree.ok() ? 0 : 14;
    }
    if (step == 2) return CALL(fspick, sys::kAT_FDCWD, dir, FSPICK_CLOEXEC).ok() ? 0 : 15;
    if (step == 3) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (!CALL(mount_setattr, sys::kAT_FDCWD, dir, 0, &attr, sizeof attr).ok()) return 16;
        struct statfs st;
        return ::statfs(dir, &st) == 0 && (st.f_flags & ST_RDONLY) ? 0 : 17;
    }
    struct statfs st;
    return ::statfs(dir, &st) == 0 && st.f_type == 0x01021994 ? 0 : 18;
}
#define NEW_MOUNT_API_CASE(name, step)                                                               \
    CASE(name) {                                                                                     \
        if (under_qemu()) GTEST_SKIP() << "qemu-user does not implement the new mount API (fsopen)"; \
        TempDir d;                                                                                   \
        EXPECT_IN_NAMESPACE(in_namespace([&] { return new_mount_api<F>(d.path(), step); }));         \
    }
NEW_MOUNT_API_CASE(fsopen, 0)
NEW_MOUNT_API_CASE(fsconfig, 0)
NEW_MOUNT_API_CASE(fsmount, 0)
NEW_MOUNT_API_CASE(move_mount, 0)
NEW_MOUNT_API_CASE(open_tree, 1)
NEW_MOUNT_API_CASE(fspick, 2)
NEW_MOUNT_API_CASE(mount_setattr, 3)

}  // namespace
}  // namespace rawrt::test::table
