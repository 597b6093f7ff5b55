// The memory, thread, process, signal, time and resource wrappers of
// sys/calls.inc, both flavours, each checked against glibc for the same call;
// then the calls that come in one flavour only (clone, exit, exit_group), and
// a check that the blocking flavour is the one that reaches the hooks.

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "arch/arch.hpp"
#include "tests/sys_calls_test.hpp"

extern char** environ;

namespace {

namespace sys = rawrt::sys;
using rawrt::test::bad_address;
using rawrt::test::closed_fd;
using rawrt::test::FailsLikeGlibc;
using rawrt::test::make_pipe;
using rawrt::test::Ok;
using rawrt::test::SavedSignalAction;
using rawrt::test::TempFile;
using rawrt::test::UniqueFd;

RAWRT_FLAVOUR_TEST_SUITE(SysMemory);
RAWRT_FLAVOUR_TEST_SUITE(SysThreads);
RAWRT_FLAVOUR_TEST_SUITE(SysSignals);
RAWRT_FLAVOUR_TEST_SUITE(SysTime);
RAWRT_FLAVOUR_TEST_SUITE(SysProcess);

size_t page_size() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// The permissions column of /proc/self/maps for the mapping holding addr
// ("rw-p"), or "" if nothing is mapped there.
std::string mapping_permissions(const void* addr) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    const auto a = reinterpret_cast<uintptr_t>(addr);
    while (std::getline(maps, line)) {
        std::istringstream fields(line);
        std::string range, perms;
        fields >> range >> perms;
        auto dash = range.find('-');
        uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
        uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
        if (a >= start && a < end) return perms;
    }
    return "";
}

bool is_mapped(void* addr) {
    unsigned char vec;
    return ::mincore(addr, page_size(), &vec) == 0;
}

// ---------------------------------------------------------------- memory

TYPED_TEST(SysMemory, MmapMprotectMadviseMunmapOnAnonymousMemory) {
    const size_t page = page_size();
    auto m = SYS(mmap, nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(Ok(m));
    auto* p = static_cast<char*>(m.value());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % page, 0u);
    EXPECT_EQ(mapping_permissions(p), "rw-p");
    std::memset(p, 'x', 2 * page);

    ASSERT_TRUE(Ok(SYS(mprotect, p, page, PROT_READ)));
    EXPECT_EQ(mapping_permissions(p), "r--p");
    EXPECT_EQ(mapping_permissions(p + page), "rw-p");
    EXPECT_EQ(p[0], 'x');

    // DONTNEED on private anonymous memory: the next touch sees zeroes.
    ASSERT_TRUE(Ok(SYS(madvise, p + page, page, MADV_DONTNEED)));
    EXPECT_EQ(p[page], 0);
    EXPECT_EQ(p[2 * page - 1], 0);
    EXPECT_EQ(p[page - 1], 'x');

    // MAP_FIXED over memory we own returns exactly the address asked for,
    // through rawrt as through glibc.
    auto fixed = SYS(mmap, p + page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    ASSERT_TRUE(Ok(fixed));
    EXPECT_EQ(fixed.value(), p + page);
    EXPECT_EQ(::mmap(p + page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), p + page);

    ASSERT_TRUE(Ok(SYS(munmap, p, 2 * page)));
    EXPECT_FALSE(is_mapped(p));
    EXPECT_FALSE(is_mapped(p + page));
}

TYPED_TEST(SysMemory, MmapOfAFileHonoursTheSixthArgumentOffset) {
    // The offset is mmap's sixth argument: on x86_64 it reaches the stub on
    // the stack, the one argument no other wrapper here passes that way.
    const size_t page = page_size();
    TempFile file;
    ASSERT_EQ(::pwrite(file.fd(), "second page", 11, static_cast<off_t>(page)), 11);
    auto m = SYS(mmap, nullptr, page, PROT_READ, MAP_SHARED, file.fd(), static_cast<long>(page));
    ASSERT_TRUE(Ok(m));
    auto* theirs = static_cast<char*>(::mmap(nullptr, page, PROT_READ, MAP_SHARED, file.fd(), page));
    ASSERT_NE(theirs, MAP_FAILED);
    EXPECT_EQ(std::string(static_cast<char*>(m.value()), 11), "second page");
    EXPECT_EQ(std::memcmp(m.value(), theirs, page), 0);
    EXPECT_TRUE(Ok(SYS(munmap, m.value(), page)));
    ::munmap(theirs, page);
}

TYPED_TEST(SysMemory, MemoryCallsFailLikeGlibc) {
    const size_t page = page_size();
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    EXPECT_TRUE(FailsLikeGlibc(SYS(mmap, nullptr, 0, PROT_READ, anon, -1, 0),
                               GLIBC(::mmap(nullptr, 0, PROT_READ, anon, -1, 0)), "EINVAL"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(mmap, nullptr, page, PROT_READ, MAP_PRIVATE, closed, 0),
                               GLIBC(::mmap(nullptr, page, PROT_READ, MAP_PRIVATE, closed, 0)), "EBADF"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(mmap, nullptr, page, PROT_READ, MAP_PRIVATE, pipe.read_end.get(), 0),
                               GLIBC(::mmap(nullptr, page, PROT_READ, MAP_PRIVATE, pipe.read_end.get(), 0)), "ENODEV"));
    // A file offset that is not a multiple of the page size.
    TempFile file;
    EXPECT_TRUE(FailsLikeGlibc(SYS(mmap, nullptr, page, PROT_READ, MAP_SHARED, file.fd(), 1),
                               GLIBC(::mmap(nullptr, page, PROT_READ, MAP_SHARED, file.fd(), 1)), "EINVAL"));

    void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, anon, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    char* unaligned = static_cast<char*>(p) + 1;
    EXPECT_TRUE(FailsLikeGlibc(SYS(munmap, unaligned, page), GLIBC(::munmap(unaligned, page)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(mprotect, unaligned, page, PROT_READ), GLIBC(::mprotect(unaligned, page, PROT_READ)),
                               "EINVAL"));
    // qemu-user answers madvise itself (0 for any advice): the kernel's
    // EINVAL for an unknown advice is native only.
    if (!rawrt::test::under_qemu()) {
        EXPECT_TRUE(FailsLikeGlibc(SYS(madvise, p, page, 9999), GLIBC(::madvise(p, page, 9999)), "EINVAL"));
    }
    ::munmap(p, page);
    // p is unmapped now: mprotect there finds nothing.
    EXPECT_TRUE(FailsLikeGlibc(SYS(mprotect, p, page, PROT_READ), GLIBC(::mprotect(p, page, PROT_READ)), "ENOMEM"));
}

// ---------------------------------------------------------------- futex, ids, kill

TYPED_TEST(SysThreads, FutexWaitWakeAndTimeoutAgreeWithGlibc) {
    uint32_t word = 1;
    // The word is not the expected value: EAGAIN at once.
    EXPECT_TRUE(FailsLikeGlibc(SYS(futex, &word, FUTEX_WAIT_PRIVATE, 0u),
                               GLIBC(::syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, nullptr)), "EAGAIN"));
    // Nobody waits: a wake wakes 0.
    auto woken = SYS(futex, &word, FUTEX_WAKE_PRIVATE, 1u);
    ASSERT_TRUE(Ok(woken));
    EXPECT_EQ(woken.value(), 0);
    EXPECT_EQ(::syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1), 0);
    // A wait that nobody ends times out (relative timeout).
    const timespec one_ms{0, 1'000'000};
    EXPECT_TRUE(FailsLikeGlibc(SYS(futex, &word, FUTEX_WAIT_PRIVATE, 1u, &one_ms),
                               GLIBC(::syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &one_ms)), "ETIMEDOUT"));
    // An unknown operation, and a word the kernel cannot read.
    EXPECT_TRUE(FailsLikeGlibc(SYS(futex, &word, 99, 1u), GLIBC(::syscall(SYS_futex, &word, 99, 1, nullptr)),
                               "ENOSYS"));
    auto* bad_word = static_cast<uint32_t*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(futex, bad_word, FUTEX_WAIT_PRIVATE, 0u),
                               GLIBC(::syscall(SYS_futex, bad_word, FUTEX_WAIT_PRIVATE, 0, nullptr)), "EFAULT"));
    const timespec bad_timeout{0, 2'000'000'000};
    EXPECT_TRUE(FailsLikeGlibc(SYS(futex, &word, FUTEX_WAIT_PRIVATE, 1u, &bad_timeout),
                               GLIBC(::syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &bad_timeout)), "EINVAL"));
}

TYPED_TEST(SysThreads, GetpidAndGettidMatchGlibcOnEveryThread) {
    auto pid = SYS(getpid);
    auto tid = SYS(gettid);
    ASSERT_TRUE(Ok(pid));
    ASSERT_TRUE(Ok(tid));
    EXPECT_EQ(pid.value(), ::getpid());
    EXPECT_EQ(tid.value(), ::gettid());

    // On another thread: the same pid, that thread's own tid.
    long other_pid = 0, other_tid = 0, glibc_tid = 0;
    std::thread([&] {
        other_pid = SYS(getpid).raw();
        other_tid = SYS(gettid).raw();
        glibc_tid = ::gettid();
    }).join();
    EXPECT_EQ(other_pid, ::getpid());
    EXPECT_EQ(other_tid, glibc_tid);
    EXPECT_NE(other_tid, tid.value());
}

TYPED_TEST(SysThreads, TgkillAndKillWithSignalZeroProbeWithoutSending) {
    EXPECT_TRUE(Ok(SYS(tgkill, ::getpid(), ::gettid(), 0)));
    EXPECT_EQ(::tgkill(::getpid(), ::gettid(), 0), 0);
    EXPECT_TRUE(Ok(SYS(kill, ::getpid(), 0)));
    EXPECT_EQ(::kill(::getpid(), 0), 0);

    // No such thread / process (pid_max is at most 2^22).
    const int absent = 1 << 30;
    EXPECT_TRUE(FailsLikeGlibc(SYS(tgkill, ::getpid(), absent, 0), GLIBC(::tgkill(::getpid(), absent, 0)), "ESRCH"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(kill, absent, 0), GLIBC(::kill(absent, 0)), "ESRCH"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(tgkill, ::getpid(), -1, 0), GLIBC(::tgkill(::getpid(), -1, 0)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(kill, ::getpid(), 999), GLIBC(::kill(::getpid(), 999)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(tgkill, ::getpid(), ::gettid(), 999), GLIBC(::tgkill(::getpid(), ::gettid(), 999)),
                               "EINVAL"));
}

TYPED_TEST(SysThreads, SchedYieldAndGetaffinityAgreeWithGlibc) {
    EXPECT_TRUE(Ok(SYS(sched_yield)));
    EXPECT_EQ(::sched_yield(), 0);

    // The syscall answers how many bytes of the mask it filled; glibc's
    // wrapper hides that count, so compare with the bare syscall for it and
    // with the wrapper for the mask.
    alignas(8) unsigned char ours[128], theirs[128];
    std::memset(ours, 0, sizeof ours);
    std::memset(theirs, 0, sizeof theirs);
    auto filled = SYS(sched_getaffinity, 0, sizeof ours, ours);
    ASSERT_TRUE(Ok(filled));
    EXPECT_EQ(filled.value(), ::syscall(SYS_sched_getaffinity, 0, sizeof theirs, theirs));
    EXPECT_GT(filled.value(), 0);
    EXPECT_EQ(std::memcmp(ours, theirs, sizeof ours), 0);
    cpu_set_t glibc_set;
    ASSERT_EQ(::sched_getaffinity(0, sizeof glibc_set, &glibc_set), 0);
    int cpus = 0;
    for (unsigned char byte : ours) cpus += std::popcount(byte);
    EXPECT_EQ(cpus, CPU_COUNT(&glibc_set));
    EXPECT_EQ(std::memcmp(ours, &glibc_set, static_cast<size_t>(filled.value())), 0);
    // By tid, for this thread: the same mask.
    unsigned char by_tid[128] = {};
    ASSERT_TRUE(Ok(SYS(sched_getaffinity, ::gettid(), sizeof by_tid, by_tid)));
    EXPECT_EQ(std::memcmp(ours, by_tid, sizeof ours), 0);

    EXPECT_TRUE(FailsLikeGlibc(SYS(sched_getaffinity, 0, 0, ours),
                               GLIBC(::syscall(SYS_sched_getaffinity, 0, 0, theirs)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(sched_getaffinity, 0, sizeof ours, bad_address()),
                               GLIBC(::syscall(SYS_sched_getaffinity, 0, sizeof theirs, bad_address())), "EFAULT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(sched_getaffinity, 1 << 30, sizeof ours, ours),
                               GLIBC(::syscall(SYS_sched_getaffinity, 1 << 30, sizeof theirs, theirs)), "ESRCH"));
}

// ---------------------------------------------------------------- signals

// What the handlers below saw, in plain memory (a handler may not use gtest).
struct HandlerRecord {
    std::atomic<int> calls{0};
    std::atomic<int> signo{0};
    std::atomic<int> code{0};
    std::atomic<int> sender{0};
    std::atomic<uintptr_t> return_address{0};
    std::atomic<bool> own_signal_blocked{false};
    std::atomic<uintptr_t> stack_address{0};
};
HandlerRecord handler_record;

__attribute__((noinline)) void recording_handler(int sig, siginfo_t* info, void*) {
    // Where this handler's ret goes: the kernel put sa_restorer there (on
    // the stack on x86_64, in x30 on aarch64).
    handler_record.return_address =
        reinterpret_cast<uintptr_t>(__builtin_extract_return_addr(__builtin_return_address(0)));
    handler_record.signo = sig;
    handler_record.code = info->si_code;
    handler_record.sender = info->si_pid;
    sys::SignalSet now = 0;
    (void)sys::raw::rt_sigprocmask(SIG_BLOCK, nullptr, &now);
    handler_record.own_signal_blocked = (now & sys::signal_bit(sig)) != 0;
    int local = 0;
    handler_record.stack_address = reinterpret_cast<uintptr_t>(&local);
    handler_record.calls.fetch_add(1);
}

void reset_handler_record() {
    handler_record.calls = 0;
    handler_record.signo = 0;
    handler_record.code = 0;
    handler_record.sender = 0;
    handler_record.return_address = 0;
    handler_record.own_signal_blocked = false;
    handler_record.stack_address = 0;
}

sys::KernelSigaction recording_action(unsigned long extra_flags = 0) {
    sys::KernelSigaction act{};
    act.handler = reinterpret_cast<void*>(&recording_handler);
    act.flags = SA_SIGINFO | SA_RESTORER | extra_flags;
    act.restorer = &rawrt_sigreturn;
    act.mask = 0;
    return act;
}

uint64_t first_word(const sigset_t& set) {
    uint64_t word;
    std::memcpy(&word, &set, sizeof word);  // the kernel's 64 signals come first
    return word;
}

TYPED_TEST(SysSignals, RtSigactionHandlerReturnsThroughRawrtSigreturn) {
    SavedSignalAction saved(SIGUSR1);
    struct sigaction glibc_before {};
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &glibc_before), 0);

    reset_handler_record();
    const sys::KernelSigaction act = recording_action();
    sys::KernelSigaction old{};
    ASSERT_TRUE(Ok(SYS(rt_sigaction, SIGUSR1, &act, &old)));
    // The previous action as the kernel held it is what glibc reported.
    EXPECT_EQ(old.handler, reinterpret_cast<void*>(glibc_before.sa_handler));
    // glibc now sees rawrt's action...
    struct sigaction glibc_now {};
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &glibc_now), 0);
    EXPECT_EQ(reinterpret_cast<void*>(glibc_now.sa_sigaction), reinterpret_cast<void*>(&recording_handler));
    EXPECT_TRUE(glibc_now.sa_flags & SA_SIGINFO);
    // ...and reading it back through rawrt gives the restorer too.
    sys::KernelSigaction readback{};
    ASSERT_TRUE(Ok(SYS(rt_sigaction, SIGUSR1, nullptr, &readback)));
    EXPECT_EQ(readback.handler, act.handler);
    EXPECT_EQ(readback.restorer, &rawrt_sigreturn);
    EXPECT_TRUE(readback.flags & SA_RESTORER);

    sys::SignalSet mask_before = 0;
    ASSERT_TRUE(Ok(SYS(rt_sigprocmask, SIG_BLOCK, nullptr, &mask_before)));
    ASSERT_FALSE(mask_before & sys::signal_bit(SIGUSR1));

    // The signal is delivered before tgkill returns to this thread.
    ASSERT_TRUE(Ok(SYS(tgkill, ::getpid(), ::gettid(), SIGUSR1)));
    EXPECT_EQ(handler_record.calls, 1);
    EXPECT_EQ(handler_record.signo, SIGUSR1);
    EXPECT_EQ(handler_record.code, SI_TKILL);
    EXPECT_EQ(handler_record.sender, ::getpid());
    EXPECT_TRUE(handler_record.own_signal_blocked) << "the handler ran with its signal unblocked";
    // The handler returned into rawrt_sigreturn, and we are here: rt_sigreturn
    // restored this thread's context. It restored the signal mask too.
    EXPECT_EQ(handler_record.return_address, reinterpret_cast<uintptr_t>(&rawrt_sigreturn));
    sys::SignalSet mask_after = 0;
    ASSERT_TRUE(Ok(SYS(rt_sigprocmask, SIG_BLOCK, nullptr, &mask_after)));
    EXPECT_EQ(mask_after, mask_before);

    ASSERT_TRUE(Ok(SYS(rt_sigaction, SIGUSR1, &old, nullptr)));
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &glibc_now), 0);
    EXPECT_EQ(glibc_now.sa_handler, glibc_before.sa_handler);
}

TYPED_TEST(SysSignals, RtSigactionFailsLikeGlibc) {
    const sys::KernelSigaction act = recording_action();
    struct sigaction glibc_act {};
    glibc_act.sa_sigaction = &recording_handler;
    glibc_act.sa_flags = SA_SIGINFO;
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigaction, SIGKILL, &act, nullptr),
                               GLIBC(::sigaction(SIGKILL, &glibc_act, nullptr)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigaction, SIGSTOP, &act, nullptr),
                               GLIBC(::sigaction(SIGSTOP, &glibc_act, nullptr)), "EINVAL"));
    sys::KernelSigaction old{};
    struct sigaction glibc_old {};
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigaction, 0, nullptr, &old), GLIBC(::sigaction(0, nullptr, &glibc_old)),
                               "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigaction, 65, nullptr, &old), GLIBC(::sigaction(65, nullptr, &glibc_old)),
                               "EINVAL"));
    // glibc's sigaction copies *act itself (and would crash): compare with the syscall.
    auto* bad_act = static_cast<const sys::KernelSigaction*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigaction, SIGUSR1, bad_act, nullptr),
                               GLIBC(::syscall(SYS_rt_sigaction, SIGUSR1, bad_act, nullptr, 8)), "EFAULT"));
}

TYPED_TEST(SysSignals, RtSigprocmaskAgreesWithGlibc) {
    sigset_t glibc_before;
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &glibc_before), 0);
    ASSERT_FALSE(::sigismember(&glibc_before, SIGUSR2));

    const sys::SignalSet block = sys::signal_bit(SIGUSR2) | sys::signal_bit(SIGKILL);
    sys::SignalSet old = ~0ull;
    ASSERT_TRUE(Ok(SYS(rt_sigprocmask, SIG_BLOCK, &block, &old)));
    EXPECT_EQ(old, first_word(glibc_before));
    sigset_t glibc_now;
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &glibc_now), 0);
    EXPECT_TRUE(::sigismember(&glibc_now, SIGUSR2));
    EXPECT_FALSE(::sigismember(&glibc_now, SIGKILL)) << "the kernel never blocks SIGKILL";
    sys::SignalSet now = 0;
    ASSERT_TRUE(Ok(SYS(rt_sigprocmask, SIG_UNBLOCK, nullptr, &now)));
    EXPECT_EQ(now, first_word(glibc_now));

    ASSERT_TRUE(Ok(SYS(rt_sigprocmask, SIG_SETMASK, &old, nullptr)));
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &glibc_now), 0);
    EXPECT_EQ(first_word(glibc_now), first_word(glibc_before));

    // glibc's wrappers read *set themselves: compare with the syscall.
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigprocmask, 99, &block, nullptr),
                               GLIBC(::syscall(SYS_rt_sigprocmask, 99, &block, nullptr, 8)), "EINVAL"));
    auto* bad_set = static_cast<const sys::SignalSet*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(rt_sigprocmask, SIG_BLOCK, bad_set, nullptr),
                               GLIBC(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad_set, nullptr, 8)), "EFAULT"));
}

TYPED_TEST(SysSignals, SigaltstackIsWhereAnOnstackHandlerRuns) {
    const size_t size = 64 * 1024;
    void* stack = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(stack, MAP_FAILED);
    stack_t glibc_before{};
    ASSERT_EQ(::sigaltstack(nullptr, &glibc_before), 0);

    const sys::SignalStack ss{stack, 0, size};
    sys::SignalStack old{};
    ASSERT_TRUE(Ok(SYS(sigaltstack, &ss, &old)));
    EXPECT_EQ(old.sp, glibc_before.ss_sp);
    EXPECT_EQ(old.flags, glibc_before.ss_flags);
    EXPECT_EQ(old.size, glibc_before.ss_size);
    stack_t glibc_now{};
    ASSERT_EQ(::sigaltstack(nullptr, &glibc_now), 0);
    EXPECT_EQ(glibc_now.ss_sp, stack);
    EXPECT_EQ(glibc_now.ss_size, size);
    EXPECT_EQ(glibc_now.ss_flags, 0);

    {
        SavedSignalAction saved(SIGUSR1);
        reset_handler_record();
        const sys::KernelSigaction act = recording_action(SA_ONSTACK);
        ASSERT_TRUE(Ok(sys::raw::rt_sigaction(SIGUSR1, &act, nullptr)));
        ASSERT_EQ(::tgkill(::getpid(), ::gettid(), SIGUSR1), 0);
        EXPECT_EQ(handler_record.calls, 1);
        const uintptr_t local = handler_record.stack_address;
        EXPECT_GE(local, reinterpret_cast<uintptr_t>(stack));
        EXPECT_LT(local, reinterpret_cast<uintptr_t>(stack) + size) << "the handler did not run on the alt stack";
    }

    // Too small, unknown flags, unreadable: as glibc (a plain syscall wrapper).
    const sys::SignalStack tiny{stack, 0, 1024};
    const stack_t glibc_tiny{stack, 0, 1024};
    EXPECT_TRUE(FailsLikeGlibc(SYS(sigaltstack, &tiny, nullptr), GLIBC(::sigaltstack(&glibc_tiny, nullptr)), "ENOMEM"));
    const sys::SignalStack odd{stack, 0x1234, size};
    const stack_t glibc_odd{stack, 0x1234, size};
    EXPECT_TRUE(FailsLikeGlibc(SYS(sigaltstack, &odd, nullptr), GLIBC(::sigaltstack(&glibc_odd, nullptr)), "EINVAL"));
    auto* bad_ss = static_cast<const sys::SignalStack*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(sigaltstack, bad_ss, nullptr),
                               GLIBC(::sigaltstack(static_cast<const stack_t*>(bad_address()), nullptr)), "EFAULT"));

    ASSERT_TRUE(Ok(SYS(sigaltstack, &old, nullptr)));
    ASSERT_EQ(::sigaltstack(nullptr, &glibc_now), 0);
    EXPECT_EQ(glibc_now.ss_flags, glibc_before.ss_flags);
    ::munmap(stack, size);
}

// ---------------------------------------------------------------- time, random

TYPED_TEST(SysTime, NanosleepAgreesWithGlibc) {
    const timespec short_sleep{0, 1000};
    timespec remaining{-1, -1};
    EXPECT_TRUE(Ok(SYS(nanosleep, &short_sleep, &remaining)));
    EXPECT_EQ(::nanosleep(&short_sleep, nullptr), 0);
    const timespec zero{0, 0};
    EXPECT_TRUE(Ok(SYS(nanosleep, &zero, nullptr)));

    const timespec too_many_ns{0, 1'000'000'000};
    EXPECT_TRUE(FailsLikeGlibc(SYS(nanosleep, &too_many_ns, nullptr), GLIBC(::nanosleep(&too_many_ns, nullptr)),
                               "EINVAL"));
    const timespec negative{-1, 0};
    EXPECT_TRUE(FailsLikeGlibc(SYS(nanosleep, &negative, nullptr), GLIBC(::nanosleep(&negative, nullptr)), "EINVAL"));
    // qemu-user 7.2 reports a faulting nanosleep request as EINVAL (glibc goes
    // through clock_nanosleep, which it maps to EFAULT): native only.
    auto* bad_ts = static_cast<const timespec*>(bad_address());
    if (!rawrt::test::under_qemu()) {
        EXPECT_TRUE(FailsLikeGlibc(SYS(nanosleep, bad_ts, nullptr), GLIBC(::nanosleep(bad_ts, nullptr)), "EFAULT"));
    }
}

bool not_after(const timespec& a, const timespec& b) {
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

TYPED_TEST(SysTime, ClockGettimeSyscallLiesBetweenTwoGlibcReadings) {
    for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW}) {
        timespec before{}, ours{}, after{};
        ASSERT_EQ(::clock_gettime(clock, &before), 0);
        ASSERT_TRUE(Ok(SYS(clock_gettime, clock, &ours)));
        ASSERT_EQ(::clock_gettime(clock, &after), 0);
        // Monotonic clocks: an ordering, not a duration.
        EXPECT_TRUE(not_after(before, ours)) << "clock " << clock;
        EXPECT_TRUE(not_after(ours, after)) << "clock " << clock;
        EXPECT_GE(ours.tv_nsec, 0);
        EXPECT_LT(ours.tv_nsec, 1'000'000'000);
    }
    timespec realtime{};
    ASSERT_TRUE(Ok(SYS(clock_gettime, CLOCK_REALTIME, &realtime)));
    EXPECT_GT(realtime.tv_sec, 1'600'000'000) << "realtime before September 2020";

    timespec ts{};
    EXPECT_TRUE(FailsLikeGlibc(SYS(clock_gettime, 1000, &ts), GLIBC(::clock_gettime(1000, &ts)), "EINVAL"));
    // glibc's clock_gettime may read through the vDSO and crash: compare with the syscall.
    auto* bad_ts = static_cast<timespec*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(clock_gettime, CLOCK_MONOTONIC, bad_ts),
                               GLIBC(::syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad_ts)), "EFAULT"));
}

TYPED_TEST(SysTime, ClockGetresMatchesGlibc) {
    for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID,
                            CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_COARSE}) {
        timespec ours{-1, -1}, theirs{-2, -2};
        ASSERT_TRUE(Ok(SYS(clock_getres, clock, &ours))) << "clock " << clock;
        ASSERT_EQ(::clock_getres(clock, &theirs), 0);
        EXPECT_EQ(ours.tv_sec, theirs.tv_sec) << "clock " << clock;
        EXPECT_EQ(ours.tv_nsec, theirs.tv_nsec) << "clock " << clock;
    }
    timespec ts{};
    EXPECT_TRUE(FailsLikeGlibc(SYS(clock_getres, 1000, &ts), GLIBC(::clock_getres(1000, &ts)), "EINVAL"));
}

TYPED_TEST(SysTime, GetrandomFillsTheBufferLikeGlibc) {
    unsigned char ours[64] = {}, theirs[64] = {};
    auto n = SYS(getrandom, ours, sizeof ours, 0u);
    ASSERT_TRUE(Ok(n));
    EXPECT_EQ(n.value(), sizeof ours);
    EXPECT_EQ(::getrandom(theirs, sizeof theirs, 0), static_cast<ssize_t>(sizeof theirs));
    // 512 random bits: all zero, or equal to glibc's, only if nothing was written.
    int nonzero = 0;
    for (unsigned char b : ours) nonzero += b != 0;
    EXPECT_GT(nonzero, 0);
    EXPECT_NE(std::memcmp(ours, theirs, sizeof ours), 0);
    auto nonblocking = SYS(getrandom, ours, 16, static_cast<unsigned>(GRND_NONBLOCK));
    ASSERT_TRUE(Ok(nonblocking));
    EXPECT_EQ(nonblocking.value(), 16u);

    EXPECT_TRUE(FailsLikeGlibc(SYS(getrandom, ours, 16, 0x8000u), GLIBC(::getrandom(theirs, 16, 0x8000)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(getrandom, bad_address(), 16, 0u), GLIBC(::getrandom(bad_address(), 16, 0)),
                               "EFAULT"));
}

// ---------------------------------------------------------------- limits, uname

TYPED_TEST(SysProcess, Prlimit64ReadsWhatGetrlimitReads) {
    rlimit64 ours{};
    ASSERT_TRUE(Ok(SYS(prlimit64, 0, RLIMIT_NOFILE, nullptr, &ours)));
    rlimit theirs{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &theirs), 0);
    EXPECT_EQ(ours.rlim_cur, theirs.rlim_cur);
    EXPECT_EQ(ours.rlim_max, theirs.rlim_max);
    rlimit64 by_pid{};
    ASSERT_TRUE(Ok(SYS(prlimit64, ::getpid(), RLIMIT_STACK, nullptr, &by_pid)));
    ASSERT_EQ(::getrlimit(RLIMIT_STACK, &theirs), 0);
    EXPECT_EQ(by_pid.rlim_cur, theirs.rlim_cur);

    // Setting the soft limit below the hard one and back, old value returned.
    rlimit64 lowered{ours.rlim_cur - 1, ours.rlim_max}, previous{};
    ASSERT_TRUE(Ok(SYS(prlimit64, 0, RLIMIT_NOFILE, &lowered, &previous)));
    EXPECT_EQ(previous.rlim_cur, ours.rlim_cur);
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &theirs), 0);
    EXPECT_EQ(theirs.rlim_cur, ours.rlim_cur - 1);
    ASSERT_TRUE(Ok(SYS(prlimit64, 0, RLIMIT_NOFILE, &ours, nullptr)));
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &theirs), 0);
    EXPECT_EQ(theirs.rlim_cur, ours.rlim_cur);

    rlimit64 glibc_out{};
    EXPECT_TRUE(FailsLikeGlibc(SYS(prlimit64, 0, 999, nullptr, &ours),
                               GLIBC(::prlimit64(0, static_cast<__rlimit_resource>(999), nullptr, &glibc_out)),
                               "EINVAL"));
    const rlimit64 inverted{ours.rlim_max, ours.rlim_max == RLIM64_INFINITY ? 0 : ours.rlim_max - 1};
    if (ours.rlim_max != 0) {
        EXPECT_TRUE(FailsLikeGlibc(SYS(prlimit64, 0, RLIMIT_NOFILE, &inverted, nullptr),
                                   GLIBC(::prlimit64(0, RLIMIT_NOFILE, &inverted, nullptr)), "EINVAL"));
    }
    EXPECT_TRUE(FailsLikeGlibc(SYS(prlimit64, 1 << 30, RLIMIT_NOFILE, nullptr, &ours),
                               GLIBC(::prlimit64(1 << 30, RLIMIT_NOFILE, nullptr, &glibc_out)), "ESRCH"));
}

TYPED_TEST(SysProcess, UnameMatchesGlibc) {
    sys::Utsname ours{};
    ASSERT_TRUE(Ok(SYS(uname, &ours)));
    utsname theirs{};
    ASSERT_EQ(::uname(&theirs), 0);
    EXPECT_STREQ(ours.sysname, theirs.sysname);
    EXPECT_STREQ(ours.nodename, theirs.nodename);
    EXPECT_STREQ(ours.release, theirs.release);
    EXPECT_STREQ(ours.version, theirs.version);
    EXPECT_STREQ(ours.machine, theirs.machine);
    EXPECT_STREQ(ours.domainname, theirs.domainname);
    EXPECT_STREQ(ours.sysname, "Linux");
    EXPECT_STREQ(ours.machine, RAWRT_TEST_ARCH);
    auto* bad_out = static_cast<sys::Utsname*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(uname, bad_out), GLIBC(::uname(static_cast<utsname*>(bad_address()))), "EFAULT"));
}

// ---------------------------------------------------------------- wait4, execve

// Forks a child that execs path with argv/envp through rawrt (127 if that
// fails) and reaps it through rawrt. Returns the wait status.
template <class Flavour>
int exec_and_wait(const char* path, char* const argv[], char* const envp[]) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only raw rawrt code between fork and exec.
        if constexpr (Flavour::kRaw) (void)sys::raw::execve(path, argv, envp);
        else (void)sys::execve(path, argv, envp);
        sys::exit_group(127);
    }
    EXPECT_GT(pid, 0);
    int status = -1;
    rusage usage{};
    auto waited = Flavour::kRaw ? sys::raw::wait4(pid, &status, 0, &usage) : sys::wait4(pid, &status, 0, &usage);
    EXPECT_TRUE(Ok(waited));
    EXPECT_EQ(waited.value_or(-1), pid);
    return status;
}

TYPED_TEST(SysProcess, ExecveRunsTheProgramAndWait4ReapsIt) {
    char* true_argv[] = {const_cast<char*>("true"), nullptr};
    int status = exec_and_wait<TypeParam>("/bin/true", true_argv, environ);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);

    // argv and envp arrive: the shell exits with the code they carry.
    char* sh_argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>("exit $CODE"), nullptr};
    char* sh_envp[] = {const_cast<char*>("CODE=23"), nullptr};
    status = exec_and_wait<TypeParam>("/bin/sh", sh_argv, sh_envp);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 23);
}

TYPED_TEST(SysProcess, ExecveFailsLikeGlibcAndReturns) {
    // Failures leave this process as it was, so they are safe to try here.
    char* argv[] = {const_cast<char*>("x"), nullptr};
    EXPECT_TRUE(FailsLikeGlibc(SYS(execve, "/nonexistent-rawrt/program", argv, environ),
                               GLIBC(::execve("/nonexistent-rawrt/program", argv, environ)), "ENOENT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(execve, "/bin/true/x", argv, environ), GLIBC(::execve("/bin/true/x", argv, environ)),
                               "ENOTDIR"));
    TempFile not_executable;  // mode 0600: no x bit for anyone, root included
    EXPECT_TRUE(FailsLikeGlibc(SYS(execve, not_executable.path(), argv, environ),
                               GLIBC(::execve(not_executable.path(), argv, environ)), "EACCES"));
}

TYPED_TEST(SysProcess, Wait4WithWnohangAndItsErrorsAgreeWithGlibc) {
    auto pipe = make_pipe();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Waits for the parent to close its write end, then exits 5.
        pipe.write_end.reset();
        char c;
        (void)sys::raw::read(pipe.read_end.get(), &c, 1);
        sys::exit_group(5);
    }
    ASSERT_GT(pid, 0);
    pipe.read_end.reset();
    int status = -1;
    // Still running: WNOHANG answers 0.
    auto early = SYS(wait4, pid, &status, WNOHANG);
    ASSERT_TRUE(Ok(early));
    EXPECT_EQ(early.value(), 0);
    EXPECT_EQ(::wait4(pid, &status, WNOHANG, nullptr), 0);
    pipe.write_end.reset();
    auto reaped = SYS(wait4, pid, &status, 0);
    ASSERT_TRUE(Ok(reaped));
    EXPECT_EQ(reaped.value(), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 5);

    // Reaped already, never ours, or bad options.
    EXPECT_TRUE(FailsLikeGlibc(SYS(wait4, pid, &status, 0), GLIBC(::wait4(pid, &status, 0, nullptr)), "ECHILD"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(wait4, ::getpid(), &status, 0), GLIBC(::wait4(::getpid(), &status, 0, nullptr)),
                               "ECHILD"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(wait4, -1, &status, 0x00100000), GLIBC(::wait4(-1, &status, 0x00100000, nullptr)),
                               "EINVAL"));
}

// ---------------------------------------------------------------- exit, exit_group, clone

int wait_for_status(pid_t pid) {
    int status = -1;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return status;
}

TEST(SysExit, ExitGroupEndsAForkedChildWithItsCode) {
    const pid_t pid = ::fork();
    if (pid == 0) sys::exit_group(42);
    ASSERT_GT(pid, 0);
    int status = wait_for_status(pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 42);

    const pid_t raw_pid = ::fork();
    if (raw_pid == 0) sys::raw::exit_group(43);
    status = wait_for_status(raw_pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 43);
}

TEST(SysExit, ExitOfTheOnlyThreadEndsTheProcessWithItsCode) {
    const pid_t pid = ::fork();
    if (pid == 0) sys::exit(7);
    ASSERT_GT(pid, 0);
    int status = wait_for_status(pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
}

// A stack for a clone child, with an unmapped guard page below it.
class CloneStack {
public:
    static constexpr size_t kSize = 64 * 1024;
    CloneStack() {
        base_ = ::mmap(nullptr, kSize + page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base_ == MAP_FAILED) ADD_FAILURE() << "mmap failed";
        ::mprotect(base_, page_size(), PROT_NONE);
    }
    ~CloneStack() { ::munmap(base_, kSize + page_size()); }
    CloneStack(const CloneStack&) = delete;
    CloneStack& operator=(const CloneStack&) = delete;
    void* top() const { return static_cast<char*>(base_) + page_size() + kSize; }
    bool contains(uintptr_t a) const {
        auto lo = reinterpret_cast<uintptr_t>(base_) + page_size();
        return a >= lo && a < lo + kSize;
    }

private:
    void* base_;
};

// Waits (FUTEX_WAIT, shared: the kernel's CLONE_CHILD_CLEARTID wake is not a
// private one) until the kernel has cleared a clone child's tid word.
void join_cleared_tid(int* tid_word) {
    auto* word = reinterpret_cast<uint32_t*>(tid_word);
    for (;;) {
        uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (seen == 0) return;
        (void)sys::raw::futex(word, FUTEX_WAIT, seen);
    }
}

struct ForkLikeChild {
    const CloneStack* stack;
};

int fork_like_child(void* arg) {
    // Runs on the clone stack in a copy of this process; its return value
    // is the exit status the parent reaps.
    int local = 0;
    auto* child = static_cast<ForkLikeChild*>(arg);
    return child->stack->contains(reinterpret_cast<uintptr_t>(&local)) ? 42 : 1;
}

TEST(SysClone, ChildRunsFnOnTheGivenStackAndItsResultIsTheExitStatus) {
    // Without CLONE_VM (qemu-user runs CLONE_VM only as a full thread): a
    // fork whose child starts fn on the new stack.
    CloneStack stack;
    ForkLikeChild child{&stack};
    auto pid = sys::clone(SIGCHLD, stack.top(), nullptr, nullptr, &fork_like_child, &child);
    ASSERT_TRUE(Ok(pid));
    int status = -1;
    auto waited = sys::raw::wait4(pid.value(), &status, 0);
    ASSERT_TRUE(Ok(waited));
    EXPECT_EQ(waited.value(), pid.value());
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 42) << "1: fn ran off its stack";
}

struct ExitingThread {
    std::atomic<int> tid{0};
    std::atomic<int> reached{0};
};

__attribute__((noinline)) void end_this_thread(ExitingThread* t) {
    t->reached = 1;
    sys::exit(0);
}

int exiting_thread(void* arg) {
    auto* t = static_cast<ExitingThread*>(arg);
    t->tid = sys::raw::gettid().raw();
    end_this_thread(t);
    // sys::exit returns to no one: this store must never happen.
    t->reached = 2;
    return 0;
}

constexpr unsigned long kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                       CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

TEST(SysClone, ExitInACloneThreadEndsOnlyThatThread) {
    CloneStack stack;
    ExitingThread t;
    int tid_word = 0;
    // No CLONE_SETTLS: the child shares this thread's glibc TCB, which it
    // never touches (it runs only rawrt code).
    auto tid = sys::raw::clone(kThreadFlags, stack.top(), &tid_word, nullptr, &exiting_thread, &t);
    ASSERT_TRUE(Ok(tid));
    join_cleared_tid(&tid_word);
    EXPECT_EQ(t.tid, tid.value());
    EXPECT_EQ(t.reached, 1) << (t.reached == 0 ? "the thread never reached exit" : "exit returned");
    // The process, this thread included, is still here.
    EXPECT_EQ(::getpid(), sys::raw::getpid().value());
}

TEST(SysClone, InvalidFlagsFailLikeGlibc) {
    CloneStack stack;
    // CLONE_THREAD needs CLONE_SIGHAND, and CLONE_SIGHAND needs CLONE_VM.
    int tid_word = 0;
    const unsigned long no_sighand = CLONE_VM | CLONE_THREAD;
    EXPECT_TRUE(FailsLikeGlibc(sys::clone(no_sighand, stack.top(), &tid_word, nullptr, &fork_like_child, nullptr),
                               GLIBC(::syscall(SYS_clone, no_sighand, stack.top(), nullptr, nullptr, nullptr)),
                               "EINVAL"));
    const unsigned long no_vm = CLONE_SIGHAND | SIGCHLD;
    EXPECT_TRUE(FailsLikeGlibc(sys::raw::clone(no_vm, stack.top(), &tid_word, nullptr, &fork_like_child, nullptr),
                               GLIBC(::syscall(SYS_clone, no_vm, stack.top(), nullptr, nullptr, nullptr)), "EINVAL"));
}

// ---------------------------------------------------------------- the two flavours and the hooks

std::atomic<int> hook_enters{0}, hook_exits{0}, hook_enter_blocks{0};
std::atomic<long> hook_nr{-1}, hook_a0{0};  // what the last enter was told
const sys::SyscallHooks counting_hooks = {
    [](long nr, long a0, long, long) {
    hook_nr = nr;
    hook_a0 = a0;
    hook_enters.fetch_add(1);
    },
    [] { hook_exits.fetch_add(1); },
    [](long, long, long, long) { hook_enter_blocks.fetch_add(1); },
};

// Installs the counting hooks for one test, and always removes them.
class InstalledCountingHooks {
public:
    InstalledCountingHooks() {
        hook_enters = hook_exits = hook_enter_blocks = 0;
        sys::install_syscall_hooks(&counting_hooks);
    }
    ~InstalledCountingHooks() { sys::install_syscall_hooks(nullptr); }
};

TEST(SysFlavours, BlockingWrappersCallTheHooksOnceAndRawWrappersNever) {
    const int closed = closed_fd();
    char buf[1];
    uint32_t word = 0;
    timespec ts{};
    InstalledCountingHooks hooks;
    // Wrappers of each argument count and result type, in both flavours;
    // calls that fail reach the hooks too.
    struct Case {
        const char* name;
        long (*blocking)(int, void*, uint32_t*, timespec*);
        long (*raw)(int, void*, uint32_t*, timespec*);
    };
#define RAWRT_CASE(name, ...)                                                                    \
    Case {                                                                                       \
#name, [](int closed, void* buf, uint32_t* word, timespec* ts) {                               \
            (void)closed, (void)buf, (void)word, (void)ts;                                             \
            return sys::name(__VA_ARGS__).raw();                                                       \
        },                                                                                             \
            [](int closed, void* buf, uint32_t* word, timespec* ts) {                                  \
                (void)closed, (void)buf, (void)word, (void)ts;                                         \
                return sys::raw::name(__VA_ARGS__).raw();                                              \
            } \
    }
    const Case cases[] = {
        RAWRT_CASE(read, closed, buf, 1),
        RAWRT_CASE(write, closed, buf, 1),
        RAWRT_CASE(close, closed),
        RAWRT_CASE(openat, closed, "x", 0),
        RAWRT_CASE(getpid),
        RAWRT_CASE(gettid),
        RAWRT_CASE(sched_yield),
        RAWRT_CASE(futex, word, FUTEX_WAKE_PRIVATE, 1u),
        RAWRT_CASE(clock_gettime, CLOCK_MONOTONIC, ts),
        RAWRT_CASE(nanosleep, ts, nullptr),
        RAWRT_CASE(mmap, nullptr, 0, 0, 0, closed, 0),
        RAWRT_CASE(epoll_pwait, closed, nullptr, 1, 0),
        RAWRT_CASE(accept4, closed, nullptr, nullptr, 0),
        RAWRT_CASE(io_uring_enter, closed, 0u, 0u, 0u),
    };
#undef RAWRT_CASE
    for (const Case& c : cases) {
        const int enters = hook_enters, exits = hook_exits;
        ts = timespec{};  // clock_gettime fills it; nanosleep must find it zero
        long blocking = c.blocking(closed, buf, &word, &ts);
        EXPECT_EQ(hook_enters - enters, 1) << "sys::" << c.name;
        EXPECT_EQ(hook_exits - exits, 1) << "sys::" << c.name;
        if (c.name == std::string("read") || c.name == std::string("close")) {
            EXPECT_EQ(hook_nr.load(), c.name[0] == 'r' ? long{SYS_read} : long{SYS_close});  // for the tracer
            EXPECT_EQ(hook_a0.load(), closed) << c.name;
        }
        ts = timespec{};
        long raw = c.raw(closed, buf, &word, &ts);
        EXPECT_EQ(hook_enters - enters, 1) << "sys::raw::" << c.name << " called enter";
        EXPECT_EQ(hook_exits - exits, 1) << "sys::raw::" << c.name << " called exit";
        EXPECT_EQ(blocking, raw) << c.name;
    }
    EXPECT_EQ(hook_enter_blocks, 0);
    // Calls Go makes with RawSyscall are raw in both namespaces (sys/syscalls.tbl).
    const int enters = hook_enters;
    EXPECT_FALSE(sys::socket(-1, 0, 0).ok());
    EXPECT_TRUE(sys::getuid().ok());
    EXPECT_EQ(hook_enters, enters) << "a raw-flavoured sys:: wrapper called entersyscall";
}

}  // namespace
