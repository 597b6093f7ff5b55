// The vDSO resolver (vdso/vdso.cpp): found where the kernel maps one (x86_64
// here, aarch64 in the VM step), absent under qemu-user (aarch64), the forced
// fallback really going to the kernel, and every result agreeing with the
// syscall and with glibc.
//
// A vDSO is expected exactly when the tests run natively (runner() empty);
// qemu-user 7.2 passes no AT_SYSINFO_EHDR. Both cases assert.

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::test {
namespace {

using vdso::Function;

constexpr Function kAllFunctions[] = {Function::clock_gettime, Function::gettimeofday, Function::clock_getres,
                                      Function::time, Function::getcpu};
constexpr int64_t kNs = 1000000000;
constexpr int64_t kRealtimeBoundNs = 50 * 1000000;  // a correctness bound, not a speed

bool vdso_expected() { return rawrt::test::runner().empty(); }

bool looked_up(Function f) {
    for (const vdso::Symbol& s : vdso::symbols())
        if (s.function == f) return true;
    return false;
}

int64_t ns(const timespec& ts) { return ts.tv_sec * kNs + ts.tv_nsec; }

int64_t glibc_ns(clockid_t clock) {
    timespec ts;
    if (::clock_gettime(clock, &ts) != 0) std::abort();
    return ns(ts);
}

// Restores the vDSO route whatever happens in the test.
struct ForcedFallback {
    explicit ForcedFallback(bool force) { vdso::force_syscall_fallback(force); }
    ~ForcedFallback() { vdso::force_syscall_fallback(false); }
};

// Runs body once through the vDSO and once with the fallback forced.
template <class Body>
void both_routes(Body body) {
    for (bool force : {false, true}) {
        SCOPED_TRACE(force ? "forced syscall fallback" : "vDSO route");
        ForcedFallback route(force);
        body(force);
    }
}

TEST(VdsoResolver, FoundExactlyWhereTheKernelMapsOne) {
    const unsigned long ehdr = ::getauxval(AT_SYSINFO_EHDR);
    EXPECT_EQ(ehdr != 0, vdso_expected()) << "natively a vDSO is expected; under qemu-user none";
    vdso::ImageInfo image = vdso::image();
    EXPECT_EQ(image.present, ehdr != 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(image.address), ehdr);

    const size_t expected_symbols = RAWRT_TEST_ARCH == std::string("x86_64") ? 5 : 3;
    EXPECT_EQ(vdso::symbols().count, expected_symbols);

    if (ehdr == 0) {
        EXPECT_FALSE(image.valid);
        EXPECT_EQ(image.size, 0u);
        for (Function f : kAllFunctions) {
            EXPECT_EQ(vdso::address(f), nullptr);
            EXPECT_FALSE(vdso::uses_vdso(f));
        }
        for (const vdso::Symbol& s : vdso::symbols()) EXPECT_EQ(s.address, nullptr) << s.name;
        return;
    }

    ASSERT_TRUE(image.valid);
    // The image's size from its headers fits in the mapping /proc/self/maps shows.
    std::ifstream maps("/proc/self/maps");
    uintptr_t map_begin = 0, map_end = 0;
    for (std::string line; std::getline(maps, line);)
        if (line.find("[vdso]") != std::string::npos) {
            std::istringstream in(line);
            char dash;
            in >> std::hex >> map_begin >> dash >> map_end;
        }
    EXPECT_EQ(map_begin, ehdr);
    EXPECT_GT(image.size, 0u);
    EXPECT_LE(image.size, map_end - map_begin);

    for (const vdso::Symbol& s : vdso::symbols()) {
        auto at = reinterpret_cast<uintptr_t>(s.address);
        EXPECT_GE(at, ehdr) << s.name;
        EXPECT_LT(at, ehdr + image.size) << s.name;
        EXPECT_EQ(s.address, vdso::address(s.function)) << s.name;
        EXPECT_TRUE(vdso::uses_vdso(s.function)) << s.name;
#if defined(__x86_64__)
        // glibc's dynamic linker, as a second opinion. (The aarch64 test
        // binary is linked static, where dlopen cannot name the vDSO.)
        void* handle = ::dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY);
        ASSERT_NE(handle, nullptr);
        EXPECT_EQ(s.address, ::dlvsym(handle, s.name, s.version)) << s.name;
#endif
    }
    // What this architecture's vDSO lacks always takes the syscall.
    for (Function f : kAllFunctions)
        if (!looked_up(f)) {
            EXPECT_EQ(vdso::address(f), nullptr);
            EXPECT_FALSE(vdso::uses_vdso(f));
        }
}

TEST(VdsoResolver, ForceSyscallFallbackAndBack) {
    const bool present = vdso::image().valid;
    const void* before[5];
    for (Function f : kAllFunctions) before[static_cast<int>(f)] = vdso::address(f);
    {
        ForcedFallback forced(true);
        for (Function f : kAllFunctions) {
            EXPECT_FALSE(vdso::uses_vdso(f));
            EXPECT_EQ(vdso::address(f), before[static_cast<int>(f)]);  // still known, only unused
        }
        timespec ts;
        EXPECT_TRUE(vdso::clock_gettime(CLOCK_MONOTONIC, &ts).ok());
        vdso::force_syscall_fallback(true);  // twice is the same as once
        EXPECT_FALSE(vdso::uses_vdso(Function::clock_gettime));
    }
    for (Function f : kAllFunctions) EXPECT_EQ(vdso::uses_vdso(f), present && looked_up(f));
}

// With the clock syscalls made to fail with a mark (seccomp, in a child
// process), the vDSO route must not meet the mark and the forced route must.
// Only calls the vDSO serves without ever entering the kernel are used for the
// first half: coarse clocks, clock_getres, time, getcpu.
TEST(VdsoResolver, ForcedFallbackEntersTheKernel) {
    if (!vdso::image().valid) {
        // qemu-user: no vDSO, so every call is already the syscall (and qemu
        // refuses seccomp filters, which would see its own syscalls anyway).
        ASSERT_FALSE(vdso_expected());
        for (bool force : {false, true}) {
            ForcedFallback route(force);
            for (Function f : kAllFunctions) EXPECT_FALSE(vdso::uses_vdso(f));
        }
        return;
    }
    constexpr int kMark = EHWPOISON;
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_fds[0]);
        auto report = [&](const char* failure) {
            (void)!::write(pipe_fds[1], failure, std::strlen(failure));
            (void)!::write(pipe_fds[1], "\n", 1);
        };
#if defined(__x86_64__)
        constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#else
        constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#endif
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 4, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_getres, 3, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettimeofday, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getcpu, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | kMark),
        };
        sock_fprog program{sizeof filter / sizeof filter[0], filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
            report("installing the seccomp filter failed");
            ::_exit(0);
        }
        timespec ts;
        timeval tv;
        unsigned cpu;
        if (sys::raw::clock_getres(CLOCK_MONOTONIC, &ts).error() != sys::Errno(kMark))
            report("the filter does not catch clock_getres");

        vdso::force_syscall_fallback(false);
        if (!vdso::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts).ok()) report("vDSO clock_gettime entered the kernel");
        if (!vdso::clock_gettime(CLOCK_REALTIME_COARSE, &ts).ok()) report("vDSO clock_gettime entered the kernel");
        if (!vdso::clock_getres(CLOCK_MONOTONIC, &ts).ok()) report("vDSO clock_getres entered the kernel");
        if (looked_up(Function::time) && vdso::time() <= 0) report("vDSO time entered the kernel");
        if (looked_up(Function::getcpu) && !vdso::getcpu(&cpu, nullptr).ok()) report("vDSO getcpu entered the kernel");

        vdso::force_syscall_fallback(true);
        if (vdso::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts).error() != sys::Errno(kMark))
            report("forced clock_gettime did not enter the kernel");
        if (vdso::nanotime() != 0) report("forced nanotime did not enter the kernel");
        if (vdso::clock_getres(CLOCK_MONOTONIC, &ts).error() != sys::Errno(kMark))
            report("forced clock_getres did not enter the kernel");
        if (vdso::gettimeofday(&tv, nullptr).error() != sys::Errno(kMark))
            report("forced gettimeofday did not enter the kernel");
        if (vdso::time() != -1) report("forced time did not enter the kernel");
        if (vdso::getcpu(&cpu, nullptr).error() != sys::Errno(kMark)) report("forced getcpu did not enter the kernel");

        vdso::force_syscall_fallback(false);  // and back
        if (!vdso::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts).ok()) report("unforced again, still the syscall");
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string failures;
    char buffer[256];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) failures.append(buffer, n);
    ::close(pipe_fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(failures, "");
}

// Reads interleaved from the vDSO, the raw syscall, glibc and the forced
// fallback (switched on and off as it goes): CLOCK_MONOTONIC never goes back.
TEST(VdsoResolver, MonotonicNeverGoesBackwards) {
    ForcedFallback restore(false);
    const int iterations = vdso_expected() ? 200000 : 40000;
    int64_t last = 0;
    for (int i = 0; i < iterations; ++i) {
        int64_t now = 0;
        timespec ts;
        switch (i % 5) {
            case 0: now = vdso::nanotime(); break;
            case 1:
                ASSERT_TRUE(sys::raw::clock_gettime(CLOCK_MONOTONIC, &ts).ok());
                now = ns(ts);
                break;
            case 2: now = glibc_ns(CLOCK_MONOTONIC); break;
            case 3:
                ASSERT_TRUE(vdso::clock_gettime(CLOCK_MONOTONIC, &ts).ok());
                now = ns(ts);
                break;
            case 4: now = vdso::nanotime(); break;
        }
        ASSERT_GT(now, 0) << i;
        ASSERT_GE(now, last) << "went back by " << last - now << " ns at read " << i << " (source " << i % 5 << ")";
        last = now;
        if (i % 1000 == 999) vdso::force_syscall_fallback(i % 2000 == 999);
    }
}

TEST(VdsoResolver, RealtimeAgreesWithGlibc) {
    both_routes([](bool) {
        for (int i = 0; i < 1000; ++i) {
            int64_t before = glibc_ns(CLOCK_REALTIME);
            int64_t wall = vdso::walltime();
            timespec ts;
            ASSERT_TRUE(vdso::clock_gettime(CLOCK_REALTIME, &ts).ok());
            int64_t after = glibc_ns(CLOCK_REALTIME);
            ASSERT_GE(wall, before - kRealtimeBoundNs);
            ASSERT_LE(wall, after + kRealtimeBoundNs);
            ASSERT_GE(ns(ts), before - kRealtimeBoundNs);
            ASSERT_LE(ns(ts), after + kRealtimeBoundNs);
            ASSERT_LT(static_cast<uint64_t>(ts.tv_nsec), static_cast<uint64_t>(kNs));
        }
    });
}

TEST(VdsoResolver, GettimeofdayAgreesWithGlibc) {
    both_routes([](bool) {
        for (int i = 0; i < 100; ++i) {
            int64_t before = glibc_ns(CLOCK_REALTIME);
            timeval tv{};
            ASSERT_TRUE(vdso::gettimeofday(&tv, nullptr).ok());
            int64_t after = glibc_ns(CLOCK_REALTIME);
            ASSERT_LT(static_cast<uint64_t>(tv.tv_usec), 1000000u);
            int64_t at = tv.tv_sec * kNs + tv.tv_usec * 1000;
            ASSERT_GE(at, before - kRealtimeBoundNs);
            ASSERT_LE(at, after + kRealtimeBoundNs);
        }
        EXPECT_TRUE(vdso::gettimeofday(nullptr, nullptr).ok());
    });
}

TEST(VdsoResolver, ClockGetresMatchesTheSyscall) {
    const clockid_t clocks[] = {CLOCK_REALTIME,          CLOCK_MONOTONIC,     CLOCK_PROCESS_CPUTIME_ID,
                                CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                                CLOCK_MONOTONIC_COARSE,  CLOCK_BOOTTIME,      CLOCK_TAI};
    both_routes([&](bool) {
        for (clockid_t clock : clocks) {
            timespec ours{-1, -1}, kernel{-2, -2}, glibc{-3, -3};
            ASSERT_TRUE(vdso::clock_getres(clock, &ours).ok()) << clock;
            ASSERT_TRUE(sys::raw::clock_getres(clock, &kernel).ok()) << clock;
            ASSERT_EQ(::clock_getres(clock, &glibc), 0) << clock;
            EXPECT_EQ(ours.tv_sec, kernel.tv_sec) << clock;
            EXPECT_EQ(ours.tv_nsec, kernel.tv_nsec) << clock;
            EXPECT_EQ(ours.tv_sec, glibc.tv_sec) << clock;
            EXPECT_EQ(ours.tv_nsec, glibc.tv_nsec) << clock;
            EXPECT_TRUE(vdso::clock_getres(clock, nullptr).ok()) << clock;
        }
    });
}

TEST(VdsoResolver, TimeAgreesWithGlibc) {
    both_routes([](bool) {
        for (int i = 0; i < 100; ++i) {
            int64_t before = ::time(nullptr);
            int64_t ours = vdso::time();
            int64_t after = ::time(nullptr);
            ASSERT_GE(ours, before - 1);
            ASSERT_LE(ours, after + 1);
        }
    });
}

// getcpu on a thread pinned to each allowed CPU in turn: it must name that
// CPU (and so be below the CPU count) by both routes.
TEST(VdsoResolver, GetcpuNamesThePinnedCpu) {
    const long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    ASSERT_GT(cpus, 0);
    cpu_set_t allowed;
    ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
    std::vector<std::string> failures;
    std::thread pinned([&] {
        for (int c = 0; c < CPU_SETSIZE; ++c) {
            if (!CPU_ISSET(c, &allowed)) continue;
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            if (::sched_setaffinity(0, sizeof one, &one) != 0) {
                failures.push_back("cannot pin to CPU " + std::to_string(c));
                continue;
            }
            for (bool force : {false, true}) {
                vdso::force_syscall_fallback(force);
                unsigned cpu = ~0u, node = ~0u;
                if (!vdso::getcpu(&cpu, &node).ok()) failures.push_back("getcpu failed");
                if (cpu != static_cast<unsigned>(c) || cpu >= static_cast<unsigned long>(cpus))
                    failures.push_back("pinned to " + std::to_string(c) + ", getcpu says " + std::to_string(cpu) +
                                       (force ? " (forced)" : ""));
                if (node == ~0u) failures.push_back("no node");
                unsigned only_cpu = ~0u;
                if (!vdso::getcpu(&only_cpu, nullptr).ok() || only_cpu != static_cast<unsigned>(c))
                    failures.push_back("getcpu(cpu, nullptr)");
                if (!vdso::getcpu(nullptr, nullptr).ok()) failures.push_back("getcpu(nullptr, nullptr)");
            }
            vdso::force_syscall_fallback(false);
        }
    });
    pinned.join();
    for (const std::string& f : failures) ADD_FAILURE() << f;
}

TEST(VdsoResolver, InvalidClockIsEinvalByEveryRoute) {
    both_routes([](bool) {
        // Not 16..23: Linux 6.17's auxiliary clocks live there.
        for (int clock : {64, 100, 0x7fffffff}) {
            timespec ts;
            errno = 0;
            EXPECT_EQ(::clock_gettime(clock, &ts), -1);
            EXPECT_EQ(errno, EINVAL);
            EXPECT_EQ(vdso::clock_gettime(clock, &ts).error(), sys::Errno(EINVAL)) << clock;
            EXPECT_EQ(sys::raw::clock_gettime(clock, &ts).error(), sys::Errno(EINVAL)) << clock;
            errno = 0;
            EXPECT_EQ(::clock_getres(clock, &ts), -1);
            EXPECT_EQ(errno, EINVAL);
            EXPECT_EQ(vdso::clock_getres(clock, &ts).error(), sys::Errno(EINVAL)) << clock;
        }
    });
}

// Several threads make the process's very first vDSO call at once, each
// through a different entry point, and must all end up with the same answer.
// A first call needs a fresh process: the test runs itself as a child with
// RAWRT_VDSO_FIRST_CALL_CHILD set, which runs the threads and asserts.
constexpr const char* kFirstCallChild = "RAWRT_VDSO_FIRST_CALL_CHILD";

struct Seen {
    const void* address[5];
    bool uses[5];
    vdso::ImageInfo image;
    bool call_ok;
};

void concurrent_first_calls() {
    constexpr int kThreads = 8;
    std::atomic<int> ready{0};
    std::atomic<int64_t> go{0};  // glibc's CLOCK_MONOTONIC at which thread 0 starts
    Seen seen[kThreads] = {};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            // Three threads at once, the others over the next 800 us: some
            // arrive while another is still resolving, some just after it
            // has published, some long after. They sleep rather than spin,
            // so that on 2 cores each starts on time.
            constexpr int64_t kStartUs[kThreads] = {0, 0, 0, 50, 100, 200, 400, 800};
            while (go.load() == 0) sched_yield();
            int64_t start = go.load() + kStartUs[t] * 1000;
            timespec at{static_cast<time_t>(start / kNs), static_cast<long>(start % kNs)};
            while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
            }
            timespec ts;
            timeval tv;
            unsigned cpu;
            bool ok = true;
            switch (t) {  // the first call, a different one per thread
                case 0: ok = vdso::clock_gettime(CLOCK_MONOTONIC, &ts).ok(); break;
                case 1: ok = vdso::nanotime() > 0; break;
                case 2: ok = vdso::uses_vdso(Function::clock_gettime) == vdso_expected(); break;
                case 3: ok = vdso::image().present == vdso_expected(); break;
                case 4: ok = vdso::clock_getres(CLOCK_MONOTONIC, &ts).ok(); break;
                case 5: ok = vdso::gettimeofday(&tv, nullptr).ok(); break;
                case 6: ok = vdso::time() > 0; break;
                case 7: ok = vdso::getcpu(&cpu, nullptr).ok(); break;
            }
            Seen& s = seen[t];
            s.call_ok = ok;
            for (Function f : kAllFunctions) {
                s.address[static_cast<int>(f)] = vdso::address(f);
                s.uses[static_cast<int>(f)] = vdso::uses_vdso(f);
            }
            s.image = vdso::image();
        });
    while (ready.load() != kThreads) {
    }
    go.store(glibc_ns(CLOCK_MONOTONIC) + 1000000);  // 1 ms for every thread to be asleep
    for (std::thread& t : threads) t.join();

    for (int t = 0; t < kThreads; ++t) {
        EXPECT_TRUE(seen[t].call_ok) << "thread " << t;
        EXPECT_EQ(seen[t].image.present, vdso_expected()) << "thread " << t;
        EXPECT_EQ(seen[t].image.valid, seen[0].image.valid) << "thread " << t;
        EXPECT_EQ(seen[t].image.address, seen[0].image.address) << "thread " << t;
        EXPECT_EQ(seen[t].image.size, seen[0].image.size) << "thread " << t;
        for (Function f : kAllFunctions) {
            int i = static_cast<int>(f);
            EXPECT_EQ(seen[t].address[i], seen[0].address[i]) << "thread " << t << " function " << i;
            EXPECT_EQ(seen[t].uses[i], vdso_expected() && looked_up(f)) << "thread " << t << " function " << i;
        }
    }
}

TEST(VdsoResolver, ConcurrentFirstCallsAgree) {
    if (std::getenv(kFirstCallChild) != nullptr) {
        concurrent_first_calls();
        return;
    }
    char self[4096];  // this very binary (qemu-user answers with the guest's path)
    ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
    ASSERT_GT(length, 0);
    self[length] = '\0';
    for (int run = 0; run < 5; ++run) {
        // The variable goes before the runner (qemu passes it on to the guest).
        const std::string runner = rawrt::test::runner();
        ChildResult child = run_command(std::string(kFirstCallChild) + "=1 " + runner + " " + self +
                                        " --gtest_filter=VdsoResolver.ConcurrentFirstCallsAgree");
        EXPECT_EQ(child.exit_status, 0) << child.output;
        EXPECT_NE(child.output.find(": 1 passed, 0 failed"), std::string::npos) << child.output;
    }
}

}  // namespace
}  // namespace rawrt::test
