// c_echo: the baseline the network benchmark holds rawrt's examples/echo to,
// a plain single-threaded epoll echo server written the way one would in C.
//
//   c_echo PORT        listens on 127.0.0.1:PORT; exits 0 on SIGTERM/SIGINT
//
// Level-triggered: one epoll_wait, one read, one write per request, the
// fewest kernel entries a request/response echo needs (edge-triggered would
// add a read that returns EAGAIN). A write the peer cannot take yet is kept
// and the connection stops reading until it is flushed.
//
// Hosted code (a benchmark baseline, not part of the runtime).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kBufferSize = 64 * 1024;

struct Conn {
    int fd;
    std::vector<char> pending;  // echoed bytes the socket has not taken yet
    size_t pending_off = 0;
};

// epoll data: a Conn*, or one of these two tags (never valid pointers).
const uint64_t kListenTag = 1;
const uint64_t kSignalTag = 2;

int epfd = -1;
char buffer[kBufferSize];

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "c_echo: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void close_conn(Conn* c) {
    ::close(c->fd);  // also leaves the epoll set
    delete c;
}

void set_events(Conn* c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
}

// Writes what it can of data; keeps the rest. false: the connection is gone.
bool send_all(Conn* c, const char* data, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = ::write(c->fd, data + off, len - off);
        if (n > 0) {
            off += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->pending.assign(data + off, data + len);
            c->pending_off = 0;
            set_events(c, EPOLLOUT);
            return true;
        }
        return false;
    }
    return true;
}

void on_readable(Conn* c) {
    ssize_t n = ::read(c->fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0 || !send_all(c, buffer, static_cast<size_t>(n))) close_conn(c);
}

void on_writable(Conn* c) {
    std::vector<char> rest(c->pending.begin() + static_cast<std::ptrdiff_t>(c->pending_off), c->pending.end());
    c->pending.clear();
    if (!send_all(c, rest.data(), rest.size())) {
        close_conn(c);
        return;
    }
    if (c->pending.empty()) set_events(c, EPOLLIN);
}

void on_acceptable(int lfd) {
    for (;;) {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            // Out of fds and the like: the backlog keeps the rest for later.
            std::fprintf(stderr, "c_echo: accept4: %s\n", std::strerror(errno));
            return;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn* c = new Conn{fd, {}, 0};
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    }
}

}  // namespace

int main(int argc, char** argv) {
    char* end = nullptr;
    long port = argc == 2 ? std::strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != '\0' || port < 1 || port > 65535) {
        std::fprintf(stderr, "usage: c_echo PORT\n");
        return 2;
    }

    // SIGTERM and SIGINT arrive as readable data on a signalfd in the same
    // epoll set, so the loop needs no handler and no EINTR bookkeeping.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop, nullptr) != 0) die("sigprocmask");
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) die("signalfd");
    ::signal(SIGPIPE, SIG_IGN);

    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (::listen(lfd, SOMAXCONN) != 0) die("listen");

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) != 0) die("epoll_ctl");
    ev.data.u64 = kSignalTag;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) != 0) die("epoll_ctl");

    epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epfd, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 == kSignalTag) return 0;
            if (events[i].data.u64 == kListenTag) {
                on_acceptable(lfd);
                continue;
            }
            Conn* c = static_cast<Conn*>(events[i].data.ptr);
            if (!c->pending.empty()) on_writable(c);
            else on_readable(c);
        }
    }
}
