// Go's package time timers with Go 1.23's semantics: Timer, Ticker, after,
// after_func, on the per-P timer heaps of sched/time.hpp.
//
//   rawrt::Timer t(5'000'000);                    // Go: time.NewTimer(5 * time.Millisecond)
//   auto [when, ok] = t.c().recv();               // when: the nanotime() it was due
//
//   int chosen = rawrt::select(                   // a receive with a timeout
//       rawrt::on_recv(replies, [&](int v) { ... }),
//       rawrt::on_recv(rawrt::after(100'000'000)));  // chosen == 1: timed out
//
//   rawrt::Ticker tick(1'000'000);                // every millisecond
//   for (int i = 0; i < 10; ++i) (void)tick.c().recv();
//
//   auto t2 = rawrt::after_func(1'000'000, [] { ... });  // fn on a new G
//
// Go 1.23's rules, which these follow:
// - A timer's channel holds at most one value. Once stop or reset has
//   returned, no value sent for an earlier setting can be received: a value
//   waiting in the channel is dropped, and a send already on its way when
//   stop or reset runs is cancelled (both count as "the timer was pending").
//   stop returns false only when the value was already received (or the
//   timer was stopped already): no value is ever lost silently.
// - A Ticker drops ticks a slow receiver misses and stays on its grid: the
//   k-th tick is due at start + k * period, whatever the delays.
// - A Timer or Ticker that goes away (its destructor) is stopped and costs
//   nothing afterwards; after(d) used as a temporary in a select is stopped
//   when the select returns. An after_func timer is different, as in Go: the
//   handle may go, fn still runs when due unless stop was called.
//
// Durations are nanoseconds; d <= 0 fires at once (a Ticker's d <= 0 is a
// fatal error, Go's "non-positive interval for NewTicker"). The values sent
// are vdso::nanotime() instants: the moment the timer was due (Go sends that
// moment as a time.Time). Everything here runs on a G (stop and reset may
// wait for a firing in progress); Timer and Ticker are move-only, and must
// be destroyed within the run that made them.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "sched/chan.hpp"
#include "sched/layers_below.hpp"

namespace rawrt::sched {

// The state behind a Timer or Ticker, in the allocator (sched/timer.cpp):
// the handle can move, the heap entry cannot.
struct ChanTimer;

// after_func's function, type-erased: call runs it, destroy frees it.
struct TimerFunc {
    void (*call)(void* obj);
    void (*destroy)(void* obj);
    void* obj;
};

// Go: newTimer. c: the channel to send to (nullptr with fn: after_func);
// period: a Ticker's (0: none; < 0: a Ticker's bad one, a fatal error).
ChanTimer* timer_new(int64_t d, int64_t period, hchan* c, TimerFunc fn);
// Go: Timer.Stop / Ticker.Stop. True if the timer was pending.
bool timer_stop(ChanTimer* t);
// Go: Timer.Reset / Ticker.Reset. True if the timer was pending.
bool timer_reset(ChanTimer* t, int64_t d, int64_t period);
// The handle goes: a channel timer stops; an after_func one keeps running.
void timer_release(ChanTimer* t);

template <class F>
TimerFunc timer_func(F&& fn) {
    using T = std::decay_t<F>;
    void* mem = mallocgc(sizeof(T), current_mcache());
    ::new (mem) T(std::forward<F>(fn));
    return TimerFunc{[](void* o) { (*static_cast<T*>(o))(); },
                     [](void* o) {
        static_cast<T*>(o)->~T();
        mfree(o, current_mcache());
                     },
                     mem};
}

}  // namespace rawrt::sched

namespace rawrt {

// Go: time.Timer. Sends the instant it was due on c() once d has passed.
class Timer {
public:
    // Go: time.NewTimer(d).
    explicit Timer(int64_t d) : c_(1), t_(sched::timer_new(d, 0, c_.raw(), {})) {}
    ~Timer() {
        if (t_ != nullptr) sched::timer_release(t_);
    }
    Timer(Timer&& o) noexcept : c_(std::move(o.c_)), t_(o.t_) { o.t_ = nullptr; }
    Timer& operator=(Timer&& o) noexcept {
        if (this != &o) {
            if (t_ != nullptr) sched::timer_release(t_);
            c_ = std::move(o.c_);
            t_ = o.t_;
            o.t_ = nullptr;
        }
        return *this;
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Go: Timer.Stop. True if this call stopped a pending timer (its value
    // was not yet received); false if it had fired and its value was
    // received, or was stopped already. Afterwards c() receives nothing
    // until a reset.
    bool stop() { return sched::timer_stop(t_); }
    // Go: Timer.Reset. Rearms the timer to fire d from now, dropping any
    // value of the earlier setting not yet received. True if it was pending.
    bool reset(int64_t d) { return sched::timer_reset(t_, d, 0); }
    // Go: Timer.C. A nil channel for an after_func timer.
    Chan<int64_t>& c() { return c_; }

private:
    template <class F>
    friend Timer after_func(int64_t d, F&& fn);
    struct FuncTag {};
    Timer(FuncTag, int64_t d, sched::TimerFunc fn)
        : c_(Chan<int64_t>::nil()), t_(sched::timer_new(d, 0, nullptr, fn)) {}

    Chan<int64_t> c_;
    sched::ChanTimer* t_;
};

// Go: time.Ticker. Sends on c() every period, on the grid start + k * period;
// ticks a slow receiver misses are dropped.
class Ticker {
public:
    // Go: time.NewTicker(d). d <= 0 is a fatal error.
    explicit Ticker(int64_t d) : c_(1), t_(sched::timer_new(d, d > 0 ? d : -1, c_.raw(), {})) {}
    ~Ticker() {
        if (t_ != nullptr) sched::timer_release(t_);
    }
    Ticker(Ticker&& o) noexcept : c_(std::move(o.c_)), t_(o.t_) { o.t_ = nullptr; }
    Ticker(const Ticker&) = delete;
    Ticker& operator=(const Ticker&) = delete;
    Ticker& operator=(Ticker&&) = delete;

    // Go: Ticker.Stop. No tick is received after it returns.
    void stop() { (void)sched::timer_stop(t_); }
    // Go: Ticker.Reset. A new period, the first tick d from now; a tick of
    // the old period not yet received is dropped. d <= 0 is a fatal error.
    void reset(int64_t d) { (void)sched::timer_reset(t_, d, d > 0 ? d : -1); }
    // Go: Ticker.C.
    Chan<int64_t>& c() { return c_; }

private:
    Chan<int64_t> c_;
    sched::ChanTimer* t_;
};

// Go: time.After. A Timer whose c() receives once, d from now. As a
// temporary in a select (on_recv(after(d), ...)) it is stopped and freed
// when the select's statement ends.
inline Timer after(int64_t d) { return Timer(d); }

// Go: time.AfterFunc. Runs fn on a new G once d has passed. stop() before
// then keeps fn from running (true); reset() arms it again, and fn runs
// once per firing. The returned handle may be dropped: the timer still
// fires. fn is kept (and destroyed) with the timer, on the allocator.
template <class F>
[[nodiscard("drop the handle with (void) to let fn run anyway")]] Timer after_func(int64_t d, F&& fn) {
    return Timer(Timer::FuncTag{}, d, sched::timer_func(std::forward<F>(fn)));
}

// A select case on a Timer's or Ticker's channel (see on_recv in
// sched/chan.hpp): fn(int64_t when, bool ok), fn(int64_t when) or fn().
template <class F = select_detail::Nothing>
auto on_recv(Timer& t, F fn = {}) {
    return on_recv(t.c(), std::move(fn));
}
// The same for a temporary Timer: after(d). It lives until the end of the
// statement that holds the select.
template <class F = select_detail::Nothing>
auto on_recv(Timer&& t, F fn = {}) {
    return on_recv(t.c(), std::move(fn));
}
template <class F = select_detail::Nothing>
auto on_recv(Ticker& t, F fn = {}) {
    return on_recv(t.c(), std::move(fn));
}

}  // namespace rawrt
