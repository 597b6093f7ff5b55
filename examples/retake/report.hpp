// What the retake example prints its figures with: durations in µs or ms,
// and the median and p90 of a set of samples.
#pragma once

#include <cstddef>
#include <cstdint>

namespace retake {

// A duration as text, "31.4 µs" or "10.2 ms", one decimal.
struct Duration {
    char text[32];
};
Duration duration(int64_t ns);

// Sorts samples in place and returns the value at `percent` (nearest rank).
int64_t percentile(int64_t* samples, size_t n, int percent);

}  // namespace retake
