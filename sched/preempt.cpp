// Asynchronous preemption (sched/preempt.hpp), switching the G out from
// inside the signal handler: the kernel's signal frame already holds every
// register the G had (the whole XSAVE state on x86_64; x0-x30, the FP/SIMD
// and SVE records on aarch64), and rt_sigreturn puts all of them back at
// once. Go instead makes the handler return into asyncPreempt, which saves
// the registers by hand; on aarch64 that needs a register to jump back
// through, and Go's compiler keeps R27 free for it, which GCC's code does
// not.

#include "sched/preempt.hpp"

#include "arch/arch.hpp"
#include "sched/context.hpp"
#include "sched/proc.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/counter.hpp"
#include "sys/fatal.hpp"
#include "sys/runtime_text.hpp"
#include "sys/syscall.hpp"
#include "sys/tcb.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {
namespace {

int pid = 0;
uint64_t cookie = 0;
uintptr_t vdso_lo = 0, vdso_hi = 0;

// Below the moved frame: the first frame make_context writes, and
// asyncPreempt_resume's own frames.
constexpr size_t kResumeRoom = kMinContextStack;

// Runs first when the preempted G is resumed, on its own stack just below
// its moved signal frame, on the M that resumed it.
void asyncPreempt_resume(void* frame) {
    auto* uc = static_cast<arch::KernelUcontext*>(frame);
    // rt_sigreturn reinstalls the frame's alternate signal stack: this M's,
    // not that of the M the G was preempted on.
    const M* mp = thism();
    uc->stack = {mp->gsignal.lo, 0, mp->gsignal.hi - mp->gsignal.lo};
    rawrt_sigreturn_at(arch::sigreturn_sp(uc));
}

// Go: isAsyncSafePoint. Where the frame's copy would go on gp's stack, or 0
// if gp must not be preempted here.
uintptr_t isAsyncSafePoint(const M* mp, const G* gp, const sys::ThreadControlBlock* tcb, const sys::Siginfo* si,
                           const arch::KernelUcontext* uc) {
    // On g0 (the scheduler, an mcall on its way) or between two Gs; or in
    // the program's code that the runtime runs with its P or a lock held.
    if (tcb->g != gp || mp->p == nullptr || mp->locks != 0) return 0;
    const uintptr_t pc = arch::signal_pc(uc);
    const uintptr_t sp = arch::signal_sp(uc);
    // Not on the G's own stack: g0's, or the signal stack (a nested signal).
    if (sp <= gp->stack.lo || sp > gp->stack.hi) return 0;
    // The runtime (locks, the allocator, P-local state, the syscall stubs)
    // assumes it stays on its M; the vDSO is the kernel's.
    if (sys::in_runtime_text(pc) || (pc >= vdso_lo && pc < vdso_hi)) return 0;
    // The frame, from the handler's entry sp to the top of the signal
    // stack, must be the kernel's, and fit on the G's stack below the red
    // zone, 64-byte aligned as the XSAVE area in it wants.
    const uintptr_t base = arch::signal_frame_base(uc);
    if (!arch::signal_frame_matches(si, uc) || base < mp->gsignal.lo || base >= mp->gsignal.hi) return 0;
    const uintptr_t top = (sp - arch::kRedZone) & ~uintptr_t{63};
    const size_t len = mp->gsignal.hi - base;
    if (top - gp->stack.lo < len + kResumeRoom) return 0;
    return top - len;
}

}  // namespace

bool preempt_init() {
    if (!sys::runtime_text_valid()) return false;
    pid = sys::raw::getpid().value();
    cookie = sys::random_canary();
    (void)vdso::nanotime();  // resolves the image
    const vdso::ImageInfo image = vdso::image();
    if (image.valid) {
        vdso_lo = reinterpret_cast<uintptr_t>(image.address);
        vdso_hi = vdso_lo + image.size;
    }
    return true;
}

bool preemptM(M* mp) {
    // A syscall the last signal cut short is being made again: leave it be.
    if (std::atomic_ref<uintptr_t>(mp->tcb.preempt_eintr).load(std::memory_order_relaxed) != 0) return false;
    if (mp->signalPending.exchange(true, std::memory_order_acq_rel)) return false;
    sys::Siginfo si{};
    si.signo = sys::kSIGURG;
    si.code = sys::kSI_QUEUE;
    si.fields.queued = {pid, 0, cookie};
    if (sys::raw::rt_tgsigqueueinfo(pid, mp->procid, sys::kSIGURG, &si).ok()) {
        traceEvent(evPreemptSignal, 0, static_cast<uint64_t>(mp->id));
        return true;
    }
    mp->signalPending.store(false, std::memory_order_release);
    return false;
}

bool is_preempt_request(const sys::Siginfo* si) {
    return si->code == sys::kSI_QUEUE && si->fields.queued.pid == pid && si->fields.queued.value == cookie;
}

void doSigPreempt(const sys::Siginfo* si, void* ucontext) {
    sys::ThreadControlBlock* tcb = sys::current_runtime_tcb();
    if (tcb == nullptr) return;  // not an M: preemptM sends to Ms only
    M* mp = static_cast<M*>(tcb->m);
    G* gp = mp->curg;
    auto* uc = static_cast<arch::KernelUcontext*>(ucontext);
    // A syscall this signal cut short: its wrapper makes it again. (Even
    // when the G has yielded since the request: it may be in a syscall now.)
    if (sys::pc_at_syscall_return(arch::signal_pc(uc)) && arch::signal_result(uc) == -EINTR)
        std::atomic_ref<uintptr_t>(tcb->preempt_eintr).store(sys::kPreemptEintr, std::memory_order_relaxed);
    // Go: wantAsyncPreempt. A G that has yielded since is left alone.
    if (gp == nullptr || !gp->preempt.load(std::memory_order_relaxed) || readgstatus(gp) != Grunning) {
        mp->signalPending.store(false, std::memory_order_release);
        return;
    }
    const uintptr_t dst = isAsyncSafePoint(mp, gp, tcb, si, uc);
    mp->signalPending.store(false, std::memory_order_release);
    if (dst == 0) {
        sys::counter_inc_owned(mp->stats.preempt_refused);
        return;
    }
#if RAWRT_CHECKED
    if (tcb->locks != 0) sys::fatal("preempted goroutine ", gp->goid, " holding ", tcb->locks, " runtime locks");
#endif
    // The frame moves from the signal stack onto the G's: a whole number of
    // 64-byte lines away, so the XSAVE area stays aligned.
    const uintptr_t base = arch::signal_frame_base(uc);
    const intptr_t delta = static_cast<intptr_t>(dst - base);
    arch::copy_bytes(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(base), mp->gsignal.hi - base);
    auto* moved = reinterpret_cast<arch::KernelUcontext*>(reinterpret_cast<uintptr_t>(uc) + delta);
    arch::relocate_signal_frame(moved, delta);
    make_context(&gp->sched, reinterpret_cast<void*>(gp->stack.lo), dst - gp->stack.lo, asyncPreempt_resume, moved);
    gp->preempt.store(false, std::memory_order_relaxed);
    sys::counter_inc_owned(mp->stats.preempted);
    // Safe here: the G was outside the runtime's text, so not in the
    // recorder itself.
    traceEvent(evGoStop, kStopSigPreempt, static_cast<uint64_t>(gp->goid));
    // Go: asyncPreempt2's mcall(gopreempt_m). The handler's frame on the
    // signal stack is abandoned: the next signal starts at the stack's top
    // again, since this thread's sp leaves it. The thread's signal mask is
    // the G's (the handler blocks nothing: SA_NODEFER, an empty sa_mask).
    // The scheduler runs with the default floating-point environment, not
    // the G's (arm64 gives a handler the interrupted FPCR): the G gets its
    // own back from the frame.
    arch::reset_fp_environment();
    setg(mp->g0);
    Context abandoned;
    rawrt_mcall(&abandoned, reinterpret_cast<void*>(mp->g0->stack.hi), gosched_m, gp);
}

}  // namespace rawrt::sched
