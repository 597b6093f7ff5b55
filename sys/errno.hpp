// Errno: the error half of every syscall result. There is no global errno in
// rawrt: each wrapper returns its error in its Result (sys/result.hpp).
#pragma once

#include <linux/errno.h>  // the E* constants, straight from the kernel's UAPI

namespace rawrt::sys {

class Errno {
public:
    constexpr Errno() = default;
    constexpr explicit Errno(int code) : code_(code) {}

    constexpr int code() const { return code_; }
    // The constant's name ("EBADF"), "OK" for 0, "E?" for a code the kernel
    // headers of this build do not know.
    const char* name() const;

    friend constexpr bool operator==(Errno, Errno) = default;

private:
    int code_ = 0;
};

}  // namespace rawrt::sys
