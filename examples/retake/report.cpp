// Durations as text and percentiles of samples, for the retake example's
// lines (examples/retake/report.hpp).

#include "examples/retake/report.hpp"

namespace retake {
namespace {

// Appends s at *at (no terminator).
void append(char*& at, const char* s) {
    while (*s != '\0') *at++ = *s++;
}

void append_number(char*& at, int64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) *at++ = digits[--n];
}

}  // namespace

Duration duration(int64_t ns) {
    Duration d;
    char* at = d.text;
    if (ns < 0) {
        append(at, "-");
        ns = -ns;
    }
    // Tenths of the unit, rounded.
    const bool ms = ns >= 1'000'000;
    const int64_t tenths = (ns + (ms ? 50'000 : 50)) / (ms ? 100'000 : 100);
    append_number(at, tenths / 10);
    append(at, ".");
    append_number(at, tenths % 10);
    append(at, ms ? " ms" : " \xc2\xb5s");
    *at = '\0';
    return d;
}

int64_t percentile(int64_t* samples, size_t n, int percent) {
    if (n == 0) return 0;
    // Insertion sort: a few hundred samples, and no libc.
    for (size_t i = 1; i < n; ++i) {
        const int64_t v = samples[i];
        size_t j = i;
        for (; j > 0 && samples[j - 1] > v; --j) samples[j] = samples[j - 1];
        samples[j] = v;
    }
    size_t rank = (n * static_cast<size_t>(percent) + 99) / 100;  // nearest rank, 1-based
    if (rank == 0) rank = 1;
    return samples[rank - 1];
}

}  // namespace retake
