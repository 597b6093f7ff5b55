// What examples/echo and examples/http share: the PORT argument, listening
// on 127.0.0.1, one G per accepted connection, and a clean stop on SIGINT
// or SIGTERM. Header-only: an example is built from its own folder's files.
//
//   int main(int argc, char** argv) { return examples::serve_main("echo", argc, argv, serve); }
//
// Exit status: 0 after SIGINT/SIGTERM, 1 when the server cannot start (the
// port is taken: the message names the errno), 2 for a bad argument (usage
// on fd 2). Port 0 asks the kernel for a free one; the "listening on" line
// says which.
#pragma once

#include <cstddef>
#include <cstdint>

#include "netpoll/net.hpp"
#include "netpoll/signal_notify.hpp"
#include "sched/go.hpp"
#include "sched/time.hpp"
#include "sys/consts.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"

namespace examples {

// Serves one connection; the caller deletes (closes) it afterwards.
using ConnHandler = void (*)(rawrt::net::Conn*);

namespace detail {

// Go: net/http.Server.Serve's accept loop. A failed accept other than the
// listener's close (out of descriptors, above all) backs off 5 ms doubling
// to 1 s, as Go's servers do, instead of spinning; the connection waits in
// the kernel's queue meanwhile.
inline void accept_loop(rawrt::net::Listener* ln, ConnHandler serve, const char* name) {
    int64_t backoff_ns = 0;
    for (;;) {
        auto* c = new rawrt::net::Conn;
        if (auto r = ln->accept(c); !r.ok()) {
            delete c;
            if (r.error() == rawrt::sys::Errno(EBADF)) return;  // closed: shutting down
            backoff_ns = backoff_ns == 0 ? 5'000'000 : backoff_ns * 2;
            if (backoff_ns > 1'000'000'000) backoff_ns = 1'000'000'000;
            rawrt::sys::eprint(name, ": accept: ", r.error(), "; retrying in ", backoff_ns / 1'000'000, " ms\n");
            rawrt::sleep(backoff_ns);
            continue;
        }
        backoff_ns = 0;
        rawrt::go([c, serve] {
            serve(c);
            delete c;
        });
    }
}

}  // namespace detail

inline int serve_main(const char* name, int argc, char** argv, ConnHandler serve) {
    const int64_t port = argc == 2 ? rawrt::sys::parse_decimal(argv[1], nullptr, 65535) : -1;
    if (port < 0) {
        rawrt::sys::eprint("usage: ", name,
                           " PORT\n  serves on 127.0.0.1:PORT (0..65535; 0: any free port) until "
                           "SIGINT or SIGTERM; Ps from RAWRT_MAXPROCS\n");
        return 2;
    }
    // Before listening: a client that sees the port accept may signal at once.
    if (auto r = rawrt::signal::notify({rawrt::sys::kSIGINT, rawrt::sys::kSIGTERM}); !r.ok()) {
        rawrt::sys::eprint(name, ": cannot catch SIGINT/SIGTERM: ", r.error(), "\n");
        return 1;
    }
    char address[32];
    {
        char digits[8];
        int n = 0;
        for (int64_t v = port;; v /= 10) {
            digits[n++] = static_cast<char>('0' + v % 10);
            if (v < 10) break;
        }
        static const char kHost[] = "127.0.0.1:";
        size_t at = 0;
        for (const char* h = kHost; *h != '\0'; ++h) address[at++] = *h;
        while (n > 0) address[at++] = digits[--n];
        address[at] = '\0';
    }
    auto* ln = new rawrt::net::Listener;
    if (auto r = rawrt::net::listen("tcp4", address, ln); !r.ok()) {
        rawrt::sys::eprint(name, ": listen on ", address, ": ", r.error(),
                           r.error() == rawrt::sys::Errno(EADDRINUSE) ? " (the port is in use)" : "", "\n");
        return 1;
    }
    rawrt::sys::fdprint(1, name, ": listening on ", ln->addr().text().str, "\n");

    rawrt::go([ln, serve, name] { detail::accept_loop(ln, serve, name); });

    int sig = 0;
    while (sig != rawrt::sys::kSIGINT && sig != rawrt::sys::kSIGTERM) {
        auto r = rawrt::signal::wait();
        if (!r.ok()) {
            rawrt::sys::eprint(name, ": waiting for a signal: ", r.error(), "\n");
            return 1;
        }
        sig = r.value();
    }
    // Stop accepting; connections in progress end with the process, as
    // when a Go program's main returns.
    (void)ln->close();
    rawrt::signal::stop();
    rawrt::sys::fdprint(1, name, ": ", sig == rawrt::sys::kSIGINT ? "SIGINT" : "SIGTERM", ", stopped\n");
    return 0;
}

}  // namespace examples
