// Printing without libc: formatted output assembled in a buffer on the stack
// and written with as few write(2) calls as possible (one per line when it
// fits), so lines from different threads do not interleave mid-line.
//
//   rawrt::sys::eprint("pid ", pid, " at ", ptr, " flags ", Hex{f}, "\n");
//   rawrt::sys::fdprint(1, "ok\n");
//
// Strings, chars, bools, signed and unsigned decimal, Hex{...}, pointers
// (0x...) and Errno (its name). Uses the raw write: printing never enters the
// scheduler, so it is safe from inside the runtime itself.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "sys/errno.hpp"

namespace rawrt::sys {

struct Hex {
    uint64_t value;
};

// Pads a number to a width with spaces on the left (for tables).
struct Padded {
    int64_t value;
    int width;
};

class OutputBuffer {
public:
    explicit OutputBuffer(int fd) : fd_(fd) {}
    ~OutputBuffer() { flush(); }
    OutputBuffer(const OutputBuffer&) = delete;
    OutputBuffer& operator=(const OutputBuffer&) = delete;

    void put(const char* s);
    void put(char c);
    void put(bool b) { put(b ? "true" : "false"); }
    void put(Hex h);
    void put(Padded p);
    void put(Errno e);  // its name; an unknown code as E?(code)
    void put(const void* p);
    void put_signed(int64_t v);
    void put_unsigned(uint64_t v);
    void flush();

    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) void put(T v) {
        if constexpr (std::is_signed_v<T>) put_signed(v);
        else put_unsigned(v);
    }

private:
    int fd_;
    size_t length_ = 0;
    char buffer_[256];
};

template <class... Args>
void fdprint(int fd, const Args&... args) {
    OutputBuffer out(fd);
    (out.put(args), ...);
}

template <class... Args>
void eprint(const Args&... args) {
    fdprint(2, args...);
}

}  // namespace rawrt::sys
