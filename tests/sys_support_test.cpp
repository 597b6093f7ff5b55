// sys/'s freestanding support, checked against glibc where glibc has the same
// thing: Result and Errno, printing, the fatal-error path, rawrt's own
// mem*/str* (rawrt_memcpy and so on, of which the standard names are weak aliases), the process
// accessors (argv, envp, getenv, auxv), the thread pointer and runtime TCB on
// a raw clone thread, and pc_in_syscall_stub seen from a signal handler.

#include <linux/auxvec.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "arch/arch.hpp"
#include "arch/thread_pointer.hpp"
#include "sys/fatal.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"
#include "sys/tcb.hpp"
#include "tests/sys_calls_test.hpp"

extern char** environ;

// sys/memory.cpp's own names: the library's code, callable beside libc's.
extern "C" {
void* rawrt_memcpy(void* dst, const void* src, size_t n);
void* rawrt_memmove(void* dst, const void* src, size_t n);
void* rawrt_memset(void* dst, int c, size_t n);
int rawrt_memcmp(const void* a, const void* b, size_t n);
size_t rawrt_strlen(const char* s);
}

namespace {

namespace sys = rawrt::sys;
using rawrt::test::closed_fd;
using rawrt::test::glibc_errno_name;
using rawrt::test::make_pipe;
using rawrt::test::SavedSignalAction;
using rawrt::test::UniqueFd;

// Everything readable from fd until end of file.
std::string drain(int fd) {
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// What fn wrote to fd 2 in a forked child, and how the child ended. fn runs
// in a copy of this process; if it returns, the child exits 0.
struct ChildOutcome {
    std::string stderr_text;
    int status = -1;
};
ChildOutcome in_child(const std::function<void()>& fn) {
    auto pipe = make_pipe();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe.write_end.get(), 2);
        pipe.read_end.reset();
        pipe.write_end.reset();
        fn();
        ::_exit(0);
    }
    ChildOutcome outcome;
    if (pid < 0) {
        ADD_FAILURE() << "fork: " << glibc_errno_name(errno);
        return outcome;
    }
    pipe.write_end.reset();
    outcome.stderr_text = drain(pipe.read_end.get());
    EXPECT_EQ(::waitpid(pid, &outcome.status, 0), pid);
    return outcome;
}

bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

// ---------------------------------------------------------------- Result, Errno

TEST(SysResult, AValueIsOkAndCarriesIt) {
    const sys::Result<int> r(5);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.value(), 5);
    EXPECT_EQ(r.value_or(9), 5);
    EXPECT_EQ(r.raw(), 5);
    EXPECT_EQ(r.error(), sys::Errno());
    EXPECT_STREQ(r.error().name(), "OK");

    int object = 0;
    const sys::Result<int*> p(reinterpret_cast<long>(&object));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.value(), &object);
    const sys::Result<size_t> big(LONG_MAX);
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(big.value(), static_cast<size_t>(LONG_MAX));
}

TEST(SysResult, AnErrorWordCarriesItsErrno) {
    const sys::Result<int> r(-EBADF);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), EBADF);
    EXPECT_EQ(r.error(), sys::Errno(EBADF));
    EXPECT_STREQ(r.error().name(), "EBADF");
    EXPECT_EQ(r.value_or(9), 9);
    EXPECT_EQ(r.raw(), -EBADF);

    // A real one: rawrt's close of a closed descriptor, beside glibc's.
    const int closed = closed_fd();
    const sys::Result<void> ours = sys::raw::close(closed);
    errno = 0;
    EXPECT_EQ(::close(closed), -1);
    EXPECT_FALSE(ours.ok());
    EXPECT_EQ(ours.error().code(), errno);
    EXPECT_STREQ(ours.error().name(), "EBADF");
}

TEST(SysResult, OnlyMinus4095ToMinus1AreErrors) {
    // The kernel's MAX_ERRNO is 4095: one below is an ordinary value (an
    // lseek offset, an address high in memory).
    static_assert(!sys::Result<long>(-1).ok());
    static_assert(!sys::Result<long>(-4095).ok());
    static_assert(sys::Result<long>(-4096).ok());
    static_assert(sys::Result<long>(0).ok());
    static_assert(sys::Result<long>(LONG_MIN).ok());
    EXPECT_EQ(sys::Result<long>(-4095).error().code(), 4095);
    EXPECT_EQ(sys::Result<long>(-1).error(), sys::Errno(EPERM));
    EXPECT_EQ(sys::Result<long>(-4096).value(), -4096);
    const sys::Result<void*> top_page(-4096L);
    ASSERT_TRUE(top_page.ok());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(top_page.value()), ~uintptr_t{0} - 4095);

    EXPECT_TRUE(sys::Result<void>(0).ok());
    EXPECT_EQ(sys::Result<void>(0).error(), sys::Errno());
    EXPECT_FALSE(sys::Result<void>(-EINTR).ok());
    EXPECT_STREQ(sys::Result<void>(-EINTR).error().name(), "EINTR");
    EXPECT_EQ(sys::Result<void>(-EINTR).raw(), -EINTR);
}

TEST(SysResultDeathTest, ValueOfAnErrorIsAFatalErrorWithStatus2) {
    EXPECT_EXIT((void)sys::Result<int>(-EBADF).value(), ::testing::ExitedWithCode(2),
                "^fatal error: used the value of a failed syscall result \\(EBADF\\)\n$");
    EXPECT_EXIT((void)sys::Result<void*>(-ENOMEM).value(), ::testing::ExitedWithCode(2),
                "^fatal error: .*\\(ENOMEM\\)\n$");
}

TEST(SysErrno, NamesAreGlibcsNamesForEveryCodeGlibcKnows) {
    EXPECT_STREQ(sys::Errno().name(), "OK");
    EXPECT_STREQ(sys::Errno(EBADF).name(), "EBADF");
    EXPECT_STREQ(sys::Errno(EAGAIN).name(), "EAGAIN");
    int known = 0;
    for (int code = 1; code < 4096; ++code) {
        const char* theirs = ::strerrorname_np(code);
        const std::string ours = sys::Errno(code).name();
        if (theirs != nullptr) {
            EXPECT_EQ(ours, theirs) << "code " << code;
            ++known;
        } else {
            EXPECT_EQ(ours, "E?") << "code " << code << " has a name glibc does not know";
        }
    }
    EXPECT_GT(known, 120) << "the generated table is nearly empty";
    EXPECT_STREQ(sys::Errno(-1).name(), "E?");
    EXPECT_STREQ(sys::Errno(1 << 20).name(), "E?");
}

// ---------------------------------------------------------------- printing

// What fdprint(args...) writes, read back through a pipe.
template <class... Args>
std::string printed(const Args&... args) {
    auto pipe = make_pipe();
    sys::fdprint(pipe.write_end.get(), args...);
    pipe.write_end.reset();
    return drain(pipe.read_end.get());
}

TEST(SysPrint, StringsCharsAndBools) {
    EXPECT_EQ(printed("hello", ' ', "world", '\n'), "hello world\n");
    EXPECT_EQ(printed(""), "");
    EXPECT_EQ(printed(static_cast<const char*>(nullptr)), "(null)");
    std::string text = "from a std::string";
    EXPECT_EQ(printed(text.c_str()), text);
    char mutable_text[] = "mutable";
    EXPECT_EQ(printed(mutable_text), "mutable");
    EXPECT_EQ(printed(true, ' ', false), "true false");
}

TEST(SysPrint, DecimalOfEveryIntegerTypeMatchesToString) {
    EXPECT_EQ(printed(0), "0");
    EXPECT_EQ(printed(-1), "-1");
    EXPECT_EQ(printed(INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(printed(INT64_MAX), "9223372036854775807");
    EXPECT_EQ(printed(UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(printed(static_cast<int8_t>(-128)), "-128");
    EXPECT_EQ(printed(static_cast<uint8_t>(255)), "255");
    EXPECT_EQ(printed(static_cast<short>(-32768)), "-32768");
    EXPECT_EQ(printed(static_cast<unsigned short>(65535)), "65535");
    EXPECT_EQ(printed(INT_MIN), "-2147483648");
    EXPECT_EQ(printed(UINT_MAX), "4294967295");
    // Every power of ten and its neighbours, both signs.
    for (uint64_t p = 1; p <= 1'000'000'000'000'000'000ull; p *= 10) {
        for (uint64_t u : {p - 1, p, p + 1}) {
            EXPECT_EQ(printed(u), std::to_string(u));
            const auto s = static_cast<int64_t>(u);
            EXPECT_EQ(printed(-s), std::to_string(-s));
        }
    }
}

std::string glibc_hex(unsigned long long v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", v);
    return buf;
}

TEST(SysPrint, HexAndPointersMatchPrintf) {
    for (uint64_t v : {0ull, 1ull, 0xfull, 0x10ull, 0xdeadbeefull, 0x8000000000000000ull, ~0ull, 0x0123456789abcdefull,
                       0x100000000ull}) {
        EXPECT_EQ(printed(sys::Hex{v}), glibc_hex(v));
    }
    int object = 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", static_cast<void*>(&object));
    EXPECT_EQ(printed(&object), buf) << "a pointer prints as an address, not as a bool";
    EXPECT_EQ(printed(static_cast<const void*>(nullptr)), "0x0");
    EXPECT_EQ(printed(reinterpret_cast<const void*>(uintptr_t{0x7ffff000})), "0x7ffff000");
}

TEST(SysPrint, PaddedRightAlignsAndNeverTruncates) {
    EXPECT_EQ(printed(sys::Padded{42, 6}), "    42");
    EXPECT_EQ(printed(sys::Padded{-42, 6}), "   -42");
    EXPECT_EQ(printed(sys::Padded{0, 1}), "0");
    EXPECT_EQ(printed(sys::Padded{0, 0}), "0");
    EXPECT_EQ(printed(sys::Padded{123456, 3}), "123456");
    EXPECT_EQ(printed(sys::Padded{-10, 3}), "-10");
    EXPECT_EQ(printed(sys::Padded{INT64_MIN, 25}), "     -9223372036854775808");
    EXPECT_EQ(printed(sys::Padded{INT64_MAX, 20}), " 9223372036854775807");
    for (int64_t v : {-1000000LL, -999LL, -1LL, 7LL, 99LL, 100LL, 987654321LL}) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%12lld", static_cast<long long>(v));
        EXPECT_EQ(printed(sys::Padded{v, 12}), buf);
    }
}

TEST(SysPrint, ErrnoPrintsItsNameAndAnUnknownOneItsNumber) {
    EXPECT_EQ(printed(sys::Errno(EBADF)), "EBADF");
    EXPECT_EQ(printed(sys::Errno()), "OK");
    EXPECT_EQ(printed(sys::Errno(4000)), "E?(4000)");
    EXPECT_EQ(printed(sys::Errno(-5)), "E?(-5)");
    EXPECT_EQ(printed("open: ", sys::raw::close(closed_fd()).error()), "open: EBADF");
}

TEST(SysPrint, LongOutputArrivesWholeAndInOrder) {
    std::string expected, part(1000, 'x');
    for (int i = 0; i < 40; ++i) part[static_cast<size_t>(i) * 25] = static_cast<char>('a' + i % 26);
    expected = part + "|" + std::to_string(INT64_MIN) + "|" + part;
    EXPECT_EQ(printed(part.c_str(), '|', INT64_MIN, '|', part.c_str()), expected);
}

// Each write(2) to a datagram socket is one datagram: the writes fdprint made.
std::vector<std::string> datagrams_of(const std::function<void(int)>& print) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) {
        ADD_FAILURE() << "socketpair: " << glibc_errno_name(errno);
        return {};
    }
    UniqueFd reader(fds[0]), writer(fds[1]);
    print(writer.get());
    std::vector<std::string> out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(reader.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) break;
        out.emplace_back(buf, static_cast<size_t>(n));
    }
    return out;
}

TEST(SysPrint, ALineThatFitsIsOneWrite) {
    // One write per line, so lines from different threads never interleave.
    auto writes = datagrams_of([](int fd) { sys::fdprint(fd, "pid ", 1234, " at ", sys::Hex{0xff}, " ", true, "\n"); });
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0], "pid 1234 at 0xff true\n");

    // More than the buffer holds: several writes, nothing lost or reordered.
    const std::string long_part(700, 'L');
    writes = datagrams_of([&](int fd) { sys::fdprint(fd, long_part.c_str(), -7, "\n"); });
    EXPECT_GT(writes.size(), 1u);
    std::string joined;
    for (const std::string& w : writes) {
        EXPECT_FALSE(w.empty());
        joined += w;
    }
    EXPECT_EQ(joined, long_part + "-7\n");
}

TEST(SysPrint, AFailedWriteIsDroppedQuietly) {
    sys::fdprint(closed_fd(), "nowhere to go\n");  // must return, not crash or spin
    auto pipe = make_pipe();
    pipe.read_end.reset();
    SavedSignalAction saved(SIGPIPE);
    ::signal(SIGPIPE, SIG_IGN);
    sys::fdprint(pipe.write_end.get(), "EPIPE\n");
    SUCCEED();
}

TEST(SysPrint, EprintWritesToFd2) {
    auto child = in_child([] { sys::eprint("to stderr: ", -3, ' ', sys::Hex{0xabc}, "\n"); });
    EXPECT_TRUE(exited_with(child.status, 0)) << child.status;
    EXPECT_EQ(child.stderr_text, "to stderr: -3 0xabc\n");
}

// ---------------------------------------------------------------- fatal

TEST(SysFatal, PrintsTheMessageAndExitsWithStatus2) {
    auto child = in_child([] { sys::fatal("boom ", 42, " ", sys::Errno(EBADF), " ", sys::Hex{255}); });
    EXPECT_TRUE(exited_with(child.status, 2)) << "status " << child.status;
    EXPECT_EQ(child.stderr_text, "fatal error: boom 42 EBADF 0xff\n");
}

TEST(SysFatal, FromAnotherThreadEndsTheWholeProcess) {
    // The main thread blocks for good; a second thread's fatal must still end
    // the process (exit_group, not exit) with status 2.
    auto child = in_child([] {
        auto pipe = make_pipe();
        std::thread([] { sys::fatal("from a thread"); }).detach();
        char c;
        (void)::read(pipe.read_end.get(), &c, 1);
        ::_exit(99);
    });
    EXPECT_TRUE(exited_with(child.status, 2)) << "status " << child.status;
    EXPECT_EQ(child.stderr_text, "fatal error: from a thread\n");
}

TEST(SysFatalDeathTest, IsAGtestDeathWithStatus2) {
    EXPECT_EXIT(sys::fatal("unreachable state ", 7), ::testing::ExitedWithCode(2),
                "^fatal error: unreachable state 7\n$");
}

// ---------------------------------------------------------------- mem*, strlen

constexpr size_t kMaxSize = 300;
constexpr size_t kAlignments = 16;
constexpr size_t kGuard = 32;

// A buffer with a known pattern everywhere, so a stray write shows.
std::vector<unsigned char> patterned(size_t n, unsigned seed) {
    std::vector<unsigned char> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i * 131 + seed * 7 + 1) & 0xff);
    return v;
}

TEST(SysMemory, MemcpyEverySizeAndAlignment) {
    const auto source = patterned(kMaxSize + kAlignments, 1);
    for (size_t n = 0; n <= kMaxSize; ++n) {
        for (size_t src_align = 0; src_align < 8; ++src_align) {
            for (size_t dst_align = 0; dst_align < kAlignments; ++dst_align) {
                auto dst = patterned(kGuard + kAlignments + kMaxSize + kGuard, 2);
                auto expected = dst;
                unsigned char* d = dst.data() + kGuard + dst_align;
                std::memcpy(expected.data() + kGuard + dst_align, source.data() + src_align, n);
                void* ret = rawrt_memcpy(d, source.data() + src_align, n);
                ASSERT_EQ(ret, d);
                ASSERT_EQ(dst, expected) << "n " << n << " src+" << src_align << " dst+" << dst_align;
            }
        }
    }
}

TEST(SysMemory, MemmoveOverlappingInBothDirections) {
    for (size_t n = 0; n <= kMaxSize; ++n) {
        for (long shift : {-65L, -17L, -8L, -7L, -1L, 0L, 1L, 3L, 8L, 9L, 31L, 64L, 299L}) {
            for (size_t align = 0; align < 8; ++align) {
                auto buf = patterned(2 * kGuard + 2 * kMaxSize + 2 * 300, 3);
                // A reference move: copy out, then copy in.
                const size_t src_at = kGuard + kMaxSize + align;
                const size_t dst_at = static_cast<size_t>(static_cast<long>(src_at) + shift);
                auto expected = buf;
                std::vector<unsigned char> temp(buf.begin() + static_cast<long>(src_at),
                                                buf.begin() + static_cast<long>(src_at + n));
                for (size_t i = 0; i < n; ++i) expected[dst_at + i] = temp[i];
                void* ret = rawrt_memmove(buf.data() + dst_at, buf.data() + src_at, n);
                ASSERT_EQ(ret, buf.data() + dst_at);
                ASSERT_EQ(buf, expected) << "n " << n << " shift " << shift << " align " << align;
            }
        }
    }
}

TEST(SysMemory, MemsetEverySizeAlignmentAndByte) {
    for (size_t n = 0; n <= kMaxSize; ++n) {
        for (size_t align = 0; align < kAlignments; ++align) {
            for (int c : {0, 0x5a, 0xff, 0x1a7, -1}) {
                auto buf = patterned(kGuard + kAlignments + kMaxSize + kGuard, 4);
                auto expected = buf;
                for (size_t i = 0; i < n; ++i) expected[kGuard + align + i] = static_cast<unsigned char>(c);
                void* ret = rawrt_memset(buf.data() + kGuard + align, c, n);
                ASSERT_EQ(ret, buf.data() + kGuard + align);
                ASSERT_EQ(buf, expected) << "n " << n << " align " << align << " c " << c;
            }
        }
    }
}

int sign(int v) { return (v > 0) - (v < 0); }

TEST(SysMemory, MemcmpOrdersByTheFirstDifferingUnsignedByte) {
    for (size_t n = 0; n <= kMaxSize; ++n) {
        for (size_t align = 0; align < 8; ++align) {
            auto a = patterned(kMaxSize + kAlignments, 5);
            auto b = a;
            const unsigned char* pa = a.data() + align;
            unsigned char* pb = b.data() + (7 - align);
            std::memcpy(pb, pa, n);
            ASSERT_EQ(rawrt_memcmp(pa, pb, n), 0) << "n " << n;
            // A difference at the first, a middle and the last byte, both
            // ways, with high-bit bytes (0x80 > 0x01 as unsigned char).
            for (size_t at : {size_t{0}, n / 2, n - 1}) {
                if (n == 0) break;
                const unsigned char saved = pb[at];
                for (unsigned char x : {0x01, 0x80, 0xff}) {
                    pb[at] = x;
                    const int expected = sign(std::memcmp(pa, pb, n));
                    ASSERT_EQ(sign(rawrt_memcmp(pa, pb, n)), expected) << "n " << n << " at " << at;
                    ASSERT_EQ(sign(rawrt_memcmp(pb, pa, n)), -expected) << "n " << n << " at " << at;
                }
                pb[at] = saved;
            }
        }
    }
}

TEST(SysMemory, StrlenEveryLengthAndAlignment) {
    for (size_t len = 0; len <= kMaxSize; ++len) {
        for (size_t align = 0; align < kAlignments; ++align) {
            std::vector<char> buf(kAlignments + kMaxSize + 2, '\xff');
            char* s = buf.data() + align;
            for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>(0x80 | (i & 0x7f) | 1);
            s[len] = '\0';
            ASSERT_EQ(rawrt_strlen(s), len) << "align " << align;
            ASSERT_EQ(rawrt_strlen(s), std::strlen(s));
        }
    }
}

// ---------------------------------------------------------------- argv, envp, getenv, auxv

// Puts the process arguments back as they were when the test is done.
class SavedProcessArgs {
public:
    SavedProcessArgs() : argc_(sys::argc()), argv_(sys::argv()), envp_(sys::envp()) {}
    ~SavedProcessArgs() { sys::set_process_args(argc_, argv_, envp_); }

private:
    int argc_;
    char** argv_;
    char** envp_;
};

TEST(SysProcessInfo, ArgvEnvpAndGetenvReadWhatWasSet) {
    SavedProcessArgs saved;
    char* argv[] = {const_cast<char*>("prog"), const_cast<char*>("--flag"), nullptr};
    char* envp[] = {const_cast<char*>("RAWRT_AB=long"), const_cast<char*>("RAWRT_A=short"), const_cast<char*>("EMPTY="),
                    const_cast<char*>("RAWRT_A=second"), nullptr};
    sys::set_process_args(2, argv, envp);
    EXPECT_EQ(sys::argc(), 2);
    EXPECT_EQ(sys::argv(), argv);
    EXPECT_STREQ(sys::argv()[1], "--flag");
    EXPECT_EQ(sys::envp(), envp);

    EXPECT_STREQ(sys::getenv("RAWRT_A"), "short") << "a name must not match a longer one, and the first wins";
    EXPECT_STREQ(sys::getenv("RAWRT_AB"), "long");
    EXPECT_STREQ(sys::getenv("EMPTY"), "");
    EXPECT_EQ(sys::getenv("RAWRT"), nullptr) << "a prefix of a name is not the name";
    EXPECT_EQ(sys::getenv("RAWRT_ABC"), nullptr);
    EXPECT_EQ(sys::getenv("RAWRT_A=short"), nullptr);
    EXPECT_EQ(sys::getenv(""), nullptr);
    EXPECT_EQ(sys::getenv(nullptr), nullptr);

    // No environment at all: an empty one, never a null envp.
    sys::set_process_args(0, nullptr, nullptr);
    ASSERT_NE(sys::envp(), nullptr);
    EXPECT_EQ(sys::envp()[0], nullptr);
    EXPECT_EQ(sys::getenv("PATH"), nullptr);
}

TEST(SysProcessInfo, GetenvFindsWhatGlibcFindsInTheRealEnvironment) {
    SavedProcessArgs saved;
    sys::set_process_args(0, nullptr, environ);
    int names = 0;
    for (char** e = environ; *e != nullptr; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (eq == nullptr) continue;
        const std::string name(*e, static_cast<size_t>(eq - *e));
        // The same string in the same block, not just equal text.
        EXPECT_EQ(sys::getenv(name.c_str()), ::getenv(name.c_str())) << name;
        ++names;
    }
    EXPECT_GT(names, 0) << "the test ran with an empty environment";
    EXPECT_EQ(sys::getenv("RAWRT_SURELY_NOT_SET_ANYWHERE"), ::getenv("RAWRT_SURELY_NOT_SET_ANYWHERE"));
}

TEST(SysProcessInfo, AuxvFromProcSelfAuxvMatchesGetauxval) {
    // A hosted program's auxv comes from /proc/self/auxv, read on first use
    // (qemu-user answers that file with the guest's own vector).
    const unsigned long types[] = {AT_PAGESZ, AT_HWCAP,    AT_HWCAP2,       AT_CLKTCK,     AT_PHDR,
                                   AT_PHENT,  AT_PHNUM,    AT_ENTRY,        AT_BASE,       AT_UID,
                                   AT_EUID,   AT_GID,      AT_EGID,         AT_SECURE,     AT_RANDOM,
                                   AT_EXECFN, AT_PLATFORM, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ};
    // The test's own reading of the file, pair by pair.
    std::ifstream file("/proc/self/auxv", std::ios::binary);
    std::vector<unsigned long> pairs;
    for (unsigned long word; file.read(reinterpret_cast<char*>(&word), sizeof word);) pairs.push_back(word);
    ASSERT_GE(pairs.size(), 2u);
    auto from_file = [&](unsigned long type) -> unsigned long {
        for (size_t i = 0; i + 1 < pairs.size() && pairs[i] != AT_NULL; i += 2)
            if (pairs[i] == type) return pairs[i + 1];
        return 0;
    };
    for (unsigned long type : types) {
        EXPECT_EQ(sys::auxv_value(type), from_file(type)) << "AT_ " << type;
#if defined(__x86_64__)
        // glibc's getauxval(AT_HWCAP) answers its own x86 platform bits
        // (HWCAP_X86_64...), not the kernel's word.
        if (type == AT_HWCAP) continue;
#endif
        EXPECT_EQ(sys::auxv_value(type), ::getauxval(type)) << "AT_ " << type;
    }
    EXPECT_EQ(sys::auxv_value(AT_PAGESZ), static_cast<unsigned long>(::sysconf(_SC_PAGESIZE)));
    EXPECT_NE(sys::auxv_value(AT_RANDOM), 0u);
    EXPECT_EQ(sys::auxv_value(9999), 0u) << "an absent type reads 0, as getauxval's";
    EXPECT_EQ(sys::auxv_value(AT_NULL), 0u);

    // Several threads asking at once see the same vector.
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int k = 0; k < 100; ++k)
                if (sys::auxv_value(AT_PAGESZ) != ::getauxval(AT_PAGESZ)) mismatches.fetch_add(1);
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches, 0);
}

TEST(SysProcessInfo, SetAuxvReplacesTheVector) {
    // In a child: set_auxv is for good (as _start uses it).
    auto child = in_child([] {
        static const unsigned long vector[] = {AT_PAGESZ, 12345, AT_UID, 77, AT_NULL, 0, AT_HWCAP, 5};
        sys::set_auxv(vector);
        sys::eprint(sys::auxv_value(AT_PAGESZ), " ", sys::auxv_value(AT_UID), " ", sys::auxv_value(AT_HWCAP), "\n");
    });
    EXPECT_TRUE(exited_with(child.status, 0));
    EXPECT_EQ(child.stderr_text, "12345 77 0\n") << "entries after AT_NULL must not be read";
}

// ---------------------------------------------------------------- thread pointer, runtime TCB

TEST(SysThreadPointer, GlibcThreadsAreNotRuntimeThreads) {
    EXPECT_EQ(sys::current_runtime_tcb(), nullptr);
    EXPECT_EQ(rawrt::arch::thread_pointer(), reinterpret_cast<uintptr_t>(rawrt_thread_pointer_get()));
    EXPECT_EQ(rawrt::arch::thread_pointer(), reinterpret_cast<uintptr_t>(__builtin_thread_pointer()));
    sys::ThreadControlBlock* seen = reinterpret_cast<sys::ThreadControlBlock*>(1);
    uintptr_t tp = 0, builtin = 0;
    std::thread([&] {
        seen = sys::current_runtime_tcb();
        tp = reinterpret_cast<uintptr_t>(rawrt_thread_pointer_get());
        builtin = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
    }).join();
    EXPECT_EQ(seen, nullptr) << "a std::thread taken for a runtime thread";
    EXPECT_EQ(tp, builtin);
    EXPECT_NE(tp, rawrt::arch::thread_pointer()) << "two threads with one thread pointer";
}

TEST(SysThreadPointer, RandomCanaryComesFromAtRandomWithAZeroLowByte) {
    uint64_t bytes_8_to_15;
    std::memcpy(&bytes_8_to_15, reinterpret_cast<const unsigned char*>(::getauxval(AT_RANDOM)) + 8,
                sizeof bytes_8_to_15);
    const uintptr_t canary = sys::random_canary();
    EXPECT_EQ(canary & 0xff, 0u);
    EXPECT_EQ(canary, bytes_8_to_15 & ~uint64_t{0xff});
    EXPECT_NE(canary, 0u);
}

struct alignas(16) CloneStack {
    unsigned char bytes[64 * 1024];
    void* top() { return bytes + sizeof bytes; }
};

// What a clone thread saw of its own thread pointer (plain memory: the
// thread runs no libc code, its thread pointer is not glibc's).
struct TlsReport {
    sys::ThreadControlBlock* tcb;     // installed by CLONE_SETTLS
    sys::ThreadControlBlock* other;   // installed by the thread itself
    sys::ThreadControlBlock* forged;  // self-pointing, wrong tag
    uintptr_t tp_inline = 0, tp_call = 0;
    sys::ThreadControlBlock* runtime_tcb = nullptr;
    uintptr_t canary_slot = 0;
    sys::ThreadControlBlock* after_install = nullptr;
    uintptr_t tp_after_install = 0;
    sys::ThreadControlBlock* with_forged = nullptr;
    std::atomic<int> finished{0};
};

int tls_thread(void* arg) {
    auto* r = static_cast<TlsReport*>(arg);
    r->tp_inline = rawrt::arch::thread_pointer();
    r->tp_call = reinterpret_cast<uintptr_t>(rawrt_thread_pointer_get());
    r->runtime_tcb = sys::current_runtime_tcb();
#if defined(__x86_64__)
    // Where GCC's stack protector reads its canary.
    asm volatile("mov %%fs:0x28, %0" : "=r"(r->canary_slot));
#else
    r->canary_slot = r->runtime_tcb != nullptr ? r->runtime_tcb->stack_guard : 0;
#endif
    sys::install_thread_control_block(r->other);
    r->after_install = sys::current_runtime_tcb();
    r->tp_after_install = reinterpret_cast<uintptr_t>(rawrt_thread_pointer_get());
    (void)rawrt_thread_pointer_set(r->forged);
    r->with_forged = sys::current_runtime_tcb();
    (void)rawrt_thread_pointer_set(r->tcb);
    r->finished.store(1, std::memory_order_release);
    return 0;
}

void join_cleared_tid(int* tid_word) {
    auto* word = reinterpret_cast<uint32_t*>(tid_word);
    for (;;) {
        uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (seen == 0) return;
        (void)sys::raw::futex(word, FUTEX_WAIT, seen);
    }
}

TEST(SysThreadPointer, ACloneThreadWithSettlsRunsOnItsRuntimeTcb) {
    // One canary for every block: the thread swaps blocks mid-function.
    const uintptr_t canary = sys::random_canary() | 0x4200;
    sys::ThreadControlBlock tcb, other, forged;
    tcb.init(canary);
    other.init(canary);
    forged.init(canary);
    forged.tag ^= 1;
    TlsReport report;
    report.tcb = &tcb;
    report.other = &other;
    report.forged = &forged;

    auto stack = std::make_unique<CloneStack>();
    int tid_word = 0;
    const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                                CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    auto tid = sys::clone(flags, stack->top(), &tid_word, &tcb, &tls_thread, &report);
    ASSERT_TRUE(rawrt::test::Ok(tid));
    join_cleared_tid(&tid_word);
    ASSERT_EQ(report.finished.load(std::memory_order_acquire), 1);

    const auto tcb_address = reinterpret_cast<uintptr_t>(&tcb);
    EXPECT_EQ(report.tp_inline, tcb_address) << "CLONE_SETTLS did not install the block";
    EXPECT_EQ(report.tp_call, tcb_address);
    EXPECT_EQ(report.runtime_tcb, &tcb);
    EXPECT_EQ(report.canary_slot, canary);
    EXPECT_EQ(report.after_install, &other);
    EXPECT_EQ(report.tp_after_install, reinterpret_cast<uintptr_t>(&other));
    EXPECT_EQ(report.with_forged, nullptr) << "a block with a wrong tag passed for a runtime TCB";
    // And this thread was never touched.
    EXPECT_EQ(sys::current_runtime_tcb(), nullptr);
}

// ---------------------------------------------------------------- pc_in_syscall_stub

struct Stub {
    int args;
    uintptr_t entry, insn, after;
};
const Stub kStubs[] = {
#define RAWRT_STUB(n)                                                                                            \
    {                                                                                                            \
        n, reinterpret_cast<uintptr_t>(&rawrt_syscall##n), reinterpret_cast<uintptr_t>(rawrt_syscall##n##_insn), \
            reinterpret_cast<uintptr_t>(rawrt_syscall##n##_return)                                               \
    }
    RAWRT_STUB(0), RAWRT_STUB(1), RAWRT_STUB(2), RAWRT_STUB(3), RAWRT_STUB(4), RAWRT_STUB(5), RAWRT_STUB(6),
#undef RAWRT_STUB
};

TEST(SysSyscallPc, TheLabelsAreTheSyscallInstructionAndTheOneAfter) {
    for (const Stub& s : kStubs) {
        const auto* code = reinterpret_cast<const unsigned char*>(s.insn);
#if defined(__x86_64__)
        EXPECT_EQ(s.after - s.insn, 2u) << "syscall" << s.args;
        EXPECT_EQ(code[0], 0x0f) << "syscall" << s.args;
        EXPECT_EQ(code[1], 0x05) << "syscall" << s.args;
#else
        EXPECT_EQ(s.after - s.insn, 4u) << "syscall" << s.args;
        uint32_t word;
        std::memcpy(&word, code, sizeof word);
        EXPECT_EQ(word, 0xd4000001u) << "syscall" << s.args << ": not svc #0";
#endif
        EXPECT_TRUE(sys::pc_in_syscall_stub(s.insn)) << s.args;
        EXPECT_TRUE(sys::pc_in_syscall_stub(s.after)) << s.args;
        EXPECT_FALSE(sys::pc_in_syscall_stub(s.entry)) << s.args;
        EXPECT_FALSE(sys::pc_in_syscall_stub(s.insn - 1)) << s.args;
        EXPECT_FALSE(sys::pc_in_syscall_stub(s.after + 1)) << s.args;
    }
    EXPECT_FALSE(sys::pc_in_syscall_stub(0));
    EXPECT_FALSE(sys::pc_in_syscall_stub(reinterpret_cast<uintptr_t>(&sys::pc_in_syscall_stub)));
    EXPECT_FALSE(sys::pc_in_syscall_stub(reinterpret_cast<uintptr_t>(&::read)));
}

// What the SIGUSR1 handler below saw, one slot per delivery.
struct PcRecord {
    static constexpr int kSlots = 64;
    std::atomic<int> count{0};
    std::atomic<uintptr_t> pc[kSlots];
    std::atomic<bool> in_stub[kSlots];
};
PcRecord pc_record;

uintptr_t interrupted_pc(void* context) {
    auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
    return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#else
    return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#endif
}

void pc_recording_handler(int, siginfo_t*, void* context) {
    const uintptr_t pc = interrupted_pc(context);
    const int i = pc_record.count.load();
    if (i < PcRecord::kSlots) {
        pc_record.pc[i] = pc;
        pc_record.in_stub[i] = sys::pc_in_syscall_stub(pc);
    }
    pc_record.count.store(i + 1);
}

// Installs the recording handler for SIGUSR1, without SA_RESTART: a read it
// interrupts must fail with EINTR rather than be restarted.
class RecordingSigusr1 {
public:
    RecordingSigusr1() {
        pc_record.count = 0;
        struct sigaction act {};
        act.sa_sigaction = &pc_recording_handler;
        act.sa_flags = SA_SIGINFO;
        EXPECT_EQ(::sigaction(SIGUSR1, &act, nullptr), 0);
    }

private:
    SavedSignalAction saved_{SIGUSR1};
};

// Waits (bounded; no timing asserted) until pred holds.
template <class Pred>
bool eventually(Pred pred, int quarter_ms_steps = 20000) {
    for (int i = 0; i < quarter_ms_steps; ++i) {
        if (pred()) return true;
        const timespec quarter_ms{0, 250'000};
        ::nanosleep(&quarter_ms, nullptr);
    }
    return pred();
}

// The scheduler state of a thread of this process ('S' = sleeping in the kernel).
char thread_state(int tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '?';
}

TEST(SysSyscallPc, ASignalInterruptingABlockedRawReadSeesAPcInTheStub) {
    RecordingSigusr1 handler;
    auto pipe = make_pipe();
    std::atomic<int> reader_tid{0};
    std::atomic<bool> done{false};
    long result = 0;
    int deliveries_before_return = 0;
    std::thread reader([&] {
        reader_tid = ::gettid();
        char c;
        result = sys::raw::read(pipe.read_end.get(), &c, 1).raw();
        deliveries_before_return = pc_record.count.load();
        done = true;
    });
    ASSERT_TRUE(eventually([&] { return reader_tid != 0; }));

    // A signal that lands before the thread reaches the kernel does not end
    // the read: then wait for it to sleep again and send another.
    for (int attempt = 0; attempt < 20 && !done; ++attempt) {
        eventually([&] { return done || thread_state(reader_tid) == 'S'; });
        if (done) break;
        const int sent = pc_record.count;
        ASSERT_EQ(::tgkill(::getpid(), reader_tid, SIGUSR1), 0);
        ASSERT_TRUE(eventually([&] { return pc_record.count > sent; })) << "the handler never ran";
        eventually([&] { return done.load(); }, 1000);
    }
    if (!done) {
        ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);  // never leave it blocked
    }
    reader.join();

    EXPECT_EQ(result, -EINTR) << "the interrupted read did not fail with EINTR";
    ASSERT_GE(deliveries_before_return, 1);
    ASSERT_LE(deliveries_before_return, PcRecord::kSlots);
    // The delivery that ended the read is the last one before it returned.
    const int last = deliveries_before_return - 1;
    const uintptr_t pc = pc_record.pc[last];
    EXPECT_TRUE(pc_record.in_stub[last]) << "pc " << std::hex << pc;
    const Stub& read_stub = kStubs[3];  // read takes 3 arguments
    EXPECT_TRUE(pc == read_stub.after || pc == read_stub.insn)
        << std::hex << "pc " << pc << ", syscall3 at " << read_stub.insn;
}

TEST(SysSyscallPc, ASignalToAThreadOutsideAnySyscallSeesAPcElsewhere) {
    RecordingSigusr1 handler;
    std::atomic<int> spinner_tid{0};
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> spins{0};
    std::thread spinner([&] {
        spinner_tid = ::gettid();
        while (!stop.load(std::memory_order_relaxed)) spins.fetch_add(1, std::memory_order_relaxed);
    });
    ASSERT_TRUE(eventually([&] { return spins > 1000; }));
    ASSERT_EQ(::tgkill(::getpid(), spinner_tid, SIGUSR1), 0);
    const bool delivered = eventually([&] { return pc_record.count > 0; });
    stop = true;
    spinner.join();
    ASSERT_TRUE(delivered);
    EXPECT_FALSE(pc_record.in_stub[0]) << "pc " << std::hex << pc_record.pc[0];
    EXPECT_NE(pc_record.pc[0], 0u);
}

}  // namespace
