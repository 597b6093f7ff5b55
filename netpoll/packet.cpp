// Datagram sockets: Go's net package for "udp*" and "unixgram"
// (udpsock_posix.go, unixsock_posix.go, sock_posix.go, sockopt_linux.go's
// setDefaultSockopts) over the fd layer, and socketpair.

#include "netpoll/packet.hpp"

#include <asm/socket.h>
#include <linux/fcntl.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/uio.h>

#include "netpoll/sockopt.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/parse.hpp"

namespace rawrt::net {
namespace {

enum class Network { udp, udp4, udp6, unixgram, unknown };

Network parse_network(const char* network) {
    if (sys::same(network, "udp")) return Network::udp;
    if (sys::same(network, "udp4")) return Network::udp4;
    if (sys::same(network, "udp6")) return Network::udp6;
    if (sys::same(network, "unixgram")) return Network::unixgram;
    return Network::unknown;
}

sys::Result<void> resolve(Network n, const char* address, bool for_listen, SockAddr* out) {
    if (n == Network::unixgram) return parse_unix(address, out);
    const Family f = n == Network::udp4 ? kIPv4Only : n == Network::udp6 ? kIPv6Only : kAnyFamily;
    return parse_inet(address, f, for_listen, out);
}

// Go: setDefaultSockopts for a datagram socket.
sys::Result<void> default_options(int fd, uint16_t family, bool v6only) {
    if (family == kAF_INET6) {
        if (auto r = set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? 1 : 0); !r.ok()) return r;
    }
    if (family != kAF_UNIX) return set_int_option(fd, SOL_SOCKET, SO_BROADCAST, 1);
    return {};
}

void name_of(int fd, SockAddr* out, bool peer) {
    out->len = SockAddr::capacity();
    auto r = peer ? sys::raw::getpeername(fd, out->raw(), &out->len) : sys::raw::getsockname(fd, out->raw(), &out->len);
    if (!r.ok() || out->len > SockAddr::capacity()) *out = SockAddr{};
}

bool is_path(const SockAddr& a) { return a.family() == kAF_UNIX && a.len > 2 && a.bytes[2] != '\0'; }

void remove_socket_file(const SockAddr& a) {
    if (is_path(a)) (void)sys::raw::unlinkat(AT_FDCWD, reinterpret_cast<const char*>(a.bytes + 2), 0);
}

// Go: ipToSockaddr's family choice. `to` as the socket of `family` must
// see it: IPv4 on a dual-stack IPv6 socket as ::ffff:a.b.c.d, an
// IPv4-mapped IPv6 address on an IPv4 socket as IPv4.
sys::Result<void> address_for(const SockAddr& to, uint16_t family, bool v6only, SockAddr* out) {
    if (to.len == 0) return sys::Errno(EINVAL);
    const uint16_t f = to.family();
    if (f == family) {
        *out = to;
        return {};
    }
    if (family == kAF_INET6 && f == kAF_INET && !v6only) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(to.bytes);
        *out = SockAddr{};
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(out->bytes);
        sin6->sin6_family = kAF_INET6;
        sin6->sin6_port = sin->sin_port;
        auto* b = reinterpret_cast<uint8_t*>(&sin6->sin6_addr);
        b[10] = b[11] = 0xff;
        __builtin_memcpy(b + 12, &sin->sin_addr, 4);
        out->len = sizeof(sockaddr_in6);
        return {};
    }
    if (family == kAF_INET && f == kAF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(to.bytes);
        const auto* b = reinterpret_cast<const uint8_t*>(&sin6->sin6_addr);
        bool mapped = b[10] == 0xff && b[11] == 0xff;
        for (int k = 0; k < 10; ++k) mapped = mapped && b[k] == 0;
        if (mapped && sin6->sin6_scope_id == 0) {
            *out = SockAddr{};
            auto* sin = reinterpret_cast<sockaddr_in*>(out->bytes);
            sin->sin_family = kAF_INET;
            sin->sin_port = sin6->sin6_port;
            __builtin_memcpy(&sin->sin_addr, b + 12, 4);
            out->len = sizeof(sockaddr_in);
            return {};
        }
    }
    return sys::Errno(EAFNOSUPPORT);
}

// A fresh descriptor into fd (registered with the poller), or closed.
sys::Result<void> adopt(fd::FD* fd, int sfd) {
    if (auto r = fd->init(sfd, true); !r.ok()) {
        (void)sys::raw::close(sfd);
        return r;
    }
    return {};
}

}  // namespace

// recvfrom(2) and sendto(2) rather than their msghdr forms: a round trip
// makes four reads (two of them EAGAIN) and two writes, and the msghdr
// costs each one a copy in and out of the kernel. MSG_TRUNC makes
// recvfrom return a datagram's whole length, so a cut one is still told.
sys::Result<size_t> PacketConn::read_from(void* buf, size_t n, SockAddr* from, bool* truncated) {
    if (truncated != nullptr) *truncated = false;
    uint32_t fromlen = static_cast<uint32_t>(SockAddr::capacity());
    auto r = fd_.recvfrom(buf, n, sys::kMSG_TRUNC, from != nullptr ? from->raw() : nullptr,
                          from != nullptr ? &fromlen : nullptr);
    if (!r.ok()) return r;
    if (from != nullptr) {
        from->len = fromlen;
        if (from->len > SockAddr::capacity()) *from = SockAddr{};
    }
    if (r.value() <= n) return r;
    if (truncated != nullptr) *truncated = true;
    return n;
}

sys::Result<size_t> PacketConn::write_to(const void* buf, size_t n, const SockAddr& to) {
    if (raddr_.len != 0) return sys::Errno(EISCONN);
    SockAddr dst;
    if (auto r = address_for(to, family_, v6only_, &dst); !r.ok()) return r.error();
    return fd_.sendto(buf, n, 0, dst.raw(), dst.len);
}

sys::Result<size_t> PacketConn::write(const void* buf, size_t n) { return fd_.sendto(buf, n, 0, nullptr, 0); }

sys::Result<void> PacketConn::close() {
    if (unlink_.exchange(false)) remove_socket_file(laddr_);
    return fd_.close();
}

sys::Result<void> listen_packet(const char* network, const char* address, PacketConn* out) {
    if (network == nullptr || address == nullptr || out == nullptr) return sys::Errno(EINVAL);
    const Network n = parse_network(network);
    if (n == Network::unknown) return sys::Errno(EAFNOSUPPORT);
    if (out->fd() != -1) return sys::Errno(EBUSY);
    SockAddr la;
    if (auto r = resolve(n, address, true, &la); !r.ok()) return r;
    // Go: favoriteAddrFamily, as listen does.
    const bool dual_stack = n == Network::udp && la.is_unspecified();
    if (dual_stack && la.family() == kAF_INET) {
        const uint16_t port = la.port();
        (void)parse_inet("[::]:0", kIPv6Only, true, &la);
        la.set_port(port);
    }
    auto s = sys_socket(la.family(), sys::kSOCK_DGRAM);
    if (!s.ok() && dual_stack && s.error() == sys::Errno(EAFNOSUPPORT)) {
        const uint16_t port = la.port();
        (void)parse_inet("0.0.0.0:0", kIPv4Only, true, &la);
        la.set_port(port);
        s = sys_socket(la.family(), sys::kSOCK_DGRAM);
    }
    if (!s.ok()) return s.error();
    const int sfd = s.value();
    const bool v6only = n == Network::udp6;
    bool bound = false;
    sys::Result<void> r = default_options(sfd, la.family(), v6only);
    if (r.ok()) {
        r = sys::raw::bind(sfd, la.raw(), la.len);
        bound = r.ok();
    }
    if (!r.ok()) {
        if (bound) remove_socket_file(la);
        (void)sys::raw::close(sfd);
        return r;
    }
    if (r = adopt(&out->fd_, sfd); !r.ok()) {
        remove_socket_file(la);
        return r;
    }
    out->family_ = la.family();
    out->v6only_ = v6only || la.family() != kAF_INET6;
    if (n == Network::unixgram) {
        out->laddr_ = la;
        out->unlink_.store(is_path(la));
    } else {
        name_of(sfd, &out->laddr_, false);
    }
    out->raddr_ = SockAddr{};
    return {};
}

sys::Result<void> dial(const char* network, const char* address, PacketConn* out) {
    if (network == nullptr || address == nullptr || out == nullptr) return sys::Errno(EINVAL);
    const Network n = parse_network(network);
    if (n == Network::unknown) return sys::Errno(EAFNOSUPPORT);
    if (out->fd() != -1) return sys::Errno(EBUSY);
    SockAddr ra;
    if (auto r = resolve(n, address, false, &ra); !r.ok()) return r;
    auto s = sys_socket(ra.family(), sys::kSOCK_DGRAM);
    if (!s.ok()) return s.error();
    const int sfd = s.value();
    const bool v6only = n == Network::udp6;
    sys::Result<void> r = default_options(sfd, ra.family(), v6only);
    if (r.ok() && n == Network::unixgram) {
        // Autobind: an abstract name from the kernel, so replies can come back.
        const uint16_t family = kAF_UNIX;
        r = sys::raw::bind(sfd, reinterpret_cast<const sockaddr*>(&family), sizeof family);
    }
    if (!r.ok()) {
        (void)sys::raw::close(sfd);
        return r;
    }
    if (r = adopt(&out->fd_, sfd); !r.ok()) return r;
    if (r = out->fd_.connect(ra.raw(), ra.len); !r.ok()) {
        (void)out->fd_.close();
        return r;
    }
    out->family_ = ra.family();
    out->v6only_ = true;
    name_of(sfd, &out->laddr_, false);
    name_of(sfd, &out->raddr_, true);
    if (out->raddr_.len == 0) out->raddr_ = ra;
    return {};
}

sys::Result<void> socketpair(PacketConn* a, PacketConn* b) {
    if (a == nullptr || b == nullptr || a == b) return sys::Errno(EINVAL);
    if (a->fd() != -1 || b->fd() != -1) return sys::Errno(EBUSY);
    int sv[2];
    if (auto r = sys::raw::socketpair(kAF_UNIX, sys::kSOCK_DGRAM | O_NONBLOCK | O_CLOEXEC, 0, sv); !r.ok()) return r;
    if (auto r = adopt(&a->fd_, sv[0]); !r.ok()) {
        (void)sys::raw::close(sv[1]);
        return r;
    }
    if (auto r = adopt(&b->fd_, sv[1]); !r.ok()) {
        (void)a->fd_.close();
        return r;
    }
    PacketConn* pair[2] = {a, b};
    for (PacketConn* c : pair) {
        c->family_ = kAF_UNIX;
        c->v6only_ = true;
        name_of(c->fd(), &c->laddr_, false);
        name_of(c->fd(), &c->raddr_, true);
    }
    return {};
}

}  // namespace rawrt::net
