// The smallest freestanding rawrt program: one line on stdout, exit status 0.
//
//   make ARCH=x86_64 build/x86_64/examples/hello && build/x86_64/examples/hello

#include "sys/calls.hpp"

int main() {
    static const char line[] = "hello from rawrt\n";
    return rawrt::sys::write(1, line, sizeof line - 1).ok() ? 0 : 1;
}
