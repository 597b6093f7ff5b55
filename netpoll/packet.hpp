// Datagram sockets in Go's shape (net.PacketConn, *UDPConn, *UnixConn for
// "unixgram"): reads and writes park the G in the netpoller, never the M.
//
//   rawrt::net::PacketConn pc;
//   if (auto e = rawrt::net::listen_packet("udp", "127.0.0.1:5353", &pc); !e.ok()) return 1;
//   char buf[1500];
//   rawrt::net::SockAddr from;
//   for (;;) {
//       auto n = pc.read_from(buf, sizeof buf, &from);     // parks until a datagram arrives
//       if (!n.ok()) break;
//       (void)pc.write_to(buf, n.value(), from);            // echo it
//   }
//
//   rawrt::net::PacketConn c;                               // connected: read/write
//   (void)rawrt::net::dial("udp", "127.0.0.1:5353", &c);
//   (void)c.write("ping", 4);
//
// Networks: "udp" (IPv4 or IPv6 as the address says; with no host, one
// dual-stack IPv6 socket, as listen in netpoll/net.hpp), "udp4", "udp6"
// (IPV6_V6ONLY), "unixgram" (a path, or "@name" for an abstract name).
// Addresses as netpoll/sockaddr.hpp reads them. Any other network is
// EAFNOSUPPORT; a null network or address EINVAL.
//
// What the sockets get, as in Go: SOCK_NONBLOCK | SOCK_CLOEXEC, and
// SO_BROADCAST for UDP. Not Go: a dialled "unixgram" socket is bound to an
// abstract name the kernel picks (autobind), so that the peer can answer
// it; Go leaves it unnamed unless given a local address.
//
// Errors beyond each syscall's own (as fd::FD's): EBADF closed (also while
// waiting), ETIMEDOUT a passed deadline, EBUSY an out-parameter already
// open. write_to: EAFNOSUPPORT for an address of another family than the
// socket's (an IPv4 address on a dual-stack "udp" socket is sent as its
// IPv4-mapped IPv6 form, as Go does; on "udp6" it is refused), EINVAL for
// an empty address, EISCONN on a dialled socket (Go's "use of WriteTo with
// pre-connected connection"). A datagram too large for the socket is the
// kernel's EMSGSIZE: nothing is sent. A datagram larger than the buffer
// given to read or read_from is cut to the buffer (the rest is dropped by
// the kernel, as in Go), and *truncated says so.
//
// PacketConn is neither copyable nor movable (Gs park on it); the
// destructor closes it. Everything here runs only on a G.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "netpoll/fd.hpp"
#include "netpoll/net.hpp"
#include "netpoll/sockaddr.hpp"
#include "sys/result.hpp"

namespace rawrt::net {

// Go: net.PacketConn (*UDPConn, *UnixConn over SOCK_DGRAM).
class PacketConn {
public:
    PacketConn() = default;
    ~PacketConn() { (void)close(); }
    PacketConn(const PacketConn&) = delete;
    PacketConn& operator=(const PacketConn&) = delete;

    // Go: PacketConn.ReadFrom. The next datagram into buf (parking until one
    // arrives), its sender into *from (if given; "" for an unnamed Unix
    // sender). Returns the bytes stored, at most n; *truncated (if given)
    // is true when the datagram was longer and its tail was dropped.
    sys::Result<size_t> read_from(void* buf, size_t n, SockAddr* from, bool* truncated = nullptr);
    // Go: PacketConn.WriteTo. One datagram of n bytes to `to` (see the top
    // of this file for the errors), parking while the socket is full.
    sys::Result<size_t> write_to(const void* buf, size_t n, const SockAddr& to);
    // Go: Conn.Read on a dialled socket: read_from without the sender (the
    // kernel only delivers the peer's datagrams).
    sys::Result<size_t> read(void* buf, size_t n, bool* truncated = nullptr) {
        return read_from(buf, n, nullptr, truncated);
    }
    // Go: Conn.Write on a dialled socket: one datagram to the peer.
    // EDESTADDRREQ (UDP) or ENOTCONN (Unix) when not dialled.
    sys::Result<size_t> write(const void* buf, size_t n);

    // Go: Close. Gs parked in reads or writes return EBADF. A "unixgram"
    // socket bound to a path by listen_packet removes its file. EBADF if
    // already closed.
    sys::Result<void> close();
    // Go: SetDeadline / SetReadDeadline / SetWriteDeadline (nanotime
    // instants, 0 none), as for Conn.
    sys::Result<void> set_deadline(int64_t when) { return fd_.set_deadline(when); }
    sys::Result<void> set_read_deadline(int64_t when) { return fd_.set_read_deadline(when); }
    sys::Result<void> set_write_deadline(int64_t when) { return fd_.set_write_deadline(when); }

    // Go: LocalAddr (with the port the kernel chose for ":0"), and
    // RemoteAddr (a dialled socket's peer; empty otherwise).
    const SockAddr& local_addr() const { return laddr_; }
    const SockAddr& remote_addr() const { return raddr_; }
    // The descriptor (-1 when closed), still owned by the PacketConn.
    int fd() const { return fd_.sysfd(); }

private:
    friend sys::Result<void> listen_packet(const char* network, const char* address, PacketConn* out);
    friend sys::Result<void> dial(const char* network, const char* address, PacketConn* out);
    friend sys::Result<void> socketpair(PacketConn* a, PacketConn* b);

    fd::FD fd_;
    SockAddr laddr_;
    SockAddr raddr_;
    uint16_t family_ = 0;
    bool v6only_ = false;
    std::atomic<bool> unlink_{false};
};

// Go: net.ListenPacket. A datagram socket bound to address; *out must be
// empty (EBUSY). Errors: the bad-input ones of the top of this file and of
// sockaddr.hpp, EADDRINUSE, EACCES, EADDRNOTAVAIL, and those of socket,
// setsockopt and bind.
sys::Result<void> listen_packet(const char* network, const char* address, PacketConn* out);

// Go: net.Dial for "udp", "udp4", "udp6" and "unixgram": a datagram socket
// connected to address (no packet is sent: connect only fixes the peer).
// ENOENT / ECONNREFUSED: no "unixgram" socket there.
sys::Result<void> dial(const char* network, const char* address, PacketConn* out);

// A connected pair of Unix datagram sockets (socketpair(2), AF_UNIX,
// SOCK_DGRAM): what one writes, the other reads, datagram by datagram.
// Both must be empty (EBUSY).
sys::Result<void> socketpair(PacketConn* a, PacketConn* b);

}  // namespace rawrt::net
