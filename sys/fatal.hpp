// The runtime's last word, as Go's throw(): "fatal error: ..." on fd 2 and exit
// status 2 for the whole process. Safe from any thread, with no allocation.
#pragma once

#include "sys/print.hpp"

namespace rawrt::sys {

[[noreturn]] void exit_after_fatal();

template <class... Args>
[[noreturn]] void fatal(const Args&... args) {
    {
        OutputBuffer out(2);
        out.put("fatal error: ");
        (out.put(args), ...);
        out.put('\n');
    }
    exit_after_fatal();
}

}  // namespace rawrt::sys
