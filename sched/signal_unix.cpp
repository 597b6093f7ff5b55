// The stack-overflow handler (Go: runtime/signal_unix.go, sighandler's
// "signal arrived during cgo execution" / sigpanic paths, reduced to what a
// guard page needs).

#include "sched/signal_unix.hpp"

#include <linux/auxvec.h>

#include "arch/arch.hpp"
#include "sched/stack.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/process.hpp"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

namespace rawrt::sched {
namespace {

constexpr size_t kSignalStackFloor = 16 * 1024;
// The handler's own frames above the kernel's: sys::fatal's output buffer
// and a few calls.
constexpr size_t kHandlerRoom = 8 * 1024;

// The head of the kernel's siginfo_t for a fault: si_addr sits after three
// ints and the union's 8-byte alignment (tests check it against glibc's).
struct SigfaultInfo {
    int signo;
    int errnum;
    int code;
    int pad;
    uintptr_t addr;
};

constexpr int kHandled[] = {sys::kSIGSEGV, sys::kSIGBUS};
sys::KernelSigaction previous[2];
size_t sig_stack_size = kSignalStackFloor;

int slot(int sig) { return sig == sys::kSIGSEGV ? 0 : 1; }

// Go: sighandler, for the synchronous faults only. Async-signal-safe: no
// lock, no allocation; sys::fatal writes straight to fd 2.
void sighandler(int sig, void* info, void* /*ucontext*/) {
    const uintptr_t addr = static_cast<SigfaultInfo*>(info)->addr;
    // getg() is nullptr on a thread that is not an M: nothing of ours there.
    if (G* gp = getg()) {
        const uintptr_t lo = gp->stack.lo;
        if (sig == sys::kSIGSEGV && lo != 0 && addr < lo && addr >= lo - kStackGuardSize)
            sys::fatal("stack overflow in goroutine ", gp->goid);
    }
    (void)sys::raw::rt_sigaction(sig, &previous[slot(sig)], nullptr);
}

}  // namespace

void initsig() {
    const size_t min = sys::auxv_value(AT_MINSIGSTKSZ);
    size_t size = min + kHandlerRoom;
    if (size < kSignalStackFloor) size = kSignalStackFloor;
    sig_stack_size = (size + 4095) & ~size_t{4095};

    sys::KernelSigaction act{};
    act.handler = reinterpret_cast<void*>(&sighandler);
    act.flags = sys::kSA_SIGINFO | sys::kSA_ONSTACK | sys::kSA_RESTORER;
    act.restorer = rawrt_sigreturn;
    act.mask = ~sys::SignalSet{0};  // nothing interrupts the report
    for (int sig : kHandled)
        if (auto r = sys::raw::rt_sigaction(sig, &act, &previous[slot(sig)]); !r.ok())
            sys::fatal("initsig: rt_sigaction(", sig, "): ", r.error());
}

void deinit_sig() {
    for (int sig : kHandled) (void)sys::raw::rt_sigaction(sig, &previous[slot(sig)], nullptr);
}

size_t signal_stack_size() { return sig_stack_size; }

void minitSignalStack(M* mp) {
    const sys::SignalStack ss{reinterpret_cast<void*>(mp->gsignal.lo), 0, mp->gsignal.hi - mp->gsignal.lo};
    if (auto r = sys::raw::sigaltstack(&ss, nullptr); !r.ok()) sys::fatal("minitSignalStack: sigaltstack: ", r.error());
}

void unminitSignalStack() {
    const sys::SignalStack ss{nullptr, sys::kSS_DISABLE, 0};
    (void)sys::raw::sigaltstack(&ss, nullptr);
}

}  // namespace rawrt::sched
