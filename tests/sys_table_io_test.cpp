// The table's event, socket, IPC and asynchronous I/O wrappers
// (sys/syscalls.tbl), one CASE each, and the runner of every case:
// SysTable.Calls/<name>_<flavour> for each wrapper sys/calls_list.inc lists
// on this architecture. A wrapper with no case fails there.
#include <aio.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/sys_table.hpp"

namespace rawrt::test::table {

TempDir::TempDir() {
    const char* dir = ::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/rawrt_table_XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << path_ << ": " << glibc_errno_name(errno);
}
TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

namespace {

namespace sys = ::rawrt::sys;

// --- event notification
CASE(epoll_create1) {
    auto r = CALL(epoll_create1, EPOLL_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(::fcntl(r.value(), F_GETFD), FD_CLOEXEC);
    ::close(r.value());
}
CASE(epoll_create) {
    auto r = CALL(epoll_create, 1);
    ASSERT_TRUE(Ok(r));
    ::close(r.value());
}
// An epoll instance watching a pipe's read end that holds one byte.
struct ReadyEpoll {
    ReadyEpoll() : ep(::epoll_create1(EPOLL_CLOEXEC)), p(make_pipe()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 42;
        EXPECT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.read_end.get(), &ev), 0);
        EXPECT_EQ(::write(p.write_end.get(), "x", 1), 1);
    }
    UniqueFd ep;
    Pipe p;
};
CASE(epoll_ctl) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    Pipe p = make_pipe();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ASSERT_TRUE(Ok(CALL(epoll_ctl, ep.get(), EPOLL_CTL_ADD, p.read_end.get(), &ev)));
    EXPECT_TRUE(FailsLikeGlibc(CALL(epoll_ctl, ep.get(), EPOLL_CTL_ADD, p.read_end.get(), &ev),
                               GLIBC(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.read_end.get(), &ev)), "EEXIST"));
}
CASE(epoll_pwait) {
    ReadyEpoll e;
    epoll_event out[2];
    ASSERT_EQ(CALL(epoll_pwait, e.ep.get(), out, 2, 0).value_or(-1), 1);
    EXPECT_EQ(out[0].data.u64, 42u);
}
CASE(epoll_pwait2) {
    ReadyEpoll e;
    epoll_event out[2];
    const timespec zero = {0, 0};
    auto r = CALL(epoll_pwait2, e.ep.get(), out, 2, &zero);
    SKIP_IF_QEMU_LACKS(r, "epoll_pwait2");
    ASSERT_EQ(r.value_or(-1), 1);
    EXPECT_EQ(out[0].data.u64, 42u);
}
CASE(epoll_wait) {
    ReadyEpoll e;
    epoll_event out[2];
    ASSERT_EQ(CALL(epoll_wait, e.ep.get(), out, 2, 0).value_or(-1), 1);
    EXPECT_EQ(out[0].data.u64, 42u);
}
CASE(eventfd2) {
    auto r = CALL(eventfd2, 3, EFD_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    uint64_t v = 0;
    EXPECT_EQ(::read(r.value(), &v, 8), 8);
    EXPECT_EQ(v, 3u);
    ::close(r.value());
}
CASE(eventfd) {
    auto r = CALL(eventfd, 5);
    ASSERT_TRUE(Ok(r));
    uint64_t v = 0;
    EXPECT_EQ(::read(r.value(), &v, 8), 8);
    EXPECT_EQ(v, 5u);
    ::close(r.value());
}
CASE(inotify_init1) {
    auto r = CALL(inotify_init1, IN_CLOEXEC | IN_NONBLOCK);
    ASSERT_TRUE(Ok(r));
    EXPECT_NE(::fcntl(r.value(), F_GETFL) & O_NONBLOCK, 0);
    ::close(r.value());
}
CASE(inotify_init) {
    auto r = CALL(inotify_init);
    ASSERT_TRUE(Ok(r));
    ::close(r.value());
}
CASE(inotify_add_watch) {
    TempDir d;
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    auto wd = CALL(inotify_add_watch, in.get(), d.path(), IN_CREATE);
    ASSERT_TRUE(Ok(wd));
    ::close(::open((d / "born").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    alignas(inotify_event) char buf[512];
    const ssize_t n = ::read(in.get(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    const auto* ev = reinterpret_cast<const inotify_event*>(buf);
    EXPECT_EQ(ev->wd, wd.value());
    EXPECT_STREQ(ev->name, "born");
}
CASE(inotify_rm_watch) {
    TempDir d;
    UniqueFd in(::inotify_init1(IN_CLOEXEC));
    const int wd = ::inotify_add_watch(in.get(), d.path(), IN_CREATE);
    EXPECT_TRUE(Ok(CALL(inotify_rm_watch, in.get(), wd)));
    EXPECT_TRUE(FailsLikeGlibc(CALL(inotify_rm_watch, in.get(), wd), GLIBC(::inotify_rm_watch(in.get(), wd)),
                               "EINVAL"));
}
CASE(fanotify_init) {
    auto r = CALL(fanotify_init, FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
    SKIP_IF_QEMU_LACKS(r, "fanotify_init");
    if (r.ok()) ::close(r.value());
    EXPECT_TRUE(AgreesWithGlibc(r, [] {
        errno = 0;
        const long fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
        if (fd >= 0) ::close(fd);
        return GlibcCall{fd, errno};
    }()));
}
CASE(fanotify_mark) {
    const int fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
    if (fd < 0) GTEST_SKIP() << "fanotify_init: " << glibc_errno_name(errno) << " (it needs CAP_SYS_ADMIN)";
    TempDir d;
    auto r = CALL(fanotify_mark, fd, FAN_MARK_ADD, FAN_OPEN, sys::kAT_FDCWD, d.path());
    EXPECT_TRUE(Ok(r));
    ::close(fd);
}
CASE(ppoll) {
    Pipe p = make_pipe();
    ASSERT_EQ(::write(p.write_end.get(), "x", 1), 1);
    pollfd fds[1] = {{p.read_end.get(), POLLIN, 0}};
    const timespec zero = {0, 0};
    ASSERT_EQ(CALL(ppoll, fds, 1, &zero).value_or(-1), 1);
    EXPECT_NE(fds[0].revents & POLLIN, 0);
}
CASE(poll) {
    Pipe p = make_pipe();
    pollfd fds[1] = {{p.read_end.get(), POLLIN, 0}};
    EXPECT_EQ(CALL(poll, fds, 1, 0).value_or(-1), 0);  // empty
    ASSERT_EQ(::write(p.write_end.get(), "x", 1), 1);
    EXPECT_EQ(CALL(poll, fds, 1, 1000).value_or(-1), 1);
}
CASE(pselect6) {
    Pipe p = make_pipe();
    ASSERT_EQ(::write(p.write_end.get(), "x", 1), 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p.read_end.get(), &r);
    timespec zero = {0, 0};
    ASSERT_EQ(CALL(pselect6, p.read_end.get() + 1, &r, nullptr, nullptr, &zero).value_or(-1), 1);
    EXPECT_TRUE(FD_ISSET(p.read_end.get(), &r));
}
CASE(select) {
    Pipe p = make_pipe();
    ASSERT_EQ(::write(p.write_end.get(), "x", 1), 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p.read_end.get(), &r);
    timeval zero = {0, 0};
    ASSERT_EQ(CALL(select, p.read_end.get() + 1, &r, nullptr, nullptr, &zero).value_or(-1), 1);
    EXPECT_TRUE(FD_ISSET(p.read_end.get(), &r));
}
CASE(pipe2) {
    int fds[2];
    ASSERT_TRUE(Ok(CALL(pipe2, fds, O_CLOEXEC | O_NONBLOCK)));
    EXPECT_NE(::fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
    EXPECT_EQ(::write(fds[1], "p", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);
    ::close(fds[0]);
    ::close(fds[1]);
}
CASE(pipe) {
    int fds[2];
    ASSERT_TRUE(Ok(CALL(pipe, fds)));
    EXPECT_EQ(::write(fds[1], "p", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'p');
    ::close(fds[0]);
    ::close(fds[1]);
}
CASE(timerfd_create) {
    auto r = CALL(timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC);
    ASSERT_TRUE(Ok(r));
    // It fires: armed for 1 µs, a blocking read returns one expiration or more.
    const itimerspec v = {{0, 0}, {0, 1000}};
    ASSERT_EQ(::timerfd_settime(r.value(), 0, &v, nullptr), 0);
    uint64_t n = 0;
    EXPECT_EQ(::read(r.value(), &n, 8), 8);
    EXPECT_GE(n, 1u);
    ::close(r.value());
}
CASE(timerfd_settime) {
    UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
    const itimerspec v = {{0, 0}, {0, 1000}};
    ASSERT_TRUE(Ok(CALL(timerfd_settime, fd.get(), 0, &v, nullptr)));
    uint64_t n = 0;
    EXPECT_EQ(::read(fd.get(), &n, 8), 8);
    EXPECT_GE(n, 1u);
}
CASE(timerfd_gettime) {
    UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
    const itimerspec v = {{0, 0}, {100, 0}};
    ASSERT_EQ(::timerfd_settime(fd.get(), 0, &v, nullptr), 0);
    itimerspec now;
    ASSERT_TRUE(Ok(CALL(timerfd_gettime, fd.get(), &now)));
    EXPECT_GE(now.it_value.tv_sec, 99);
}

// --- sockets
struct SocketPair {
    SocketPair(int type = SOCK_STREAM) {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), 0);
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
    UniqueFd a, b;
};
// A listening TCP socket on 127.0.0.1, its address in addr.
struct Listener {
    Listener() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd.get(), 4), 0);
        EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
    }
    UniqueFd fd;
    sockaddr_in addr{};
};
CASE(socket) {
    auto r = CALL(socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(Ok(r));
    int type = 0;
    socklen_t len = sizeof type;
    EXPECT_EQ(::getsockopt(r.value(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
    EXPECT_EQ(type, SOCK_STREAM);
    ::close(r.value());
}
CASE(socketpair) {
    int fds[2];
    ASSERT_TRUE(Ok(CALL(socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)));
    EXPECT_EQ(::write(fds[0], "pair", 4), 4);
    char buf[5] = {};
    EXPECT_EQ(::read(fds[1], buf, 4), 4);
    EXPECT_STREQ(buf, "pair");
    ::close(fds[0]);
    ::close(fds[1]);
}
CASE(bind) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_TRUE(Ok(CALL(bind, s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a)));
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    EXPECT_NE(a.sin_port, 0);
}
CASE(listen) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(Ok(CALL(listen, s.get(), 1)));
    int on = 0;
    socklen_t len = sizeof on;
    ASSERT_EQ(::getsockopt(s.get(), SOL_SOCKET, SO_ACCEPTCONN, &on, &len), 0);
    EXPECT_EQ(on, 1);
}
CASE(connect) {
    Listener l;
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(Ok(CALL(connect, c.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr)));
    UniqueFd s(::accept(l.fd.get(), nullptr, nullptr));
    EXPECT_EQ(::write(c.get(), "c", 1), 1);
    char ch = 0;
    EXPECT_EQ(::read(s.get(), &ch, 1), 1);
}
CASE(accept) {
    Listener l;
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr), 0);
    auto r = CALL(accept, l.fd.get(), nullptr, nullptr);
    ASSERT_TRUE(Ok(r));
    UniqueFd s(r.value());
    EXPECT_EQ(::write(s.get(), "a", 1), 1);
    char ch = 0;
    EXPECT_EQ(::read(c.get(), &ch, 1), 1);
}
CASE(accept4) {
    Listener l;
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr), 0);
    auto r = CALL(accept4, l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ASSERT_TRUE(Ok(r));
    UniqueFd s(r.value());
    EXPECT_NE(::fcntl(s.get(), F_GETFL) & O_NONBLOCK, 0);
}
CASE(getsockname) {
    Listener l;
    sockaddr_in a{};
    uint32_t len = sizeof a;
    ASSERT_TRUE(Ok(CALL(getsockname, l.fd.get(), reinterpret_cast<sockaddr*>(&a), &len)));
    EXPECT_EQ(a.sin_port, l.addr.sin_port);
}
CASE(getpeername) {
    Listener l;
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr), 0);
    sockaddr_in a{};
    uint32_t len = sizeof a;
    ASSERT_TRUE(Ok(CALL(getpeername, c.get(), reinterpret_cast<sockaddr*>(&a), &len)));
    EXPECT_EQ(a.sin_port, l.addr.sin_port);
}
CASE(setsockopt) {
    SocketPair p;
    const int size = 65536;
    ASSERT_TRUE(Ok(CALL(setsockopt, p.a.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size)));
    int now = 0;
    socklen_t len = sizeof now;
    ASSERT_EQ(::getsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &now, &len), 0);
    EXPECT_GE(now, size);  // the kernel doubles it
}
CASE(getsockopt) {
    SocketPair p;
    int a = 0, b = 0;
    uint32_t la = sizeof a;
    socklen_t lb = sizeof b;
    ASSERT_TRUE(Ok(CALL(getsockopt, p.a.get(), SOL_SOCKET, SO_RCVBUF, &a, &la)));
    ASSERT_EQ(::getsockopt(p.a.get(), SOL_SOCKET, SO_RCVBUF, &b, &lb), 0);
    EXPECT_EQ(a, b);
}
CASE(shutdown) {
    SocketPair p;
    ASSERT_TRUE(Ok(CALL(shutdown, p.a.get(), SHUT_WR)));
    char c;
    EXPECT_EQ(::read(p.b.get(), &c, 1), 0);  // end of stream
}
CASE(sendto) {
    SocketPair p(SOCK_DGRAM);
    ASSERT_EQ(CALL(sendto, p.a.get(), "dg", 2, 0).value_or(0), 2u);
    char buf[3] = {};
    EXPECT_EQ(::recv(p.b.get(), buf, 2, 0), 2);
    EXPECT_STREQ(buf, "dg");
}
CASE(recvfrom) {
    SocketPair p(SOCK_DGRAM);
    ASSERT_EQ(::send(p.a.get(), "rf", 2, 0), 2);
    char buf[3] = {};
    ASSERT_EQ(CALL(recvfrom, p.b.get(), buf, 2, 0).value_or(0), 2u);
    EXPECT_STREQ(buf, "rf");
}
CASE(sendmsg) {
    SocketPair p;
    iovec iov = {(void*)"msg", 3};
    sys::KernelMsghdr m{};
    m.iov = &iov;
    m.iovlen = 1;
    ASSERT_EQ(CALL(sendmsg, p.a.get(), &m, 0).value_or(0), 3u);
    char buf[4] = {};
    EXPECT_EQ(::read(p.b.get(), buf, 3), 3);
    EXPECT_STREQ(buf, "msg");
}
CASE(recvmsg) {
    SocketPair p;
    ASSERT_EQ(::write(p.a.get(), "rm", 2), 2);
    char buf[3] = {};
    iovec iov = {buf, 2};
    sys::KernelMsghdr m{};
    m.iov = &iov;
    m.iovlen = 1;
    ASSERT_EQ(CALL(recvmsg, p.b.get(), &m, 0).value_or(0), 2u);
    EXPECT_STREQ(buf, "rm");
}
CASE(sendmmsg) {
    SocketPair p(SOCK_DGRAM);
    iovec iov[2] = {{(void*)"a", 1}, {(void*)"b", 1}};
    mmsghdr msgs[2] = {};
    msgs[0].msg_hdr.msg_iov = &iov[0];
    msgs[0].msg_hdr.msg_iovlen = 1;
    msgs[1].msg_hdr.msg_iov = &iov[1];
    msgs[1].msg_hdr.msg_iovlen = 1;
    ASSERT_EQ(CALL(sendmmsg, p.a.get(), msgs, 2, 0).value_or(0), 2);
    char c = 0;
    EXPECT_EQ(::recv(p.b.get(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'a');
    EXPECT_EQ(::recv(p.b.get(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'b');
}
CASE(recvmmsg) {
    SocketPair p(SOCK_DGRAM);
    ASSERT_EQ(::send(p.a.get(), "x", 1, 0), 1);
    ASSERT_EQ(::send(p.a.get(), "y", 1, 0), 1);
    char a = 0, b = 0;
    iovec iov[2] = {{&a, 1}, {&b, 1}};
    mmsghdr msgs[2] = {};
    msgs[0].msg_hdr.msg_iov = &iov[0];
    msgs[0].msg_hdr.msg_iovlen = 1;
    msgs[1].msg_hdr.msg_iov = &iov[1];
    msgs[1].msg_hdr.msg_iovlen = 1;
    ASSERT_EQ(CALL(recvmmsg, p.b.get(), msgs, 2, MSG_DONTWAIT, nullptr).value_or(0), 2);
    EXPECT_EQ(a, 'x');
    EXPECT_EQ(b, 'y');
}

// --- System V IPC: private objects, removed after
CASE(shmget) {
    auto r = CALL(shmget, IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    ASSERT_TRUE(Ok(r));
    shmid_ds ds;
    EXPECT_EQ(::shmctl(r.value(), IPC_STAT, &ds), 0);
    EXPECT_EQ(ds.shm_segsz, 4096u);
    ::shmctl(r.value(), IPC_RMID, nullptr);
}
// A private shared memory segment, removed after.
struct Shm {
    Shm() : id(::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) {}
    ~Shm() { ::shmctl(id, IPC_RMID, nullptr); }
    int id;
};
CASE(shmat) {
    Shm s;
    auto r = CALL(shmat, s.id, nullptr, 0);
    ASSERT_TRUE(Ok(r));
    // Two attachments of one segment share their bytes.
    char* other = static_cast<char*>(::shmat(s.id, nullptr, 0));
    std::strcpy(static_cast<char*>(r.value()), "sysv");
    EXPECT_STREQ(other, "sysv");
    ::shmdt(other);
    ::shmdt(r.value());
}
CASE(shmdt) {
    Shm s;
    void* p = ::shmat(s.id, nullptr, 0);
    ASSERT_TRUE(Ok(CALL(shmdt, p)));
    EXPECT_TRUE(FailsLikeGlibc(CALL(shmdt, p), GLIBC(::shmdt(p)), "EINVAL"));
}
CASE(shmctl) {
    Shm s;
    shmid_ds ds;
    ASSERT_TRUE(Ok(CALL(shmctl, s.id, IPC_STAT, &ds)));
    EXPECT_EQ(ds.shm_segsz, 4096u);
}
struct MsgQueue {
    MsgQueue() : id(::msgget(IPC_PRIVATE, IPC_CREAT | 0600)) {}
    ~MsgQueue() { ::msgctl(id, IPC_RMID, nullptr); }
    int id;
};
struct Message {
    long type;
    char text[8];
};
CASE(msgget) {
    auto r = CALL(msgget, IPC_PRIVATE, IPC_CREAT | 0600);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(::msgctl(r.value(), IPC_RMID, nullptr), 0);
}
CASE(msgsnd) {
    MsgQueue q;
    Message m = {1, "snd"};
    ASSERT_TRUE(Ok(CALL(msgsnd, q.id, &m, sizeof m.text, 0)));
    Message got{};
    EXPECT_EQ(::msgrcv(q.id, &got, sizeof got.text, 0, IPC_NOWAIT), (ssize_t)sizeof got.text);
    EXPECT_STREQ(got.text, "snd");
}
CASE(msgrcv) {
    MsgQueue q;
    Message m = {2, "rcv"};
    ASSERT_EQ(::msgsnd(q.id, &m, sizeof m.text, 0), 0);
    Message got{};
    ASSERT_EQ(CALL(msgrcv, q.id, &got, sizeof got.text, 0, IPC_NOWAIT).value_or(0), sizeof got.text);
    EXPECT_EQ(got.type, 2);
    EXPECT_STREQ(got.text, "rcv");
}
CASE(msgctl) {
    MsgQueue q;
    msqid_ds ds;
    ASSERT_TRUE(Ok(CALL(msgctl, q.id, IPC_STAT, &ds)));
    EXPECT_EQ(ds.msg_qnum, 0u);
}
struct Sem {
    Sem() : id(::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) {}
    ~Sem() { ::semctl(id, 0, IPC_RMID); }
    int id;
};
CASE(semget) {
    auto r = CALL(semget, IPC_PRIVATE, 2, IPC_CREAT | 0600);
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(::semctl(r.value(), 0, IPC_RMID), 0);
}
CASE(semop) {
    Sem s;
    sembuf op = {0, 3, 0};
    ASSERT_TRUE(Ok(CALL(semop, s.id, &op, 1)));
    EXPECT_EQ(::semctl(s.id, 0, GETVAL), 3);
}
CASE(semtimedop) {
    Sem s;
    sembuf op = {0, -1, 0};  // the count is 0: waits, until the timeout
    const timespec ts = {0, 1000};
    auto r = CALL(semtimedop, s.id, &op, 1, &ts);
    SKIP_IF_QEMU_LACKS(r, "semtimedop");
    EXPECT_EQ(err(r), "EAGAIN");
}
CASE(semctl) {
    Sem s;
    ASSERT_TRUE(Ok(CALL(semctl, s.id, 0, SETVAL, 5)));
    EXPECT_EQ(::semctl(s.id, 0, GETVAL), 5);
    EXPECT_EQ(CALL(semctl, s.id, 0, GETVAL).value_or(-1), 5);
}

// --- POSIX message queues (the syscalls take the name without glibc's leading slash)
std::string mq_name() { return "rawrt-test-" + std::to_string(::getpid()); }
// qemu-user's mq_open and mq_unlink read the byte before the name (they
// expect glibc's name + 1, past its slash): EINVAL for a name passed as is.
#define SKIP_UNDER_QEMU_MQ() \
    if (under_qemu()) GTEST_SKIP() << "qemu-user's mq_open/mq_unlink expect glibc's name + 1"
CASE(mq_open) {
    SKIP_UNDER_QEMU_MQ();
    auto r = CALL(mq_open, mq_name().c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    SKIP_IF_QEMU_LACKS(r, "mq_open");
    ASSERT_TRUE(Ok(r));
    mq_attr a;
    EXPECT_EQ(::mq_getattr(r.value(), &a), 0);
    ::close(r.value());
    ::mq_unlink(("/" + mq_name()).c_str());
}
// An open queue, unlinked after.
struct Mq {
    Mq() : fd(::mq_open(("/" + mq_name()).c_str(), O_CREAT | O_RDWR | O_NONBLOCK, 0600, nullptr)) {}
    ~Mq() {
        if (fd >= 0) ::mq_close(fd);
        ::mq_unlink(("/" + mq_name()).c_str());
    }
    int fd;
};
#define MQ_OR_SKIP(q) \
    if ((q).fd < 0) GTEST_SKIP() << "no POSIX message queues here: " << glibc_errno_name(errno)
CASE(mq_unlink) {
    SKIP_UNDER_QEMU_MQ();
    Mq q;
    MQ_OR_SKIP(q);
    ASSERT_TRUE(Ok(CALL(mq_unlink, mq_name().c_str())));
    EXPECT_TRUE(FailsLikeGlibc(CALL(mq_unlink, mq_name().c_str()), GLIBC(::mq_unlink(("/" + mq_name()).c_str())),
                               "ENOENT"));
}
CASE(mq_timedsend) {
    Mq q;
    MQ_OR_SKIP(q);
    ASSERT_TRUE(Ok(CALL(mq_timedsend, q.fd, "mq", 2, 1, nullptr)));
    char buf[8192];
    unsigned prio = 0;
    EXPECT_EQ(::mq_receive(q.fd, buf, sizeof buf, &prio), 2);
    EXPECT_EQ(prio, 1u);
}
CASE(mq_timedreceive) {
    Mq q;
    MQ_OR_SKIP(q);
    ASSERT_EQ(::mq_send(q.fd, "qq", 2, 3), 0);
    char buf[8192];
    unsigned prio = 0;
    ASSERT_EQ(CALL(mq_timedreceive, q.fd, buf, sizeof buf, &prio, nullptr).value_or(0), 2u);
    EXPECT_EQ(prio, 3u);
}
CASE(mq_notify) {
    Mq q;
    MQ_OR_SKIP(q);
    sigevent ev{};
    ev.sigev_notify = SIGEV_NONE;
    auto r = CALL(mq_notify, q.fd, &ev);
    SKIP_IF_QEMU_LACKS(r, "mq_notify");
    ASSERT_TRUE(Ok(r));
    EXPECT_TRUE(Ok(CALL(mq_notify, q.fd, nullptr)));  // and removed
}
CASE(mq_getsetattr) {
    Mq q;
    MQ_OR_SKIP(q);
    mq_attr a{};
    ASSERT_TRUE(Ok(CALL(mq_getsetattr, q.fd, nullptr, &a)));
    mq_attr b;
    ::mq_getattr(q.fd, &b);
    EXPECT_EQ(a.mq_maxmsg, b.mq_maxmsg);
}

// --- io_uring: a ring with one NOP
CASE(io_uring_setup) {
    io_uring_params p{};
    auto r = CALL(io_uring_setup, 4, &p);
    SKIP_IF_QEMU_LACKS(r, "io_uring_setup");
    if (!r.ok() && (r.error().code() == EPERM || r.error().code() == ENOSYS))
        GTEST_SKIP() << "io_uring is disabled here: " << err(r);
    ASSERT_TRUE(Ok(r));
    EXPECT_GE(p.sq_entries, 4u);
    ::close(r.value());
}
CASE(io_uring_enter) {
    io_uring_params p{};
    const int fd = static_cast<int>(syscall(SYS_io_uring_setup, 4, &p));
    if (fd < 0) GTEST_SKIP() << "no io_uring here: " << glibc_errno_name(errno);
    // Nothing submitted, nothing awaited: 0.
    EXPECT_EQ(CALL(io_uring_enter, fd, 0, 0, 0).value_or(-1), 0);
    ::close(fd);
}
CASE(io_uring_register) {
    io_uring_params p{};
    const int fd = static_cast<int>(syscall(SYS_io_uring_setup, 4, &p));
    if (fd < 0) GTEST_SKIP() << "no io_uring here: " << glibc_errno_name(errno);
    EXPECT_TRUE(FailsLikeGlibc(CALL(io_uring_register, fd, IORING_UNREGISTER_BUFFERS, nullptr, 0),
                               GLIBC(syscall(SYS_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, nullptr, 0)),
                               "ENXIO"));
    ::close(fd);
}

// --- the older aio: one read of a file
struct AioContext {
    AioContext() { ok = syscall(SYS_io_setup, 4, &ctx) == 0; }
    ~AioContext() {
        if (ok) syscall(SYS_io_destroy, ctx);
    }
    aio_context_t ctx = 0;
    bool ok;
};
#define AIO_OR_SKIP(c) \
    if (!(c).ok) GTEST_SKIP() << "no aio here: " << glibc_errno_name(errno)
CASE(io_setup) {
    unsigned long ctx = 0;
    auto r = CALL(io_setup, 4, &ctx);
    SKIP_IF_QEMU_LACKS(r, "io_setup");
    ASSERT_TRUE(Ok(r));
    EXPECT_NE(ctx, 0u);
    syscall(SYS_io_destroy, ctx);
}
CASE(io_destroy) {
    unsigned long ctx = 0;
    if (syscall(SYS_io_setup, 4, &ctx) != 0) GTEST_SKIP() << "no aio here";
    ASSERT_TRUE(Ok(CALL(io_destroy, ctx)));
    EXPECT_TRUE(FailsLikeGlibc(CALL(io_destroy, ctx), GLIBC(syscall(SYS_io_destroy, ctx)), "EINVAL"));
}
// Submits a read of "hello" into buf through c and returns the submission's result.
template <class F>
int submit_read(AioContext& c, TempFile& f, char* buf, iocb* cb) {
    *cb = iocb{};
    cb->aio_fildes = f.fd();
    cb->aio_lio_opcode = IOCB_CMD_PREAD;
    cb->aio_buf = reinterpret_cast<uint64_t>(buf);
    cb->aio_nbytes = 5;
    void* list[1] = {cb};
    return CALL(io_submit, c.ctx, 1, list).value_or(-1);
}
CASE(io_submit) {
    AioContext c;
    AIO_OR_SKIP(c);
    TempFile f;
    ASSERT_EQ(::pwrite(f.fd(), "hello", 5, 0), 5);
    char buf[6] = {};
    iocb cb;
    ASSERT_EQ(submit_read<F>(c, f, buf, &cb), 1);
    io_event ev{};
    ASSERT_EQ(syscall(SYS_io_getevents, c.ctx, 1, 1, &ev, nullptr), 1);
    EXPECT_EQ(ev.res, 5);
    EXPECT_STREQ(buf, "hello");
}
CASE(io_getevents) {
    AioContext c;
    AIO_OR_SKIP(c);
    TempFile f;
    ASSERT_EQ(::pwrite(f.fd(), "hello", 5, 0), 5);
    char buf[6] = {};
    iocb cb;
    ASSERT_EQ(submit_read<F>(c, f, buf, &cb), 1);
    io_event ev{};
    ASSERT_EQ(CALL(io_getevents, c.ctx, 1, 1, &ev, nullptr).value_or(-1), 1);
    EXPECT_EQ(ev.res, 5);
}
CASE(io_pgetevents) {
    AioContext c;
    AIO_OR_SKIP(c);
    io_event ev{};
    timespec zero = {0, 0};
    auto r = CALL(io_pgetevents, c.ctx, 0, 1, &ev, &zero, nullptr);
    SKIP_IF_QEMU_LACKS(r, "io_pgetevents");
    EXPECT_EQ(r.value_or(-1), 0);  // nothing submitted
}
CASE(io_cancel) {
    AioContext c;
    AIO_OR_SKIP(c);
    iocb cb{};
    io_event ev{};
    // Never submitted: EINVAL.
    EXPECT_TRUE(FailsLikeGlibc(CALL(io_cancel, c.ctx, &cb, &ev), GLIBC(syscall(SYS_io_cancel, c.ctx, &cb, &ev)),
                               "EINVAL"));
}

}  // namespace

// --- the runner

struct Instance {
    std::string name;
    bool raw;
};

std::vector<Instance> every_instance() {
    std::vector<Instance> all;
#define RAWRT_CALL(name, flavour, go) all.push_back({#name, true}), all.push_back({#name, false});
#include "sys/calls_list.inc"
#undef RAWRT_CALL
    return all;
}

void PrintTo(const Instance& i, std::ostream* os) { *os << i.name << (i.raw ? " (raw)" : " (blocking)"); }

class SysTable : public ::testing::TestWithParam<Instance> {};

TEST_P(SysTable, Calls) {
    const auto& c = cases();
    const auto it = c.find(GetParam().name);
    ASSERT_NE(it, c.end()) << "sys/syscalls.tbl's " << GetParam().name
                           << " has no CASE in tests/sys_table_*_test.cpp: every wrapper is called by a test";
    (GetParam().raw ? it->second.raw : it->second.blocking)();
}

INSTANTIATE_TEST_SUITE_P(Every, SysTable, ::testing::ValuesIn(every_instance()),
                         [](const ::testing::TestParamInfo<Instance>& info) {
    return info.param.name + (info.param.raw ? "_raw" : "_blocking");
});

namespace {

// Every case is for a wrapper of the table, and the table is as big as it promises.
TEST(SysTableList, EveryCaseIsForAWrapperOfThisArchitecture) {
    std::set<std::string> listed;
    for (const auto& i : every_instance()) listed.insert(i.name);
    for (const auto& [name, c] : cases()) EXPECT_TRUE(listed.count(name)) << name << " has a CASE but no wrapper here";
    EXPECT_GE(listed.size(), 250u);
}

// sys/calls.inc, sys/calls_list.inc and the table in docs/syscalls.md are
// what mk/gen-syscalls makes of sys/syscalls.tbl today.
TEST(SysTableList, GeneratedFilesAreCurrent) {
    if (::system("command -v python3 >/dev/null && command -v x86_64-linux-gnu-g++ >/dev/null && "
                 "command -v aarch64-linux-gnu-g++ >/dev/null") != 0)
        GTEST_SKIP() << "python3 or one of the two compilers mk/gen-syscalls reads the numbers from is missing";
    const auto r = run_command(std::string("cd ") + RAWRT_TEST_SOURCE_DIR + " && mk/gen-syscalls --check");
    EXPECT_EQ(r.exit_status, 0) << r.output;
}

}  // namespace
}  // namespace rawrt::test::table
