// http: a minimal HTTP/1.1 server, freestanding and static.
//
//   http PORT     on 127.0.0.1:PORT; Ps from RAWRT_MAXPROCS; status 0 on SIGINT/SIGTERM
//
// Every request gets 200 and the body "hello, world\n" (text/plain,
// Content-Length: 13). Connections stay open for HTTP/1.1 unless the client
// sends "Connection: close", and for HTTP/1.0 only with "Connection:
// keep-alive". Pipelined requests are answered in order, all the responses
// to what one read brought in with one write. A request body (Content-Length)
// is skipped. A head that is not HTTP/1.x, malformed, or larger than the
// 8 KiB buffer gets 400; a Transfer-Encoding (chunked bodies are not read)
// gets 501; both close the connection.
//
// One G per connection; requests are parsed where they were read, and the
// responses are constant text copied into an output buffer: nothing is
// allocated per request. bench/go/netbench measures it under wrk beside Go's
// net/http (bench/go/http).

#include "examples/common/server.hpp"
#include "examples/http/parse.hpp"
#include "examples/http/respond.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::net::Conn;

constexpr size_t kInput = 8 * 1024;  // the largest head accepted
// How long a closing connection waits for the client's unread bytes.
constexpr int64_t kLingerNs = 500'000'000;

// A connection is closed after a response: first the write side, then what
// the client still sends is read and dropped, for a while. Closing with
// unread bytes would make the kernel send a reset, which can destroy the
// response before the client reads it (Go: closeWriteAndWait).
void linger_and_close(Conn* c, char* buf) {
    if (!c->close_write().ok()) return;
    (void)c->set_read_deadline(rawrt::vdso::nanotime() + kLingerNs);
    size_t dropped = 0;
    while (dropped < 256 * 1024) {
        auto n = c->read(buf, kInput);
        if (!n.ok() || n.value() == 0) return;
        dropped += n.value();
    }
}

void serve(Conn* c) {
    char in[kInput];
    http::Output out;
    size_t start = 0, end = 0;  // unparsed bytes: in[start, end)
    uint64_t skip = 0;          // body bytes still to drop
    for (;;) {
        bool close = false;
        for (;;) {
            const uint64_t drop = skip < end - start ? skip : end - start;
            start += drop;
            skip -= drop;
            if (skip != 0 || start == end) break;
            http::Request rq;
            const http::Parse parsed = http::parse_request(in + start, end - start, &rq);
            if (parsed == http::Parse::kIncomplete) {
                if (start == 0 && end == kInput) {  // a head that does not fit
                    (void)out.add(http::bad_request(), c);
                    close = true;
                }
                break;
            }
            if (parsed != http::Parse::kRequest) {
                (void)out.add(parsed == http::Parse::kBad ? http::bad_request() : http::not_implemented(), c);
                close = true;
                break;
            }
            if (!out.add(http::hello(rq), c)) return;
            start += rq.head_bytes;
            skip = rq.content_length;
            if (!rq.keep_alive) {
                close = true;
                break;
            }
        }
        if (!out.flush(c)) return;
        if (close) {
            linger_and_close(c, in);
            return;
        }
        if (start == end) {
            start = end = 0;
        } else if (end == kInput) {  // an incomplete head at the end: to the front
            for (size_t k = start; k < end; ++k) in[k - start] = in[k];
            end -= start;
            start = 0;
        }
        auto n = c->read(in + end, kInput - end);
        if (!n.ok() || n.value() == 0) return;  // the client is gone or done
        end += n.value();
    }
}

}  // namespace

int main(int argc, char** argv) { return examples::serve_main("http", argc, argv, serve); }
