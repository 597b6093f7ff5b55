// The file and descriptor wrappers of sys/calls.inc, both flavours, each
// checked against glibc for the same call: read, write, pread64, pwrite64,
// readv, writev, openat, close, lseek, statx, pipe2, dup3, fcntl, ioctl.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "tests/sys_calls_test.hpp"

namespace {

using rawrt::test::bad_address;
using rawrt::test::closed_fd;
using rawrt::test::FailsLikeGlibc;
using rawrt::test::make_pipe;
using rawrt::test::Ok;
using rawrt::test::TempFile;
using rawrt::test::UniqueFd;

RAWRT_FLAVOUR_TEST_SUITE(SysFiles);

std::string file_contents(int fd) {
    std::string out;
    char buf[256];
    long offset = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, offset);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
        offset += n;
    }
    return out;
}

TYPED_TEST(SysFiles, ReadAndWriteOnAFileAgreeWithGlibc) {
    TempFile file;
    auto w = SYS(write, file.fd(), "hello ", 6);
    ASSERT_TRUE(Ok(w));
    EXPECT_EQ(w.value(), static_cast<size_t>(::write(file.fd(), "hello ", 6)));
    EXPECT_EQ(file_contents(file.fd()), "hello hello ");

    // Both reads continue from the shared file position.
    ASSERT_EQ(::lseek(file.fd(), 0, SEEK_SET), 0);
    char ours[8] = {}, theirs[8] = {};
    auto r = SYS(read, file.fd(), ours, 6);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r.value(), 6u);
    EXPECT_EQ(::read(file.fd(), theirs, 6), 6);
    EXPECT_STREQ(ours, "hello ");
    EXPECT_STREQ(theirs, "hello ");
    // At end of file both answer 0.
    auto eof = SYS(read, file.fd(), ours, sizeof ours);
    ASSERT_TRUE(Ok(eof));
    EXPECT_EQ(eof.value(), 0u);
    EXPECT_EQ(::read(file.fd(), theirs, sizeof theirs), 0);
}

TYPED_TEST(SysFiles, ReadAndWriteFailLikeGlibc) {
    TempFile file;
    ASSERT_EQ(::write(file.fd(), "data", 4), 4);
    char buf[4];
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(read, closed, buf, 4), GLIBC(::read(closed, buf, 4)), "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(write, closed, "x", 1), GLIBC(::write(closed, "x", 1)), "EBADF"));
    // A buffer the kernel cannot copy to or from.
    EXPECT_TRUE(FailsLikeGlibc(SYS(pread64, file.fd(), bad_address(), 4, 0),
                               GLIBC(::pread(file.fd(), bad_address(), 4, 0)), "EFAULT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(write, file.fd(), bad_address(), 4), GLIBC(::write(file.fd(), bad_address(), 4)),
                               "EFAULT"));
    // A descriptor opened read-only cannot be written.
    UniqueFd read_only(::open(file.path(), O_RDONLY | O_CLOEXEC));
    ASSERT_GE(read_only.get(), 0);
    EXPECT_TRUE(FailsLikeGlibc(SYS(write, read_only.get(), "x", 1), GLIBC(::write(read_only.get(), "x", 1)), "EBADF"));
}

TYPED_TEST(SysFiles, ReadAndWriteOnAPipeAgreeWithGlibc) {
    auto pipe = make_pipe(O_CLOEXEC | O_NONBLOCK);
    auto w = SYS(write, pipe.write_end.get(), "ping", 4);
    ASSERT_TRUE(Ok(w));
    EXPECT_EQ(w.value(), 4u);
    char buf[8] = {};
    ASSERT_EQ(::read(pipe.read_end.get(), buf, sizeof buf), 4);
    EXPECT_STREQ(buf, "ping");

    ASSERT_EQ(::write(pipe.write_end.get(), "pong", 4), 4);
    char ours[8] = {};
    auto r = SYS(read, pipe.read_end.get(), ours, sizeof ours);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r.value(), 4u);
    EXPECT_STREQ(ours, "pong");

    // Empty and non-blocking: EAGAIN, not a hang.
    EXPECT_TRUE(FailsLikeGlibc(SYS(read, pipe.read_end.get(), ours, sizeof ours),
                               GLIBC(::read(pipe.read_end.get(), ours, sizeof ours)), "EAGAIN"));
    // Reading the write end.
    EXPECT_TRUE(FailsLikeGlibc(SYS(read, pipe.write_end.get(), ours, 1), GLIBC(::read(pipe.write_end.get(), ours, 1)),
                               "EBADF"));
}

TYPED_TEST(SysFiles, Pread64AndPwrite64UseTheOffsetNotThePosition) {
    TempFile file;
    auto w = SYS(pwrite64, file.fd(), "abcdef", 6, 100);
    ASSERT_TRUE(Ok(w));
    EXPECT_EQ(w.value(), 6u);
    EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), 0) << "pwrite64 moved the file position";
    struct stat st {};
    ASSERT_EQ(::fstat(file.fd(), &st), 0);
    EXPECT_EQ(st.st_size, 106);

    char ours[4] = {}, theirs[4] = {};
    auto r = SYS(pread64, file.fd(), ours, 3, 102);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r.value(), static_cast<size_t>(::pread(file.fd(), theirs, 3, 102)));
    EXPECT_STREQ(ours, "cde");
    EXPECT_STREQ(theirs, "cde");
    EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), 0) << "pread64 moved the file position";
    // Past the end: 0 bytes.
    auto past = SYS(pread64, file.fd(), ours, 3, 1000);
    ASSERT_TRUE(Ok(past));
    EXPECT_EQ(past.value(), 0u);

    EXPECT_TRUE(FailsLikeGlibc(SYS(pread64, file.fd(), ours, 3, -1), GLIBC(::pread(file.fd(), theirs, 3, -1)),
                               "EINVAL"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(pwrite64, pipe.write_end.get(), "x", 1, 0),
                               GLIBC(::pwrite(pipe.write_end.get(), "x", 1, 0)), "ESPIPE"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(pread64, pipe.read_end.get(), ours, 1, 0),
                               GLIBC(::pread(pipe.read_end.get(), ours, 1, 0)), "ESPIPE"));
}

TYPED_TEST(SysFiles, ReadvAndWritevGatherAndScatter) {
    char a[] = "one,", b[] = "two,", c[] = "three";
    iovec out[3] = {{a, 4}, {b, 4}, {c, 5}};
    TempFile file;
    auto pipe = make_pipe();
    for (int fd : {file.fd(), pipe.write_end.get()}) {
        auto w = SYS(writev, fd, out, 3);
        ASSERT_TRUE(Ok(w));
        EXPECT_EQ(w.value(), static_cast<size_t>(::writev(fd, out, 3)));
    }
    EXPECT_EQ(file_contents(file.fd()), "one,two,threeone,two,three");

    // Scatter 26 bytes into 10 + 16.
    for (int fd : {file.fd(), pipe.read_end.get()}) {
        ::lseek(fd, 0, SEEK_SET);  // ESPIPE on the pipe, which is fine
        char x[10] = {}, y[17] = {};
        iovec in[2] = {{x, sizeof x}, {y, sizeof y - 1}};
        auto r = SYS(readv, fd, in, 2);
        ASSERT_TRUE(Ok(r));
        EXPECT_EQ(r.value(), 26u);
        EXPECT_EQ(std::string(x, sizeof x), "one,two,th");
        EXPECT_STREQ(y, "reeone,two,three");
    }

    volatile int negative = -1;  // a literal -1 draws a glibc access-attribute warning
    EXPECT_TRUE(FailsLikeGlibc(SYS(writev, file.fd(), out, negative), GLIBC(::writev(file.fd(), out, negative)),
                               "EINVAL"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(readv, closed, out, 1), GLIBC(::readv(closed, out, 1)), "EBADF"));
    auto* bad_iov = static_cast<const iovec*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(writev, file.fd(), bad_iov, 1), GLIBC(::writev(file.fd(), bad_iov, 1)), "EFAULT"));
}

TYPED_TEST(SysFiles, OpenatAndCloseGiveTheSameDescriptorsAsGlibc) {
    TempFile file;
    auto fd = SYS(openat, AT_FDCWD, file.path(), O_RDWR | O_CLOEXEC);
    ASSERT_TRUE(Ok(fd));
    EXPECT_EQ(::fcntl(fd.value(), F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(::fcntl(fd.value(), F_GETFL) & O_ACCMODE, O_RDWR);
    ASSERT_TRUE(Ok(SYS(close, fd.value())));
    // The lowest free number is reused: glibc's openat now gets the same one.
    int theirs = ::openat(AT_FDCWD, file.path(), O_RDWR | O_CLOEXEC);
    EXPECT_EQ(theirs, fd.value());
    ::close(theirs);

    // O_CREAT honours the mode (under the umask).
    std::string created = std::string(file.path()) + ".new";
    auto made = SYS(openat, AT_FDCWD, created.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600u);
    ASSERT_TRUE(Ok(made));
    struct stat st {};
    EXPECT_EQ(::fstat(made.value(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_TRUE(Ok(SYS(close, made.value())));
    EXPECT_TRUE(FailsLikeGlibc(SYS(openat, AT_FDCWD, created.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600u),
                               GLIBC(::openat(AT_FDCWD, created.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                                              0600)),
                               "EEXIST"));
    ::unlink(created.c_str());

    const char* missing = "/nonexistent-rawrt-dir/file";
    EXPECT_TRUE(FailsLikeGlibc(SYS(openat, AT_FDCWD, missing, O_RDONLY), GLIBC(::openat(AT_FDCWD, missing, O_RDONLY)),
                               "ENOENT"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(openat, closed, "relative", O_RDONLY), GLIBC(::openat(closed, "relative", O_RDONLY)),
                               "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(openat, AT_FDCWD, file.path(), O_RDONLY | O_DIRECTORY),
                               GLIBC(::openat(AT_FDCWD, file.path(), O_RDONLY | O_DIRECTORY)), "ENOTDIR"));
    auto* bad_path = static_cast<const char*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(openat, AT_FDCWD, bad_path, O_RDONLY), GLIBC(::openat(AT_FDCWD, bad_path, O_RDONLY)),
                               "EFAULT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(close, closed), GLIBC(::close(closed)), "EBADF"));
}

TYPED_TEST(SysFiles, LseekAgreesWithGlibc) {
    TempFile file;
    ASSERT_EQ(::write(file.fd(), "0123456789", 10), 10);
    auto end = SYS(lseek, file.fd(), -3, SEEK_END);
    ASSERT_TRUE(Ok(end));
    EXPECT_EQ(end.value(), 7);
    EXPECT_EQ(end.value(), ::lseek(file.fd(), -3, SEEK_END));
    auto cur = SYS(lseek, file.fd(), 2, SEEK_CUR);
    ASSERT_TRUE(Ok(cur));
    EXPECT_EQ(cur.value(), 9);
    auto set = SYS(lseek, file.fd(), 4, SEEK_SET);
    ASSERT_TRUE(Ok(set));
    EXPECT_EQ(set.value(), 4);
    char c = 0;
    ASSERT_EQ(::read(file.fd(), &c, 1), 1);
    EXPECT_EQ(c, '4');
    // Beyond the end is allowed (a later write makes a hole).
    auto far = SYS(lseek, file.fd(), 1L << 32, SEEK_SET);
    ASSERT_TRUE(Ok(far));
    EXPECT_EQ(far.value(), 1L << 32);

    EXPECT_TRUE(FailsLikeGlibc(SYS(lseek, file.fd(), 0, 99), GLIBC(::lseek(file.fd(), 0, 99)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(lseek, file.fd(), -1, SEEK_SET), GLIBC(::lseek(file.fd(), -1, SEEK_SET)), "EINVAL"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(lseek, pipe.read_end.get(), 0, SEEK_CUR),
                               GLIBC(::lseek(pipe.read_end.get(), 0, SEEK_CUR)), "ESPIPE"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(lseek, closed, 0, SEEK_SET), GLIBC(::lseek(closed, 0, SEEK_SET)), "EBADF"));
}

TYPED_TEST(SysFiles, StatxAgreesWithGlibc) {
    TempFile file;
    ASSERT_EQ(::write(file.fd(), "twelve bytes", 12), 12);
    struct statx ours {
    }, theirs{};
    ASSERT_TRUE(Ok(SYS(statx, AT_FDCWD, file.path(), 0, STATX_BASIC_STATS, &ours)));
    ASSERT_EQ(::statx(AT_FDCWD, file.path(), 0, STATX_BASIC_STATS, &theirs), 0);
    EXPECT_EQ(ours.stx_size, 12u);
    EXPECT_EQ(ours.stx_size, theirs.stx_size);
    EXPECT_EQ(ours.stx_ino, theirs.stx_ino);
    EXPECT_EQ(ours.stx_mode, theirs.stx_mode);
    EXPECT_EQ(ours.stx_nlink, theirs.stx_nlink);
    EXPECT_EQ(ours.stx_dev_major, theirs.stx_dev_major);
    EXPECT_EQ(ours.stx_mask & STATX_BASIC_STATS, theirs.stx_mask & STATX_BASIC_STATS);
    struct stat st {};
    ASSERT_EQ(::fstat(file.fd(), &st), 0);
    EXPECT_EQ(ours.stx_ino, st.st_ino);
    EXPECT_TRUE(S_ISREG(ours.stx_mode));

    // By descriptor: an empty path with AT_EMPTY_PATH.
    struct statx by_fd {};
    ASSERT_TRUE(Ok(SYS(statx, file.fd(), "", AT_EMPTY_PATH, STATX_INO, &by_fd)));
    EXPECT_EQ(by_fd.stx_ino, theirs.stx_ino);

    const char* missing = "/nonexistent-rawrt-dir/file";
    EXPECT_TRUE(FailsLikeGlibc(SYS(statx, AT_FDCWD, missing, 0, STATX_BASIC_STATS, &ours),
                               GLIBC(::statx(AT_FDCWD, missing, 0, STATX_BASIC_STATS, &theirs)), "ENOENT"));
    auto* bad_out = static_cast<struct statx*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(statx, AT_FDCWD, file.path(), 0, STATX_BASIC_STATS, bad_out),
                               GLIBC(::statx(AT_FDCWD, file.path(), 0, STATX_BASIC_STATS, bad_out)), "EFAULT"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(statx, closed, "relative", 0, STATX_BASIC_STATS, &ours),
                               GLIBC(::statx(closed, "relative", 0, STATX_BASIC_STATS, &theirs)), "EBADF"));
    // An unknown AT_ flag.
    EXPECT_TRUE(FailsLikeGlibc(SYS(statx, AT_FDCWD, file.path(), 0x40000000, STATX_BASIC_STATS, &ours),
                               GLIBC(::statx(AT_FDCWD, file.path(), 0x40000000, STATX_BASIC_STATS, &theirs)),
                               "EINVAL"));
}

TYPED_TEST(SysFiles, Pipe2MakesAConnectedPairWithTheFlags) {
    int fds[2] = {-1, -1};
    ASSERT_TRUE(Ok(SYS(pipe2, fds, O_CLOEXEC | O_NONBLOCK)));
    UniqueFd r(fds[0]), w(fds[1]);
    EXPECT_EQ(::fcntl(fds[0], F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(::fcntl(fds[1], F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(::fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    EXPECT_EQ(::fcntl(fds[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'x');
    // Closing frees the two lowest numbers: glibc's pipe2 gets the same pair.
    r.reset();
    w.reset();
    int theirs[2];
    ASSERT_EQ(::pipe2(theirs, O_CLOEXEC), 0);
    EXPECT_EQ(theirs[0], fds[0]);
    EXPECT_EQ(theirs[1], fds[1]);
    ::close(theirs[0]);
    ::close(theirs[1]);

    int unused[2];
    // qemu-user translates pipe2's flags bit by bit and drops unknown ones, so
    // there the call succeeds for glibc too: the kernel's EINVAL is native only.
    if (!rawrt::test::under_qemu()) {
        EXPECT_TRUE(FailsLikeGlibc(SYS(pipe2, unused, 0x40000000), GLIBC(::pipe2(unused, 0x40000000)), "EINVAL"));
    }
    auto* bad_fds = static_cast<int*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(pipe2, bad_fds, 0), GLIBC(::pipe2(bad_fds, 0)), "EFAULT"));
}

TYPED_TEST(SysFiles, Dup3AndFcntlAgreeWithGlibc) {
    auto pipe = make_pipe(0);
    const int target = closed_fd();
    auto dup = SYS(dup3, pipe.read_end.get(), target, O_CLOEXEC);
    ASSERT_TRUE(Ok(dup));
    UniqueFd dup_owner(dup.value());
    EXPECT_EQ(dup.value(), target);
    EXPECT_EQ(::fcntl(target, F_GETFD), FD_CLOEXEC);
    // The duplicate reads what the pipe carries.
    ASSERT_EQ(::write(pipe.write_end.get(), "d", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(target, &c, 1), 1);
    EXPECT_EQ(c, 'd');

    // fcntl: the flag words read back as glibc reads them, and set as it sets them.
    auto fd_flags = SYS(fcntl, pipe.read_end.get(), F_GETFD);
    ASSERT_TRUE(Ok(fd_flags));
    EXPECT_EQ(fd_flags.value(), ::fcntl(pipe.read_end.get(), F_GETFD));
    EXPECT_EQ(fd_flags.value(), 0);
    ASSERT_TRUE(Ok(SYS(fcntl, pipe.read_end.get(), F_SETFD, FD_CLOEXEC)));
    EXPECT_EQ(::fcntl(pipe.read_end.get(), F_GETFD), FD_CLOEXEC);
    ASSERT_TRUE(Ok(SYS(fcntl, pipe.read_end.get(), F_SETFL, O_NONBLOCK)));
    auto status = SYS(fcntl, pipe.read_end.get(), F_GETFL);
    ASSERT_TRUE(Ok(status));
    EXPECT_EQ(status.value(), ::fcntl(pipe.read_end.get(), F_GETFL));
    EXPECT_EQ(status.value(), O_RDONLY | O_NONBLOCK);
    // F_DUPFD_CLOEXEC returns the lowest free number >= arg, as glibc's.
    auto lowest = SYS(fcntl, pipe.read_end.get(), F_DUPFD_CLOEXEC, 0);
    ASSERT_TRUE(Ok(lowest));
    ::close(static_cast<int>(lowest.value()));
    int theirs = ::fcntl(pipe.read_end.get(), F_DUPFD_CLOEXEC, 0);
    EXPECT_EQ(theirs, lowest.value());
    ::close(theirs);

    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(dup3, pipe.read_end.get(), pipe.read_end.get(), 0),
                               GLIBC(::dup3(pipe.read_end.get(), pipe.read_end.get(), 0)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(dup3, closed, closed + 1, 0), GLIBC(::dup3(closed, closed + 1, 0)), "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(dup3, pipe.read_end.get(), closed, 0x40000000),
                               GLIBC(::dup3(pipe.read_end.get(), closed, 0x40000000)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(fcntl, closed, F_GETFD), GLIBC(::fcntl(closed, F_GETFD)), "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(fcntl, pipe.read_end.get(), 0x7fff), GLIBC(::fcntl(pipe.read_end.get(), 0x7fff)),
                               "EINVAL"));
}

TYPED_TEST(SysFiles, IoctlFionreadCountsWhatAPipeHolds) {
    auto pipe = make_pipe();
    ASSERT_EQ(::write(pipe.write_end.get(), "12345", 5), 5);
    int ours = -1, theirs = -1;
    auto r = SYS(ioctl, pipe.read_end.get(), FIONREAD, &ours);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r.value(), 0);
    ASSERT_EQ(::ioctl(pipe.read_end.get(), FIONREAD, &theirs), 0);
    EXPECT_EQ(ours, 5);
    EXPECT_EQ(ours, theirs);

    termios tio;
    EXPECT_TRUE(FailsLikeGlibc(SYS(ioctl, pipe.read_end.get(), TCGETS, &tio),
                               GLIBC(::ioctl(pipe.read_end.get(), TCGETS, &tio)), "ENOTTY"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(ioctl, closed, FIONREAD, &ours), GLIBC(::ioctl(closed, FIONREAD, &theirs)),
                               "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(ioctl, pipe.read_end.get(), FIONREAD, bad_address()),
                               GLIBC(::ioctl(pipe.read_end.get(), FIONREAD, bad_address())), "EFAULT"));
}

}  // namespace
