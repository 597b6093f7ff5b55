// The out-of-line ends of sys/fatal.hpp: the exit after a fatal error
// (status 2, as after Go's throw) and the error for using the value of a
// failed Result.

#include "sys/fatal.hpp"

#include "sys/calls.hpp"

namespace rawrt::sys {

void exit_after_fatal() { exit_group(2); }

void fatal_unchecked_result(Errno error) { fatal("used the value of a failed syscall result (", error, ")"); }

}  // namespace rawrt::sys
