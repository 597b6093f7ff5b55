// The buffer behind fdprint and eprint (sys/print.hpp): decimal, hex,
// pointers and errno names formatted into it, written out with the raw write.

#include "sys/print.hpp"

#include "sys/calls.hpp"

namespace rawrt::sys {

void OutputBuffer::flush() {
    const char* p = buffer_;
    size_t left = length_;
    while (left > 0) {
        Result<size_t> r = raw::write(fd_, p, left);
        if (!r.ok()) {
            if (r.error() == Errno(EINTR)) continue;
            break;  // nowhere left to report a failed report
        }
        p += r.value();
        left -= r.value();
    }
    length_ = 0;
}

void OutputBuffer::put(char c) {
    if (length_ == sizeof buffer_) flush();
    buffer_[length_++] = c;
}

void OutputBuffer::put(const char* s) {
    if (s == nullptr) s = "(null)";
    while (*s) put(*s++);
}

void OutputBuffer::put_unsigned(uint64_t v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
}

void OutputBuffer::put_signed(int64_t v) {
    if (v < 0) {
        put('-');
        put_unsigned(0 - static_cast<uint64_t>(v));  // well-defined for INT64_MIN
    } else {
        put_unsigned(static_cast<uint64_t>(v));
    }
}

void OutputBuffer::put(Hex h) {
    put("0x");
    int shift = 60;
    while (shift > 0 && ((h.value >> shift) & 0xf) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) put("0123456789abcdef"[(h.value >> shift) & 0xf]);
}

void OutputBuffer::put(const void* p) { put(Hex{reinterpret_cast<uintptr_t>(p)}); }

void OutputBuffer::put(Errno e) {
    const char* name = e.name();
    put(name);
    // "E?" alone would lose the one fact a fatal message about it can give.
    if (name[0] == 'E' && name[1] == '?') {
        put('(');
        put_signed(e.code());
        put(')');
    }
}

void OutputBuffer::put(Padded p) {
    int digits = p.value < 0 ? 2 : 1;
    for (int64_t v = p.value; v >= 10 || v <= -10; v /= 10) ++digits;
    for (int i = digits; i < p.width; ++i) put(' ');
    put_signed(p.value);
}

}  // namespace rawrt::sys
