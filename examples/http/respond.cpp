// Every response the server sends, written out in full: choosing one is an
// index, sending it a copy. Headers as Go's net/http would send for this
// handler, less the Date (a clock read and a format per request).

#include "examples/http/respond.hpp"

namespace http {
namespace {

#define RAWRT_HTTP_OK "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
#define RAWRT_HTTP_BODY "hello, world\n"

constexpr char kKeep[] = RAWRT_HTTP_OK "\r\n" RAWRT_HTTP_BODY;
constexpr char kKeep10[] = RAWRT_HTTP_OK "Connection: keep-alive\r\n\r\n" RAWRT_HTTP_BODY;
constexpr char kClose[] = RAWRT_HTTP_OK "Connection: close\r\n\r\n" RAWRT_HTTP_BODY;
constexpr size_t kBody = sizeof RAWRT_HTTP_BODY - 1;

constexpr char kBad[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
    "bad request\n";
constexpr char kNotImplemented[] =
    "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
    "not implemented\n";

#undef RAWRT_HTTP_OK
#undef RAWRT_HTTP_BODY

template <size_t N>
constexpr Text text(const char (&s)[N], size_t less = 0) {
    return Text{s, N - 1 - less};
}

}  // namespace

Text hello(const Request& rq) {
    const size_t less = rq.head_method ? kBody : 0;
    if (!rq.keep_alive) return text(kClose, less);
    return rq.http10 ? text(kKeep10, less) : text(kKeep, less);
}

Text bad_request() { return text(kBad); }
Text not_implemented() { return text(kNotImplemented); }

}  // namespace http
