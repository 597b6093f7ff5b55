// Go's channels (runtime/chan.go) and select (runtime/select.go) on rawrt's
// scheduler. A G that cannot proceed parks on the channel's queue and its M
// runs other Gs; whoever completes the operation copies the value straight
// into the parked G's frame and readies it.
//
//   rawrt::Chan<int> ch;            // unbuffered (Go: make(chan int))
//   rawrt::Chan<int> jobs(16);      // buffered, capacity 16
//
//   rawrt::go([&] { ch.send(42); ch.close(); });
//   auto [v, ok] = ch.recv();       // 42, true
//   auto r = ch.recv();             // 0, false: closed and drained
//
//   jobs.try_send(7);               // false when full (select with default)
//   auto t = jobs.try_recv();       // t.ready: something happened (a value,
//                                   // or closed: t.ok false); else nothing
//
//   int chosen = rawrt::select(     // Go's select statement
//       rawrt::on_recv(a, [&](int v, bool ok) { ... }),
//       rawrt::on_send(b, 5, [&] { ... }),
//       rawrt::on_default([&] { ... }));   // optional: makes it non-blocking
//   // chosen: the argument index of the case that ran (0, 1 or 2 here).
//
// Rules, as in Go: send on a closed channel, close of a closed channel and
// close of a nil (moved-from) channel are fatal errors; send and receive on
// a nil channel block forever; a nil channel's select case is never chosen.
// Among ready select cases, one is chosen uniformly at random.
//
// A Chan owns its channel (move-only; the destructor frees it), and Gs share
// it by reference: it must outlive every operation on it. Values still
// buffered are destroyed with it; a G still blocked on it stays blocked
// forever. Operations run on Gs only; creating and destroying a channel may
// happen anywhere, within the run whose allocator it came from.
// Chan<T>::nil() is a nil channel, to switch a select case off.
//
// Element types: any movable, default-constructible T (the default value is
// what a receive on a closed channel yields, Go's zero value). Trivially
// copyable Ts are copied as bytes, like Go's typedmemmove; others through
// their move constructor, under the channel's lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "sched/layers_below.hpp"
#include "sched/runtime2.hpp"

namespace rawrt::sched {

// How to move elements that bytes cannot (Go's elemtype, reduced to what
// the channel does with one). nullptr stands for "trivially copyable".
struct ElemOps {
    void (*move_construct)(void* dst, void* src);  // src stays alive, moved-from
    void (*destroy)(void* p);
};

template <class T>
struct ElemOpsOf {
    static void move_construct(void* dst, void* src) { ::new (dst) T(std::move(*static_cast<T*>(src))); }
    static void destroy(void* p) { static_cast<T*>(p)->~T(); }
    static constexpr ElemOps ops{&move_construct, &destroy};
    static constexpr const ElemOps* get() { return std::is_trivially_copyable_v<T> ? nullptr : &ops; }
};

// Go: waitq. A FIFO of sudogs, each on its own G's stack.
struct waitq {
    Sudog* first = nullptr;
    Sudog* last = nullptr;

    void enqueue(Sudog* sgp);
    // The first sudog whose G can still be woken: a select's G already won
    // by another case is skipped (and dropped from this queue).
    Sudog* dequeue();
    // Removes sgp wherever it is (a select leaving the queues it lost on).
    void dequeueSudoG(Sudog* sgp);
};

// Go: hchan. The buffer follows the header in the same allocation.
struct hchan {
    std::atomic<size_t> qcount{0};  // values in buf; read without the lock by len() and fast paths
    size_t dataqsiz = 0;            // capacity of buf (0: unbuffered)
    unsigned char* buf = nullptr;   // dataqsiz slots of elemsize bytes
    uint32_t elemsize = 0;
    std::atomic<uint32_t> closed{0};
    const ElemOps* elemtype = nullptr;
    size_t sendx = 0;  // next slot to fill
    size_t recvx = 0;  // next slot to take
    waitq recvq;       // blocked receivers
    waitq sendq;       // blocked senders
    spinmutex lock;    // guards everything above and the sudogs queued here
};

// Go: makechan. Fatal when the buffer's size overflows or memory is refused.
hchan* makechan(size_t elemsize, size_t elem_align, size_t size, const ElemOps* elemtype);
// Frees c and destroys the values still buffered. Go's GC does this.
void free_chan(hchan* c);

// Go: chansend. ep points to the value, which stays alive (moved-from)
// either way. block false: returns false instead of parking.
bool chansend(hchan* c, void* ep, bool block);

struct ChanRecvResult {
    bool selected;  // the operation happened (a value, or a closed channel)
    bool received;  // *ep holds a value (false: closed, *ep untouched)
};
// Go: chanrecv. ep: raw storage for one element (nullptr: discard it).
ChanRecvResult chanrecv(hchan* c, void* ep, bool block);

// Go: closechan. Wakes every blocked receiver (ok false) and sender (which
// then dies with "send on closed channel").
void closechan(hchan* c);

inline size_t chanlen(const hchan* c) { return c != nullptr ? c->qcount.load(std::memory_order_relaxed) : 0; }
inline size_t chancap(const hchan* c) { return c != nullptr ? c->dataqsiz : 0; }

// Go: scase. Sends come first in a select's array, receives after them.
struct scase {
    hchan* c;    // nullptr: never ready (a nil channel)
    void* elem;  // the value to send, or raw storage to receive into
};

// Go: selectgo. cas0 has nsends send cases then nrecvs receive cases;
// order0 has room for 2 × (nsends + nrecvs). Returns the index in cas0 of
// the case that proceeded, or -1 when none was ready and block is false;
// *recvOK tells a receive case whether it got a value or a closed channel.
int selectgo(scase* cas0, uint16_t* order0, int nsends, int nrecvs, bool block, bool* recvOK);

// chan.go's helpers that selectgo shares. unlockf(arg) releases whatever
// locks the caller holds; it runs before gp is readied.
void send(hchan* c, Sudog* sg, void* ep, void (*unlockf)(void*), void* arg);
void recv(hchan* c, Sudog* sg, void* ep, void (*unlockf)(void*), void* arg);
// With c->lock held: copies *ep to the buffer's tail (there is room), or
// moves the buffer's head into ep (there is a value; ep nullptr: drops it).
void buf_put(hchan* c, void* ep);
void buf_take(hchan* c, void* ep);
// Moves slot's value out into ep (nullptr: drops it); slot is raw afterwards.
void take_slot(hchan* c, void* ep, void* slot);
// Move-constructs raw dst from the live src.
void typedmemmove(hchan* c, void* dst, void* src);
inline unsigned char* chanbuf(hchan* c, size_t i) { return c->buf + i * c->elemsize; }
// The running G; fatal on a thread that is not running one.
G* getg_for(const char* what);

}  // namespace rawrt::sched

namespace rawrt {

template <class T>
struct Received {
    T value;
    bool ok;  // false: the channel is closed and drained (value is T{})
};

template <class T>
struct TryReceived {
    T value;
    bool ok;     // a value was received
    bool ready;  // the receive happened (ok, or closed); false: it would block
};

template <class T>
class Chan {
    static_assert(std::is_move_constructible_v<T> && std::is_default_constructible_v<T>,
                  "rawrt::Chan<T>: T must be movable and default-constructible");
    static_assert(sizeof(T) < (1u << 16), "rawrt::Chan<T>: element type too large (Go's limit, 64 KiB)");

public:
    explicit Chan(size_t capacity = 0)
        : c_(sched::makechan(sizeof(T), alignof(T), capacity, sched::ElemOpsOf<T>::get())) {}
    // A nil channel (Go's `var ch chan T`): never ready, blocks forever; a
    // select case on it is never chosen.
    static Chan nil() { return Chan(NilTag{}); }
    ~Chan() { sched::free_chan(c_); }
    Chan(Chan&& other) noexcept : c_(other.c_) { other.c_ = nullptr; }
    Chan& operator=(Chan&& other) noexcept {
        if (this != &other) {
            sched::free_chan(c_);
            c_ = other.c_;
            other.c_ = nullptr;
        }
        return *this;
    }
    Chan(const Chan&) = delete;
    Chan& operator=(const Chan&) = delete;

    void send(T value) { sched::chansend(c_, &value, true); }
    bool try_send(T value) { return sched::chansend(c_, &value, false); }

    Received<T> recv() {
        alignas(T) unsigned char slot[sizeof(T)];
        sched::ChanRecvResult r = sched::chanrecv(c_, slot, true);
        return Received<T>{take(slot, r.received), r.received};
    }
    TryReceived<T> try_recv() {
        alignas(T) unsigned char slot[sizeof(T)];
        sched::ChanRecvResult r = sched::chanrecv(c_, slot, false);
        return TryReceived<T>{take(slot, r.received), r.received, r.selected};
    }

    void close() { sched::closechan(c_); }
    size_t len() const { return sched::chanlen(c_); }
    size_t cap() const { return sched::chancap(c_); }

    // The type-erased channel, for select (nullptr after a move).
    sched::hchan* raw() const { return c_; }

    // The value a receive left in slot, or T{} when it got none.
    static T take(void* slot, bool received) {
        if (!received) return T();
        T* p = std::launder(static_cast<T*>(slot));
        T out(std::move(*p));
        p->~T();
        return out;
    }

private:
    struct NilTag {};  // not a pointer: Chan(0) must stay unambiguous
    explicit Chan(NilTag) : c_(nullptr) {}
    sched::hchan* c_;
};

// ----------------------------------------------------------------- select

namespace select_detail {

enum class Kind { send, recv, fallback };

struct Nothing {
    void operator()() const {}
};

template <class T, class F>
struct RecvCase {
    static constexpr Kind kind = Kind::recv;
    sched::hchan* c;
    F fn;
    alignas(T) unsigned char slot[sizeof(T)];  // raw until a value arrives

    RecvCase(sched::hchan* ch, F f) : c(ch), fn(std::move(f)) {}

    void* elem() { return slot; }
    void fire(bool ok) {
        T value = Chan<T>::take(slot, ok);
        if constexpr (std::is_invocable_v<F&, T&&, bool>) fn(std::move(value), ok);
        else if constexpr (std::is_invocable_v<F&, T&&>) fn(std::move(value));
        else {
            static_assert(std::is_invocable_v<F&>, "rawrt::on_recv: the handler takes (T, bool), (T) or ()");
            fn();
        }
    }
};

template <class T, class F>
struct SendCase {
    static constexpr Kind kind = Kind::send;
    sched::hchan* c;
    T value;
    F fn;

    void* elem() { return &value; }
    void fire(bool) { fn(); }
};

template <class F>
struct DefaultCase {
    static constexpr Kind kind = Kind::fallback;
    F fn;

    void fire(bool) { fn(); }
};

// Only rawrt's cases: a program's own select(2) call is never taken for this.
template <class C>
concept Case = requires {
    std::decay_t<C>::kind;
};

template <class C>
constexpr int count(Kind k) {
    return std::decay_t<C>::kind == k ? 1 : 0;
}

}  // namespace select_detail

// A receive case: fn(T value, bool ok), fn(T value) or fn() (or none).
template <class T, class F = select_detail::Nothing>
auto on_recv(Chan<T>& ch, F fn = {}) {
    return select_detail::RecvCase<T, F>(ch.raw(), std::move(fn));
}
// A send case: fn() runs if value was sent.
template <class T, class F = select_detail::Nothing>
auto on_send(Chan<T>& ch, std::type_identity_t<T> value, F fn = {}) {
    return select_detail::SendCase<T, F>{ch.raw(), std::move(value), std::move(fn)};
}
// Go's default: runs when no other case is ready, and select never blocks.
template <class F = select_detail::Nothing>
auto on_default(F fn = {}) {
    return select_detail::DefaultCase<F>{std::move(fn)};
}

// Go's select statement: waits until one of the cases can proceed (or, with
// on_default, takes the default at once), performs it, runs its handler
// and returns its position among the arguments. With no case at all it
// blocks forever, like Go's `select {}`.
template <select_detail::Case... Cases>
int select(Cases&&... cases) {
    using select_detail::Kind;
    constexpr int kDefaults = (0 + ... + select_detail::count<Cases>(Kind::fallback));
    constexpr int kSends = (0 + ... + select_detail::count<Cases>(Kind::send));
    constexpr int kRecvs = (0 + ... + select_detail::count<Cases>(Kind::recv));
    constexpr int kChans = kSends + kRecvs;
    static_assert(kDefaults <= 1, "rawrt::select: at most one default case");
    static_assert(kChans < (1 << 15), "rawrt::select: too many cases");

    // Go's compiler lays sends first, receives after; argpos maps back.
    sched::scase scases[kChans > 0 ? kChans : 1];
    int argpos[kChans > 0 ? kChans : 1];
    uint16_t order[kChans > 0 ? 2 * kChans : 2];
    int nsend = 0, nrecv = 0, pos = 0, default_pos = -1;
    [[maybe_unused]] auto place = [&](auto& cas) {  // unused by an empty select
        constexpr Kind kind = std::decay_t<decltype(cas)>::kind;
        if constexpr (kind == Kind::send) {
            scases[nsend] = sched::scase{cas.c, cas.elem()};
            argpos[nsend++] = pos;
        } else if constexpr (kind == Kind::recv) {
            scases[kSends + nrecv] = sched::scase{cas.c, cas.elem()};
            argpos[kSends + nrecv++] = pos;
        } else {
            default_pos = pos;
        }
        ++pos;
    };
    (place(cases), ...);

    bool recvOK = false;
    int casi = sched::selectgo(scases, order, kSends, kRecvs, kDefaults == 0, &recvOK);
    const int chosen = casi < 0 ? default_pos : argpos[casi];
    int k = 0;
    ((k++ == chosen ? cases.fire(recvOK) : void()), ...);
    return chosen;
}

}  // namespace rawrt
