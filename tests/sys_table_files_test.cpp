// The table's file, descriptor, extended-attribute and memory wrappers
// (sys/syscalls.tbl), one CASE each: tests/sys_table.hpp runs them.
#include <dirent.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <utime.h>

#include <cstring>
#include <set>

#include "tests/sys_table.hpp"

namespace rawrt::test::table {
namespace {

namespace sys = ::rawrt::sys;

// A temp file holding "hello world" (11 bytes).
struct Hello : TempFile {
    Hello() { EXPECT_EQ(::pwrite(fd(), "hello world", 11, 0), 11); }
};

// --- reads and writes
CASE(read) {
    Hello f;
    char buf[16] = {};
    auto r = CALL(read, f.fd(), buf, 5);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r.value(), 5u);
    EXPECT_STREQ(buf, "hello");
}
CASE(write) {
    TempFile f;
    ASSERT_EQ(CALL(write, f.fd(), "abc", 3).value_or(0), 3u);
    char buf[4] = {};
    EXPECT_EQ(::pread(f.fd(), buf, 3, 0), 3);
    EXPECT_STREQ(buf, "abc");
}
CASE(pread64) {
    Hello f;
    char buf[8] = {};
    ASSERT_EQ(CALL(pread64, f.fd(), buf, 5, 6).value_or(0), 5u);
    EXPECT_STREQ(buf, "world");
}
CASE(pwrite64) {
    Hello f;
    ASSERT_EQ(CALL(pwrite64, f.fd(), "W", 1, 6).value_or(0), 1u);
    char buf[12] = {};
    EXPECT_EQ(::pread(f.fd(), buf, 11, 0), 11);
    EXPECT_STREQ(buf, "hello World");
}
CASE(readv) {
    Hello f;
    char a[6] = {}, b[7] = {};
    iovec iov[2] = {{a, 5}, {b, 6}};
    ASSERT_EQ(CALL(readv, f.fd(), iov, 2).value_or(0), 11u);
    EXPECT_STREQ(a, "hello");
    EXPECT_STREQ(b, " world");
}
CASE(writev) {
    TempFile f;
    iovec iov[2] = {{(void*)"ab", 2}, {(void*)"cd", 2}};
    ASSERT_EQ(CALL(writev, f.fd(), iov, 2).value_or(0), 4u);
    char buf[5] = {};
    EXPECT_EQ(::pread(f.fd(), buf, 4, 0), 4);
    EXPECT_STREQ(buf, "abcd");
}
CASE(preadv) {
    Hello f;
    char a[6] = {};
    iovec iov = {a, 5};
    ASSERT_EQ(CALL(preadv, f.fd(), &iov, 1, 6).value_or(0), 5u);
    EXPECT_STREQ(a, "world");
}
CASE(pwritev) {
    Hello f;
    iovec iov = {(void*)"J", 1};
    ASSERT_EQ(CALL(pwritev, f.fd(), &iov, 1, 0).value_or(0), 1u);
    char c = 0;
    EXPECT_EQ(::pread(f.fd(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'J');
}
CASE(preadv2) {
    Hello f;
    char a[6] = {};
    iovec iov = {a, 5};
    auto r = CALL(preadv2, f.fd(), &iov, 1, 0, 0);
    SKIP_IF_QEMU_LACKS(r, "preadv2");
    ASSERT_EQ(r.value_or(0), 5u);
    EXPECT_STREQ(a, "hello");
}
CASE(pwritev2) {
    Hello f;
    iovec iov = {(void*)"Y", 1};
    auto r = CALL(pwritev2, f.fd(), &iov, 1, 1, 0);
    SKIP_IF_QEMU_LACKS(r, "pwritev2");
    ASSERT_EQ(r.value_or(0), 1u);
    char c = 0;
    EXPECT_EQ(::pread(f.fd(), &c, 1, 1), 1);
    EXPECT_EQ(c, 'Y');
}

// --- opening and closing
CASE(openat) {
    Hello f;
    auto r = CALL(openat, sys::kAT_FDCWD, f.path(), O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    UniqueFd fd(r.value());
    char c = 0;
    EXPECT_EQ(::read(fd.get(), &c, 1), 1);
    EXPECT_EQ(c, 'h');
    EXPECT_TRUE(SameAsGlibc(CALL(openat, sys::kAT_FDCWD, "/rawrt/missing", O_RDONLY),
                            GLIBC(::openat(AT_FDCWD, "/rawrt/missing", O_RDONLY))));
}
CASE(open) {
    Hello f;
    auto r = CALL(open, f.path(), O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    UniqueFd fd(r.value());
    struct stat a, b;
    ASSERT_EQ(::fstat(fd.get(), &a), 0);
    ASSERT_EQ(::stat(f.path(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
}
CASE(creat) {
    TempDir d;
    const std::string p = d / "new";
    auto r = CALL(creat, p.c_str(), 0600);
    ASSERT_TRUE(Ok(r));
    UniqueFd fd(r.value());
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
    EXPECT_EQ(::access(p.c_str(), F_OK), 0);
}
CASE(openat2) {
    Hello f;
    struct {
        uint64_t flags, mode, resolve;
    } how = {O_RDONLY | O_CLOEXEC, 0, 0};
    auto r = CALL(openat2, sys::kAT_FDCWD, f.path(), reinterpret_cast<open_how*>(&how), sizeof how);
    SKIP_IF_QEMU_LACKS(r, "openat2");
    ASSERT_TRUE(Ok(r));
    ::close(r.value());
}
CASE(close) {
    const int fd = ::dup(0);
    EXPECT_TRUE(Ok(CALL(close, fd)));
    EXPECT_TRUE(SameAsGlibc(CALL(close, fd), GLIBC(::close(fd))));
}
CASE(close_range) {
    const int a = ::dup(0);
    const int b = ::dup2(a, a + 1);
    ASSERT_EQ(b, a + 1);
    auto r = CALL(close_range, a, b, 0);
    SKIP_IF_QEMU_LACKS(r, "close_range");
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(::fcntl(a, F_GETFD), -1);
    EXPECT_EQ(::fcntl(b, F_GETFD), -1);
}
CASE(dup) {
    auto r = CALL(dup, 0);
    ASSERT_TRUE(Ok(r));
    EXPECT_GE(::fcntl(r.value(), F_GETFD), 0);
    ::close(r.value());
    EXPECT_TRUE(SameAsGlibc(CALL(dup, closed_fd()), GLIBC(::dup(closed_fd()))));
}
CASE(dup3) {
    const int target = closed_fd();
    ASSERT_EQ(CALL(dup3, 0, target, O_CLOEXEC).value_or(-1), target);
    EXPECT_EQ(::fcntl(target, F_GETFD), FD_CLOEXEC);
    ::close(target);
}
CASE(dup2) {
    const int target = closed_fd();
    ASSERT_EQ(CALL(dup2, 0, target).value_or(-1), target);
    EXPECT_EQ(::fcntl(target, F_GETFD), 0);
    ::close(target);
}
CASE(fcntl) {
    Pipe p = make_pipe(O_CLOEXEC);
    EXPECT_TRUE(SameAsGlibc(CALL(fcntl, p.read_end.get(), F_GETFD), GLIBC(::fcntl(p.read_end.get(), F_GETFD))));
    EXPECT_TRUE(Ok(CALL(fcntl, p.read_end.get(), F_SETFL, O_NONBLOCK)));
    EXPECT_NE(::fcntl(p.read_end.get(), F_GETFL) & O_NONBLOCK, 0);
}
CASE(ioctl) {
    Pipe p = make_pipe();
    ASSERT_EQ(::write(p.write_end.get(), "abc", 3), 3);
    int n = 0;
    ASSERT_TRUE(Ok(CALL(ioctl, p.read_end.get(), FIONREAD, &n)));
    EXPECT_EQ(n, 3);
}
CASE(flock) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(flock, f.fd(), LOCK_EX | LOCK_NB)));
    // Another open file description conflicts with the lock.
    UniqueFd other(::open(f.path(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(SameAsGlibc(CALL(flock, other.get(), LOCK_EX | LOCK_NB),
                            GLIBC(::flock(other.get(), LOCK_EX | LOCK_NB))));
    EXPECT_TRUE(Ok(CALL(flock, f.fd(), LOCK_UN)));
}
CASE(fsync) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(fsync, f.fd())));
    EXPECT_TRUE(SameAsGlibc(CALL(fsync, closed_fd()), GLIBC(::fsync(closed_fd()))));
}
CASE(fdatasync) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(fdatasync, f.fd())));
    EXPECT_TRUE(SameAsGlibc(CALL(fdatasync, closed_fd()), GLIBC(::fdatasync(closed_fd()))));
}
CASE(sync) { EXPECT_TRUE(Ok(CALL(sync))); }
CASE(syncfs) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(syncfs, f.fd())));
    EXPECT_TRUE(SameAsGlibc(CALL(syncfs, closed_fd()), GLIBC(::syncfs(closed_fd()))));
}
CASE(sync_file_range) {
    Hello f;
    auto r = CALL(sync_file_range, f.fd(), 0, 0, SYNC_FILE_RANGE_WRITE);
    SKIP_IF_QEMU_LACKS(r, "sync_file_range");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::sync_file_range(f.fd(), 0, 0, SYNC_FILE_RANGE_WRITE))));
}
CASE(truncate) {
    Hello f;
    ASSERT_TRUE(Ok(CALL(truncate, f.path(), 5)));
    struct stat st;
    ASSERT_EQ(::fstat(f.fd(), &st), 0);
    EXPECT_EQ(st.st_size, 5);
}
CASE(ftruncate) {
    Hello f;
    ASSERT_TRUE(Ok(CALL(ftruncate, f.fd(), 3)));
    struct stat st;
    ASSERT_EQ(::fstat(f.fd(), &st), 0);
    EXPECT_EQ(st.st_size, 3);
}
CASE(fallocate) {
    TempFile f;
    auto r = CALL(fallocate, f.fd(), 0, 0, 4096);
    if (!r.ok() && r.error().code() == EOPNOTSUPP) GTEST_SKIP() << "the temp directory's file system has no fallocate";
    ASSERT_TRUE(Ok(r));
    struct stat st;
    ASSERT_EQ(::fstat(f.fd(), &st), 0);
    EXPECT_EQ(st.st_size, 4096);
}
CASE(fadvise64) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(fadvise64, f.fd(), 0, 0, POSIX_FADV_SEQUENTIAL)));
    EXPECT_TRUE(SameAsGlibc(CALL(fadvise64, f.fd(), 0, 0, 999), GLIBC(syscall(SYS_fadvise64, f.fd(), 0, 0, 999))));
}
CASE(readahead) {
    Hello f;
    EXPECT_TRUE(SameAsGlibc(CALL(readahead, f.fd(), 0, 11), GLIBC(::readahead(f.fd(), 0, 11))));
}
CASE(lseek) {
    Hello f;
    EXPECT_EQ(CALL(lseek, f.fd(), 0, SEEK_END).value_or(-1), 11);
    EXPECT_EQ(CALL(lseek, f.fd(), 2, SEEK_SET).value_or(-1), 2);
    EXPECT_EQ(::lseek(f.fd(), 0, SEEK_CUR), 2);
}

// --- metadata
CASE(statx) {
    Hello f;
    struct statx sx;
    ASSERT_TRUE(Ok(CALL(statx, sys::kAT_FDCWD, f.path(), 0, STATX_BASIC_STATS, &sx)));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(sx.stx_ino, st.st_ino);
    EXPECT_EQ(sx.stx_size, 11u);
}
CASE(newfstatat) {
    Hello f;
    struct stat a, b;
    ASSERT_TRUE(Ok(CALL(newfstatat, sys::kAT_FDCWD, f.path(), &a, 0)));
    ASSERT_EQ(::stat(f.path(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_size, 11);
}
CASE(fstat) {
    Hello f;
    struct stat a, b;
    ASSERT_TRUE(Ok(CALL(fstat, f.fd(), &a)));
    ASSERT_EQ(::fstat(f.fd(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_mode, b.st_mode);
}
CASE(stat) {
    Hello f;
    struct stat a, b;
    ASSERT_TRUE(Ok(CALL(stat, f.path(), &a)));
    ASSERT_EQ(::stat(f.path(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_TRUE(SameAsGlibc(CALL(stat, "/rawrt/missing", &a), GLIBC(::stat("/rawrt/missing", &b))));
}
CASE(lstat) {
    TempDir d;
    const std::string link = d / "link";
    ASSERT_EQ(::symlink("/rawrt/missing", link.c_str()), 0);
    struct stat st;
    ASSERT_TRUE(Ok(CALL(lstat, link.c_str(), &st)));
    EXPECT_TRUE(S_ISLNK(st.st_mode));
}
CASE(statfs) {
    struct statfs a, b;
    ASSERT_TRUE(Ok(CALL(statfs, "/", &a)));
    ASSERT_EQ(::statfs("/", &b), 0);
    EXPECT_EQ(a.f_type, b.f_type);
    EXPECT_EQ(a.f_bsize, b.f_bsize);
}
CASE(fstatfs) {
    Hello f;
    struct statfs a, b;
    ASSERT_TRUE(Ok(CALL(fstatfs, f.fd(), &a)));
    ASSERT_EQ(::fstatfs(f.fd(), &b), 0);
    EXPECT_EQ(a.f_type, b.f_type);
}
CASE(getdents64) {
    TempDir d;
    for (const char* n : {"a", "bb", "ccc"}) ::close(::open((d / n).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    UniqueFd fd(::open(d.path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    alignas(8) char buf[4096];
    std::set<std::string> names;
    for (;;) {
        auto r = CALL(getdents64, fd.get(), buf, sizeof buf);
        ASSERT_TRUE(Ok(r));
        if (r.value() == 0) break;
        for (size_t at = 0; at < r.value();) {
            const auto* e = reinterpret_cast<const sys::Dirent64*>(buf + at);
            names.insert(e->name);
            at += e->reclen;
        }
    }
    // What glibc's readdir sees.
    std::set<std::string> glibc;
    DIR* dir = ::opendir(d.path());
    while (dirent* e = ::readdir(dir)) glibc.insert(e->d_name);
    ::closedir(dir);
    EXPECT_EQ(names, glibc);
    EXPECT_EQ(names.size(), 5u);
}
CASE(getcwd) {
    char a[4096], b[4096];
    auto r = CALL(getcwd, a, sizeof a);
    ASSERT_TRUE(Ok(r));
    ASSERT_NE(::getcwd(b, sizeof b), nullptr);
    EXPECT_STREQ(a, b);
    EXPECT_EQ(r.value(), std::strlen(b) + 1);
}
CASE(chdir) {
    TempDir d;
    EXPECT_EQ(in_child([&] {
                  if (!CALL(chdir, d.path()).ok()) return 1;
                  char buf[4096];
                  char real[4096];
                  return ::getcwd(buf, sizeof buf) && ::realpath(d.path(), real) && std::strcmp(buf, real) == 0 ? 0 : 2;
              }),
              0);
}
CASE(fchdir) {
    TempDir d;
    EXPECT_EQ(in_child([&] {
                  const int fd = ::open(d.path(), O_RDONLY | O_DIRECTORY);
                  if (!CALL(fchdir, fd).ok()) return 1;
                  return ::access(".", F_OK) == 0 && ::access((d / ".").c_str(), F_OK) == 0 ? 0 : 2;
              }),
              0);
}
CASE(mkdirat) {
    TempDir d;
    UniqueFd dir(::open(d.path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(Ok(CALL(mkdirat, dir.get(), "sub", 0700)));
    struct stat st;
    ASSERT_EQ(::stat((d / "sub").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_TRUE(SameAsGlibc(CALL(mkdirat, dir.get(), "sub", 0700), GLIBC(::mkdirat(dir.get(), "sub", 0700))));
}
CASE(mkdir) {
    TempDir d;
    ASSERT_TRUE(Ok(CALL(mkdir, (d / "m").c_str(), 0700)));
    struct stat st;
    ASSERT_EQ(::stat((d / "m").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
}
CASE(mknodat) {
    TempDir d;
    ASSERT_TRUE(Ok(CALL(mknodat, sys::kAT_FDCWD, (d / "fifo").c_str(), S_IFIFO | 0600, 0)));
    struct stat st;
    ASSERT_EQ(::stat((d / "fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
}
CASE(mknod) {
    TempDir d;
    ASSERT_TRUE(Ok(CALL(mknod, (d / "fifo").c_str(), S_IFIFO | 0600, 0)));
    struct stat st;
    ASSERT_EQ(::stat((d / "fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
}
CASE(linkat) {
    Hello f;
    TempDir d;
    ASSERT_TRUE(Ok(CALL(linkat, sys::kAT_FDCWD, f.path(), sys::kAT_FDCWD, (d / "l").c_str(), 0)));
    struct stat st;
    ASSERT_EQ(::stat((d / "l").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
    ::unlink((d / "l").c_str());
}
CASE(link) {
    Hello f;
    TempDir d;
    ASSERT_TRUE(Ok(CALL(link, f.path(), (d / "l").c_str())));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
    ::unlink((d / "l").c_str());
}
CASE(symlinkat) {
    TempDir d;
    ASSERT_TRUE(Ok(CALL(symlinkat, "target", sys::kAT_FDCWD, (d / "s").c_str())));
    char buf[16] = {};
    EXPECT_EQ(::readlink((d / "s").c_str(), buf, sizeof buf), 6);
    EXPECT_STREQ(buf, "target");
}
CASE(symlink) {
    TempDir d;
    ASSERT_TRUE(Ok(CALL(symlink, "there", (d / "s").c_str())));
    char buf[16] = {};
    EXPECT_EQ(::readlink((d / "s").c_str(), buf, sizeof buf), 5);
}
CASE(readlinkat) {
    TempDir d;
    ASSERT_EQ(::symlink("abc", (d / "s").c_str()), 0);
    char buf[16] = {};
    EXPECT_EQ(CALL(readlinkat, sys::kAT_FDCWD, (d / "s").c_str(), buf, sizeof buf).value_or(0), 3u);
    EXPECT_STREQ(buf, "abc");
}
CASE(readlink) {
    char a[4096] = {}, b[4096] = {};
    auto r = CALL(readlink, "/proc/self/exe", a, sizeof a);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ((ssize_t)r.value(), ::readlink("/proc/self/exe", b, sizeof b));
    EXPECT_STREQ(a, b);
}
CASE(renameat) {
    TempDir d;
    ::close(::open((d / "a").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(Ok(CALL(renameat, sys::kAT_FDCWD, (d / "a").c_str(), sys::kAT_FDCWD, (d / "b").c_str())));
    EXPECT_EQ(::access((d / "b").c_str(), F_OK), 0);
    EXPECT_NE(::access((d / "a").c_str(), F_OK), 0);
}
CASE(renameat2) {
    TempDir d;
    ::close(::open((d / "a").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ::close(::open((d / "b").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    auto r = CALL(renameat2, sys::kAT_FDCWD, (d / "a").c_str(), sys::kAT_FDCWD, (d / "b").c_str(), RENAME_NOREPLACE);
    SKIP_IF_QEMU_LACKS(r, "renameat2");
    EXPECT_EQ(err(r), "EEXIST");
}
CASE(rename) {
    TempDir d;
    ::close(::open((d / "a").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(Ok(CALL(rename, (d / "a").c_str(), (d / "c").c_str())));
    EXPECT_EQ(::access((d / "c").c_str(), F_OK), 0);
}
CASE(unlinkat) {
    TempDir d;
    ASSERT_EQ(::mkdir((d / "x").c_str(), 0700), 0);
    EXPECT_TRUE(SameAsGlibc(CALL(unlinkat, sys::kAT_FDCWD, (d / "x").c_str(), 0),
                            GLIBC(::unlinkat(AT_FDCWD, (d / "x").c_str(), 0))));
    EXPECT_TRUE(Ok(CALL(unlinkat, sys::kAT_FDCWD, (d / "x").c_str(), sys::kAT_REMOVEDIR)));
    EXPECT_NE(::access((d / "x").c_str(), F_OK), 0);
}
CASE(unlink) {
    TempDir d;
    ::close(::open((d / "a").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(Ok(CALL(unlink, (d / "a").c_str())));
    EXPECT_NE(::access((d / "a").c_str(), F_OK), 0);
}
CASE(rmdir) {
    TempDir d;
    ASSERT_EQ(::mkdir((d / "x").c_str(), 0700), 0);
    ASSERT_TRUE(Ok(CALL(rmdir, (d / "x").c_str())));
    EXPECT_NE(::access((d / "x").c_str(), F_OK), 0);
}
CASE(faccessat) {
    Hello f;
    EXPECT_TRUE(SameAsGlibc(CALL(faccessat, sys::kAT_FDCWD, f.path(), R_OK),
                            GLIBC(::faccessat(AT_FDCWD, f.path(), R_OK, 0))));
    EXPECT_TRUE(SameAsGlibc(CALL(faccessat, sys::kAT_FDCWD, "/rawrt/missing", F_OK),
                            GLIBC(::access("/rawrt/missing", F_OK))));
}
CASE(faccessat2) {
    Hello f;
    auto r = CALL(faccessat2, sys::kAT_FDCWD, f.path(), R_OK, AT_EACCESS);
    SKIP_IF_QEMU_LACKS(r, "faccessat2");
    EXPECT_TRUE(Ok(r));
}
CASE(access) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(access, f.path(), R_OK | W_OK)));
    EXPECT_TRUE(SameAsGlibc(CALL(access, "/rawrt/missing", F_OK), GLIBC(::access("/rawrt/missing", F_OK))));
}
// The mode a path has now.
unsigned mode_of(const char* path) {
    struct stat st;
    return ::stat(path, &st) == 0 ? st.st_mode & 07777 : ~0u;
}
CASE(fchmod) {
    Hello f;
    ASSERT_TRUE(Ok(CALL(fchmod, f.fd(), 0640)));
    EXPECT_EQ(mode_of(f.path()), 0640u);
}
CASE(fchmodat) {
    Hello f;
    ASSERT_TRUE(Ok(CALL(fchmodat, sys::kAT_FDCWD, f.path(), 0604)));
    EXPECT_EQ(mode_of(f.path()), 0604u);
}
CASE(fchmodat2) {
    Hello f;
    auto r = CALL(fchmodat2, sys::kAT_FDCWD, f.path(), 0606, 0);
    SKIP_IF_QEMU_LACKS(r, "fchmodat2");
    if (!r.ok() && r.error().code() == ENOSYS) GTEST_SKIP() << "the kernel predates fchmodat2 (6.6)";
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(mode_of(f.path()), 0606u);
}
CASE(chmod) {
    Hello f;
    ASSERT_TRUE(Ok(CALL(chmod, f.path(), 0400)));
    EXPECT_EQ(mode_of(f.path()), 0400u);
}
CASE(fchown) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(fchown, f.fd(), ::getuid(), ::getgid())));
    EXPECT_TRUE(SameAsGlibc(CALL(fchown, closed_fd(), 0, 0), GLIBC(::fchown(closed_fd(), 0, 0))));
}
CASE(fchownat) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(fchownat, sys::kAT_FDCWD, f.path(), ::getuid(), ::getgid(), 0)));
}
CASE(chown) {
    Hello f;
    EXPECT_TRUE(Ok(CALL(chown, f.path(), -1u, ::getgid())));
    EXPECT_TRUE(SameAsGlibc(CALL(chown, "/rawrt/missing", 0, 0), GLIBC(::chown("/rawrt/missing", 0, 0))));
}
CASE(lchown) {
    TempDir d;
    ASSERT_EQ(::symlink("/rawrt/missing", (d / "s").c_str()), 0);
    EXPECT_TRUE(Ok(CALL(lchown, (d / "s").c_str(), ::getuid(), ::getgid())));
}
CASE(umask) {
    const mode_t before = ::umask(022);
    EXPECT_EQ(CALL(umask, 077).value_or(0), 022u);
    EXPECT_EQ(::umask(before), 077u);
}
CASE(utimensat) {
    Hello f;
    timespec times[2] = {{1000, 0}, {2000, 0}};
    ASSERT_TRUE(Ok(CALL(utimensat, sys::kAT_FDCWD, f.path(), times, 0)));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(st.st_atime, 1000);
    EXPECT_EQ(st.st_mtime, 2000);
}
CASE(utimes) {
    Hello f;
    timeval times[2] = {{3000, 0}, {4000, 500}};
    ASSERT_TRUE(Ok(CALL(utimes, f.path(), times)));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(st.st_mtime, 4000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 500000);
}
CASE(utime) {
    Hello f;
    sys::KernelUtimbuf times{7000, 8000};
    ASSERT_TRUE(Ok(CALL(utime, f.path(), &times)));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(st.st_atime, 7000);
    EXPECT_EQ(st.st_mtime, 8000);
}
CASE(futimesat) {
    Hello f;
    timeval times[2] = {{5000, 0}, {6000, 0}};
    ASSERT_TRUE(Ok(CALL(futimesat, sys::kAT_FDCWD, f.path(), times)));
    struct stat st;
    ASSERT_EQ(::stat(f.path(), &st), 0);
    EXPECT_EQ(st.st_atime, 5000);
}

// --- copies between descriptors
CASE(copy_file_range) {
    Hello in;
    TempFile out;
    auto r = CALL(copy_file_range, in.fd(), nullptr, out.fd(), nullptr, 11, 0);
    SKIP_IF_QEMU_LACKS(r, "copy_file_range");
    ASSERT_EQ(r.value_or(0), 11u);
    char buf[12] = {};
    EXPECT_EQ(::pread(out.fd(), buf, 11, 0), 11);
    EXPECT_STREQ(buf, "hello world");
}
CASE(sendfile) {
    Hello in;
    Pipe p = make_pipe();
    long off = 6;
    ASSERT_EQ(CALL(sendfile, p.write_end.get(), in.fd(), &off, 5).value_or(0), 5u);
    EXPECT_EQ(off, 11);
    char buf[6] = {};
    EXPECT_EQ(::read(p.read_end.get(), buf, 5), 5);
    EXPECT_STREQ(buf, "world");
}
CASE(splice) {
    Hello in;
    Pipe p = make_pipe();
    long off = 0;
    ASSERT_EQ(CALL(splice, in.fd(), &off, p.write_end.get(), nullptr, 5, 0).value_or(0), 5u);
    char buf[6] = {};
    EXPECT_EQ(::read(p.read_end.get(), buf, 5), 5);
    EXPECT_STREQ(buf, "hello");
}
CASE(tee) {
    Pipe a = make_pipe(), b = make_pipe();
    ASSERT_EQ(::write(a.write_end.get(), "xyz", 3), 3);
    auto r = CALL(tee, a.read_end.get(), b.write_end.get(), 3, 0);
    SKIP_IF_QEMU_LACKS(r, "tee");
    ASSERT_EQ(r.value_or(0), 3u);
    char x[4] = {}, y[4] = {};
    EXPECT_EQ(::read(a.read_end.get(), x, 3), 3);  // tee leaves the data in the source
    EXPECT_EQ(::read(b.read_end.get(), y, 3), 3);
    EXPECT_STREQ(x, y);
}
CASE(vmsplice) {
    Pipe p = make_pipe();
    char data[] = "vm";
    iovec iov = {data, 2};
    auto r = CALL(vmsplice, p.write_end.get(), &iov, 1, 0);
    SKIP_IF_QEMU_LACKS(r, "vmsplice");
    ASSERT_EQ(r.value_or(0), 2u);
    char buf[3] = {};
    EXPECT_EQ(::read(p.read_end.get(), buf, 2), 2);
    EXPECT_STREQ(buf, "vm");
}
CASE(name_to_handle_at) {
    Hello f;
    struct {
        file_handle head;
        unsigned char bytes[128];
    } h;
    h.head.handle_bytes = 128;
    int mount_id = -1;
    auto r = CALL(name_to_handle_at, sys::kAT_FDCWD, f.path(), &h.head, &mount_id, 0);
    SKIP_IF_QEMU_LACKS(r, "name_to_handle_at");
    if (!r.ok() && r.error().code() == EOPNOTSUPP) GTEST_SKIP() << "the temp directory's file system has no handles";
    ASSERT_TRUE(Ok(r));
    EXPECT_GT(h.head.handle_bytes, 0u);
    EXPECT_GE(mount_id, 0);
}
CASE(open_by_handle_at) {
    struct {
        file_handle head;
        unsigned char bytes[128];
    } h;
    h.head.handle_bytes = 0;
    h.head.handle_type = 0;
    // An empty handle: EINVAL with CAP_DAC_READ_SEARCH, EPERM without.
    auto r = CALL(open_by_handle_at, sys::kAT_FDCWD, &h.head, O_RDONLY);
    SKIP_IF_QEMU_LACKS(r, "open_by_handle_at");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::open_by_handle_at(AT_FDCWD, &h.head, O_RDONLY))));
}
CASE(memfd_create) {
    auto r = CALL(memfd_create, "rawrt", MFD_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    UniqueFd fd(r.value());
    ASSERT_EQ(::ftruncate(fd.get(), 4096), 0);
    // Two mappings of one memfd share their bytes.
    auto* a = static_cast<char*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
    auto* b = static_cast<char*>(::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0));
    ASSERT_NE(a, MAP_FAILED);
    ASSERT_NE(b, MAP_FAILED);
    std::strcpy(a, "shared");
    EXPECT_STREQ(b, "shared");
    ::munmap(a, 4096);
    ::munmap(b, 4096);
}
CASE(memfd_secret) {
    auto r = CALL(memfd_secret, 0);
    SKIP_IF_QEMU_LACKS(r, "memfd_secret");
    if (r.ok()) ::close(r.value());
    // ENOSYS unless the kernel boots with secretmem enabled.
    EXPECT_TRUE(AgreesWithGlibc(r, [&] {
        errno = 0;
        const long fd = syscall(SYS_memfd_secret, 0);
        if (fd >= 0) ::close(fd);
        return GlibcCall{fd, errno};
    }()));
}
CASE(cachestat) {
    Hello f;
    uint64_t range[2] = {0, 0};
    uint64_t cs[5] = {};
    auto r = CALL(cachestat, f.fd(), range, cs, 0);
    SKIP_IF_QEMU_LACKS(r, "cachestat");
    if (!r.ok() && r.error().code() == ENOSYS) GTEST_SKIP() << "the kernel predates cachestat (6.5)";
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(cs[0], 1u);  // nr_cache: the one page just written
}

// --- extended attributes (user.* on the temp directory's file system)
#define XATTR_OR_SKIP(r)                                                                                  \
    if (!(r).ok() && ((r).error().code() == EOPNOTSUPP || (r).error().code() == EPERM))                   \
        GTEST_SKIP() << "the temp directory's file system takes no user.* attributes (" << err(r) << ")"; \
    SKIP_IF_QEMU_LACKS(r, "xattrs")

CASE(setxattr) {
    Hello f;
    auto r = CALL(setxattr, f.path(), "user.rawrt", "v1", 2, 0);
    XATTR_OR_SKIP(r);
    char buf[8] = {};
    EXPECT_EQ(::getxattr(f.path(), "user.rawrt", buf, sizeof buf), 2);
    EXPECT_STREQ(buf, "v1");
}
CASE(lsetxattr) {
    Hello f;
    auto r = CALL(lsetxattr, f.path(), "user.rawrt", "v2", 2, 0);
    XATTR_OR_SKIP(r);
    char buf[8] = {};
    EXPECT_EQ(::getxattr(f.path(), "user.rawrt", buf, sizeof buf), 2);
}
CASE(fsetxattr) {
    Hello f;
    auto r = CALL(fsetxattr, f.fd(), "user.rawrt", "v3", 2, 0);
    XATTR_OR_SKIP(r);
    char buf[8] = {};
    EXPECT_EQ(::fgetxattr(f.fd(), "user.rawrt", buf, sizeof buf), 2);
    EXPECT_STREQ(buf, "v3");
}
// f with user.rawrt = "xy", or a skip.
#define WITH_XATTR(f)                                                                  \
    Hello f;                                                                           \
    if (::setxattr(f.path(), "user.rawrt", "xy", 2, 0) != 0)                           \
        GTEST_SKIP() << "the temp directory's file system takes no user.* attributes"; \
    (void)0
CASE(getxattr) {
    WITH_XATTR(f);
    char buf[8] = {};
    EXPECT_EQ(CALL(getxattr, f.path(), "user.rawrt", buf, sizeof buf).value_or(0), 2u);
    EXPECT_STREQ(buf, "xy");
    EXPECT_TRUE(SameAsGlibc(CALL(getxattr, f.path(), "user.none", buf, sizeof buf),
                            GLIBC(::getxattr(f.path(), "user.none", buf, sizeof buf))));
}
CASE(lgetxattr) {
    WITH_XATTR(f);
    char buf[8] = {};
    EXPECT_EQ(CALL(lgetxattr, f.path(), "user.rawrt", buf, sizeof buf).value_or(0), 2u);
}
CASE(fgetxattr) {
    WITH_XATTR(f);
    char buf[8] = {};
    EXPECT_EQ(CALL(fgetxattr, f.fd(), "user.rawrt", buf, sizeof buf).value_or(0), 2u);
}
CASE(listxattr) {
    WITH_XATTR(f);
    char a[256], b[256];
    EXPECT_TRUE(SameAsGlibc(CALL(listxattr, f.path(), a, sizeof a), GLIBC(::listxattr(f.path(), b, sizeof b))));
}
CASE(llistxattr) {
    WITH_XATTR(f);
    char a[256], b[256];
    EXPECT_TRUE(SameAsGlibc(CALL(llistxattr, f.path(), a, sizeof a), GLIBC(::llistxattr(f.path(), b, sizeof b))));
}
CASE(flistxattr) {
    WITH_XATTR(f);
    char a[256], b[256];
    EXPECT_TRUE(SameAsGlibc(CALL(flistxattr, f.fd(), a, sizeof a), GLIBC(::flistxattr(f.fd(), b, sizeof b))));
}
CASE(removexattr) {
    WITH_XATTR(f);
    EXPECT_TRUE(Ok(CALL(removexattr, f.path(), "user.rawrt")));
    EXPECT_LT(::getxattr(f.path(), "user.rawrt", nullptr, 0), 0);
}
CASE(lremovexattr) {
    WITH_XATTR(f);
    EXPECT_TRUE(Ok(CALL(lremovexattr, f.path(), "user.rawrt")));
}
CASE(fremovexattr) {
    WITH_XATTR(f);
    EXPECT_TRUE(Ok(CALL(fremovexattr, f.fd(), "user.rawrt")));
    EXPECT_TRUE(SameAsGlibc(CALL(fremovexattr, f.fd(), "user.rawrt"), GLIBC(::fremovexattr(f.fd(), "user.rawrt"))));
}

// --- memory
constexpr size_t kPage = 4096;
// A private anonymous mapping of n pages, unmapped with the object.
struct Anon {
    explicit Anon(size_t pages = 1) : size(pages * 65536) {
        p = static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    }
    ~Anon() {
        if (p != MAP_FAILED) ::munmap(p, size);
    }
    char* p;
    size_t size;
};
CASE(mmap) {
    auto r = CALL(mmap, nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(Ok(r));
    static_cast<char*>(r.value())[0] = 1;
    ::munmap(r.value(), kPage);
}
CASE(munmap) {
    void* p = ::mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(Ok(CALL(munmap, p, kPage)));
    unsigned char vec;
    EXPECT_EQ(::mincore(p, kPage, &vec), -1);  // ENOMEM: no longer mapped
}
CASE(mprotect) {
    Anon a;
    EXPECT_TRUE(Ok(CALL(mprotect, a.p, kPage, PROT_READ)));
    EXPECT_TRUE(SameAsGlibc(CALL(mprotect, a.p + 1, kPage, PROT_READ), GLIBC(::mprotect(a.p + 1, kPage, PROT_READ))));
}
CASE(madvise) {
    Anon a;
    a.p[0] = 7;
    ASSERT_TRUE(Ok(CALL(madvise, a.p, kPage, MADV_DONTNEED)));
    EXPECT_EQ(a.p[0], 0);  // a private anonymous page comes back zeroed
}
CASE(mremap) {
    void* p = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static_cast<char*>(p)[0] = 42;
    auto r = CALL(mremap, p, kPage, 4 * kPage, MREMAP_MAYMOVE);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(static_cast<char*>(r.value())[0], 42);
    ::munmap(r.value(), 4 * kPage);
}
CASE(msync) {
    Hello f;
    void* p = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd(), 0);
    ASSERT_NE(p, MAP_FAILED);
    static_cast<char*>(p)[0] = 'H';
    EXPECT_TRUE(Ok(CALL(msync, p, kPage, MS_SYNC)));
    char c = 0;
    EXPECT_EQ(::pread(f.fd(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'H');
    ::munmap(p, kPage);
}
CASE(mincore) {
    Anon a;
    a.p[0] = 1;
    unsigned char vec[16] = {};
    auto r = CALL(mincore, a.p, kPage, vec);
    SKIP_IF_QEMU_LACKS(r, "mincore");
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(vec[0] & 1, 1);  // the page just written is resident
}
CASE(mlock) {
    Anon a;
    EXPECT_TRUE(AgreesWithGlibc(CALL(mlock, a.p, kPage), GLIBC(::mlock(a.p, kPage))));
    ::munlock(a.p, kPage);
}
CASE(mlock2) {
    Anon a;
    auto r = CALL(mlock2, a.p, kPage, 0);
    SKIP_IF_QEMU_LACKS(r, "mlock2");
    EXPECT_TRUE(AgreesWithGlibc(r, GLIBC(::mlock2(a.p, kPage, 0))));
    ::munlock(a.p, kPage);
}
CASE(munlock) {
    Anon a;
    EXPECT_TRUE(Ok(CALL(munlock, a.p, kPage)));
}
CASE(mlockall) {
    // Flags 0 is EINVAL: locking the test's whole address space is not wanted.
    EXPECT_TRUE(FailsLikeGlibc(CALL(mlockall, 0), GLIBC(::mlockall(0)), "EINVAL"));
}
CASE(munlockall) { EXPECT_TRUE(Ok(CALL(munlockall))); }
CASE(mseal) {
    Anon a;
    auto r = CALL(mseal, a.p + kPage, kPage, 1);  // flags must be 0: EINVAL, nothing sealed
    SKIP_IF_QEMU_LACKS(r, "mseal");
    if (!r.ok() && r.error().code() == ENOSYS) GTEST_SKIP() << "the kernel predates mseal (6.10)";
    EXPECT_EQ(err(r), "EINVAL");
}
CASE(brk) {
    auto r = CALL(brk, nullptr);
    EXPECT_EQ(r.value_or(0), reinterpret_cast<long>(::sbrk(0)));
}
CASE(pkey_alloc) {
    auto r = CALL(pkey_alloc, 0, 0);
    SKIP_IF_QEMU_LACKS(r, "pkey_alloc");
    if (r.ok()) {
        EXPECT_EQ(::pkey_free(r.value()), 0);
    } else {
        EXPECT_TRUE(r.error().code() == ENOSPC || r.error().code() == EINVAL || r.error().code() == ENOSYS) << err(r);
    }
}
CASE(pkey_free) {
    auto r = CALL(pkey_free, 15);  // not allocated
    SKIP_IF_QEMU_LACKS(r, "pkey_free");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_pkey_free, 15))));
}
CASE(pkey_mprotect) {
    Anon a;
    auto r = CALL(pkey_mprotect, a.p, kPage, PROT_READ, -1);  // -1: no key, as mprotect
    SKIP_IF_QEMU_LACKS(r, "pkey_mprotect");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_pkey_mprotect, a.p, kPage, PROT_READ, -1))));
}
CASE(process_madvise) {
    Anon a;
    UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, ::getpid(), 0)));
    iovec iov = {a.p, kPage};
    auto r = CALL(process_madvise, self.get(), &iov, 1, MADV_COLD, 0);
    SKIP_IF_QEMU_LACKS(r, "process_madvise");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_process_madvise, self.get(), &iov, 1, MADV_COLD, 0))));
}
CASE(process_mrelease) {
    UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, ::getpid(), 0)));
    auto r = CALL(process_mrelease, self.get(), 0);  // a live process: EINVAL
    SKIP_IF_QEMU_LACKS(r, "process_mrelease");
    EXPECT_TRUE(FailsLikeGlibc(r, GLIBC(syscall(SYS_process_mrelease, self.get(), 0)), "EINVAL"));
}
CASE(process_vm_readv) {
    char source[] = "remote", dest[8] = {};
    iovec local = {dest, 6}, remote = {source, 6};
    auto r = CALL(process_vm_readv, ::getpid(), &local, 1, &remote, 1, 0);
    SKIP_IF_QEMU_LACKS(r, "process_vm_readv");
    ASSERT_EQ(r.value_or(0), 6u);
    EXPECT_STREQ(dest, "remote");
}
CASE(process_vm_writev) {
    char source[] = "local", dest[8] = {};
    iovec local = {source, 5}, remote = {dest, 5};
    auto r = CALL(process_vm_writev, ::getpid(), &local, 1, &remote, 1, 0);
    SKIP_IF_QEMU_LACKS(r, "process_vm_writev");
    ASSERT_EQ(r.value_or(0), 5u);
    EXPECT_STREQ(dest, "local");
}
CASE(mbind) {
    Anon a;
    auto r = CALL(mbind, a.p, kPage, 0 /* MPOL_DEFAULT */, nullptr, 0, 0);
    SKIP_IF_QEMU_LACKS(r, "mbind");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_mbind, a.p, kPage, 0, nullptr, 0, 0))));
}
CASE(set_mempolicy) {
    auto r = CALL(set_mempolicy, 0 /* MPOL_DEFAULT */, nullptr, 0);
    SKIP_IF_QEMU_LACKS(r, "set_mempolicy");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_set_mempolicy, 0, nullptr, 0))));
}
CASE(get_mempolicy) {
    int a = -1, b = -1;
    auto r = CALL(get_mempolicy, &a, nullptr, 0, nullptr, 0);
    SKIP_IF_QEMU_LACKS(r, "get_mempolicy");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_get_mempolicy, &b, nullptr, 0, nullptr, 0))));
    EXPECT_EQ(a, b);
}
CASE(set_mempolicy_home_node) {
    Anon a;
    auto r = CALL(set_mempolicy_home_node, reinterpret_cast<unsigned long>(a.p), kPage, 0, 1);  // flags 1: EINVAL
    SKIP_IF_QEMU_LACKS(r, "set_mempolicy_home_node");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_set_mempolicy_home_node, a.p, kPage, 0, 1))));
}
CASE(migrate_pages) {
    unsigned long nodes = 1;
    auto r = CALL(migrate_pages, ::getpid(), 8 * sizeof nodes, &nodes, &nodes);  // node 0 to node 0
    SKIP_IF_QEMU_LACKS(r, "migrate_pages");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(syscall(SYS_migrate_pages, ::getpid(), 8 * sizeof nodes, &nodes, &nodes))));
}
CASE(move_pages) {
    Anon a;
    a.p[0] = 1;
    void* pages[1] = {a.p};
    int status[1] = {-1};
    auto r = CALL(move_pages, 0, 1, pages, nullptr, status, 0);  // nodes null: where each page is
    SKIP_IF_QEMU_LACKS(r, "move_pages");
    if (!r.ok() && r.error().code() == ENOSYS) GTEST_SKIP() << "the kernel has no NUMA support";
    ASSERT_TRUE(Ok(r));
    EXPECT_GE(status[0], 0);
}
CASE(remap_file_pages) {
    Anon a;  // a private anonymous mapping: EINVAL
    auto r = CALL(remap_file_pages, a.p, kPage, 0, 0, 0);
    SKIP_IF_QEMU_LACKS(r, "remap_file_pages");
    EXPECT_TRUE(SameAsGlibc(r, GLIBC(::remap_file_pages(a.p, kPage, 0, 0, 0))));
}
CASE(userfaultfd) {
    auto r = CALL(userfaultfd, O_CLOEXEC);
    SKIP_IF_QEMU_LACKS(r, "userfaultfd");
    if (r.ok()) ::close(r.value());
    EXPECT_TRUE(AgreesWithGlibc(r, [&] {
        errno = 0;
        const long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
        if (fd >= 0) ::close(fd);
        return GlibcCall{fd, errno};
    }()));
}

}  // namespace
}  // namespace rawrt::test::table
