// The server's responses, constant text, and the buffer that gathers the
// responses to pipelined requests into one write.
#pragma once

#include <cstddef>

#include "examples/http/parse.hpp"
#include "netpoll/net.hpp"

namespace http {

struct Text {
    const char* data;
    size_t size;
};

// 200 with "hello, world\n". A request that does not keep the connection
// gets "Connection: close"; an HTTP/1.0 client that asked to keep it is
// told so (its default is to close). HEAD: the same head, no body.
Text hello(const Request& rq);
Text bad_request();      // 400, closes
Text not_implemented();  // 501, closes

// Responses wait here until flush (or until the next would not fit).
class Output {
public:
    // false: the write failed (the client is gone).
    bool add(Text t, rawrt::net::Conn* c) {
        if (size_ + t.size > sizeof buf_ && !flush(c)) return false;
        __builtin_memcpy(buf_ + size_, t.data, t.size);
        size_ += t.size;
        return true;
    }
    bool flush(rawrt::net::Conn* c) {
        if (size_ == 0) return true;
        const size_t n = size_;
        size_ = 0;
        return c->write(buf_, n).ok();
    }

private:
    char buf_[8 * 1024];
    size_t size_ = 0;
};

}  // namespace http
