#include "sys/fatal.hpp"

#include "sys/calls.hpp"

namespace rawrt::sys {

void exit_after_fatal() { exit_group(2); }

void fatal_unchecked_result(Errno error) {
    fatal("used the value of a failed syscall result (", error, ")");
}

}  // namespace rawrt::sys
