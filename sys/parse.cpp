// Decimal numbers from the environment and the arguments (sys/parse.hpp):
// digits only, -1 for anything else or for a value past max.

#include "sys/parse.hpp"

namespace rawrt::sys {

int64_t parse_decimal(const char* s, const char* end, int64_t max) {
    if (s == nullptr || s == end || *s == '\0') return -1;
    int64_t n = 0;
    for (; end != nullptr ? s != end : *s != '\0'; ++s) {
        if (*s < '0' || *s > '9') return -1;
        const int digit = *s - '0';
        if (n > (max - digit) / 10) return -1;
        n = n * 10 + digit;
    }
    return n;
}

}  // namespace rawrt::sys
