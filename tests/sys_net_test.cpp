// The socket, event-notification and io_uring wrappers of sys/calls.inc, both
// flavours, each checked against glibc for the same call: socket, bind,
// listen, accept4, connect, getsockname, getpeername, setsockopt, getsockopt,
// shutdown, sendto, recvfrom (AF_INET over loopback, AF_UNIX by path and by
// autobind: socketpair is not a wrapper), epoll_create1, epoll_ctl,
// epoll_pwait, epoll_pwait2, eventfd2, io_uring_setup, io_uring_enter,
// io_uring_register. glibc has no io_uring wrappers: those compare with
// syscall(2).

#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "tests/sys_calls_test.hpp"

namespace {

namespace sys = rawrt::sys;
using rawrt::test::bad_address;
using rawrt::test::closed_fd;
using rawrt::test::FailsLikeGlibc;
using rawrt::test::glibc_errno_name;
using rawrt::test::GlibcCall;
using rawrt::test::make_pipe;
using rawrt::test::Ok;
using rawrt::test::SavedSignalAction;
using rawrt::test::TempFile;
using rawrt::test::UniqueFd;

RAWRT_FLAVOUR_TEST_SUITE(SysSockets);
RAWRT_FLAVOUR_TEST_SUITE(SysEpoll);
RAWRT_FLAVOUR_TEST_SUITE(SysIoUring);

// ---------------------------------------------------------------- socket helpers

sockaddr_in loopback(uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}
const sockaddr* as_sockaddr(const void* a) { return static_cast<const sockaddr*>(a); }
sockaddr* as_sockaddr(void* a) { return static_cast<sockaddr*>(a); }

std::string bytes_of(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

UniqueFd glibc_socket(int domain, int type) {
    int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) ADD_FAILURE() << "socket: " << glibc_errno_name(errno);
    return UniqueFd(fd);
}

// The address glibc's getsockname reports for fd.
sockaddr_in glibc_name(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, as_sockaddr(&a), &len) != 0) ADD_FAILURE() << "getsockname: " << glibc_errno_name(errno);
    return a;
}

// A socket bound to 127.0.0.1 on a port the kernel picked (by glibc).
UniqueFd bound_socket(int type) {
    UniqueFd fd = glibc_socket(AF_INET, type);
    const sockaddr_in any = loopback();
    if (::bind(fd.get(), as_sockaddr(&any), sizeof any) != 0) ADD_FAILURE() << "bind: " << glibc_errno_name(errno);
    return fd;
}

UniqueFd listening_socket() {
    UniqueFd fd = bound_socket(SOCK_STREAM);
    if (::listen(fd.get(), 16) != 0) ADD_FAILURE() << "listen: " << glibc_errno_name(errno);
    return fd;
}

// A loopback TCP connection made by glibc: the client end and the server's.
struct Connection {
    UniqueFd client, server;
};
Connection glibc_connection() {
    UniqueFd listener = listening_socket();
    const sockaddr_in at = glibc_name(listener.get());
    Connection c{glibc_socket(AF_INET, SOCK_STREAM), {}};
    if (::connect(c.client.get(), as_sockaddr(&at), sizeof at) != 0)
        ADD_FAILURE() << "connect: " << glibc_errno_name(errno);
    c.server.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return c;
}

// A loopback port on which nothing listens: bound (so nobody else takes it)
// but never listening, so a connect there is refused.
struct RefusingPort {
    UniqueFd holder = bound_socket(SOCK_STREAM);
    sockaddr_in address = glibc_name(holder.get());
};

int int_option(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    if (::getsockopt(fd, level, name, &value, &len) != 0) ADD_FAILURE() << "getsockopt: " << glibc_errno_name(errno);
    return value;
}

// ---------------------------------------------------------------- socket, bind, listen, getsockname

TYPED_TEST(SysSockets, SocketMakesTheKindAskedForLikeGlibc) {
    auto tcp = SYS(socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(Ok(tcp));
    UniqueFd owner(tcp.value());
    EXPECT_EQ(int_option(tcp.value(), SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    EXPECT_EQ(int_option(tcp.value(), SOL_SOCKET, SO_DOMAIN), AF_INET);
    EXPECT_EQ(::fcntl(tcp.value(), F_GETFD), FD_CLOEXEC);
    // The lowest free number is reused: glibc's socket now gets the same one.
    owner.reset();
    UniqueFd theirs(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(theirs.get(), tcp.value());

    auto udp = SYS(socket, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(Ok(udp));
    UniqueFd udp_owner(udp.value());
    EXPECT_EQ(int_option(udp.value(), SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    EXPECT_EQ(int_option(udp.value(), SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
    EXPECT_TRUE(::fcntl(udp.value(), F_GETFL) & O_NONBLOCK);
    auto local = SYS(socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(Ok(local));
    UniqueFd local_owner(local.value());
    EXPECT_EQ(int_option(local.value(), SOL_SOCKET, SO_DOMAIN), AF_UNIX);

    EXPECT_TRUE(FailsLikeGlibc(SYS(socket, 12345, SOCK_STREAM, 0), GLIBC(::socket(12345, SOCK_STREAM, 0)),
                               "EAFNOSUPPORT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(socket, AF_INET, 0x7ff, 0), GLIBC(::socket(AF_INET, 0x7ff, 0)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(socket, AF_INET, SOCK_STREAM, IPPROTO_UDP),
                               GLIBC(::socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)), "EPROTONOSUPPORT"));
}

TYPED_TEST(SysSockets, BindListenAndGetsocknameAgreeWithGlibc) {
    UniqueFd fd = glibc_socket(AF_INET, SOCK_STREAM);
    const sockaddr_in any = loopback();
    ASSERT_TRUE(Ok(SYS(bind, fd.get(), as_sockaddr(&any), sizeof any)));
    sockaddr_in ours{};
    uint32_t our_len = sizeof ours;
    ASSERT_TRUE(Ok(SYS(getsockname, fd.get(), as_sockaddr(&ours), &our_len)));
    const sockaddr_in theirs = glibc_name(fd.get());
    EXPECT_EQ(our_len, sizeof(sockaddr_in));
    EXPECT_EQ(bytes_of(&ours, sizeof ours), bytes_of(&theirs, sizeof theirs));
    EXPECT_EQ(ours.sin_family, AF_INET);
    EXPECT_EQ(ours.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    EXPECT_NE(ours.sin_port, 0) << "bind to port 0 did not pick a port";

    EXPECT_EQ(int_option(fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 0);
    ASSERT_TRUE(Ok(SYS(listen, fd.get(), 8)));
    EXPECT_EQ(int_option(fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);

    // bind: already bound, address in use, short length, unreadable address.
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, fd.get(), as_sockaddr(&any), sizeof any),
                               GLIBC(::bind(fd.get(), as_sockaddr(&any), sizeof any)), "EINVAL"));
    UniqueFd second = glibc_socket(AF_INET, SOCK_STREAM), third = glibc_socket(AF_INET, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, second.get(), as_sockaddr(&ours), sizeof ours),
                               GLIBC(::bind(third.get(), as_sockaddr(&ours), sizeof ours)), "EADDRINUSE"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, second.get(), as_sockaddr(&any), 2),
                               GLIBC(::bind(third.get(), as_sockaddr(&any), 2)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, second.get(), as_sockaddr(bad_address()), sizeof any),
                               GLIBC(::bind(third.get(), as_sockaddr(bad_address()), sizeof any)), "EFAULT"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, pipe.read_end.get(), as_sockaddr(&any), sizeof any),
                               GLIBC(::bind(pipe.read_end.get(), as_sockaddr(&any), sizeof any)), "ENOTSOCK"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, closed, as_sockaddr(&any), sizeof any),
                               GLIBC(::bind(closed, as_sockaddr(&any), sizeof any)), "EBADF"));

    // listen: not a stream socket, not a socket, not a descriptor.
    UniqueFd udp = glibc_socket(AF_INET, SOCK_DGRAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(listen, udp.get(), 1), GLIBC(::listen(udp.get(), 1)), "EOPNOTSUPP"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(listen, pipe.read_end.get(), 1), GLIBC(::listen(pipe.read_end.get(), 1)),
                               "ENOTSOCK"));
    const int still_closed = closed_fd();  // the UDP socket may have taken `closed`
    EXPECT_TRUE(FailsLikeGlibc(SYS(listen, still_closed, 1), GLIBC(::listen(still_closed, 1)), "EBADF"));

    // getsockname: a length the kernel cannot read, a negative length.
    sockaddr_in out{};
    socklen_t glibc_len = sizeof out;
    EXPECT_TRUE(FailsLikeGlibc(SYS(getsockname, fd.get(), as_sockaddr(&out), static_cast<uint32_t*>(bad_address())),
                               GLIBC(::getsockname(fd.get(), as_sockaddr(&out),
                                                   static_cast<socklen_t*>(bad_address()))),
                               "EFAULT"));
    uint32_t negative = static_cast<uint32_t>(-1);
    glibc_len = static_cast<socklen_t>(-1);
    EXPECT_TRUE(FailsLikeGlibc(SYS(getsockname, fd.get(), as_sockaddr(&out), &negative),
                               GLIBC(::getsockname(fd.get(), as_sockaddr(&out), &glibc_len)), "EINVAL"));
    glibc_len = sizeof out;
    uint32_t len = sizeof out;
    EXPECT_TRUE(FailsLikeGlibc(SYS(getsockname, pipe.read_end.get(), as_sockaddr(&out), &len),
                               GLIBC(::getsockname(pipe.read_end.get(), as_sockaddr(&out), &glibc_len)), "ENOTSOCK"));
}

// ---------------------------------------------------------------- connect, accept4, getpeername

TYPED_TEST(SysSockets, ConnectAccept4AndGetpeernameOverLoopback) {
    UniqueFd listener = listening_socket();
    const sockaddr_in server_address = glibc_name(listener.get());
    UniqueFd client = glibc_socket(AF_INET, SOCK_STREAM);
    ASSERT_TRUE(Ok(SYS(connect, client.get(), as_sockaddr(&server_address), sizeof server_address)));
    const sockaddr_in client_address = glibc_name(client.get());

    sockaddr_in peer{};
    uint32_t peer_len = sizeof peer;
    auto accepted = SYS(accept4, listener.get(), as_sockaddr(&peer), &peer_len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ASSERT_TRUE(Ok(accepted));
    UniqueFd server(accepted.value());
    EXPECT_EQ(peer_len, sizeof(sockaddr_in));
    EXPECT_EQ(bytes_of(&peer, sizeof peer), bytes_of(&client_address, sizeof client_address));
    EXPECT_EQ(::fcntl(server.get(), F_GETFD), FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(server.get(), F_GETFL) & O_NONBLOCK);

    // Each end names the other, through rawrt as through glibc.
    sockaddr_in ours{}, theirs{};
    uint32_t our_len = sizeof ours;
    socklen_t their_len = sizeof theirs;
    ASSERT_TRUE(Ok(SYS(getpeername, client.get(), as_sockaddr(&ours), &our_len)));
    ASSERT_EQ(::getpeername(client.get(), as_sockaddr(&theirs), &their_len), 0);
    EXPECT_EQ(our_len, their_len);
    EXPECT_EQ(bytes_of(&ours, sizeof ours), bytes_of(&theirs, sizeof theirs));
    EXPECT_EQ(bytes_of(&ours, sizeof ours), bytes_of(&server_address, sizeof server_address));
    our_len = sizeof ours;
    ASSERT_TRUE(Ok(SYS(getpeername, server.get(), as_sockaddr(&ours), &our_len)));
    EXPECT_EQ(bytes_of(&ours, sizeof ours), bytes_of(&client_address, sizeof client_address));

    // accept4 without an address, of a connection glibc made.
    UniqueFd second = glibc_socket(AF_INET, SOCK_STREAM);
    ASSERT_EQ(::connect(second.get(), as_sockaddr(&server_address), sizeof server_address), 0);
    auto plain = SYS(accept4, listener.get(), nullptr, nullptr, 0);
    ASSERT_TRUE(Ok(plain));
    UniqueFd plain_owner(plain.value());
    EXPECT_EQ(::fcntl(plain.value(), F_GETFD), 0);
    EXPECT_EQ(::fcntl(plain.value(), F_GETFL) & O_NONBLOCK, 0);

    // accept4: nothing queued on a non-blocking listener, unknown flags, a
    // socket that does not listen, a pipe.
    ASSERT_EQ(::fcntl(listener.get(), F_SETFL, O_NONBLOCK), 0);
    EXPECT_TRUE(FailsLikeGlibc(SYS(accept4, listener.get(), nullptr, nullptr, 0),
                               GLIBC(::accept4(listener.get(), nullptr, nullptr, 0)), "EAGAIN"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(accept4, listener.get(), nullptr, nullptr, 0x1234),
                               GLIBC(::accept4(listener.get(), nullptr, nullptr, 0x1234)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(accept4, client.get(), nullptr, nullptr, 0),
                               GLIBC(::accept4(client.get(), nullptr, nullptr, 0)), "EINVAL"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(accept4, pipe.read_end.get(), nullptr, nullptr, 0),
                               GLIBC(::accept4(pipe.read_end.get(), nullptr, nullptr, 0)), "ENOTSOCK"));

    // connect: already connected, refused, short length, unreadable address.
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, client.get(), as_sockaddr(&server_address), sizeof server_address),
                               GLIBC(::connect(client.get(), as_sockaddr(&server_address), sizeof server_address)),
                               "EISCONN"));
    RefusingPort refusing;
    UniqueFd a = glibc_socket(AF_INET, SOCK_STREAM), b = glibc_socket(AF_INET, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, a.get(), as_sockaddr(&refusing.address), sizeof refusing.address),
                               GLIBC(::connect(b.get(), as_sockaddr(&refusing.address), sizeof refusing.address)),
                               "ECONNREFUSED"));
    UniqueFd c = glibc_socket(AF_INET, SOCK_STREAM), d = glibc_socket(AF_INET, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, c.get(), as_sockaddr(&server_address), 4),
                               GLIBC(::connect(d.get(), as_sockaddr(&server_address), 4)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, c.get(), as_sockaddr(bad_address()), sizeof server_address),
                               GLIBC(::connect(d.get(), as_sockaddr(bad_address()), sizeof server_address)), "EFAULT"));

    // getpeername: nobody at the other end.
    our_len = sizeof ours;
    their_len = sizeof theirs;
    EXPECT_TRUE(FailsLikeGlibc(SYS(getpeername, c.get(), as_sockaddr(&ours), &our_len),
                               GLIBC(::getpeername(c.get(), as_sockaddr(&theirs), &their_len)), "ENOTCONN"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(getpeername, closed, as_sockaddr(&ours), &our_len),
                               GLIBC(::getpeername(closed, as_sockaddr(&theirs), &their_len)), "EBADF"));
}

// ---------------------------------------------------------------- setsockopt, getsockopt

TYPED_TEST(SysSockets, SetsockoptAndGetsockoptAgreeWithGlibc) {
    UniqueFd fd = glibc_socket(AF_INET, SOCK_STREAM);
    const int one = 1;
    ASSERT_TRUE(Ok(SYS(setsockopt, fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)));
    EXPECT_EQ(int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR), 1);
    int value = -1;
    uint32_t len = sizeof value;
    ASSERT_TRUE(Ok(SYS(getsockopt, fd.get(), SOL_SOCKET, SO_REUSEADDR, &value, &len)));
    EXPECT_EQ(value, 1);
    EXPECT_EQ(len, sizeof(int));
    ASSERT_TRUE(Ok(SYS(setsockopt, fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)));
    EXPECT_EQ(int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY), 1);

    // The kernel doubles SO_RCVBUF: both read back the same doubled value.
    const int asked = 64 * 1024;
    ASSERT_TRUE(Ok(SYS(setsockopt, fd.get(), SOL_SOCKET, SO_RCVBUF, &asked, sizeof asked)));
    len = sizeof value;
    ASSERT_TRUE(Ok(SYS(getsockopt, fd.get(), SOL_SOCKET, SO_RCVBUF, &value, &len)));
    EXPECT_EQ(value, int_option(fd.get(), SOL_SOCKET, SO_RCVBUF));
    EXPECT_GE(value, asked);

    // A struct option, both ways.
    const linger set{1, 7};
    ASSERT_TRUE(Ok(SYS(setsockopt, fd.get(), SOL_SOCKET, SO_LINGER, &set, sizeof set)));
    linger ours{}, theirs{};
    len = sizeof ours;
    socklen_t their_len = sizeof theirs;
    ASSERT_TRUE(Ok(SYS(getsockopt, fd.get(), SOL_SOCKET, SO_LINGER, &ours, &len)));
    ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &theirs, &their_len), 0);
    EXPECT_EQ(len, their_len);
    EXPECT_EQ(ours.l_onoff, 1);
    EXPECT_EQ(ours.l_linger, 7);
    EXPECT_EQ(theirs.l_linger, 7);

    // An option the level does not have, a length too short, an unreadable
    // value, not a socket, not a descriptor.
    EXPECT_TRUE(FailsLikeGlibc(SYS(setsockopt, fd.get(), IPPROTO_TCP, 9999, &one, sizeof one),
                               GLIBC(::setsockopt(fd.get(), IPPROTO_TCP, 9999, &one, sizeof one)), "ENOPROTOOPT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(setsockopt, fd.get(), SOL_SOCKET, SO_LINGER, &set, 1),
                               GLIBC(::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &set, 1)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(setsockopt, fd.get(), SOL_SOCKET, SO_REUSEADDR, bad_address(), sizeof one),
                               GLIBC(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, bad_address(), sizeof one)),
                               "EFAULT"));
    len = sizeof value;
    their_len = sizeof value;
    EXPECT_TRUE(FailsLikeGlibc(SYS(getsockopt, fd.get(), SOL_SOCKET, SO_RCVBUF, &value,
                                   static_cast<uint32_t*>(bad_address())),
                               GLIBC(::getsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &value,
                                                  static_cast<socklen_t*>(bad_address()))),
                               "EFAULT"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(getsockopt, pipe.read_end.get(), SOL_SOCKET, SO_TYPE, &value, &len),
                               GLIBC(::getsockopt(pipe.read_end.get(), SOL_SOCKET, SO_TYPE, &value, &their_len)),
                               "ENOTSOCK"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(setsockopt, closed, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one),
                               GLIBC(::setsockopt(closed, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)), "EBADF"));
}

// ---------------------------------------------------------------- sendto, recvfrom, shutdown

TYPED_TEST(SysSockets, SendtoAndRecvfromOverUdpCarryTheSourceAddress) {
    UniqueFd a = bound_socket(SOCK_DGRAM), b = bound_socket(SOCK_DGRAM);
    const sockaddr_in a_address = glibc_name(a.get()), b_address = glibc_name(b.get());

    auto sent = SYS(sendto, a.get(), "hello", 5, 0, as_sockaddr(&b_address), sizeof b_address);
    ASSERT_TRUE(Ok(sent));
    EXPECT_EQ(sent.value(), 5u);
    char buf[64] = {};
    sockaddr_in source{};
    uint32_t source_len = sizeof source;
    auto received = SYS(recvfrom, b.get(), buf, sizeof buf, 0, as_sockaddr(&source), &source_len);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(received.value(), 5u);
    EXPECT_EQ(std::string(buf, 5), "hello");
    EXPECT_EQ(source_len, sizeof(sockaddr_in));
    EXPECT_EQ(bytes_of(&source, sizeof source), bytes_of(&a_address, sizeof a_address));

    // Crossed with glibc: its datagram read by rawrt, rawrt's read by glibc.
    ASSERT_EQ(::sendto(b.get(), "from glibc", 10, 0, as_sockaddr(&a_address), sizeof a_address), 10);
    source_len = sizeof source;
    received = SYS(recvfrom, a.get(), buf, sizeof buf, 0, as_sockaddr(&source), &source_len);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(std::string(buf, received.value()), "from glibc");
    EXPECT_EQ(bytes_of(&source, sizeof source), bytes_of(&b_address, sizeof b_address));
    ASSERT_TRUE(Ok(SYS(sendto, a.get(), "to glibc", 8, 0, as_sockaddr(&b_address), sizeof b_address)));
    sockaddr_in glibc_source{};
    socklen_t glibc_source_len = sizeof glibc_source;
    EXPECT_EQ(::recvfrom(b.get(), buf, sizeof buf, 0, as_sockaddr(&glibc_source), &glibc_source_len), 8);
    EXPECT_EQ(bytes_of(&glibc_source, sizeof glibc_source), bytes_of(&a_address, sizeof a_address));

    // Flags reach the kernel: MSG_PEEK leaves the datagram queued, MSG_TRUNC
    // answers its full length through a short buffer.
    ASSERT_EQ(::sendto(b.get(), "0123456789", 10, 0, as_sockaddr(&a_address), sizeof a_address), 10);
    auto peeked = SYS(recvfrom, a.get(), buf, 4, MSG_PEEK);
    ASSERT_TRUE(Ok(peeked));
    EXPECT_EQ(peeked.value(), 4u);
    auto truncated = SYS(recvfrom, a.get(), buf, 4, MSG_TRUNC);
    ASSERT_TRUE(Ok(truncated));
    EXPECT_EQ(truncated.value(), 10u);
    EXPECT_EQ(std::string(buf, 4), "0123");

    // Nothing queued, no destination, a buffer or address the kernel cannot
    // read, a datagram too large, not a socket, not a descriptor.
    EXPECT_TRUE(FailsLikeGlibc(SYS(recvfrom, a.get(), buf, sizeof buf, MSG_DONTWAIT),
                               GLIBC(::recvfrom(a.get(), buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr)), "EAGAIN"));
    UniqueFd unbound = glibc_socket(AF_INET, SOCK_DGRAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, unbound.get(), "x", 1, 0),
                               GLIBC(::sendto(unbound.get(), "x", 1, 0, nullptr, 0)), "EDESTADDRREQ"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, a.get(), bad_address(), 4, 0, as_sockaddr(&b_address), sizeof b_address),
                               GLIBC(::sendto(a.get(), bad_address(), 4, 0, as_sockaddr(&b_address), sizeof b_address)),
                               "EFAULT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, a.get(), "x", 1, 0, as_sockaddr(bad_address()), sizeof b_address),
                               GLIBC(::sendto(a.get(), "x", 1, 0, as_sockaddr(bad_address()), sizeof b_address)),
                               "EFAULT"));
    std::string huge(70000, 'h');
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, a.get(), huge.data(), huge.size(), 0, as_sockaddr(&b_address),
                                   sizeof b_address),
                               GLIBC(::sendto(a.get(), huge.data(), huge.size(), 0, as_sockaddr(&b_address),
                                              sizeof b_address)),
                               "EMSGSIZE"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, pipe.write_end.get(), "x", 1, 0),
                               GLIBC(::sendto(pipe.write_end.get(), "x", 1, 0, nullptr, 0)), "ENOTSOCK"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(recvfrom, closed, buf, sizeof buf, 0),
                               GLIBC(::recvfrom(closed, buf, sizeof buf, 0, nullptr, nullptr)), "EBADF"));
}

TYPED_TEST(SysSockets, StreamSendRecvAndShutdown) {
    Connection c = glibc_connection();
    ASSERT_GE(c.server.get(), 0);
    auto sent = SYS(sendto, c.client.get(), "abc", 3, 0);
    ASSERT_TRUE(Ok(sent));
    EXPECT_EQ(sent.value(), 3u);
    char buf[16] = {};
    EXPECT_EQ(::recv(c.server.get(), buf, sizeof buf, 0), 3);
    EXPECT_EQ(std::string(buf, 3), "abc");
    ASSERT_EQ(::send(c.server.get(), "xyz!", 4, 0), 4);
    auto received = SYS(recvfrom, c.client.get(), buf, sizeof buf, 0);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(received.value(), 4u);
    EXPECT_EQ(std::string(buf, 4), "xyz!");

    // The client stops writing: the server reads end-of-stream, through rawrt
    // as through glibc, and can still write back.
    ASSERT_TRUE(Ok(SYS(shutdown, c.client.get(), SHUT_WR)));
    auto eof = SYS(recvfrom, c.server.get(), buf, sizeof buf, 0);
    ASSERT_TRUE(Ok(eof));
    EXPECT_EQ(eof.value(), 0u);
    EXPECT_EQ(::recv(c.server.get(), buf, sizeof buf, 0), 0);
    ASSERT_EQ(::send(c.server.get(), "late", 4, 0), 4);
    received = SYS(recvfrom, c.client.get(), buf, sizeof buf, 0);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(std::string(buf, received.value()), "late");
    // Writing after SHUT_WR (MSG_NOSIGNAL: no SIGPIPE for the test).
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, c.client.get(), "x", 1, MSG_NOSIGNAL),
                               GLIBC(::send(c.client.get(), "x", 1, MSG_NOSIGNAL)), "EPIPE"));

    // shutdown: an unknown how, an unconnected socket, not a socket.
    EXPECT_TRUE(FailsLikeGlibc(SYS(shutdown, c.server.get(), 7), GLIBC(::shutdown(c.server.get(), 7)), "EINVAL"));
    UniqueFd unconnected = glibc_socket(AF_INET, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(shutdown, unconnected.get(), SHUT_RDWR),
                               GLIBC(::shutdown(unconnected.get(), SHUT_RDWR)), "ENOTCONN"));
    auto pipe = make_pipe();
    EXPECT_TRUE(FailsLikeGlibc(SYS(shutdown, pipe.read_end.get(), SHUT_RD),
                               GLIBC(::shutdown(pipe.read_end.get(), SHUT_RD)), "ENOTSOCK"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(shutdown, closed, SHUT_RD), GLIBC(::shutdown(closed, SHUT_RD)), "EBADF"));
}

// ---------------------------------------------------------------- AF_UNIX

// A socket path under $TMPDIR (or /tmp), removed when done.
struct UnixPath {
    TempFile reserve;  // a unique name; the file itself is removed for bind
    sockaddr_un address{};
    uint32_t length = 0;
    explicit UnixPath(const char* suffix) {
        std::string path = std::string(reserve.path()) + suffix;
        address.sun_family = AF_UNIX;
        EXPECT_LT(path.size(), sizeof address.sun_path);
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        length = static_cast<uint32_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    }
    ~UnixPath() { ::unlink(address.sun_path); }
};

TYPED_TEST(SysSockets, UnixStreamByPathConnectsAndNamesBothEnds) {
    UnixPath path(".stream");
    UniqueFd listener = glibc_socket(AF_UNIX, SOCK_STREAM);
    ASSERT_TRUE(Ok(SYS(bind, listener.get(), as_sockaddr(&path.address), path.length)));
    ASSERT_TRUE(Ok(SYS(listen, listener.get(), 4)));
    UniqueFd client = glibc_socket(AF_UNIX, SOCK_STREAM);
    ASSERT_TRUE(Ok(SYS(connect, client.get(), as_sockaddr(&path.address), path.length)));
    auto accepted = SYS(accept4, listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_TRUE(Ok(accepted));
    UniqueFd server(accepted.value());

    // The listener's name and the client's peer are the path, as glibc reads them.
    sockaddr_un ours{}, theirs{};
    uint32_t our_len = sizeof ours;
    socklen_t their_len = sizeof theirs;
    ASSERT_TRUE(Ok(SYS(getsockname, listener.get(), as_sockaddr(&ours), &our_len)));
    ASSERT_EQ(::getsockname(listener.get(), as_sockaddr(&theirs), &their_len), 0);
    EXPECT_EQ(our_len, their_len);
    EXPECT_EQ(bytes_of(&ours, our_len), bytes_of(&theirs, their_len));
    EXPECT_STREQ(ours.sun_path, path.address.sun_path);
    our_len = sizeof ours;
    ASSERT_TRUE(Ok(SYS(getpeername, client.get(), as_sockaddr(&ours), &our_len)));
    EXPECT_STREQ(ours.sun_path, path.address.sun_path);

    ASSERT_TRUE(Ok(SYS(sendto, client.get(), "over unix", 9, 0)));
    char buf[16] = {};
    auto received = SYS(recvfrom, server.get(), buf, sizeof buf, 0);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(std::string(buf, received.value()), "over unix");

    // The path is taken; a path nobody bound.
    UniqueFd again = glibc_socket(AF_UNIX, SOCK_STREAM), again_glibc = glibc_socket(AF_UNIX, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, again.get(), as_sockaddr(&path.address), path.length),
                               GLIBC(::bind(again_glibc.get(), as_sockaddr(&path.address), path.length)),
                               "EADDRINUSE"));
    UnixPath nobody(".absent");
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, again.get(), as_sockaddr(&nobody.address), nobody.length),
                               GLIBC(::connect(again_glibc.get(), as_sockaddr(&nobody.address), nobody.length)),
                               "ENOENT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(bind, again.get(), as_sockaddr(&path.address), sizeof(sockaddr_un) + 1),
                               GLIBC(::bind(again_glibc.get(), as_sockaddr(&path.address), sizeof(sockaddr_un) + 1)),
                               "EINVAL"));
}

TYPED_TEST(SysSockets, UnixDatagramsFromAnAutoboundSocketNameTheirSender) {
    UnixPath path(".dgram");
    UniqueFd receiver = glibc_socket(AF_UNIX, SOCK_DGRAM);
    ASSERT_TRUE(Ok(SYS(bind, receiver.get(), as_sockaddr(&path.address), path.length)));
    // A bind with only the family autobinds to a fresh abstract name.
    UniqueFd sender = glibc_socket(AF_UNIX, SOCK_DGRAM);
    const sockaddr_un family_only{AF_UNIX, {}};
    ASSERT_TRUE(Ok(SYS(bind, sender.get(), as_sockaddr(&family_only), sizeof(sa_family_t))));
    sockaddr_un sender_name{};
    socklen_t sender_len = sizeof sender_name;
    ASSERT_EQ(::getsockname(sender.get(), as_sockaddr(&sender_name), &sender_len), 0);
    ASSERT_GT(sender_len, offsetof(sockaddr_un, sun_path) + 1);
    EXPECT_EQ(sender_name.sun_path[0], '\0') << "autobind names are abstract";

    auto sent = SYS(sendto, sender.get(), "dgram", 5, 0, as_sockaddr(&path.address), path.length);
    ASSERT_TRUE(Ok(sent));
    EXPECT_EQ(sent.value(), 5u);
    char buf[16] = {};
    sockaddr_un source{};
    uint32_t source_len = sizeof source;
    auto received = SYS(recvfrom, receiver.get(), buf, sizeof buf, 0, as_sockaddr(&source), &source_len);
    ASSERT_TRUE(Ok(received));
    EXPECT_EQ(std::string(buf, received.value()), "dgram");
    EXPECT_EQ(source_len, sender_len);
    EXPECT_EQ(bytes_of(&source, source_len), bytes_of(&sender_name, sender_len));

    // An abstract name nobody holds refuses; a stream socket is the wrong type.
    sockaddr_un abstract{};
    abstract.sun_family = AF_UNIX;
    const std::string name = "rawrt-nobody-" + std::to_string(::getpid());
    std::memcpy(abstract.sun_path + 1, name.data(), name.size());
    const auto abstract_len = static_cast<uint32_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    EXPECT_TRUE(FailsLikeGlibc(SYS(sendto, sender.get(), "x", 1, 0, as_sockaddr(&abstract), abstract_len),
                               GLIBC(::sendto(sender.get(), "x", 1, 0, as_sockaddr(&abstract), abstract_len)),
                               "ECONNREFUSED"));
    UniqueFd stream = glibc_socket(AF_UNIX, SOCK_STREAM);
    EXPECT_TRUE(FailsLikeGlibc(SYS(connect, stream.get(), as_sockaddr(&path.address), path.length),
                               GLIBC(::connect(stream.get(), as_sockaddr(&path.address), path.length)), "EPROTOTYPE"));
}

// ---------------------------------------------------------------- epoll, eventfd

TYPED_TEST(SysEpoll, EpollCreate1AgreesWithGlibc) {
    auto ep = SYS(epoll_create1, EPOLL_CLOEXEC);
    ASSERT_TRUE(Ok(ep));
    UniqueFd owner(ep.value());
    EXPECT_EQ(::fcntl(ep.value(), F_GETFD), FD_CLOEXEC);
    // It is an epoll descriptor: glibc's epoll_wait accepts it.
    epoll_event ev{};
    EXPECT_EQ(::epoll_wait(ep.value(), &ev, 1, 0), 0);
    auto plain = SYS(epoll_create1, 0);
    ASSERT_TRUE(Ok(plain));
    EXPECT_EQ(::fcntl(plain.value(), F_GETFD), 0);
    ::close(plain.value());
    UniqueFd theirs(::epoll_create1(0));
    EXPECT_EQ(theirs.get(), plain.value());

    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_create1, 0x1234), GLIBC(::epoll_create1(0x1234)), "EINVAL"));
}

// Where the kernel puts an event's data word: right after the 4-byte event
// mask on x86_64, where the struct is packed, and 8-aligned elsewhere.
#if defined(__x86_64__)
constexpr size_t kEventStride = 12, kEventDataOffset = 4;
#else
constexpr size_t kEventStride = 16, kEventDataOffset = 8;
#endif

TYPED_TEST(SysEpoll, EventsComeBackAtTheKernelsLayoutForThisArchitecture) {
    static_assert(sizeof(epoll_event) == kEventStride);
    static_assert(offsetof(epoll_event, data) == kEventDataOffset);
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    auto pipe = make_pipe();
    UniqueFd counter(::eventfd(1, EFD_CLOEXEC));  // readable at once
    ASSERT_EQ(::write(pipe.write_end.get(), "r", 1), 1);

    const uint64_t pipe_tag = 0x1122334455667788ull, counter_tag = 0x99aabbccddeeff00ull;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = pipe_tag;
    ASSERT_TRUE(Ok(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, pipe.read_end.get(), &ev)));
    ev.data.u64 = counter_tag;
    ASSERT_TRUE(Ok(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, counter.get(), &ev)));

    // Three slots of raw bytes, read back by hand at the expected stride: a
    // layout mismatch would tear the second event's data word apart.
    alignas(8) unsigned char raw[3 * kEventStride];
    std::memset(raw, 0xa5, sizeof raw);
    auto n = SYS(epoll_pwait, ep.get(), reinterpret_cast<epoll_event*>(raw), 3, 0);
    ASSERT_TRUE(Ok(n));
    ASSERT_EQ(n.value(), 2);
    std::set<uint64_t> tags;
    for (int i = 0; i < 2; ++i) {
        uint32_t events;
        uint64_t data;
        std::memcpy(&events, raw + i * kEventStride, sizeof events);
        std::memcpy(&data, raw + i * kEventStride + kEventDataOffset, sizeof data);
        EXPECT_EQ(events, static_cast<uint32_t>(EPOLLIN)) << "event " << i;
        tags.insert(data);
    }
    EXPECT_EQ(tags, (std::set<uint64_t>{pipe_tag, counter_tag}));
    for (size_t i = 2 * kEventStride; i < sizeof raw; ++i) ASSERT_EQ(raw[i], 0xa5) << "byte " << i << " written";

    // glibc's epoll_wait reads the same two events from the same registrations.
    epoll_event theirs[3] = {};
    ASSERT_EQ(::epoll_wait(ep.get(), theirs, 3, 0), 2);
    EXPECT_EQ((std::set<uint64_t>{theirs[0].data.u64, theirs[1].data.u64}), tags);
}

TYPED_TEST(SysEpoll, EpollCtlModifiesDeletesAndFailsLikeGlibc) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    auto pipe = make_pipe();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 1;
    ASSERT_TRUE(Ok(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, pipe.read_end.get(), &ev)));
    ASSERT_EQ(::write(pipe.write_end.get(), "m", 1), 1);
    ev.data.u64 = 2;
    ASSERT_TRUE(Ok(SYS(epoll_ctl, ep.get(), EPOLL_CTL_MOD, pipe.read_end.get(), &ev)));
    epoll_event out{};
    ASSERT_EQ(::epoll_wait(ep.get(), &out, 1, 0), 1);
    EXPECT_EQ(out.data.u64, 2u) << "EPOLL_CTL_MOD did not replace the data";
    ASSERT_TRUE(Ok(SYS(epoll_ctl, ep.get(), EPOLL_CTL_DEL, pipe.read_end.get(), nullptr)));
    EXPECT_EQ(::epoll_wait(ep.get(), &out, 1, 0), 0) << "still registered after EPOLL_CTL_DEL";

    const int rd = pipe.read_end.get();
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_MOD, rd, &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_MOD, rd, &ev)), "ENOENT"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_DEL, rd, nullptr),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_DEL, rd, nullptr)), "ENOENT"));
    ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, rd, &ev), 0);
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, rd, &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, rd, &ev)), "EEXIST"));
    TempFile file;  // regular files are always ready: epoll refuses them
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, file.fd(), &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, file.fd(), &ev)), "EPERM"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, ep.get(), &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, ep.get(), &ev)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), 99, pipe.write_end.get(), &ev),
                               GLIBC(::epoll_ctl(ep.get(), 99, pipe.write_end.get(), &ev)), "EINVAL"));
    auto* bad_event = static_cast<epoll_event*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, pipe.write_end.get(), bad_event),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, pipe.write_end.get(), bad_event)), "EFAULT"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, ep.get(), EPOLL_CTL_ADD, closed, &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, closed, &ev)), "EBADF"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_ctl, closed, EPOLL_CTL_ADD, rd, &ev),
                               GLIBC(::epoll_ctl(closed, EPOLL_CTL_ADD, rd, &ev)), "EBADF"));
}

TYPED_TEST(SysEpoll, EpollPwaitTimesOutAndFailsLikeGlibc) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    auto pipe = make_pipe();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, pipe.read_end.get(), &ev), 0);
    epoll_event out[2];
    // Nothing ready: an immediate 0, and 0 again after a 1 ms timeout.
    auto none = SYS(epoll_pwait, ep.get(), out, 2, 0);
    ASSERT_TRUE(Ok(none));
    EXPECT_EQ(none.value(), 0);
    auto later = SYS(epoll_pwait, ep.get(), out, 2, 1);
    ASSERT_TRUE(Ok(later));
    EXPECT_EQ(later.value(), 0);
    EXPECT_EQ(::epoll_pwait(ep.get(), out, 2, 1, nullptr), 0);

    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait, ep.get(), out, 0, 0),
                               GLIBC(::epoll_pwait(ep.get(), out, 0, 0, nullptr)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait, pipe.read_end.get(), out, 2, 0),
                               GLIBC(::epoll_pwait(pipe.read_end.get(), out, 2, 0, nullptr)), "EINVAL"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait, closed, out, 2, 0), GLIBC(::epoll_pwait(closed, out, 2, 0, nullptr)),
                               "EBADF"));
    // The events are copied out only once there is one: make one (level
    // triggered, so the failed copy loses nothing).
    ASSERT_EQ(::write(pipe.write_end.get(), "e", 1), 1);
    auto* bad_events = static_cast<epoll_event*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait, ep.get(), bad_events, 2, 0),
                               GLIBC(::epoll_pwait(ep.get(), bad_events, 2, 0, nullptr)), "EFAULT"));
    auto ready = SYS(epoll_pwait, ep.get(), out, 2, 0);
    ASSERT_TRUE(Ok(ready));
    EXPECT_EQ(ready.value(), 1);
}

// A handler that only counts (no SA_RESTART: an interrupted wait fails EINTR).
std::atomic<int> interruptions{0};
void counting_handler(int) { interruptions.fetch_add(1); }

// Blocks sig for the calling thread while alive; restores the mask after.
class BlockedSignal {
public:
    explicit BlockedSignal(int sig) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        ::pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
    ~BlockedSignal() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    const sigset_t& old_mask() const { return old_; }

private:
    sigset_t old_;
};

// Sends sig to this thread and leaves it pending (it is blocked).
void make_pending(int sig) { ASSERT_EQ(::tgkill(::getpid(), ::gettid(), sig), 0); }

TYPED_TEST(SysEpoll, EpollPwaitSigmaskLetsAPendingSignalInterrupt) {
    SavedSignalAction saved(SIGUSR2);
    struct sigaction act {};
    act.sa_handler = &counting_handler;
    ASSERT_EQ(::sigaction(SIGUSR2, &act, nullptr), 0);
    BlockedSignal blocked(SIGUSR2);
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event out[1];

    // The mask in force during the wait is the one before the block: the
    // pending signal is delivered and the wait ends with EINTR. With a wrong
    // mask (or size) the call would sleep out its 5 s and answer 0.
    sys::SignalSet during = 0;
    std::memcpy(&during, &blocked.old_mask(), sizeof during);
    ASSERT_FALSE(during & sys::signal_bit(SIGUSR2));
    interruptions = 0;
    make_pending(SIGUSR2);
    auto ours = SYS(epoll_pwait, ep.get(), out, 1, 5000, &during);
    EXPECT_EQ(interruptions, 1);
    make_pending(SIGUSR2);
    auto theirs = GLIBC(::epoll_pwait(ep.get(), out, 1, 5000, &blocked.old_mask()));
    EXPECT_EQ(interruptions, 2);
    EXPECT_TRUE(FailsLikeGlibc(ours, theirs, "EINTR"));
    // Back from the wait, the signal is blocked again.
    sigset_t now;
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &now), 0);
    EXPECT_TRUE(::sigismember(&now, SIGUSR2));

    // A mask pointer the kernel cannot read.
    auto* bad_mask = static_cast<const sys::SignalSet*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait, ep.get(), out, 1, 0, bad_mask),
                               GLIBC(::epoll_pwait(ep.get(), out, 1, 0, static_cast<const sigset_t*>(bad_address()))),
                               "EFAULT"));
}

TYPED_TEST(SysEpoll, EpollPwait2TakesANanosecondTimeoutOrIsMissingLikeGlibc) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    auto pipe = make_pipe();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 42;
    ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, pipe.read_end.get(), &ev), 0);
    epoll_event out[2] = {};
    const timespec ten_us{0, 10'000};
    // Linux 5.11+. An older kernel, or an emulator that does not know the
    // call, must answer rawrt exactly as it answers glibc.
    const GlibcCall probe = GLIBC(::epoll_pwait2(ep.get(), out, 2, &ten_us, nullptr));
    auto ours = SYS(epoll_pwait2, ep.get(), out, 2, &ten_us);
    if (probe.ret == -1) {
        EXPECT_TRUE(FailsLikeGlibc(ours, probe, "ENOSYS"));
        const timespec bad{0, 2'000'000'000};
        EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait2, ep.get(), out, 2, &bad),
                                   GLIBC(::epoll_pwait2(ep.get(), out, 2, &bad, nullptr)), "ENOSYS"));
        return;
    }
    EXPECT_EQ(probe.ret, 0);
    ASSERT_TRUE(Ok(ours));
    EXPECT_EQ(ours.value(), 0) << "nothing is ready";
    ASSERT_EQ(::write(pipe.write_end.get(), "2", 1), 1);
    // Ready: the same event through both, and a null timeout does not block.
    auto ready = SYS(epoll_pwait2, ep.get(), out, 2, nullptr);
    ASSERT_TRUE(Ok(ready));
    ASSERT_EQ(ready.value(), 1);
    EXPECT_EQ(out[0].data.u64, 42u);
    EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN));
    epoll_event theirs[2] = {};
    ASSERT_EQ(::epoll_pwait2(ep.get(), theirs, 2, &ten_us, nullptr), 1);
    EXPECT_EQ(theirs[0].data.u64, 42u);

    const timespec bad{0, 2'000'000'000};
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait2, ep.get(), out, 2, &bad),
                               GLIBC(::epoll_pwait2(ep.get(), out, 2, &bad, nullptr)), "EINVAL"));
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait2, ep.get(), out, 0, &ten_us),
                               GLIBC(::epoll_pwait2(ep.get(), out, 0, &ten_us, nullptr)), "EINVAL"));
    auto* bad_ts = static_cast<const timespec*>(bad_address());
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait2, ep.get(), out, 2, bad_ts),
                               GLIBC(::epoll_pwait2(ep.get(), out, 2, bad_ts, nullptr)), "EFAULT"));
    const int closed = closed_fd();
    EXPECT_TRUE(FailsLikeGlibc(SYS(epoll_pwait2, closed, out, 2, &ten_us),
                               GLIBC(::epoll_pwait2(closed, out, 2, &ten_us, nullptr)), "EBADF"));
}

uint64_t read_counter(int fd) {
    uint64_t value = 0;
    if (::read(fd, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) return ~0ull;
    return value;
}

TYPED_TEST(SysEpoll, Eventfd2CountsLikeGlibcsEventfd) {
    auto ours = SYS(eventfd2, 3u, EFD_CLOEXEC | EFD_NONBLOCK);
    ASSERT_TRUE(Ok(ours));
    UniqueFd ours_owner(ours.value());
    UniqueFd theirs(::eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK));
    EXPECT_EQ(::fcntl(ours.value(), F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(::fcntl(ours.value(), F_GETFL) & O_NONBLOCK, ::fcntl(theirs.get(), F_GETFL) & O_NONBLOCK);
    EXPECT_EQ(read_counter(ours.value()), 3u);
    EXPECT_EQ(read_counter(theirs.get()), 3u);
    // Drained: non-blocking reads fail alike.
    uint64_t value;
    EXPECT_TRUE(FailsLikeGlibc(SYS(read, ours.value(), &value, sizeof value),
                               GLIBC(::read(theirs.get(), &value, sizeof value)), "EAGAIN"));
    const uint64_t add = 5;
    ASSERT_EQ(::write(ours.value(), &add, sizeof add), 8);
    ASSERT_EQ(::write(ours.value(), &add, sizeof add), 8);
    EXPECT_EQ(read_counter(ours.value()), 10u);

    // EFD_SEMAPHORE: each read takes one.
    auto semaphore = SYS(eventfd2, 2u, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
    ASSERT_TRUE(Ok(semaphore));
    UniqueFd semaphore_owner(semaphore.value());
    EXPECT_EQ(read_counter(semaphore.value()), 1u);
    EXPECT_EQ(read_counter(semaphore.value()), 1u);
    EXPECT_EQ(read_counter(semaphore.value()), ~0ull) << "a third unit was there";

    EXPECT_TRUE(FailsLikeGlibc(SYS(eventfd2, 0u, 0x10), GLIBC(::eventfd(0, 0x10)), "EINVAL"));
}

// ---------------------------------------------------------------- io_uring

// What glibc's syscall(2) answers for io_uring_setup here, decided once: the
// rings work (native kernel with io_uring enabled), or every call is refused
// the same way (qemu-user 7.2 does not know io_uring: ENOSYS; the sysctl
// kernel.io_uring_disabled: EPERM).
struct IoUringSupport {
    bool works;
    int setup_errno;
};
IoUringSupport io_uring_support() {
    io_uring_params params{};
    long fd = ::syscall(__NR_io_uring_setup, 2, &params);
    if (fd >= 0) {
        ::close(static_cast<int>(fd));
        return {true, 0};
    }
    return {false, errno};
}

// The three io_uring calls exist unless the kernel (or emulator) does not know them.
const char* unless_missing(const IoUringSupport& support, const char* expected) {
    return !support.works && support.setup_errno == ENOSYS ? "ENOSYS" : expected;
}

// A ring set up through rawrt, its three regions mapped (by glibc).
class Ring {
public:
    Ring(int fd, const io_uring_params& p) : fd_(fd), params_(p) {
        sq_size_ = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
        cq_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
        if (p.features & IORING_FEAT_SINGLE_MMAP) sq_size_ = cq_size_ = std::max(sq_size_, cq_size_);
        sq_ = map(sq_size_, IORING_OFF_SQ_RING);
        cq_ = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq_ : map(cq_size_, IORING_OFF_CQ_RING);
        sqes_ = static_cast<io_uring_sqe*>(map(p.sq_entries * sizeof(io_uring_sqe), IORING_OFF_SQES));
    }
    ~Ring() {
        if (sqes_ != nullptr) ::munmap(sqes_, params_.sq_entries * sizeof(io_uring_sqe));
        if (cq_ != nullptr && cq_ != sq_) ::munmap(cq_, cq_size_);
        if (sq_ != nullptr) ::munmap(sq_, sq_size_);
    }
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    bool mapped() const { return sq_ != nullptr && cq_ != nullptr && sqes_ != nullptr; }
    int fd() const { return fd_.get(); }

    // Queues one NOP carrying user_data (not yet submitted).
    void queue_nop(uint64_t user_data) {
        const uint32_t mask = word(sq_, params_.sq_off.ring_mask);
        const uint32_t tail = word(sq_, params_.sq_off.tail);
        const uint32_t index = tail & mask;
        io_uring_sqe& sqe = sqes_[index];
        std::memset(&sqe, 0, sizeof sqe);
        sqe.opcode = IORING_OP_NOP;
        sqe.user_data = user_data;
        static_cast<uint32_t*>(at(sq_, params_.sq_off.array))[index] = index;
        __atomic_store_n(static_cast<uint32_t*>(at(sq_, params_.sq_off.tail)), tail + 1, __ATOMIC_RELEASE);
    }

    // Takes the oldest completion, if there is one.
    bool reap(io_uring_cqe* out) {
        auto* head = static_cast<uint32_t*>(at(cq_, params_.cq_off.head));
        const uint32_t h = *head;
        if (h == __atomic_load_n(static_cast<uint32_t*>(at(cq_, params_.cq_off.tail)), __ATOMIC_ACQUIRE)) return false;
        const uint32_t mask = word(cq_, params_.cq_off.ring_mask);
        *out = static_cast<io_uring_cqe*>(at(cq_, params_.cq_off.cqes))[h & mask];
        __atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
        return true;
    }

private:
    void* map(size_t size, unsigned long long offset) {
        void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_.get(),
                         static_cast<off_t>(offset));
        if (p == MAP_FAILED) {
            ADD_FAILURE() << "mmap of the ring at " << offset << ": " << glibc_errno_name(errno);
            return nullptr;
        }
        return p;
    }
    static void* at(void* base, uint32_t offset) { return static_cast<char*>(base) + offset; }
    static uint32_t word(void* base, uint32_t offset) { return *static_cast<uint32_t*>(at(base, offset)); }

    UniqueFd fd_;
    io_uring_params params_;
    size_t sq_size_ = 0, cq_size_ = 0;
    void* sq_ = nullptr;
    void* cq_ = nullptr;
    io_uring_sqe* sqes_ = nullptr;
};

// A ring that a thread set up or submitted to sends that thread task work
// with TWA_SIGNAL when the ring is torn down, later, from a kernel worker:
// the thread's next interruptible wait (an epoll_pwait of another test) then
// fails with EINTR. The io_uring tests therefore run on a thread of their
// own, whose exit settles its rings before anyone else waits.
void on_own_thread(const std::function<void()>& body) { std::thread(body).join(); }

TYPED_TEST(SysIoUring, SetupGivesTheRingsGlibcsSyscallGives) {
    on_own_thread([&] {
        const IoUringSupport support = io_uring_support();
        io_uring_params ours{}, theirs{};
        auto fd = SYS(io_uring_setup, 4u, &ours);
        const GlibcCall glibc = GLIBC(::syscall(__NR_io_uring_setup, 4, &theirs));
        UniqueFd glibc_owner(glibc.ret >= 0 ? static_cast<int>(glibc.ret) : -1);
        if (!support.works) {
            // Refused: refused alike, and for one of the two known reasons.
            const std::string name = glibc_errno_name(support.setup_errno);
            EXPECT_TRUE(name == "ENOSYS" || name == "EPERM") << name;
            EXPECT_TRUE(FailsLikeGlibc(fd, glibc, name.c_str()));
        } else {
            ASSERT_TRUE(Ok(fd));
            UniqueFd owner(fd.value());
            ASSERT_GE(glibc.ret, 0);
            EXPECT_EQ(::fcntl(fd.value(), F_GETFD), FD_CLOEXEC) << "io_uring descriptors are always close-on-exec";
            EXPECT_EQ(ours.sq_entries, 4u);
            EXPECT_EQ(ours.cq_entries, 8u);
            EXPECT_EQ(ours.sq_entries, theirs.sq_entries);
            EXPECT_EQ(ours.cq_entries, theirs.cq_entries);
            EXPECT_EQ(ours.features, theirs.features);
            EXPECT_EQ(bytes_of(&ours.sq_off, sizeof ours.sq_off), bytes_of(&theirs.sq_off, sizeof theirs.sq_off));
            EXPECT_EQ(bytes_of(&ours.cq_off, sizeof ours.cq_off), bytes_of(&theirs.cq_off, sizeof theirs.cq_off));
        }

        // No entries, unknown flags, reserved fields set, unreadable parameters.
        const std::string invalid_name = support.works ? "EINVAL" : glibc_errno_name(support.setup_errno);
        const char* invalid = invalid_name.c_str();
        ours = theirs = io_uring_params{};
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_setup, 0u, &ours), GLIBC(::syscall(__NR_io_uring_setup, 0, &theirs)),
                                   invalid));
        ours = theirs = io_uring_params{};
        ours.flags = theirs.flags = 0x80000000u;
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_setup, 4u, &ours), GLIBC(::syscall(__NR_io_uring_setup, 4, &theirs)),
                                   invalid));
        ours = theirs = io_uring_params{};
        ours.resv[0] = theirs.resv[0] = 1;
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_setup, 4u, &ours), GLIBC(::syscall(__NR_io_uring_setup, 4, &theirs)),
                                   invalid));
        auto* bad_params = static_cast<io_uring_params*>(bad_address());
        const std::string fault = support.works ? "EFAULT" : invalid_name;
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_setup, 4u, bad_params),
                                   GLIBC(::syscall(__NR_io_uring_setup, 4, bad_params)), fault.c_str()));
    });
}

TYPED_TEST(SysIoUring, EnterSubmitsANopThroughTheMappedRings) {
    on_own_thread([&] {
        const IoUringSupport support = io_uring_support();
        auto pipe = make_pipe();
        const int closed = closed_fd();
        // Calls on descriptors that are not rings: the same answer either way.
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_enter, pipe.read_end.get(), 0u, 0u, 0u),
                                   GLIBC(::syscall(__NR_io_uring_enter, pipe.read_end.get(), 0, 0, 0, nullptr, 0)),
                                   unless_missing(support, "EOPNOTSUPP")));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_enter, closed, 0u, 0u, 0u),
                                   GLIBC(::syscall(__NR_io_uring_enter, closed, 0, 0, 0, nullptr, 0)),
                                   unless_missing(support, "EBADF")));
        if (!support.works) return;  // nothing to submit to; the setup test checked why

        io_uring_params params{};
        auto fd = SYS(io_uring_setup, 4u, &params);
        ASSERT_TRUE(Ok(fd));
        Ring ring(fd.value(), params);
        ASSERT_TRUE(ring.mapped());

        ring.queue_nop(0xfeedface12345678ull);
        auto submitted = SYS(io_uring_enter, ring.fd(), 1u, 1u, static_cast<unsigned>(IORING_ENTER_GETEVENTS));
        ASSERT_TRUE(Ok(submitted));
        EXPECT_EQ(submitted.value(), 1);
        io_uring_cqe cqe{};
        ASSERT_TRUE(ring.reap(&cqe)) << "no completion after waiting for one";
        EXPECT_EQ(cqe.user_data, 0xfeedface12345678ull);
        EXPECT_EQ(cqe.res, 0);
        EXPECT_FALSE(ring.reap(&cqe)) << "a second completion from one NOP";

        // The same through glibc's syscall(2).
        ring.queue_nop(7);
        EXPECT_EQ(::syscall(__NR_io_uring_enter, ring.fd(), 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0), 1);
        ASSERT_TRUE(ring.reap(&cqe));
        EXPECT_EQ(cqe.user_data, 7u);

        // Nothing to submit or wait for: 0.
        auto idle = SYS(io_uring_enter, ring.fd(), 0u, 0u, 0u);
        ASSERT_TRUE(Ok(idle));
        EXPECT_EQ(idle.value(), 0);

        // The fifth and sixth arguments: a 1 ms wait for a completion that never
        // comes ends in ETIME; a wrong argument size is refused.
        __kernel_timespec one_ms{0, 1'000'000};
        io_uring_getevents_arg arg{};
        arg.ts = reinterpret_cast<uint64_t>(&one_ms);
        const unsigned wait_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_enter, ring.fd(), 0u, 1u, wait_flags, &arg, sizeof arg),
                                   GLIBC(::syscall(__NR_io_uring_enter, ring.fd(), 0, 1, wait_flags, &arg, sizeof arg)),
                                   "ETIME"));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_enter, ring.fd(), 0u, 1u, wait_flags, &arg, sizeof arg + 1),
                                   GLIBC(::syscall(__NR_io_uring_enter, ring.fd(), 0, 1, wait_flags, &arg,
                                                   sizeof arg + 1)),
                                   "EINVAL"));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_enter, ring.fd(), 0u, 0u, 0x80000000u),
                                   GLIBC(::syscall(__NR_io_uring_enter, ring.fd(), 0, 0, 0x80000000u, nullptr, 0)),
                                   "EINVAL"));
    });
}

TYPED_TEST(SysIoUring, RegisterProbesTheSameOpcodesAsGlibcsSyscall) {
    on_own_thread([&] {
        const IoUringSupport support = io_uring_support();
        auto pipe = make_pipe();
        const int closed = closed_fd();
        constexpr unsigned kOps = 64;
        const size_t probe_size = sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op);
        std::string ours(probe_size, '\0'), theirs(probe_size, '\0');
        auto* our_probe = reinterpret_cast<io_uring_probe*>(ours.data());
        auto* their_probe = reinterpret_cast<io_uring_probe*>(theirs.data());
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_register, pipe.read_end.get(), IORING_REGISTER_PROBE, our_probe, kOps),
                                   GLIBC(::syscall(__NR_io_uring_register, pipe.read_end.get(), IORING_REGISTER_PROBE,
                                                   their_probe, kOps)),
                                   unless_missing(support, "EOPNOTSUPP")));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_register, closed, IORING_REGISTER_PROBE, our_probe, kOps),
                                   GLIBC(::syscall(__NR_io_uring_register, closed, IORING_REGISTER_PROBE, their_probe,
                                                   kOps)),
                                   unless_missing(support, "EBADF")));
        if (!support.works) return;

        io_uring_params params{};
        auto fd = SYS(io_uring_setup, 4u, &params);
        ASSERT_TRUE(Ok(fd));
        UniqueFd ring(fd.value());
        auto probed = SYS(io_uring_register, ring.get(), IORING_REGISTER_PROBE, our_probe, kOps);
        ASSERT_TRUE(Ok(probed));
        EXPECT_EQ(probed.value(), 0);
        ASSERT_EQ(::syscall(__NR_io_uring_register, ring.get(), IORING_REGISTER_PROBE, their_probe, kOps), 0);
        EXPECT_EQ(ours, theirs);
        EXPECT_GT(our_probe->ops_len, IORING_OP_NOP);
        EXPECT_TRUE(our_probe->ops[IORING_OP_NOP].flags & IO_URING_OP_SUPPORTED);

        // A probe buffer must come zeroed; an unknown opcode; unreadable memory.
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_register, ring.get(), IORING_REGISTER_PROBE, our_probe, kOps),
                                   GLIBC(::syscall(__NR_io_uring_register, ring.get(), IORING_REGISTER_PROBE,
                                                   their_probe, kOps)),
                                   "EINVAL"));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_register, ring.get(), 9999u, nullptr, 0u),
                                   GLIBC(::syscall(__NR_io_uring_register, ring.get(), 9999, nullptr, 0)), "EINVAL"));
        EXPECT_TRUE(FailsLikeGlibc(SYS(io_uring_register, ring.get(), IORING_REGISTER_PROBE, bad_address(), kOps),
                                   GLIBC(::syscall(__NR_io_uring_register, ring.get(), IORING_REGISTER_PROBE,
                                                   bad_address(), kOps)),
                                   "EFAULT"));
    });
}

}  // namespace
