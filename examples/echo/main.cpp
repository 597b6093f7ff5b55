// echo: a TCP echo server, freestanding and static.
//
//   echo PORT     on 127.0.0.1:PORT; Ps from RAWRT_MAXPROCS; status 0 on SIGINT/SIGTERM
//
// One G per connection reads into a buffer on its own stack and writes back
// what it read. A message costs the syscalls Go's net package makes for it:
// the read that finds it, the write that returns it, and the read that
// finds nothing yet (EAGAIN), after which the G parks in the netpoller and
// its M serves other connections. Nothing is allocated per message.
// bench/go/netbench measures it beside Go's bench/go/echo and a C epoll loop.

#include "examples/common/server.hpp"

namespace {

void serve(rawrt::net::Conn* c) {
    // 16 KiB: a large transfer moves in few syscalls, and the G's 64 KiB
    // stack keeps room for the calls below.
    char buf[16 * 1024];
    for (;;) {
        auto n = c->read(buf, sizeof buf);
        if (!n.ok() || n.value() == 0) return;  // a reset, or the client is done
        if (!c->write(buf, n.value()).ok()) return;
    }
}

}  // namespace

int main(int argc, char** argv) { return examples::serve_main("echo", argc, argv, serve); }
