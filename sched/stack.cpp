// Stack allocation (Go: runtime/stack.go). See sched/stack.hpp for the chunk
// layout and the two kinds of guard page.

#include "sched/stack.hpp"

#include <linux/futex.h>
#include <linux/mman.h>

#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {
namespace {

constexpr size_t kChunkHeaderSize = 4096;
// Chunks start small (a program with a handful of Gs maps about 1 MiB) and
// double up to 1 GiB: a million 64 KiB stacks take about 70 chunks.
constexpr size_t kFirstChunkSlots = 16;
constexpr size_t kMaxChunkBytes = size_t{1} << 30;
// A P's cache holds up to kStackCacheMax stacks per size and moves
// kStackCacheBatch at a time to or from the global pool (Go: _StackCacheSize,
// refilled and drained by half).
constexpr uint32_t kStackCacheMax = 32;
constexpr uint32_t kStackCacheBatch = kStackCacheMax / 2;

// At the start of every chunk: the chunks are a list for stack_free_all.
struct StackChunk {
    StackChunk* next;
    size_t bytes;
};

// Go: stackpool, one per stack size. Under stackpool_lock.
struct StackPool {
    std::atomic<size_t> size{0};  // stack bytes; 0: this class is unused
    uintptr_t free = 0;           // freed stacks, linked like StackFreeList
    uintptr_t carve = 0;          // the next never-used slot in the newest chunk
    uintptr_t carve_end = 0;
    size_t next_chunk_slots = 0;
};

constinit mutex stackpool_lock;
constinit StackPool stackpool[kNumStackClasses];
constinit StackChunk* chunks = nullptr;

// 0 undecided, else StackGuardKind + 1. Decided once per process: the
// kernel (or emulator) does not change under a running program.
constinit std::atomic<int> guard_kind{0};

// A free stack's link lives in its top word: the page the G struct lives in,
// already resident for any stack that has been used.
uintptr_t& link(uintptr_t lo, size_t size) { return *reinterpret_cast<uintptr_t*>(lo + size - sizeof(uintptr_t)); }

// Does madvise(MADV_GUARD_INSTALL) really make a page fault? A kernel before
// 6.13 says EINVAL; qemu-user says 0 and ignores the advice. The probe reads
// the page from the kernel (a FUTEX_WAIT whose value cannot match): EFAULT
// means the guard is there; EAGAIN means the page was readable.
StackGuardKind probe_guard_kind() {
    auto mem = sys::raw::mmap(nullptr, kStackGuardSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!mem.ok()) sys::fatal("stackalloc: out of memory (", mem.error(), ")");
    StackGuardKind kind = StackGuardKind::mprotect;
    if (sys::raw::madvise(mem.value(), kStackGuardSize, sys::kMADV_GUARD_INSTALL).ok()) {
        auto r = sys::raw::futex(static_cast<uint32_t*>(mem.value()), FUTEX_WAIT_PRIVATE, ~uint32_t{0});
        if (r.error() == sys::Errno(EFAULT)) kind = StackGuardKind::madvise;
    }
    (void)sys::raw::munmap(mem.value(), kStackGuardSize);
    return kind;
}

void install_guard(uintptr_t page) {
    auto* p = reinterpret_cast<void*>(page);
    if (stack_guard_kind() == StackGuardKind::madvise) {
        auto r = sys::raw::madvise(p, kStackGuardSize, sys::kMADV_GUARD_INSTALL);
        if (r.ok()) return;
        if (r.error() != sys::Errno(EINVAL)) sys::fatal("stackalloc: cannot install a guard page (", r.error(), ")");
    }
    auto r = sys::raw::mprotect(p, kStackGuardSize, PROT_NONE);
    // ENOMEM here is vm.max_map_count: every mprotect'd guard splits a VMA.
    if (!r.ok())
        sys::fatal("stackalloc: cannot protect a guard page (", r.error(),
                   "; with mprotect guards every stack costs two of vm.max_map_count's mappings)");
}

// The class of stacks of `size` bytes, claiming a free one for a new size.
int stack_class(size_t size) {
    for (int i = 0; i < kNumStackClasses; ++i)
        if (stackpool[i].size.load(std::memory_order_acquire) == size) return i;
    lock(&stackpool_lock);
    int found = -1;
    for (int i = 0; i < kNumStackClasses && found < 0; ++i) {
        size_t s = stackpool[i].size.load(std::memory_order_relaxed);
        if (s == size) found = i;
        if (s == 0) {
            stackpool[i].next_chunk_slots = kFirstChunkSlots;
            stackpool[i].size.store(size, std::memory_order_release);
            found = i;
        }
    }
    unlock(&stackpool_lock);
    if (found < 0) sys::fatal("stackalloc: more than ", kNumStackClasses, " stack sizes in one run");
    return found;
}

// Maps a new chunk for pool `sp`. stackpool_lock held.
void new_chunk(StackPool* sp) {
    const size_t size = sp->size.load(std::memory_order_relaxed);
    const size_t slot = kStackGuardSize + size;
    size_t slots = sp->next_chunk_slots;
    if (slots * slot > kMaxChunkBytes) slots = kMaxChunkBytes / slot;
    if (slots == 0) slots = 1;
    const size_t bytes = kChunkHeaderSize + slots * slot;
    // NORESERVE: only what the Gs touch is ever committed.
    auto mem = sys::raw::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (!mem.ok()) sys::fatal("stackalloc: out of memory (", bytes, " bytes: ", mem.error(), ")");
    // A huge page would make one touched stack top cost 2 MiB of memory.
    (void)sys::raw::madvise(mem.value(), bytes, sys::kMADV_NOHUGEPAGE);
    auto* chunk = static_cast<StackChunk*>(mem.value());
    chunk->next = chunks;
    chunk->bytes = bytes;
    chunks = chunk;
    sp->carve = reinterpret_cast<uintptr_t>(chunk) + kChunkHeaderSize;
    sp->carve_end = reinterpret_cast<uintptr_t>(chunk) + bytes;
    sp->next_chunk_slots = slots * 2;
}

// Go: stackpoolalloc. One stack of class c: a freed one, or a new slot,
// returned with its guard still to install (*fresh). stackpool_lock held.
uintptr_t stackpoolalloc(int c, bool* fresh) {
    StackPool* sp = &stackpool[c];
    const size_t size = sp->size.load(std::memory_order_relaxed);
    if (sp->free != 0) {
        const uintptr_t lo = sp->free;
        sp->free = link(lo, size);
        *fresh = false;
        return lo;
    }
    if (sp->carve == sp->carve_end) new_chunk(sp);
    const uintptr_t guard = sp->carve;
    sp->carve += kStackGuardSize + size;
    *fresh = true;
    return guard + kStackGuardSize;
}

// Go: stackpoolfree. stackpool_lock held.
void stackpoolfree(int c, uintptr_t lo) {
    StackPool* sp = &stackpool[c];
    link(lo, sp->size.load(std::memory_order_relaxed)) = sp->free;
    sp->free = lo;
}

// Go: stackcacherefill. Fills half the P's cache from the global pool under
// one lock; the new slots' guards are installed after it is released.
void stackcacherefill(StackFreeList* x, int c, size_t size) {
    uintptr_t fresh[kStackCacheBatch];
    uint32_t nfresh = 0;
    lock(&stackpool_lock);
    for (uint32_t i = 0; i < kStackCacheBatch; ++i) {
        bool is_fresh = false;
        const uintptr_t lo = stackpoolalloc(c, &is_fresh);
        if (is_fresh) fresh[nfresh++] = lo;
        link(lo, size) = x->list;
        x->list = lo;
        ++x->n;
    }
    unlock(&stackpool_lock);
    for (uint32_t i = 0; i < nfresh; ++i) install_guard(fresh[i] - kStackGuardSize);
}

// Go: stackcacherelease. Gives half the P's cache back to the global pool.
void stackcacherelease(StackFreeList* x, int c, size_t size) {
    lock(&stackpool_lock);
    while (x->n > kStackCacheMax - kStackCacheBatch) {
        const uintptr_t lo = x->list;
        x->list = link(lo, size);
        --x->n;
        stackpoolfree(c, lo);
    }
    unlock(&stackpool_lock);
}

// The calling M's P, whose cache it may use without a lock; nullptr off the
// runtime (run()'s caller) or on an M without a P.
P* current_p() {
    M* mp = getm();
    return mp != nullptr ? mp->p : nullptr;
}

}  // namespace

StackGuardKind stack_guard_kind() {
    int k = guard_kind.load(std::memory_order_acquire);
    if (k == 0) {
        // Two threads may both probe; they reach the same answer.
        k = static_cast<int>(probe_guard_kind()) + 1;
        guard_kind.store(k, std::memory_order_release);
    }
    return static_cast<StackGuardKind>(k - 1);
}

Stack stackalloc(size_t size) {
    if (size == 0 || size % kStackGuardSize != 0) sys::fatal("stackalloc: bad stack size ", size);
    const int c = stack_class(size);
    uintptr_t lo;
    if (P* pp = current_p()) {
        StackFreeList* x = &pp->stackcache[c];
        if (x->list == 0) stackcacherefill(x, c, size);
        lo = x->list;
        x->list = link(lo, size);
        --x->n;
    } else {
        bool fresh = false;
        lock(&stackpool_lock);
        lo = stackpoolalloc(c, &fresh);
        unlock(&stackpool_lock);
        if (fresh) install_guard(lo - kStackGuardSize);
    }
    return Stack{lo, lo + size};
}

void stackfree(Stack stk) {
    const size_t size = stk.hi - stk.lo;
    const int c = stack_class(size);
    if (P* pp = current_p()) {
        StackFreeList* x = &pp->stackcache[c];
        if (x->n >= kStackCacheMax) stackcacherelease(x, c, size);
        link(stk.lo, size) = x->list;
        x->list = stk.lo;
        ++x->n;
        return;
    }
    lock(&stackpool_lock);
    stackpoolfree(c, stk.lo);
    unlock(&stackpool_lock);
}

void stack_free_all() {
    lock(&stackpool_lock);
    while (StackChunk* chunk = chunks) {
        chunks = chunk->next;
        (void)sys::raw::munmap(chunk, chunk->bytes);
    }
    for (StackPool& sp : stackpool) {
        sp.size.store(0, std::memory_order_relaxed);
        sp.free = sp.carve = sp.carve_end = 0;
        sp.next_chunk_slots = 0;
    }
    unlock(&stackpool_lock);
}

}  // namespace rawrt::sched
