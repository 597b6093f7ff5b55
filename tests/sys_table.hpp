// The table-driven tests of every syscall wrapper (tests/sys_table_*_test.cpp):
// each file defines one CASE(name) per wrapper, and SysTable.Calls (in
// sys_table_io_test.cpp) runs every wrapper sys/calls_list.inc lists for this
// architecture once per flavour, failing for a wrapper that has no case.
//
//   CASE(getuid) {
//       EXPECT_TRUE(SameAsGlibc(CALL(getuid), GLIBC(::getuid())));
//   }
//
// CALL(name, ...) is sys::raw::name or sys::name, the flavour under test (F).
// A case checks something real: the result against glibc's, a round trip, or
// where the call cannot be made to succeed safely, the errno the kernel gives
// (the same as glibc's for the same arguments). Calls that change the system
// run inside a child in its own mount and UTS namespaces (in_namespace), or
// with arguments the kernel refuses before it looks at privileges.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "tests/sys_calls_test.hpp"

namespace rawrt::test::table {

struct Case {
    void (*raw)();
    void (*blocking)();
};

inline std::map<std::string, Case>& cases() {
    static std::map<std::string, Case> all;
    return all;
}

struct Registrar {
    Registrar(const char* name, void (*raw)(), void (*blocking)()) { cases()[name] = Case{raw, blocking}; }
};

struct Raw {
    static constexpr bool kRaw = true;
};
struct Blocking {
    static constexpr bool kRaw = false;
};

#define CASE(name)                                                                                        \
    template <class F>                                                                                    \
    void case_##name();                                                                                   \
    const ::rawrt::test::table::Registrar registrar_##name(#name, case_##name<::rawrt::test::table::Raw>, \
                                                           case_##name<::rawrt::test::table::Blocking>);  \
    template <class F>                                                                                    \
    void case_##name()

#define CALL(name, ...) (F::kRaw ? ::rawrt::sys::raw::name(__VA_ARGS__) : ::rawrt::sys::name(__VA_ARGS__))

// Both succeeded with the same value, or both failed with the same errno.
template <class R>
::testing::AssertionResult SameAsGlibc(const R& r, GlibcCall glibc) {
    if (r.ok() && glibc.ret != -1 && r.raw() == glibc.ret) return ::testing::AssertionSuccess();
    if (!r.ok() && glibc.ret == -1 && r.error().code() == glibc.err) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "rawrt: " << (r.ok() ? std::to_string(r.raw()) : r.error().name())
                                         << ", glibc: "
                                         << (glibc.ret != -1 ? std::to_string(glibc.ret) : glibc_errno_name(glibc.err));
}

// Both failed the same way, or both succeeded (values that differ by nature:
// a new descriptor, a new key).
template <class R>
::testing::AssertionResult AgreesWithGlibc(const R& r, GlibcCall glibc) {
    if (r.ok() && glibc.ret != -1) return ::testing::AssertionSuccess();
    return SameAsGlibc(r, glibc);
}

// The error name of a failed call ("OK" when it succeeded).
template <class R>
std::string err(const R& r) {
    return r.ok() ? "OK" : r.error().name();
}

// Under qemu-user a call it does not implement fails with ENOSYS: the case
// is skipped with the reason.
template <class R>
bool qemu_lacks(const R& r) {
    return under_qemu() && !r.ok() && r.error().code() == ENOSYS;
}
#define SKIP_IF_QEMU_LACKS(r, what) \
    if (::rawrt::test::table::qemu_lacks(r)) GTEST_SKIP() << "qemu-user does not implement " << what

// Runs fn in a forked child (glibc usable there); its int result is the
// child's exit status, a signal's death 128 + N.
template <class Fn>
int in_child(Fn fn) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(fn());
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The exit status in_namespace's child returns when it could not enter
// namespaces of its own.
constexpr int kNoNamespace = 77;

// Runs fn in a child with mount and UTS namespaces of its own (and a user
// namespace, mapping the caller to root, when the caller is not root), its
// mounts private: nothing it mounts or names reaches the test's system.
// kNoNamespace when the kernel refuses them (a multi-threaded process, as
// qemu-user is, cannot unshare them; a sysctl may forbid user namespaces).
template <class Fn>
int in_namespace(Fn fn) {
    return in_child([&] {
        const uid_t uid = ::getuid();
        const gid_t gid = ::getgid();
        int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
        if (uid != 0) flags |= CLONE_NEWUSER;
        if (::unshare(flags) != 0) return kNoNamespace;
        if (uid != 0) {
            auto write_file = [](const char* path, const std::string& text) {
                const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
                const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == (ssize_t)text.size();
                if (fd >= 0) ::close(fd);
                return ok;
            };
            if (!write_file("/proc/self/setgroups", "deny") ||
                !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
                !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
                return kNoNamespace;
        }
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return kNoNamespace;
        return fn();
    });
}

// Skips the case, with the reason, when in_namespace's child could not
// enter its namespaces; otherwise expects the child's status to be 0.
#define EXPECT_IN_NAMESPACE(status)                                                                    \
    do {                                                                                               \
        const int status_ = (status);                                                                  \
        if (status_ == ::rawrt::test::table::kNoNamespace)                                             \
            GTEST_SKIP() << (::rawrt::test::under_qemu()                                               \
                                 ? "qemu-user runs threads of its own: unshare(CLONE_NEWNS) needs one" \
                                 : "the kernel refuses a user and mount namespace here");              \
        EXPECT_EQ(status_, 0) << "the namespace child's check number that failed (0: none)";           \
    } while (0)

// A scratch directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const char* path() const { return path_.c_str(); }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace rawrt::test::table
