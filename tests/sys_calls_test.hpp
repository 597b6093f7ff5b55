// Shared by the sys wrapper tests (sys_files_test.cpp, sys_process_test.cpp,
// sys_net_test.cpp): the two flavours as GoogleTest type parameters, a way to
// capture what glibc returned for the same call, and the comparisons.
//
// Each wrapper test makes a call through rawrt and the same call through
// glibc (its wrapper, or syscall(2) where the wrapper would not pass the
// arguments through unchanged) and checks that they agree: the same value on
// success, the same errno name on failure.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

#include "sys/calls.hpp"
#include "tests/child_process.hpp"

// glibc keeps SA_RESTORER to itself; the kernel's value (asm/signal.h, the
// same on x86_64 and arm64), which cannot be included beside <signal.h>.
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

namespace rawrt::test {

// The flavours: rawrt::sys::raw::X (Go's RawSyscall) and rawrt::sys::X (Go's
// Syscall). With no hooks installed both must behave exactly alike, so every
// typed test runs once per flavour.
struct RawFlavour {
    static constexpr bool kRaw = true;
};
struct BlockingFlavour {
    static constexpr bool kRaw = false;
};
using SyscallFlavours = ::testing::Types<RawFlavour, BlockingFlavour>;
struct FlavourName {
    template <class T>
    static std::string GetName(int) {
        return T::kRaw ? "raw" : "blocking";
    }
};

// A typed test suite run once per flavour: RAWRT_FLAVOUR_TEST_SUITE(SysFiles);
#define RAWRT_FLAVOUR_TEST_SUITE(Name)      \
    template <class Flavour>                \
    class Name : public ::testing::Test {}; \
    TYPED_TEST_SUITE(Name, ::rawrt::test::SyscallFlavours, ::rawrt::test::FlavourName)

// SYS(read, fd, buf, n): the wrapper of the flavour under test (TypeParam).
// Only the chosen operand of ?: is evaluated, and both have the same type.
#define SYS(name, ...) (TypeParam::kRaw ? ::rawrt::sys::raw::name(__VA_ARGS__) : ::rawrt::sys::name(__VA_ARGS__))

// What a glibc call returned, with errno read right after it.
struct GlibcCall {
    long ret;
    int err;
};
#define GLIBC(expr)                                         \
    ([&]() {                                                \
        errno = 0;                                          \
        long glibc_ret_ = (long)(expr);                     \
        return ::rawrt::test::GlibcCall{glibc_ret_, errno}; \
    }())

inline std::string glibc_errno_name(int err) {
    if (err == 0) return "OK";
    const char* name = ::strerrorname_np(err);
    return name != nullptr ? name : "E?(" + std::to_string(err) + ")";
}

// The rawrt call succeeded (prints its error name if not).
template <class R>
::testing::AssertionResult Ok(const R& r) {
    if (r.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "failed with " << r.error().name();
}

// The rawrt call and glibc's both failed with errno `expected`.
template <class R>
::testing::AssertionResult FailsLikeGlibc(const R& r, GlibcCall glibc, const char* expected) {
    auto failure = ::testing::AssertionFailure();
    bool bad = false;
    if (r.ok()) {
        failure << "rawrt succeeded (raw " << r.raw() << ") where " << expected << " was expected; ";
        bad = true;
    } else if (std::string(r.error().name()) != expected) {
        failure << "rawrt failed with " << r.error().name() << " instead of " << expected << "; ";
        bad = true;
    }
    if (glibc.ret != -1) {
        failure << "glibc returned " << glibc.ret << " instead of failing";
        bad = true;
    } else if (glibc_errno_name(glibc.err) != expected) {
        failure << "glibc failed with " << glibc_errno_name(glibc.err) << " instead of " << expected;
        bad = true;
    }
    if (!bad && r.error().code() != glibc.err) {
        failure << "same name, different codes: " << r.error().code() << " vs " << glibc.err;
        bad = true;
    }
    return bad ? failure : ::testing::AssertionSuccess();
}

// An address no test process maps: the kernel answers EFAULT for it. Through
// a volatile so the compiler does not warn about (or fold) an obvious null.
inline void* bad_address() {
    static volatile uintptr_t address = 8;
    return reinterpret_cast<void*>(address);
}

// A descriptor number that is certainly closed.
inline int closed_fd() {
    int fd = ::dup(0);
    ::close(fd);
    return fd;
}

// Owns a descriptor (closes it with glibc; rawrt's close is tested on its own).
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    UniqueFd read_end, write_end;
};

inline Pipe make_pipe(int flags = O_CLOEXEC) {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, flags) != 0) ADD_FAILURE() << "pipe2: " << glibc_errno_name(errno);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A fresh empty file under $TMPDIR (or /tmp), removed with its descriptor.
class TempFile {
public:
    TempFile() {
        const char* dir = ::getenv("TMPDIR");
        path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/rawrt_sys_XXXXXX";
        int fd = ::mkostemp(path_.data(), O_CLOEXEC);
        if (fd < 0) ADD_FAILURE() << "mkostemp " << path_ << ": " << glibc_errno_name(errno);
        fd_.reset(fd);
    }
    ~TempFile() { ::unlink(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return fd_.get(); }
    const char* path() const { return path_.c_str(); }

private:
    std::string path_;
    UniqueFd fd_;
};

// Restores a signal's disposition when the test is done with it.
class SavedSignalAction {
public:
    explicit SavedSignalAction(int sig) : sig_(sig) { ::sigaction(sig, nullptr, &old_); }
    ~SavedSignalAction() { ::sigaction(sig_, &old_, nullptr); }
    SavedSignalAction(const SavedSignalAction&) = delete;
    SavedSignalAction& operator=(const SavedSignalAction&) = delete;

private:
    int sig_;
    struct sigaction old_ {};
};

}  // namespace rawrt::test
