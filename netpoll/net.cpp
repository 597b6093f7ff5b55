// listen, dial, accept: Go's net package for stream sockets (sock_posix.go
// socket(), tcpsock_posix.go, unixsock_posix.go, sockopt_linux.go), over
// the fd layer.

#include "netpoll/net.hpp"

#include <asm/socket.h>
#include <linux/fcntl.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>

#include <atomic>

#include "netpoll/sockopt.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/parse.hpp"

namespace rawrt::net {
namespace {

enum class Network { tcp, tcp4, tcp6, unix_domain, unknown };

Network parse_network(const char* network) {
    if (sys::same(network, "tcp")) return Network::tcp;
    if (sys::same(network, "tcp4")) return Network::tcp4;
    if (sys::same(network, "tcp6")) return Network::tcp6;
    if (sys::same(network, "unix")) return Network::unix_domain;
    return Network::unknown;
}

Family family_of(Network n) { return n == Network::tcp4 ? kIPv4Only : n == Network::tcp6 ? kIPv6Only : kAnyFamily; }

sys::Result<void> resolve(Network n, const char* address, bool for_listen, SockAddr* out) {
    if (n == Network::unix_domain) return parse_unix(address, out);
    return parse_inet(address, family_of(n), for_listen, out);
}

// Go: maxListenerBacklog. The kernel caps a larger backlog at somaxconn
// itself; asking for exactly that much uses the whole queue it allows.
std::atomic<int> listener_backlog{0};

int backlog() {
    int cached = listener_backlog.load(std::memory_order_relaxed);
    if (cached != 0) return cached;
    int n = 4096;
    auto fd = sys::raw::openat(AT_FDCWD, "/proc/sys/net/core/somaxconn", O_RDONLY | O_CLOEXEC);
    if (fd.ok()) {
        char buf[24];
        auto got = sys::raw::read(fd.value(), buf, sizeof buf);
        (void)sys::raw::close(fd.value());
        size_t len = 0;
        if (got.ok())
            while (len < got.value() && buf[len] >= '0' && buf[len] <= '9') ++len;
        const int64_t v = len > 0 ? sys::parse_decimal(buf, buf + len, 0x7fffffff) : -1;
        if (v > 0) n = static_cast<int>(v);
    }
    listener_backlog.store(n, std::memory_order_relaxed);
    return n;
}

bool is_tcp(const SockAddr& a) { return a.family() == kAF_INET || a.family() == kAF_INET6; }

// Go: the raddr/laddr a netFD records (getsockname, getpeername). A
// failure leaves the address empty, as Go leaves it nil.
void name_of(int fd, SockAddr* out, bool peer) {
    out->len = SockAddr::capacity();
    auto r = peer ? sys::raw::getpeername(fd, out->raw(), &out->len) : sys::raw::getsockname(fd, out->raw(), &out->len);
    if (!r.ok() || out->len > SockAddr::capacity()) *out = SockAddr{};
}

void remove_socket_file(const SockAddr& a) {
    if (a.family() != kAF_UNIX || a.len <= 2 || a.bytes[2] == '\0') return;
    (void)sys::unlinkat(AT_FDCWD, reinterpret_cast<const char*>(a.bytes + 2), 0);
}

// One dial attempt: a new socket in out->fd_, connected to ra, or an error
// with out left empty.
sys::Result<void> dial_once(const SockAddr& ra, fd::FD* fd) {
    auto s = sys_socket(ra.family(), sys::kSOCK_STREAM);
    if (!s.ok()) return s.error();
    if (auto r = fd->init(s.value(), true); !r.ok()) {
        (void)sys::raw::close(s.value());
        return r;
    }
    fd->set_nosigpipe();
    if (is_tcp(ra)) fd->set_short_read_drains();
    if (auto r = fd->connect(ra.raw(), ra.len); !r.ok()) {
        (void)fd->close();
        return r;
    }
    return {};
}

}  // namespace

sys::Result<void> listen(const char* network, const char* address, Listener* out) {
    if (network == nullptr || address == nullptr || out == nullptr) return sys::Errno(EINVAL);
    const Network n = parse_network(network);
    if (n == Network::unknown) return sys::Errno(EAFNOSUPPORT);
    if (out->fd() != -1) return sys::Errno(EBUSY);
    SockAddr la;
    if (auto r = resolve(n, address, true, &la); !r.ok()) return r;
    // Go: favoriteAddrFamily. "tcp" with no host listens on both families
    // through one IPv6 socket with IPV6_V6ONLY off.
    const bool dual_stack = n == Network::tcp && la.is_unspecified();
    if (dual_stack && la.family() == kAF_INET) {
        const uint16_t port = la.port();
        (void)parse_inet("[::]:0", kIPv6Only, true, &la);
        la.set_port(port);
    }
    auto s = sys_socket(la.family(), sys::kSOCK_STREAM);
    if (!s.ok() && dual_stack && s.error() == sys::Errno(EAFNOSUPPORT)) {  // a kernel without IPv6
        const uint16_t port = la.port();
        (void)parse_inet("0.0.0.0:0", kIPv4Only, true, &la);
        la.set_port(port);
        s = sys_socket(la.family(), sys::kSOCK_STREAM);
    }
    if (!s.ok()) return s.error();
    const int sfd = s.value();
    bool bound = false;
    sys::Result<void> r;
    // Go: setDefaultSockopts, setDefaultListenerSockopts.
    if (la.family() == kAF_INET6) r = set_int_option(sfd, IPPROTO_IPV6, IPV6_V6ONLY, n == Network::tcp6 ? 1 : 0);
    if (r.ok() && is_tcp(la)) r = set_int_option(sfd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (r.ok()) {
        r = sys::bind(sfd, la.raw(), la.len);
        bound = r.ok();
    }
    if (r.ok()) r = sys::listen(sfd, backlog());
    if (r.ok()) r = out->fd_.init(sfd, true);
    if (!r.ok()) {
        // Not Go: a socket file this call made is removed again.
        if (bound) remove_socket_file(la);
        (void)sys::raw::close(sfd);
        return r;
    }
    if (n == Network::unix_domain) {
        out->addr_ = la;  // the kernel would only echo it
        out->unlink_.store(la.bytes[2] != '\0');
    } else {
        name_of(sfd, &out->addr_, false);  // the port the kernel chose
    }
    return {};
}

sys::Result<void> dial(const char* network, const char* address, Conn* out) {
    if (network == nullptr || address == nullptr || out == nullptr) return sys::Errno(EINVAL);
    const Network n = parse_network(network);
    if (n == Network::unknown) return sys::Errno(EAFNOSUPPORT);
    if (out->fd() != -1) return sys::Errno(EBUSY);
    SockAddr ra;
    if (auto r = resolve(n, address, false, &ra); !r.ok()) return r;
    const bool tcp = is_tcp(ra);
    // Go: dialTCP's loop. The kernel may pick, as the local port of a
    // loopback dial, the very port dialled, and connect the socket to
    // itself; or find no free port for a moment (EADDRNOTAVAIL). Both are
    // retried twice.
    sys::Result<void> r;
    for (int attempt = 0;; ++attempt) {
        r = dial_once(ra, &out->fd_);
        if (r.ok()) {
            name_of(out->fd(), &out->laddr_, false);
            name_of(out->fd(), &out->raddr_, true);
            if (out->raddr_.len == 0) out->raddr_ = ra;
            const bool self = tcp && out->laddr_ == out->raddr_;
            if (!self) break;
            (void)out->fd_.close();
            r = sys::Errno(EADDRNOTAVAIL);
        }
        if (!tcp || attempt == 2 || r.error() != sys::Errno(EADDRNOTAVAIL)) return r;
    }
    // Go: newTCPConn. Small writes go out at once (no Nagle delay).
    if (tcp) (void)set_int_option(out->fd(), IPPROTO_TCP, TCP_NODELAY, 1);
    return {};
}

sys::Result<void> socketpair(Conn* a, Conn* b) {
    if (a == nullptr || b == nullptr || a == b) return sys::Errno(EINVAL);
    if (a->fd() != -1 || b->fd() != -1) return sys::Errno(EBUSY);
    int sv[2];
    if (auto r = sys::raw::socketpair(kAF_UNIX, sys::kSOCK_STREAM | O_NONBLOCK | O_CLOEXEC, 0, sv); !r.ok()) return r;
    if (auto r = a->fd_.init(sv[0], true); !r.ok()) {
        (void)sys::raw::close(sv[0]);
        (void)sys::raw::close(sv[1]);
        return r;
    }
    if (auto r = b->fd_.init(sv[1], true); !r.ok()) {
        (void)a->fd_.close();
        (void)sys::raw::close(sv[1]);
        return r;
    }
    Conn* pair[2] = {a, b};
    for (Conn* c : pair) {
        c->fd_.set_nosigpipe();
        name_of(c->fd(), &c->laddr_, false);
        name_of(c->fd(), &c->raddr_, true);
    }
    return {};
}

sys::Result<void> Listener::accept(Conn* out) {
    if (out == nullptr) return sys::Errno(EINVAL);
    if (out->fd() != -1) return sys::Errno(EBUSY);
    SockAddr ra;
    ra.len = SockAddr::capacity();
    auto s = fd_.accept(ra.raw(), &ra.len);
    if (!s.ok()) return s.error();
    if (ra.len > SockAddr::capacity()) ra = SockAddr{};
    if (auto r = out->fd_.init(s.value(), true); !r.ok()) {
        (void)sys::raw::close(s.value());
        return r;
    }
    out->fd_.set_nosigpipe();
    out->raddr_ = ra;
    name_of(s.value(), &out->laddr_, false);
    if (is_tcp(out->laddr_)) {
        (void)set_int_option(s.value(), IPPROTO_TCP, TCP_NODELAY, 1);
        out->fd_.set_short_read_drains();
    }
    return {};
}

sys::Result<void> Listener::close() {
    // Go: UnixListener.close's unlinkOnce, before the descriptor goes.
    if (unlink_.exchange(false)) remove_socket_file(addr_);
    return fd_.close();
}

}  // namespace rawrt::net
