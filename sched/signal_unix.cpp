// The runtime's signal handlers (Go: runtime/signal_unix.go): the
// stack-overflow report (sighandler's sigpanic path, reduced to what a guard
// page needs) and SIGURG, preemption's signal (sched/preempt.cpp).

#include "sched/signal_unix.hpp"

#include <linux/auxvec.h>

#include <atomic>

#include "arch/arch.hpp"
#include "sched/debug.hpp"
#include "sched/preempt.hpp"
#include "sched/stack.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/process.hpp"
#include "sys/sighandlers.hpp"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

namespace rawrt::sched {
namespace {

constexpr size_t kSignalStackFloor = 16 * 1024;
// The handler's own frames above the kernel's: sys::fatal's output buffer
// and a few calls.
constexpr size_t kHandlerRoom = 8 * 1024;

constexpr int kHandled[] = {sys::kSIGSEGV, sys::kSIGBUS};
sys::KernelSigaction previous[2];
size_t sig_stack_size = kSignalStackFloor;

int slot(int sig) { return sig == sys::kSIGSEGV ? 0 : 1; }

// SIGURG's disposition before the run, and where SIGURGs that are not
// preemption requests go meanwhile (sigurg_forward).
bool sigurg_installed = false;
sys::KernelSigaction previous_sigurg;
std::atomic<void (*)(int)> sigurg_notify{nullptr};

// Go: sighandler, for the synchronous faults only. Async-signal-safe: no
// lock, no allocation; sys::fatal writes straight to fd 2.
void sighandler(int sig, void* info, void* /*ucontext*/) {
    const uintptr_t addr = static_cast<sys::Siginfo*>(info)->fields.addr;
    // getg() is nullptr on a thread that is not an M: nothing of ours there.
    if (G* gp = getg()) {
        const uintptr_t lo = gp->stack.lo;
        if (sig == sys::kSIGSEGV && lo != 0 && addr < lo && addr >= lo - kStackGuardSize)
            sys::fatal("stack overflow in goroutine ", gp->goid);
    }
    (void)sys::raw::rt_sigaction(sig, &previous[slot(sig)], nullptr);
}

// SIGURG: sysmon's preemption requests, and everybody else's SIGURGs
// (out-of-band data, a kill), which go where they would have gone without
// the runtime: to rawrt::signal::notify, else to the handler there was
// before the run, else nowhere (SIGURG's default is to ignore it).
void sighandler_urg(int sig, void* info, void* ucontext) {
    const auto* si = static_cast<const sys::Siginfo*>(info);
    if (is_preempt_request(si)) return doSigPreempt(si, ucontext);
    if (void (*notify)(int) = sigurg_notify.load(std::memory_order_acquire)) return notify(sig);
    void* h = previous_sigurg.handler;
    if (h == nullptr || h == reinterpret_cast<void*>(1)) return;  // SIG_DFL, SIG_IGN
    if ((previous_sigurg.flags & sys::kSA_SIGINFO) != 0)
        reinterpret_cast<void (*)(int, void*, void*)>(h)(sig, info, ucontext);
    else reinterpret_cast<void (*)(int)>(h)(sig);
}

void install_sigurg() {
    if (!debug.asyncpreempt || !preempt_init()) return;
    sys::KernelSigaction act{};
    act.handler = reinterpret_cast<void*>(&sighandler_urg);
    // SA_RESTART: a syscall the signal interrupts goes on (or fails EINTR
    // where the kernel never restarts it, which the wrappers that can meet
    // it retry). SA_NODEFER and an empty mask: the handler blocks nothing,
    // so a thread that leaves it for the scheduler has the mask it had.
    act.flags = sys::kSA_SIGINFO | sys::kSA_ONSTACK | sys::kSA_RESTART | sys::kSA_NODEFER | sys::kSA_RESTORER;
    act.restorer = rawrt_sigreturn;
    if (auto r = sys::install_runtime_handler(sys::kSIGURG, &act, &previous_sigurg); !r.ok())
        sys::fatal("initsig: rt_sigaction(SIGURG): ", r.error());
    sigurg_installed = true;
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
        if (auto r = sys::install_runtime_handler(sig, &act, &previous[slot(sig)]); !r.ok())
            sys::fatal("initsig: rt_sigaction(", sig, "): ", r.error());
    install_sigurg();
}

void deinit_sig() {
    for (int sig : kHandled) (void)sys::raw::rt_sigaction(sig, &previous[slot(sig)], nullptr);
    if (sigurg_installed) (void)sys::raw::rt_sigaction(sys::kSIGURG, &previous_sigurg, nullptr);
    sigurg_installed = false;
    sigurg_notify.store(nullptr, std::memory_order_release);
}

bool preempt_signal_installed() { return sigurg_installed; }

bool sigurg_forward(void (*notify)(int)) {
    if (!sigurg_installed) return false;
    sigurg_notify.store(notify, std::memory_order_release);
    return true;
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
