// HTTP/1.x request heads, parsed in place: no copy, no allocation; the
// parser only reports where the head ends and the three things the server
// acts on.
#pragma once

#include <cstddef>
#include <cstdint>

namespace http {

enum class Parse {
    kIncomplete,   // no blank line yet: read more (or 400 if the buffer is full)
    kRequest,      // a whole head: see Request
    kBad,          // not HTTP/1.0 or 1.1, or malformed: 400
    kUnsupported,  // a Transfer-Encoding (chunked bodies are not read): 501
};

struct Request {
    size_t head_bytes = 0;        // request line and headers, blank line included
    uint64_t content_length = 0;  // body bytes that follow the head (to skip)
    bool keep_alive = false;      // HTTP/1.1 unless "Connection: close";
                                  // HTTP/1.0 only with "Connection: keep-alive"
    bool head_method = false;     // HEAD: the response carries no body
    bool http10 = false;          // HTTP/1.0 (keep-alive must then be said)
};

// Looks at the bytes [p, p + n) of a connection, which start a request
// (empty lines before it are skipped and counted in head_bytes, as RFC 9112
// 2.2 allows). Lines end in CRLF or a bare LF.
Parse parse_request(const char* p, size_t n, Request* out);

}  // namespace http
