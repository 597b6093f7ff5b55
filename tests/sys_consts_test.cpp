// The constants of sys/consts.hpp that no UAPI header defines, against
// glibc's headers (sys/uapi_checks.cpp checks the others against the
// kernel's), and a round trip through the kernel with the eventfd flags.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/calls.hpp"
#include "sys/consts.hpp"

namespace {

namespace sys = rawrt::sys;

static_assert(sys::kEFD_SEMAPHORE == EFD_SEMAPHORE && sys::kEFD_NONBLOCK == EFD_NONBLOCK &&
              sys::kEFD_CLOEXEC == EFD_CLOEXEC);
static_assert(sys::kS_IFMT == S_IFMT && sys::kS_IFSOCK == S_IFSOCK && sys::kS_IFREG == S_IFREG &&
              sys::kS_IFCHR == S_IFCHR && sys::kS_IFIFO == S_IFIFO);
static_assert(sys::kAF_UNIX == AF_UNIX && sys::kAF_INET == AF_INET && sys::kAF_INET6 == AF_INET6);
static_assert(sys::kSOCK_STREAM == SOCK_STREAM && sys::kMSG_NOSIGNAL == MSG_NOSIGNAL);
static_assert(sys::kSOCK_DGRAM == SOCK_DGRAM && sys::kMSG_TRUNC == MSG_TRUNC);
static_assert(sys::kSHUT_RD == SHUT_RD && sys::kSHUT_WR == SHUT_WR && sys::kSHUT_RDWR == SHUT_RDWR);

TEST(SysConsts, TheKernelTakesTheEventfdFlagsAsTheirNamesSay) {
    auto r = sys::raw::eventfd2(0, sys::kEFD_CLOEXEC | sys::kEFD_NONBLOCK | sys::kEFD_SEMAPHORE);
    ASSERT_TRUE(r.ok()) << r.error().name();
    const int fd = static_cast<int>(r.value());
    EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    // A semaphore eventfd hands its count out one at a time.
    const uint64_t two = 2;
    ASSERT_EQ(write(fd, &two, sizeof two), 8);
    uint64_t got = 0;
    ASSERT_EQ(read(fd, &got, sizeof got), 8);
    EXPECT_EQ(got, 1u);
    close(fd);
}

}  // namespace
