// The process's arguments, environment and auxiliary vector, without libc.
//
// In a freestanding program _start hands them over before main runs. In a
// hosted program (tests, embedding) nothing does: the auxiliary vector is then
// read once from /proc/self/auxv, and argv/envp stay empty until the host
// calls set_process_args (e.g. with glibc's argc, argv and environ).
#pragma once

#include <cstddef>

namespace rawrt::sys {

void set_process_args(int argc, char** argv, char** envp);
// The vector after envp's terminating null, as the kernel laid it out.
void set_auxv(const unsigned long* auxv);

int argc();
char** argv();
char** envp();

// The value of auxv entry `type` (AT_SYSINFO_EHDR, AT_RANDOM, ...), or 0 if
// absent, like glibc's getauxval.
unsigned long auxv_value(unsigned long type);

// The value of NAME in the environment, or nullptr.
const char* getenv(const char* name);

}  // namespace rawrt::sys
