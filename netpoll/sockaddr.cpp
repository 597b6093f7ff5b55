// Address text <-> kernel sockaddr bytes. The parsing rules follow Go's
// net.SplitHostPort, net/netip's ParseAddr (strict: no leading zeros in
// IPv4 parts, at most four hex digits per IPv6 group, "::" standing for at
// least one group) and syscall.SockaddrUnix.

#include "netpoll/sockaddr.hpp"

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>

namespace rawrt::net {
namespace {

static_assert(sizeof(sockaddr_un) <= sizeof(SockAddr::bytes));
static_assert(sizeof(sockaddr_in6) <= sizeof(SockAddr::bytes));

constexpr sys::Errno kInvalid{EINVAL};

// sun_path's size, and the byte offset of sun_path (after sa_family).
constexpr size_t kSunPath = sizeof(sockaddr_un::sun_path);
constexpr uint32_t kSunPathOffset = 2;

size_t bounded_strlen(const char* s, size_t limit) {
    size_t n = 0;
    while (n < limit && s[n] != '\0') ++n;
    return n;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decimal digits only, at least one, no larger than max.
bool parse_uint(const char* s, size_t n, uint32_t max, uint32_t* out) {
    if (n == 0) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + static_cast<uint64_t>(s[i] - '0');
        if (v > max) return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

// Go (netip.parseIPv4): four parts of one to three digits, each at most
// 255, none with a leading zero (which some parsers read as octal).
bool parse_ipv4(const char* s, size_t n, uint8_t out[4]) {
    size_t pos = 0;
    for (int part = 0; part < 4; ++part) {
        const size_t start = pos;
        while (pos < n && s[pos] != '.') ++pos;
        const size_t len = pos - start;
        uint32_t v = 0;
        if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || !parse_uint(s + start, len, 255, &v)) return false;
        out[part] = static_cast<uint8_t>(v);
        if (part < 3) {
            if (pos == n) return false;  // too few parts
            ++pos;                       // the dot
        }
    }
    return pos == n;  // nothing after the fourth part
}

// Go (netip.parseIPv6), minus named zones: a zone must be an interface
// index, since names would need the kernel's interface table.
bool parse_ipv6(const char* s, size_t n, uint8_t out[16], uint32_t* scope) {
    *scope = 0;
    for (size_t k = 0; k < n; ++k) {
        if (s[k] != '%') continue;
        if (!parse_uint(s + k + 1, n - k - 1, 0xffffffffu, scope)) return false;
        n = k;
        break;
    }
    for (int k = 0; k < 16; ++k) out[k] = 0;
    int ellipsis = -1;  // byte index where "::" stands, if any
    int i = 0;          // bytes filled
    size_t pos = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        ellipsis = 0;
        pos = 2;
    }
    while (pos < n) {
        if (i == 16) return false;  // a ninth group
        const size_t start = pos;
        uint32_t group = 0;
        int digits = 0;
        while (pos < n && digits <= 4 && hex_value(s[pos]) >= 0) {
            group = group * 16 + static_cast<uint32_t>(hex_value(s[pos]));
            ++digits;
            ++pos;
        }
        if (digits == 0) return false;
        if (pos < n && s[pos] == '.') {
            // A dotted quad for the last 32 bits (::ffff:1.2.3.4).
            if ((ellipsis < 0 && i != 12) || i + 4 > 16) return false;
            if (!parse_ipv4(s + start, n - start, reinterpret_cast<uint8_t*>(out + i))) return false;
            i += 4;
            pos = n;
            break;
        }
        if (digits > 4) return false;
        out[i] = static_cast<uint8_t>(group >> 8);
        out[i + 1] = static_cast<uint8_t>(group);
        i += 2;
        if (pos == n) break;
        if (s[pos] != ':') return false;
        ++pos;
        if (pos == n) return false;  // a lone trailing colon
        if (s[pos] == ':') {
            if (ellipsis >= 0) return false;  // a second "::"
            ellipsis = i;
            ++pos;
        }
    }
    if (i < 16) {
        if (ellipsis < 0) return false;  // too few groups
        const int tail = i - ellipsis;
        for (int k = tail - 1; k >= 0; --k) {
            out[16 - tail + k] = out[ellipsis + k];
            out[ellipsis + k] = 0;
        }
    } else if (ellipsis >= 0) {
        return false;  // "::" must stand for at least one group
    }
    return true;
}

bool equal_ignoring_case(const char* s, size_t n, const char* word) {
    size_t k = 0;
    for (; k < n && word[k] != '\0'; ++k) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != word[k]) return false;
    }
    return k == n && word[k] == '\0';
}

void set_inet4(SockAddr* out, const uint8_t addr[4]) {
    *out = SockAddr{};
    auto* sin = reinterpret_cast<sockaddr_in*>(out->bytes);
    sin->sin_family = kAF_INET;
    auto* b = reinterpret_cast<uint8_t*>(&sin->sin_addr);
    for (int k = 0; k < 4; ++k) b[k] = addr[k];
    out->len = sizeof(sockaddr_in);
}

void set_inet6(SockAddr* out, const uint8_t addr[16], uint32_t scope) {
    *out = SockAddr{};
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out->bytes);
    sin6->sin6_family = kAF_INET6;
    auto* b = reinterpret_cast<uint8_t*>(&sin6->sin6_addr);
    for (int k = 0; k < 16; ++k) b[k] = addr[k];
    sin6->sin6_scope_id = scope;
    out->len = sizeof(sockaddr_in6);
}

const uint8_t* inet6_bytes(const SockAddr& a) {
    return reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(a.bytes)->sin6_addr);
}
const uint8_t* inet4_bytes(const SockAddr& a) {
    return reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(a.bytes)->sin_addr);
}

bool is_v4_mapped(const uint8_t b[16]) {
    for (int k = 0; k < 10; ++k)
        if (b[k] != 0) return false;
    return b[10] == 0xff && b[11] == 0xff;
}

constexpr uint8_t kLoopback4[4] = {127, 0, 0, 1};
constexpr uint8_t kAny4[4] = {0, 0, 0, 0};
constexpr uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint8_t kAny6[16] = {};

// Appends text to a buffer that never overflows; the length counts what
// did not fit, so the caller learns the size it needs.
struct Writer {
    char* buf;
    size_t cap;
    size_t len = 0;

    void put(char c) {
        if (len + 1 < cap) buf[len] = c;
        ++len;
    }
    void put(const char* s) {
        while (*s != '\0') put(*s++);
    }
    void put_decimal(uint32_t v) {
        char digits[10];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) put(digits[--n]);
    }
    void put_hex(uint32_t v) {
        char digits[8];
        int n = 0;
        do {
            digits[n++] = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v != 0);
        while (n > 0) put(digits[--n]);
    }
    void finish() {
        if (cap > 0) buf[len < cap ? len : cap - 1] = '\0';
    }
};

void put_ipv4(Writer* w, const uint8_t b[4]) {
    for (int k = 0; k < 4; ++k) {
        if (k > 0) w->put('.');
        w->put_decimal(b[k]);
    }
}

// RFC 5952: the longest run of two or more zero groups (the first of equal
// runs) becomes "::"; hex in lower case without leading zeros.
void put_ipv6(Writer* w, const uint8_t b[16]) {
    int best = -1, best_len = 0;
    for (int g = 0; g < 8;) {
        if (b[2 * g] != 0 || b[2 * g + 1] != 0) {
            ++g;
            continue;
        }
        int end = g;
        while (end < 8 && b[2 * end] == 0 && b[2 * end + 1] == 0) ++end;
        if (end - g > best_len) {
            best = g;
            best_len = end - g;
        }
        g = end;
    }
    if (best_len < 2) best = -1;
    for (int g = 0; g < 8; ++g) {
        if (g == best) {
            w->put("::");
            g += best_len - 1;
            continue;
        }
        if (g > 0 && g != best + best_len) w->put(':');
        w->put_hex(static_cast<uint32_t>(b[2 * g]) << 8 | b[2 * g + 1]);
    }
}

}  // namespace

uint16_t SockAddr::family() const {
    if (len < 2) return 0;
    return reinterpret_cast<const sockaddr_in*>(bytes)->sin_family;
}

uint16_t SockAddr::port() const {
    const uint16_t f = family();
    if (f != kAF_INET && f != kAF_INET6) return 0;
    // sin_port and sin6_port sit at the same offset, in network order.
    return static_cast<uint16_t>(bytes[2] << 8 | bytes[3]);
}

void SockAddr::set_port(uint16_t port) {
    const uint16_t f = family();
    if (f != kAF_INET && f != kAF_INET6) return;
    bytes[2] = static_cast<unsigned char>(port >> 8);
    bytes[3] = static_cast<unsigned char>(port);
}

bool SockAddr::is_unspecified() const {
    const uint16_t f = family();
    const int n = f == kAF_INET ? 4 : f == kAF_INET6 ? 16 : 0;
    if (n == 0) return false;
    const uint8_t* b = n == 4 ? inet4_bytes(*this) : inet6_bytes(*this);
    for (int k = 0; k < n; ++k)
        if (b[k] != 0) return false;
    return true;
}

size_t SockAddr::format(char* buf, size_t n) const {
    Writer w{buf, n};
    switch (family()) {
        case kAF_INET:
            put_ipv4(&w, inet4_bytes(*this));
            w.put(':');
            w.put_decimal(port());
            break;
        case kAF_INET6: {
            const uint8_t* b = inet6_bytes(*this);
            const uint32_t scope = reinterpret_cast<const sockaddr_in6*>(bytes)->sin6_scope_id;
            if (is_v4_mapped(b) && scope == 0) {  // Go's net.IP.String
                put_ipv4(&w, b + 12);
            } else {
                w.put('[');
                put_ipv6(&w, b);
                if (scope != 0) {
                    w.put('%');
                    w.put_decimal(scope);
                }
                w.put(']');
            }
            w.put(':');
            w.put_decimal(port());
            break;
        }
        case kAF_UNIX: {
            if (len <= kSunPathOffset) break;  // unnamed
            const auto* path = reinterpret_cast<const char*>(bytes + kSunPathOffset);
            size_t plen = len - kSunPathOffset;
            if (plen > kSunPath) plen = kSunPath;
            size_t k = 0;
            if (path[0] == '\0') {  // abstract: every byte of the length counts
                w.put('@');
                k = 1;
            } else {
                plen = bounded_strlen(path, plen);
            }
            for (; k < plen; ++k) w.put(path[k]);
            break;
        }
        default: break;
    }
    w.finish();
    return w.len;
}

AddrText SockAddr::text() const {
    AddrText t;
    (void)format(t.str, sizeof t.str);
    return t;
}

bool SockAddr::operator==(const SockAddr& other) const {
    const uint16_t f = family();
    if (f != other.family()) return false;
    switch (f) {
        case 0: return true;
        case kAF_INET: {
            const uint8_t *a = inet4_bytes(*this), *b = inet4_bytes(other);
            for (int k = 0; k < 4; ++k)
                if (a[k] != b[k]) return false;
            return port() == other.port();
        }
        case kAF_INET6: {
            const uint8_t *a = inet6_bytes(*this), *b = inet6_bytes(other);
            for (int k = 0; k < 16; ++k)
                if (a[k] != b[k]) return false;
            return port() == other.port() && reinterpret_cast<const sockaddr_in6*>(bytes)->sin6_scope_id ==
                                                 reinterpret_cast<const sockaddr_in6*>(other.bytes)->sin6_scope_id;
        }
        default: {
            if (len != other.len) return false;
            for (uint32_t k = 0; k < len; ++k)
                if (bytes[k] != other.bytes[k]) return false;
            return true;
        }
    }
}

sys::Result<void> parse_ip(const char* host, size_t n, Family family, SockAddr* out) {
    if (host == nullptr || n == 0) return kInvalid;
    bool has_colon = false, has_dot = false;
    for (size_t k = 0; k < n; ++k) {
        has_colon = has_colon || host[k] == ':';
        has_dot = has_dot || host[k] == '.';
    }
    if (!has_colon && has_dot) {
        uint8_t b[4];
        if (!parse_ipv4(host, n, b)) return kInvalid;
        if (family == kIPv6Only) return sys::Errno(EAFNOSUPPORT);
        set_inet4(out, b);
        return {};
    }
    uint8_t b[16];
    uint32_t scope = 0;
    if (!has_colon || !parse_ipv6(host, n, b, &scope)) return kInvalid;
    if (family == kIPv4Only) {
        if (!is_v4_mapped(b) || scope != 0) return sys::Errno(EAFNOSUPPORT);
        set_inet4(out, b + 12);
        return {};
    }
    set_inet6(out, b, scope);
    return {};
}

sys::Result<void> parse_inet(const char* address, Family family, bool for_listen, SockAddr* out) {
    if (address == nullptr || out == nullptr) return kInvalid;
    if (family != kAnyFamily && family != kIPv4Only && family != kIPv6Only) return kInvalid;
    // Go: SplitHostPort. Longer texts than any valid one are refused
    // before they are scanned to their end.
    constexpr size_t kLongest = 128;
    const size_t n = bounded_strlen(address, kLongest + 1);
    if (n > kLongest) return kInvalid;
    const char* host = address;
    size_t host_len = 0;
    size_t port_at = 0;
    bool bracketed = false;
    if (n > 0 && address[0] == '[') {
        size_t close = 1;
        while (close < n && address[close] != ']') ++close;
        if (close == n || close + 1 == n || address[close + 1] != ':') return kInvalid;  // no ']' or no ":port"
        host = address + 1;
        host_len = close - 1;
        port_at = close + 2;
        bracketed = true;
        for (size_t k = 0; k < host_len; ++k)
            if (host[k] == '[') return kInvalid;
    } else {
        size_t colon = n;
        for (size_t k = 0; k < n; ++k) {
            if (address[k] == '[' || address[k] == ']') return kInvalid;
            if (address[k] == ':') {
                if (colon != n) return kInvalid;  // an IPv6 address without brackets
                colon = k;
            }
        }
        if (colon == n) return kInvalid;  // no port
        host_len = colon;
        port_at = colon + 1;
    }
    uint32_t port = 0;
    if (!parse_uint(address + port_at, n - port_at, 65535, &port)) return kInvalid;

    if (host_len == 0) {
        if (bracketed) return kInvalid;  // "[]:80"
        if (for_listen) {
            if (family == kIPv4Only) set_inet4(out, kAny4);
            else set_inet6(out, kAny6, 0);
        } else {
            if (family == kIPv6Only) set_inet6(out, kLoopback6, 0);
            else set_inet4(out, kLoopback4);
        }
    } else if (!bracketed && equal_ignoring_case(host, host_len, "localhost")) {
        if (family == kIPv6Only) set_inet6(out, kLoopback6, 0);
        else set_inet4(out, kLoopback4);
    } else {
        SockAddr parsed;
        if (auto r = parse_ip(host, host_len, family, &parsed); !r.ok()) return r;
        // Brackets hold IPv6 text only (bare IPv6 text was refused above).
        bool ipv6_text = false;
        for (size_t k = 0; k < host_len; ++k) ipv6_text = ipv6_text || host[k] == ':';
        if (bracketed != ipv6_text) return kInvalid;
        *out = parsed;
    }
    out->set_port(static_cast<uint16_t>(port));
    return {};
}

sys::Result<void> parse_unix(const char* name, SockAddr* out) {
    if (name == nullptr || out == nullptr || name[0] == '\0') return kInvalid;
    const size_t n = bounded_strlen(name, kSunPath + 1);
    const bool abstract = name[0] == '@';
    // A path needs room for its NUL; an abstract name has none (its '@'
    // becomes the leading NUL).
    if (n > (abstract ? kSunPath : kSunPath - 1)) return sys::Errno(ENAMETOOLONG);
    *out = SockAddr{};
    auto* sun = reinterpret_cast<sockaddr_un*>(out->bytes);
    sun->sun_family = kAF_UNIX;
    for (size_t k = 0; k < n; ++k) sun->sun_path[k] = name[k];
    if (abstract) {
        sun->sun_path[0] = '\0';
        out->len = kSunPathOffset + static_cast<uint32_t>(n);
    } else {
        out->len = kSunPathOffset + static_cast<uint32_t>(n) + 1;
    }
    return {};
}

}  // namespace rawrt::net
