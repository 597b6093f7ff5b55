// Stream sockets in Go's shape (package net): listen, dial, accept, and
// connections whose reads and writes park the G, never the M.
//
//   rawrt::net::Listener ln;
//   if (auto e = rawrt::net::listen("tcp", "127.0.0.1:8080", &ln); !e.ok()) return 1;
//   for (;;) {
//       auto* c = new rawrt::net::Conn;
//       if (!ln.accept(c).ok()) { delete c; break; }
//       rawrt::go([c] {                      // one G per connection
//           char buf[4096];
//           for (;;) {
//               auto n = c->read(buf, sizeof buf);
//               if (!n.ok() || n.value() == 0) break;      // error, or EOF
//               if (!c->write(buf, n.value()).ok()) break;
//           }
//           delete c;                        // closes it
//       });
//   }
//
// Networks (as Go names them; SOCK_STREAM only):
//   "tcp"   IPv4 or IPv6, as the address says. To listen with no host
//           (":8080", "0.0.0.0:8080", "[::]:8080"): one dual-stack IPv6
//           socket taking both families (IPv4 alone where the kernel has
//           no IPv6), as Go does.
//   "tcp4"  IPv4 only (an IPv4-mapped IPv6 literal is taken as IPv4).
//   "tcp6"  IPv6 only (IPV6_V6ONLY set on listeners).
//   "unix"  a Unix-domain path, or "@name" for an abstract name.
// Addresses: see netpoll/sockaddr.hpp (numeric only; "localhost" is the
// loopback address). A null network or address is EINVAL; any other
// network name ("udp", "unixgram", "tcp7", "") is EAFNOSUPPORT.
//
// What the sockets get, as in Go: SOCK_NONBLOCK | SOCK_CLOEXEC; TCP
// listeners SO_REUSEADDR; dialled and accepted TCP connections TCP_NODELAY.
// The listen backlog is what Go uses: /proc/sys/net/core/somaxconn, read
// once (4096, the kernel's default since 5.4, if it cannot be read).
//
// Errors beyond each syscall's own, as in fd::FD (netpoll/fd.hpp): EBADF
// the Conn or Listener is closed (or was closed while the call waited);
// ETIMEDOUT its deadline has passed (it stays usable: move the deadline);
// EBUSY an out-parameter that already holds an open socket.
//
// Conn and Listener are neither copyable nor movable (Gs park on them):
// make them where they will stay, or with new. Their destructors close
// what is still open (no G may be using them then). Everything here runs
// only on a G, freestanding or inside rawrt::run.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "netpoll/fd.hpp"
#include "netpoll/sockaddr.hpp"
#include "sys/result.hpp"

struct iovec;

namespace rawrt::net {

// Go: net.Conn (*TCPConn, *UnixConn).
class Conn {
public:
    Conn() = default;
    ~Conn() = default;  // fd::FD's destructor closes
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Go: Conn.Read. Up to n bytes, parking until some arrive; 0 is end of
    // file (the peer closed or shut down its writing side), or n == 0.
    sys::Result<size_t> read(void* buf, size_t n) { return fd_.read(buf, n); }
    // Go: Conn.Write. All n bytes (parking while the socket buffer is
    // full); on an error *written (if given) says how many went out.
    // EPIPE or ECONNRESET: the peer is gone.
    sys::Result<size_t> write(const void* buf, size_t n, size_t* written = nullptr) {
        return fd_.write(buf, n, written);
    }
    // One readv(2): up to the sum of the lengths, at most fd::kUIO_MAXIOV entries.
    sys::Result<size_t> readv(const ::iovec* iov, int iovcnt) { return fd_.readv(iov, iovcnt); }
    // Go: net.Buffers.WriteTo (FD.Writev). Every byte of every entry.
    sys::Result<size_t> writev(const ::iovec* iov, int iovcnt, size_t* written = nullptr) {
        return fd_.writev(iov, iovcnt, written);
    }

    // Go: Conn.Close. Gs parked in read or write return EBADF; the
    // descriptor is closed once they are out. EBADF if already closed.
    sys::Result<void> close() { return fd_.close(); }
    // Go: TCPConn.CloseRead / CloseWrite (shutdown(2)). After close_write
    // the peer reads end of file and can still write back. Errors:
    // ENOTCONN (never connected), EBADF.
    sys::Result<void> close_read() { return fd_.shutdown(fd::kSHUT_RD); }
    sys::Result<void> close_write() { return fd_.shutdown(fd::kSHUT_WR); }

    // Go: SetDeadline / SetReadDeadline / SetWriteDeadline, as instants of
    // vdso::nanotime() (0: none). A passed deadline fails that direction's
    // calls (and wakes the Gs parked in them) with ETIMEDOUT until it is
    // moved. EBADF when closed.
    sys::Result<void> set_deadline(int64_t when) { return fd_.set_deadline(when); }
    sys::Result<void> set_read_deadline(int64_t when) { return fd_.set_read_deadline(when); }
    sys::Result<void> set_write_deadline(int64_t when) { return fd_.set_write_deadline(when); }

    // Go: LocalAddr / RemoteAddr, as found when the connection was made
    // (the kernel's names for both ends; a dialling Unix socket is unnamed,
    // its text ""). .text().str for logs.
    const SockAddr& local_addr() const { return laddr_; }
    const SockAddr& remote_addr() const { return raddr_; }
    // The descriptor (-1 when closed), still owned by the Conn: for
    // options this class does not cover (sys::raw::setsockopt).
    int fd() const { return fd_.sysfd(); }

private:
    friend class Listener;
    friend sys::Result<void> dial(const char* network, const char* address, Conn* out);
    friend sys::Result<void> socketpair(Conn* a, Conn* b);

    fd::FD fd_;
    SockAddr laddr_;
    SockAddr raddr_;
};

// Go: net.Listener (*TCPListener, *UnixListener).
class Listener {
public:
    Listener() = default;
    ~Listener() { (void)close(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Go: Listener.Accept. The next connection, into *out (which must not
    // hold an open socket: EBUSY), parking until one arrives. Connections
    // reset while queued are skipped. Errors: EBADF (closed, also while
    // waiting), ETIMEDOUT (the deadline), EMFILE/ENFILE (out of
    // descriptors: the connection stays queued), EINVAL (the socket does not
    // listen), and accept4's others.
    sys::Result<void> accept(Conn* out);
    // Go: Listener.Close. Wakes the Gs parked in accept (EBADF). A Unix
    // listener removes the socket file it created, as Go's does. EBADF if
    // already closed.
    sys::Result<void> close();
    // Go: TCPListener.SetDeadline: bounds accept (vdso::nanotime() instant,
    // 0 none); ETIMEDOUT once passed, as for Conn.
    sys::Result<void> set_deadline(int64_t when) { return fd_.set_read_deadline(when); }

    // Go: Listener.Addr: the bound address (with the port the kernel chose
    // for ":0").
    const SockAddr& addr() const { return addr_; }
    int fd() const { return fd_.sysfd(); }

private:
    friend sys::Result<void> listen(const char* network, const char* address, Listener* out);

    fd::FD fd_;
    SockAddr addr_;
    std::atomic<bool> unlink_{false};  // a socket file to remove on close
};

// Go: net.Listen. Binds and listens on address; *out must be empty
// (EBUSY). Errors: EINVAL / EAFNOSUPPORT / ENAMETOOLONG for bad input (see
// the top of this file and sockaddr.hpp), EADDRINUSE (the port, or the
// Unix path, is taken: a stale socket file is not removed), EACCES,
// EADDRNOTAVAIL (not a local address), EMFILE, and the other errors of
// socket, setsockopt, bind and listen.
sys::Result<void> listen(const char* network, const char* address, Listener* out);

// Go: net.Dial. Connects to address; *out must be empty (EBUSY). The G
// parks until the connection is made or fails: ECONNREFUSED (nobody
// listens), ENOENT (no such Unix socket), ETIMEDOUT, ENETUNREACH, plus the
// bad-input errors of listen. A TCP connection that the kernel made to
// itself (same local and remote port) is dropped and dialled again, as
// Go does.
sys::Result<void> dial(const char* network, const char* address, Conn* out);

// A connected pair of Unix stream sockets (socketpair(2), AF_UNIX,
// SOCK_STREAM), as two Conns (which must be empty: EBUSY). Their
// addresses are unnamed (""). Datagram pairs: netpoll/packet.hpp.
sys::Result<void> socketpair(Conn* a, Conn* b);

}  // namespace rawrt::net
