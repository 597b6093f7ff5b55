// dnsq: a DNS client over UDP, freestanding and static.
//
//   dnsq NAME SERVER      SERVER as IP:PORT ("127.0.0.1:5353", "[::1]:53")
//
// Asks SERVER for NAME's A and AAAA records (RFC 1035, one question per
// query, recursion desired) and prints one address a line, the A records
// first:
//
//   example.test A 1.2.3.4
//   example.test AAAA ::1
//
// Exit status: 0 with at least one address; 1 on NXDOMAIN, or with no
// answer after the tries; 2, with the usage on stderr, on bad arguments.
// Each try waits DNSQ_TIMEOUT_MS (default 1000) for the answers still
// missing, then sends those queries again, 3 tries in all (Go's resolver:
// a timeout per try, a few attempts).
//
// The shape is Go's: one G reads the socket and hands each datagram to the
// main G through a channel; the main G waits with a select on that channel
// and on after(timeout).

#include "netpoll/packet.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/rand.hpp"
#include "sched/timer.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"

namespace {

namespace net = rawrt::net;
namespace sys = rawrt::sys;

constexpr int kTries = 3;
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAAAA = 28;
constexpr int kRcodeNXDomain = 3;
constexpr size_t kMaxMessage = 512;  // RFC 1035's UDP limit, without EDNS
constexpr int kMaxAddrs = 16;        // per type

struct Datagram {
    unsigned char bytes[kMaxMessage];
    uint16_t len = 0;
};

struct Query {
    uint16_t type = 0;
    uint16_t id = 0;
    bool answered = false;
    bool nxdomain = false;
    int naddrs = 0;
    unsigned char addrs[kMaxAddrs][16];
};

int usage() {
    sys::eprint("usage: dnsq NAME SERVER\n  SERVER: IP:PORT, e.g. 127.0.0.1:53 or [::1]:53\n");
    return 2;
}

size_t length(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

// NAME into wire form (length-prefixed labels, a zero at the end); false if
// it is not a host name: labels of 1 to 63 letters, digits, '-' or '_',
// at most 253 characters, one trailing dot allowed.
bool encode_name(const char* name, unsigned char* out, size_t* outlen) {
    size_t n = length(name);
    if (n > 0 && name[n - 1] == '.') --n;
    if (n == 0 || n > 253) return false;
    size_t o = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; ++i) {
        if (i < n && name[i] != '.') {
            const char c = name[i];
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_';
            if (!ok) return false;
            continue;
        }
        const size_t len = i - start;
        if (len == 0 || len > 63) return false;
        out[o++] = static_cast<unsigned char>(len);
        for (size_t k = start; k < i; ++k) out[o++] = static_cast<unsigned char>(name[k]);
        start = i + 1;
    }
    out[o++] = 0;
    *outlen = o;
    return true;
}

void put16(unsigned char* p, uint16_t v) {
    p[0] = static_cast<unsigned char>(v >> 8);
    p[1] = static_cast<unsigned char>(v);
}
uint16_t get16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

size_t build_query(const Query& q, const unsigned char* qname, size_t qlen, unsigned char* out) {
    put16(out, q.id);
    put16(out + 2, 0x0100);  // a standard query, recursion desired
    put16(out + 4, 1);       // one question
    put16(out + 6, 0);
    put16(out + 8, 0);
    put16(out + 10, 0);
    for (size_t i = 0; i < qlen; ++i) out[12 + i] = qname[i];
    put16(out + 12 + qlen, q.type);
    put16(out + 14 + qlen, 1);  // class IN
    return 16 + qlen;
}

// Steps over a (possibly compressed) name at off; 0 if it runs off the end.
size_t skip_name(const unsigned char* m, size_t len, size_t off) {
    while (off < len) {
        const unsigned char l = m[off];
        if (l == 0) return off + 1;
        if ((l & 0xc0) == 0xc0) return off + 2 <= len ? off + 2 : 0;
        if ((l & 0xc0) != 0) return 0;
        off += 1 + l;
    }
    return 0;
}

// Records a response in the query it answers (matched by id and type);
// anything malformed or unasked for is ignored, as a resolver must.
void take_response(const Datagram& d, Query* queries, int nqueries) {
    const unsigned char* m = d.bytes;
    const size_t len = d.len;
    if (len < 12 || (m[2] & 0x80) == 0) return;  // not a response
    Query* q = nullptr;
    for (int i = 0; i < nqueries; ++i)
        if (queries[i].id == get16(m) && !queries[i].answered) q = &queries[i];
    if (q == nullptr) return;
    const int rcode = m[3] & 0x0f;
    if (rcode == kRcodeNXDomain) {
        q->answered = q->nxdomain = true;
        return;
    }
    if (rcode != 0) return;  // SERVFAIL and the like: keep asking
    size_t off = 12;
    for (uint16_t i = 0, n = get16(m + 4); i < n && off != 0; ++i) {
        off = skip_name(m, len, off);
        if (off != 0) off = off + 4 <= len ? off + 4 : 0;
    }
    if (off == 0) return;
    q->answered = true;
    for (uint16_t i = 0, n = get16(m + 6); i < n; ++i) {
        off = skip_name(m, len, off);
        if (off == 0 || off + 10 > len) return;
        const uint16_t type = get16(m + off), rdlen = get16(m + off + 8);
        off += 10;
        if (off + rdlen > len) return;
        const size_t want = q->type == kTypeA ? 4 : 16;
        if (type == q->type && rdlen == want && q->naddrs < kMaxAddrs)
            __builtin_memcpy(q->addrs[q->naddrs++], m + off, want);
        off += rdlen;
    }
}

// RFC 5952 text of an IPv6 address: the longest run of two or more zero
// groups (the first of equal runs) as "::", lower-case hex.
void print_ipv6(const char* name, const unsigned char* b) {
    char text[48];
    size_t o = 0;
    int best = -1, best_len = 0;
    for (int g = 0; g < 8;) {
        if (b[2 * g] != 0 || b[2 * g + 1] != 0) {
            ++g;
            continue;
        }
        int end = g;
        while (end < 8 && b[2 * end] == 0 && b[2 * end + 1] == 0) ++end;
        if (end - g > best_len) best = g, best_len = end - g;
        g = end;
    }
    if (best_len < 2) best = -1;
    for (int g = 0; g < 8; ++g) {
        if (g == best) {
            text[o++] = ':';
            text[o++] = ':';
            g += best_len - 1;
            continue;
        }
        if (g > 0 && g != best + best_len) text[o++] = ':';
        const unsigned v = static_cast<unsigned>(b[2 * g]) << 8 | b[2 * g + 1];
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned nib = (v >> shift) & 15;
            if (nib == 0 && !started && shift != 0) continue;
            started = true;
            text[o++] = "0123456789abcdef"[nib];
        }
    }
    text[o] = '\0';
    sys::fdprint(1, name, " AAAA ", text, "\n");
}

int64_t timeout_ns() {
    const char* env = sys::getenv("DNSQ_TIMEOUT_MS");
    const int64_t ms = env != nullptr ? sys::parse_decimal(env, nullptr, 3'600'000) : -1;
    return (ms > 0 ? ms : 1000) * 1'000'000;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return usage();
    const char* name = argv[1];
    unsigned char qname[256];
    size_t qlen = 0;
    net::SockAddr server;
    if (!encode_name(name, qname, &qlen) || !net::parse_inet(argv[2], net::kAnyFamily, false, &server).ok())
        return usage();

    net::PacketConn conn;
    if (auto r = net::dial("udp", argv[2], &conn); !r.ok()) {
        sys::eprint("dnsq: ", argv[2], ": ", r.error(), "\n");
        return 1;
    }
    // The reader: every datagram to the main G, until the socket closes.
    rawrt::Chan<Datagram> replies(4);
    rawrt::Chan<int> reader_done;
    rawrt::go([&] {
        Datagram d;
        for (;;) {
            auto n = conn.read(d.bytes, sizeof d.bytes);
            if (!n.ok()) {
                if (n.error() == sys::Errno(EBADF)) break;
                continue;  // ECONNREFUSED from an earlier send, and the like
            }
            d.len = static_cast<uint16_t>(n.value());
            replies.send(d);
        }
        reader_done.close();
    });

    Query queries[2];
    const uint16_t id = static_cast<uint16_t>(rawrt::sched::cheaprand());
    queries[0].type = kTypeA;
    queries[1].type = kTypeAAAA;
    queries[0].id = id;
    queries[1].id = static_cast<uint16_t>(id + 1);
    const int64_t timeout = timeout_ns();
    bool all = false;
    for (int attempt = 0; attempt < kTries && !all; ++attempt) {
        unsigned char out[kMaxMessage];
        for (Query& q : queries)
            if (!q.answered) (void)conn.write(out, build_query(q, qname, qlen, out));
        rawrt::Timer deadline(timeout);
        for (bool timed_out = false; !timed_out && !all;) {
            rawrt::select(rawrt::on_recv(replies, [&](Datagram d) { take_response(d, queries, 2); }),
                          rawrt::on_recv(deadline, [&] { timed_out = true; }));
            all = queries[0].answered && queries[1].answered;
        }
    }
    (void)conn.close();
    // Drain whatever the reader still hands over, until it has gone.
    for (bool gone = false; !gone;)
        rawrt::select(rawrt::on_recv(replies), rawrt::on_recv(reader_done, [&] { gone = true; }));

    int printed = 0;
    for (int i = 0; i < queries[0].naddrs; ++i, ++printed) {
        const unsigned char* a = queries[0].addrs[i];
        sys::fdprint(1, name, " A ", unsigned{a[0]}, ".", unsigned{a[1]}, ".", unsigned{a[2]}, ".", unsigned{a[3]},
                     "\n");
    }
    for (int i = 0; i < queries[1].naddrs; ++i, ++printed) print_ipv6(name, queries[1].addrs[i]);
    if (printed > 0) return 0;
    if (queries[0].nxdomain || queries[1].nxdomain) {
        sys::eprint("dnsq: ", name, ": no such host (NXDOMAIN)\n");
        return 1;
    }
    sys::eprint("dnsq: ", name, ": no answer from ", argv[2], " after ", kTries, " tries\n");
    return 1;
}
