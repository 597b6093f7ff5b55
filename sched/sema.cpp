// The runtime semaphores (sched/sema.hpp), after Go's runtime/sema.go:
// semacquire parks the G on its address's root, semrelease readies one.

#include "sched/sema.hpp"

#include <atomic>

#include "sched/proc.hpp"

namespace rawrt::sched {
namespace {

// Go: semaRoot and semtable (251 entries, a prime, as in Go). Go keeps a
// treap of addresses per root; rawrt a FIFO list, fine for the few distinct
// addresses that share a root.
struct SemaRoot {
    mutex lock;
    Sudog* head = nullptr;
    Sudog* tail = nullptr;
    std::atomic<uint32_t> nwait{0};
};

constexpr uintptr_t kSemTabSize = 251;
SemaRoot semtable[kSemTabSize];

SemaRoot* semroot(uint32_t* addr) { return &semtable[(reinterpret_cast<uintptr_t>(addr) >> 3) % kSemTabSize]; }

bool cansemacquire(uint32_t* addr) {
    uint32_t v = __atomic_load_n(addr, __ATOMIC_SEQ_CST);
    while (v != 0)
        if (__atomic_compare_exchange_n(addr, &v, v - 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return true;
    return false;
}

void enqueue(SemaRoot* root, Sudog* s) {
    s->next = nullptr;
    s->prev = root->tail;
    if (root->tail != nullptr) root->tail->next = s;
    else root->head = s;
    root->tail = s;
}

void dequeue(SemaRoot* root, Sudog* s) {
    if (s->prev != nullptr) s->prev->next = s->next;
    else root->head = s->next;
    if (s->next != nullptr) s->next->prev = s->prev;
    else root->tail = s->prev;
    s->next = s->prev = nullptr;
}

bool unlock_root(G*, void* root) {
    unlock(&static_cast<SemaRoot*>(root)->lock);
    return true;
}

}  // namespace

void semacquire(uint32_t* addr) {
    if (cansemacquire(addr)) return;
    SemaRoot* root = semroot(addr);
    Sudog s;
    s.c = addr;
    for (;;) {
        lock(&root->lock);
        // Count ourselves first, so a semrelease after our failed try below
        // sees a waiter and takes the lock to find us.
        root->nwait.fetch_add(1, std::memory_order_seq_cst);
        if (cansemacquire(addr)) {
            root->nwait.fetch_sub(1, std::memory_order_relaxed);
            unlock(&root->lock);
            return;
        }
        s.g = current_g();
        s.ticket = 0;
        enqueue(root, &s);
        gopark(unlock_root, root, "semacquire");
        // Woken by semrelease; Go hands the count over directly (ticket 1)
        // only in starvation mode, so usually it is taken again here.
        if (s.ticket != 0 || cansemacquire(addr)) return;
    }
}

void semrelease(uint32_t* addr) {
    SemaRoot* root = semroot(addr);
    __atomic_fetch_add(addr, 1, __ATOMIC_SEQ_CST);  // seq_cst: pairs with nwait (Dekker)
    if (root->nwait.load(std::memory_order_seq_cst) == 0) return;
    lock(&root->lock);
    Sudog* s = root->head;
    while (s != nullptr && s->c != addr) s = s->next;
    if (s == nullptr) {
        unlock(&root->lock);
        return;
    }
    dequeue(root, s);
    root->nwait.fetch_sub(1, std::memory_order_relaxed);
    unlock(&root->lock);
    goready(s->g);
}

uint32_t sem_waiters(uint32_t* addr) { return semroot(addr)->nwait.load(std::memory_order_relaxed); }

void semtable_reset() {
    for (SemaRoot& root : semtable) {
        root.head = root.tail = nullptr;
        root.nwait.store(0, std::memory_order_relaxed);
    }
}

}  // namespace rawrt::sched
