// The request head, after RFC 9112 (message syntax) and RFC 9110 (tokens,
// Connection, Content-Length), strict where leniency would let two parsers
// disagree about where a request ends: a space before a header's colon, a
// folded header line, a bare CR, or two different Content-Lengths are 400,
// as in Go's net/http.

#include "examples/http/parse.hpp"

namespace http {
namespace {

// RFC 9110 5.6.2: tchar.
bool is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~': return true;
        default: return false;
    }
}

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// [p, p + n) equals the lower-case word, ignoring case.
bool equals_nocase(const char* p, size_t n, const char* word) {
    size_t i = 0;
    for (; i < n; ++i)
        if (word[i] == '\0' || lower(p[i]) != word[i]) return false;
    return word[i] == '\0';
}

bool equals(const char* p, size_t n, const char* word) {
    size_t i = 0;
    for (; i < n; ++i)
        if (word[i] == '\0' || p[i] != word[i]) return false;
    return word[i] == '\0';
}

// One line of the head: [begin, end) without its CR LF, next past the LF.
struct Line {
    size_t begin, end, next;
};

// The line starting at i; false when its LF has not arrived yet.
bool next_line(const char* p, size_t n, size_t i, Line* line) {
    size_t j = i;
    while (j < n && p[j] != '\n') ++j;
    if (j == n) return false;
    line->begin = i;
    line->end = j > i && p[j - 1] == '\r' ? j - 1 : j;
    line->next = j + 1;
    return true;
}

struct Head {
    bool close = false;       // Connection: close
    bool keep_alive = false;  // Connection: keep-alive
    bool has_length = false;
    uint64_t length = 0;
    bool transfer_encoding = false;
};

// The request line: METHOD SP target SP HTTP/1.x.
bool request_line(const char* p, size_t begin, size_t end, Request* out) {
    size_t i = begin;
    while (i < end && is_tchar(static_cast<unsigned char>(p[i]))) ++i;
    if (i == begin || i == end || p[i] != ' ') return false;
    out->head_method = equals(p + begin, i - begin, "HEAD");
    const size_t target = ++i;
    while (i < end && p[i] != ' ') {
        if (is_ctl(static_cast<unsigned char>(p[i]))) return false;
        ++i;
    }
    if (i == target || i == end) return false;
    ++i;
    if (equals(p + i, end - i, "HTTP/1.1")) {
        out->keep_alive = true;
    } else if (equals(p + i, end - i, "HTTP/1.0")) {
        out->keep_alive = false;
        out->http10 = true;
    } else {
        return false;
    }
    return true;
}

// "close, keep-alive": the options the server acts on.
void connection_options(const char* p, size_t begin, size_t end, Head* head) {
    size_t i = begin;
    while (i < end) {
        while (i < end && (p[i] == ' ' || p[i] == '\t' || p[i] == ',')) ++i;
        const size_t word = i;
        while (i < end && p[i] != ',' && p[i] != ' ' && p[i] != '\t') ++i;
        if (equals_nocase(p + word, i - word, "close")) head->close = true;
        if (equals_nocase(p + word, i - word, "keep-alive")) head->keep_alive = true;
    }
}

// A header line: name ":" OWS value OWS.
bool header_line(const char* p, size_t begin, size_t end, Head* head) {
    size_t i = begin;
    while (i < end && is_tchar(static_cast<unsigned char>(p[i]))) ++i;
    if (i == begin || i == end || p[i] != ':') return false;  // also a folded line (leading space)
    const size_t name_len = i - begin;
    ++i;
    while (i < end && (p[i] == ' ' || p[i] == '\t')) ++i;
    size_t vend = end;
    while (vend > i && (p[vend - 1] == ' ' || p[vend - 1] == '\t')) --vend;
    for (size_t k = i; k < vend; ++k)
        if (p[k] != '\t' && is_ctl(static_cast<unsigned char>(p[k]))) return false;

    const char* name = p + begin;
    if (equals_nocase(name, name_len, "content-length")) {
        if (i == vend) return false;
        uint64_t v = 0;
        for (size_t k = i; k < vend; ++k) {
            if (p[k] < '0' || p[k] > '9') return false;
            v = v * 10 + static_cast<uint64_t>(p[k] - '0');
            if (v > (uint64_t{1} << 50)) return false;
        }
        if (head->has_length && head->length != v) return false;
        head->has_length = true;
        head->length = v;
    } else if (equals_nocase(name, name_len, "connection")) {
        connection_options(p, i, vend, head);
    } else if (equals_nocase(name, name_len, "transfer-encoding")) {
        head->transfer_encoding = true;
    }
    return true;
}

}  // namespace

Parse parse_request(const char* p, size_t n, Request* out) {
    *out = Request{};
    Line line{};
    size_t i = 0;
    // Empty lines before the request line (a client's stray CRLF after a body).
    for (;;) {
        if (!next_line(p, n, i, &line)) return Parse::kIncomplete;
        if (line.end != line.begin) break;
        i = line.next;
    }
    if (!request_line(p, line.begin, line.end, out)) return Parse::kBad;

    Head head;
    for (i = line.next;; i = line.next) {
        if (!next_line(p, n, i, &line)) return Parse::kIncomplete;
        if (line.end == line.begin) break;  // the blank line
        if (!header_line(p, line.begin, line.end, &head)) return Parse::kBad;
    }
    out->head_bytes = line.next;
    out->content_length = head.length;
    if (head.close) {
        out->keep_alive = false;
    } else if (head.keep_alive) {
        out->keep_alive = true;
    }
    return head.transfer_encoding ? Parse::kUnsupported : Parse::kRequest;
}

}  // namespace http
