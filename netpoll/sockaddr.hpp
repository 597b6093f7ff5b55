// Socket addresses as text and as the kernel's bytes: numeric parsing and
// formatting only, no name service (the one name known is "localhost").
//
//   rawrt::net::SockAddr a;
//   if (auto e = rawrt::net::parse_inet("[::1]:8080", rawrt::net::kAnyFamily, false, &a); !e.ok()) ...;
//   bind(fd, a.raw(), a.len);
//   rawrt::sys::eprint("listening on ", a.text().str, "\n");   // "[::1]:8080"
//
// What the text may be (Go's net.SplitHostPort and netip parsing, without
// DNS and service names):
//   "127.0.0.1:80"     IPv4, four decimal parts 0..255, no leading zeros
//   "[::1]:80"         IPv6 in brackets (RFC 4291 text, "::" and a trailing
//                      dotted quad allowed; a numeric zone "%3" allowed)
//   ":80"              no host: to listen, every local address; to dial,
//                      this machine (Go's meaning for both)
//   "localhost:80"     127.0.0.1 (::1 when only IPv6 is asked for)
//   the port           decimal 0..65535
// Every malformed text fails with EINVAL; a host of the wrong family for
// what was asked (an IPv4 address for tcp6) with EAFNOSUPPORT.
//
// Unix-domain addresses are paths ("/tmp/s.sock") or, with a leading '@',
// Linux abstract names ("@name": a leading NUL on the wire). An empty name
// is EINVAL; one that does not fit sun_path ENAMETOOLONG (107 bytes for a
// path, which needs its NUL; 108 for an abstract name, '@' included).
//
// Freestanding: the kernel's structs are not named here (glibc's and the
// kernel's headers cannot meet in one hosted file); SockAddr holds their
// bytes and raw() hands them to the socket calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sys/consts.hpp"
#include "sys/result.hpp"
#include "sys/types.hpp"

namespace rawrt::net {

// The address families.
using sys::kAF_INET;
using sys::kAF_INET6;
using sys::kAF_UNIX;

// What parse_inet may produce.
enum Family : int {
    kAnyFamily = 0,  // either; a host-less listen address becomes IPv6's "::"
    kIPv4Only = 4,   // AF_INET (IPv4-mapped IPv6 text is accepted and mapped)
    kIPv6Only = 6,   // AF_INET6
};

// Longest text() result, NUL included: an abstract Unix name (108 bytes) and
// its '@' sign; an IPv6 address with zone and port needs far less.
inline constexpr size_t kMaxAddrText = 112;

struct AddrText {
    char str[kMaxAddrText];
};

// A socket address as the kernel reads and writes it (sockaddr_in,
// sockaddr_in6 or sockaddr_un), and its length. len 0: no address.
struct SockAddr {
    alignas(8) unsigned char bytes[112] = {};  // sizeof(sockaddr_un) is 110
    uint32_t len = 0;

    // AF_INET, AF_INET6, AF_UNIX, or 0 when empty.
    uint16_t family() const;
    // The port in host order (0 for Unix addresses or none).
    uint16_t port() const;
    // IPv4 and IPv6: replaces the port.
    void set_port(uint16_t port);
    // The unspecified address (0.0.0.0 or ::): the host-less listen address.
    bool is_unspecified() const;

    sockaddr* raw() { return reinterpret_cast<sockaddr*>(bytes); }
    const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(bytes); }
    // For calls that fill an address in (accept4, getsockname): capacity in,
    // the kernel's length out.
    static constexpr uint32_t capacity() { return sizeof bytes; }

    // The text the parsers read, in canonical form: "127.0.0.1:80",
    // "[2001:db8::1]:80" (RFC 5952: lower case, the longest run of zero
    // groups as "::"), an IPv4-mapped IPv6 address as its IPv4 text (as Go
    // prints one); a Unix path as is, an abstract name with its '@', an
    // unnamed Unix socket (a dialler's end) as "". Empty: "".
    AddrText text() const;
    // The same into buf (NUL-terminated, cut to fit); returns the length of
    // the whole text, which may exceed n - 1.
    size_t format(char* buf, size_t n) const;

    // Same family, address, port (and scope, or path).
    bool operator==(const SockAddr& other) const;
};

// "host:port" into an IPv4 or IPv6 address. family restricts the result
// (see Family). for_listen: an empty host is the unspecified address
// (0.0.0.0, or :: when IPv6 is allowed); otherwise the loopback address
// (Go dials the local system). Errors: EINVAL (malformed, a port out of
// range, a name other than "localhost"), EAFNOSUPPORT (a host of a family
// not allowed).
sys::Result<void> parse_inet(const char* address, Family family, bool for_listen, SockAddr* out);

// A Unix-domain path or "@abstract" name. Errors: EINVAL (null or empty),
// ENAMETOOLONG (does not fit, see the top of this file).
sys::Result<void> parse_unix(const char* name, SockAddr* out);

// IP address text without a port ("10.0.0.1", "fe80::1"), as the two above
// read it; for the tests and for callers with their own port. Family and
// errors as parse_inet; the port is set to 0.
sys::Result<void> parse_ip(const char* host, size_t host_len, Family family, SockAddr* out);

}  // namespace rawrt::net
