// Cheap randomness for scheduling decisions (Go: cheaprand in
// runtime/rand.go): the order select polls its cases in, the P a spinning M
// starts stealing from. Not for anything that needs unpredictability.
#pragma once

#include <cstdint>

namespace rawrt::sched {

// wyrand on the calling M's own state (no atomic: only the M draws from it).
// Off an M, a shared state is used racily, which only costs randomness.
uint32_t cheaprand();

// Go: cheaprandn. Uniform in [0, n), by multiply-shift (Lemire).
inline uint32_t cheaprandn(uint32_t n) { return static_cast<uint32_t>((uint64_t{cheaprand()} * n) >> 32); }

}  // namespace rawrt::sched
