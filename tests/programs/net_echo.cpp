// A freestanding echo server and its clients in one program, for
// tests/net_test.cpp: the socket API (netpoll/net.hpp) used as a real
// program uses it, Listener and Conns from the heap (operator new), one G
// per connection, with SIGPIPE at its default action (the process would
// die if a write to a vanished peer raised it).
//
//   net_echo NETWORK ADDRESS CLIENTS
//
// Listens on ADDRESS, dials it CLIENTS times at once; each client sends a
// line, half-closes and reads the echo to end of file. One extra client
// asks for a large reply (64 MiB) and hangs up without reading it. Prints the
// listener's address, then "echoed N" (the clients whose echo matched)
// and "server writes failed M" (the writes that saw the hang-up). Exit
// status 0 when every echo matched, 1 otherwise, 2 on a setup error.

#include "netpoll/net.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"

namespace {

using rawrt::net::Conn;
using rawrt::net::Listener;

// More than the socket buffers of both ends hold: the write must wait, and
// then meet the reset.
constexpr size_t kBig = 64 << 20;
unsigned char big[kBig];

void serve(Conn* c, int* write_failures, rawrt::Mutex* mu) {
    char buf[256];
    size_t n = 0;
    for (;;) {  // the request: everything up to the client's half-close
        auto r = c->read(buf + n, sizeof buf - n);
        if (!r.ok() || r.value() == 0) break;
        n += r.value();
    }
    const bool wants_big = n == 3 && buf[0] == 'b' && buf[1] == 'i' && buf[2] == 'g';
    auto w = wants_big ? c->write(big, kBig) : c->write(buf, n);
    if (!w.ok()) {
        mu->lock();
        ++*write_failures;
        mu->unlock();
    }
    delete c;  // closes
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) return 2;
    static const char* network = argv[1];
    const int64_t clients = rawrt::sys::parse_decimal(argv[3], nullptr, 10000);
    if (clients < 0) return 2;
    auto* ln = new Listener;
    if (auto e = rawrt::net::listen(network, argv[2], ln); !e.ok()) {
        rawrt::sys::eprint("listen: ", e.error(), "\n");
        return 2;
    }
    const auto where = ln->addr().text();
    rawrt::sys::fdprint(1, "listening on ", where.str, "\n");

    static rawrt::Mutex mu;
    static int write_failures = 0;
    static rawrt::WaitGroup served;
    served.add(static_cast<int>(clients) + 1);
    rawrt::go([ln] {
        for (;;) {
            auto* c = new Conn;
            if (!ln->accept(c).ok()) {  // closed: done
                delete c;
                return;
            }
            rawrt::go([c] {
                serve(c, &write_failures, &mu);
                served.done();
            });
        }
    });

    static int matched = 0;
    rawrt::WaitGroup wg;
    wg.add(static_cast<int>(clients) + 1);
    for (int64_t i = 0; i < clients; ++i)
        rawrt::go([i, &wg, &where] {
            auto* c = new Conn;
            char line[32], echo[64];
            int len = 0;
            for (int64_t v = i;; v /= 10) {  // i's digits, reversed: enough to tell the clients apart
                line[len++] = static_cast<char>('0' + v % 10);
                if (v < 10) break;
            }
            line[len++] = '\n';
            size_t got = 0;
            if (rawrt::net::dial(network, where.str, c).ok() && c->write(line, len).ok() && c->close_write().ok()) {
                for (;;) {
                    auto r = c->read(echo + got, sizeof echo - got);
                    if (!r.ok() || r.value() == 0) break;
                    got += r.value();
                }
            }
            bool same = got == static_cast<size_t>(len);
            for (size_t k = 0; same && k < got; ++k) same = echo[k] == line[k];
            if (same) {
                mu.lock();
                ++matched;
                mu.unlock();
            }
            delete c;
            wg.done();
        });
    rawrt::go([&wg, &where] {  // asks for the big reply, then hangs up
        auto* c = new Conn;
        if (rawrt::net::dial(network, where.str, c).ok()) {
            (void)c->write("big", 3);
            (void)c->close_write();
            char one;
            (void)c->read(&one, 1);  // the first bytes of the reply: it is being sent
        }
        delete c;  // unread data: the peer gets a reset
        wg.done();
    });
    wg.wait();
    served.wait();
    (void)ln->close();
    delete ln;
    rawrt::sys::fdprint(1, "echoed ", matched, "\nserver writes failed ", write_failures, "\n");
    return matched == clients ? 0 : 1;
}
