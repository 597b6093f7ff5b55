// rawrt's tour: `make run`. A freestanding static binary built with
// -nostdlib against rawrt's own crt; it walks through each layer live.

#include "examples/tour/tour.hpp"
#include "sys/print.hpp"

int main() {
    rawrt::sys::fdprint(1, "rawrt tour\n");
    tour::foundation();
    tour::scheduler();
    tour::syscalls();
    return 0;
}
