// What the tracer's two halves share: the buffers and the writer's state
// (sched/trace_buf.cpp records and saves, sched/trace_json.cpp converts).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/layers_below.hpp"
#include "sched/runtime2.hpp"
#include "sched/trace.hpp"

namespace rawrt::sched {

// A buffer as an M fills it; its header is also what the scratch file
// holds before each run of events (n then counts them).
struct alignas(64) TraceBuf {
    TraceBuf* link;    // the pool or the writer's list
    TraceBuf* all;     // every buffer made, for trace_release
    size_t bytes;      // the mapping's size
    int64_t mid;       // the M that recorded it
    uint64_t seq;      // that M's count of buffers: the order of its events
    uint32_t gen;      // trace_state of the trace it belongs to
    uint32_t dropped;  // events the M dropped just before this buffer's first
    std::atomic<uint32_t> n;
    uint32_t cap;
    TraceEvent ev[];
};

struct TraceWriter {
    mutex lock;  // a leaf: the pool and the full list
    TraceBuf* free = nullptr;
    TraceBuf* full = nullptr;  // LIFO: the converter orders by (mid, seq)
    TraceBuf* all = nullptr;
    // Written under lock; read without it too, for the "pool spent" test.
    std::atomic<int32_t> allocated{0};
    std::atomic<int32_t> nfree{0};
    int32_t max_bufs = 0;
    size_t buf_bytes = 0;

    std::atomic<bool> active{false};    // from start until stop returned
    std::atomic<bool> stopping{false};  // stop asked the writer to finish
    std::atomic<uint32_t> wake{0};      // the writer's futex
    std::atomic<uint32_t> done{0};      // the writer's futex for stop's wait
    std::atomic<M*> writer{nullptr};
    bool collected = false;  // collect has read the Ms' buffers (sched.lock)
    bool dying = false;      // stopping from exit_group or a fatal error
    uint32_t gen = 0;
    int error = 0;  // the first errno writing the scratch or the output
    int out_fd = -1;
    int scratch_fd = -1;
    uint64_t scratch_bytes = 0;
    uint64_t dropped_unsaved = 0;  // dropped with no buffer after them
    // The vDSO clock and the CPU's ticks read together at start and at
    // stop: the events' ticks become nanoseconds on that line.
    int64_t start_ns = 0, end_ns = 0;
    uint64_t start_tick = 0, end_tick = 0;
};

extern TraceWriter tw;

sys::Result<void> trace_start(const char* path);
// Ends the trace and waits for the file (from a G, g0 or any thread but
// the writer). EINVAL when none is on.
sys::Result<void> trace_stop(bool dying);
// The scratch file, converted into the output (on the writer, at the end).
sys::Result<void> trace_write_json();

}  // namespace rawrt::sched
