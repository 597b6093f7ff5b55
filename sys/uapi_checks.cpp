// Compile-time proof that the structures sys/types.hpp declares or defines
// have the kernel's layout on this architecture, and that the constants of
// sys/consts.hpp have the values of the UAPI headers that define them.
// Nothing here runs.

#include <asm-generic/mman-common.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/signal.h>
#include <linux/eventpoll.h>
#include <linux/fcntl.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/pidfd.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/prctl.h>
#include <linux/time.h>
#include <linux/uio.h>
#include <linux/utime.h>
#include <linux/utsname.h>

#include <cstddef>

#define RAWRT_UAPI_CHECKS 1  // arch/<arch>/signal_frame.hpp checks its structs too
#include "arch/arch.hpp"
#include "sys/consts.hpp"
#include "sys/types.hpp"

namespace rawrt::sys {

static_assert(sizeof(KernelSigaction) == sizeof(struct sigaction));
static_assert(offsetof(KernelSigaction, handler) == offsetof(struct sigaction, sa_handler));
static_assert(offsetof(KernelSigaction, flags) == offsetof(struct sigaction, sa_flags));
static_assert(offsetof(KernelSigaction, restorer) == offsetof(struct sigaction, sa_restorer));
static_assert(offsetof(KernelSigaction, mask) == offsetof(struct sigaction, sa_mask));
static_assert(sizeof(SignalSet) == sizeof(sigset_t));
static_assert(kSIG_BLOCK == SIG_BLOCK && kSIG_UNBLOCK == SIG_UNBLOCK && kSIG_SETMASK == SIG_SETMASK);
#ifdef _NSIG  // asm-generic (arm64) has it; x86_64 has only the kernel-internal form
static_assert(kNSIG == _NSIG);
#endif
static_assert(kSIGINT == SIGINT && kSIGILL == SIGILL && kSIGBUS == SIGBUS && kSIGFPE == SIGFPE && kSIGKILL == SIGKILL &&
              kSIGSEGV == SIGSEGV && kSIGTERM == SIGTERM && kSIGSTOP == SIGSTOP);
static_assert(kSA_SIGINFO == SA_SIGINFO && kSA_RESTORER == SA_RESTORER && kSA_ONSTACK == SA_ONSTACK &&
              kSA_RESTART == SA_RESTART && kSS_DISABLE == SS_DISABLE);

static_assert(kSIGURG == SIGURG && kSA_NODEFER == SA_NODEFER && kSI_QUEUE == SI_QUEUE);
static_assert(sizeof(Siginfo) == sizeof(siginfo_t));
static_assert(offsetof(Siginfo, code) == offsetof(siginfo_t, si_code));
static_assert(offsetof(Siginfo, fields.addr) == offsetof(siginfo_t, si_addr));
static_assert(offsetof(Siginfo, fields.queued.pid) == offsetof(siginfo_t, si_pid));
static_assert(offsetof(Siginfo, fields.queued.uid) == offsetof(siginfo_t, si_uid));
static_assert(offsetof(Siginfo, fields.queued.value) == offsetof(siginfo_t, si_value));

static_assert(sizeof(SignalStack) == sizeof(stack_t));
static_assert(offsetof(SignalStack, sp) == offsetof(stack_t, ss_sp));
static_assert(offsetof(SignalStack, flags) == offsetof(stack_t, ss_flags));
static_assert(offsetof(SignalStack, size) == offsetof(stack_t, ss_size));

// The signal frame that preemption moves (arch/<arch>/signal_frame.hpp).
static_assert(sizeof(arch::KernelUcontext) == sizeof(::ucontext));
static_assert(offsetof(arch::KernelUcontext, stack) == offsetof(::ucontext, uc_stack));
static_assert(offsetof(arch::KernelUcontext, mcontext) == offsetof(::ucontext, uc_mcontext));
static_assert(offsetof(arch::KernelUcontext, sigmask) == offsetof(::ucontext, uc_sigmask));
static_assert(sizeof(arch::KernelStack) == sizeof(stack_t));

static_assert(sizeof(Utsname) == sizeof(struct new_utsname));

static_assert(kSIGCHLD == SIGCHLD && kSIGHUP == SIGHUP && kSIGQUIT == SIGQUIT && kSIGUSR1 == SIGUSR1 &&
              kSIGUSR2 == SIGUSR2 && kSIGPIPE == SIGPIPE && kSIGWINCH == SIGWINCH);
static_assert(offsetof(Siginfo, fields.child.pid) == offsetof(siginfo_t, si_pid));
static_assert(offsetof(Siginfo, fields.child.uid) == offsetof(siginfo_t, si_uid));
static_assert(offsetof(Siginfo, fields.child.status) == offsetof(siginfo_t, si_status));
static_assert(offsetof(Siginfo, fields.child.utime) == offsetof(siginfo_t, si_utime));
static_assert(offsetof(Siginfo, fields.child.stime) == offsetof(siginfo_t, si_stime));

static_assert(kAT_FDCWD == AT_FDCWD && kAT_SYMLINK_NOFOLLOW == AT_SYMLINK_NOFOLLOW && kAT_REMOVEDIR == AT_REMOVEDIR &&
              kAT_EMPTY_PATH == AT_EMPTY_PATH);
static_assert(kO_RDONLY == O_RDONLY && kO_WRONLY == O_WRONLY && kO_RDWR == O_RDWR && kO_CREAT == O_CREAT &&
              kO_TRUNC == O_TRUNC && kO_NONBLOCK == O_NONBLOCK && kO_CLOEXEC == O_CLOEXEC);
static_assert(kF_GETFD == F_GETFD && kF_SETFD == F_SETFD && kF_GETFL == F_GETFL && kF_SETFL == F_SETFL &&
              kF_DUPFD_CLOEXEC == F_DUPFD_CLOEXEC && kFD_CLOEXEC == FD_CLOEXEC);
static_assert(kWNOHANG == WNOHANG && kWEXITED == WEXITED && kWNOWAIT == WNOWAIT);
static_assert(kP_ALL == P_ALL && kP_PID == P_PID && kP_PGID == P_PGID && kP_PIDFD == P_PIDFD);
static_assert(kCLD_EXITED == CLD_EXITED && kCLD_KILLED == CLD_KILLED && kCLD_DUMPED == CLD_DUMPED);
static_assert(kCLONE_VM == CLONE_VM && kCLONE_VFORK == CLONE_VFORK && kCLONE_PIDFD == CLONE_PIDFD &&
              kCLONE_NEWNS == CLONE_NEWNS && kCLONE_NEWUSER == CLONE_NEWUSER && kCLONE_NEWPID == CLONE_NEWPID);
static_assert(kPIDFD_NONBLOCK == PIDFD_NONBLOCK);
static_assert(kPR_SET_PDEATHSIG == PR_SET_PDEATHSIG && kPR_SET_CHILD_SUBREAPER == PR_SET_CHILD_SUBREAPER &&
              kPR_GET_CHILD_SUBREAPER == PR_GET_CHILD_SUBREAPER);
static_assert(kFUTEX_WAIT == FUTEX_WAIT);

static_assert(sizeof(CloneArgs) == CLONE_ARGS_SIZE_VER2 && sizeof(CloneArgs) == sizeof(struct clone_args));
static_assert(offsetof(CloneArgs, pidfd) == offsetof(struct clone_args, pidfd));
static_assert(offsetof(CloneArgs, exit_signal) == offsetof(struct clone_args, exit_signal));
static_assert(offsetof(CloneArgs, stack) == offsetof(struct clone_args, stack));
static_assert(offsetof(CloneArgs, stack_size) == offsetof(struct clone_args, stack_size));
static_assert(offsetof(CloneArgs, set_tid_size) == offsetof(struct clone_args, set_tid_size));
static_assert(offsetof(CloneArgs, cgroup) == offsetof(struct clone_args, cgroup));

static_assert(sizeof(KernelUtimbuf) == sizeof(struct utimbuf));
static_assert(offsetof(KernelUtimbuf, modtime) == offsetof(struct utimbuf, modtime));
static_assert(sizeof(KernelTimeval) == sizeof(struct __kernel_old_timeval));
static_assert(offsetof(KernelTimeval, tv_usec) == offsetof(struct __kernel_old_timeval, tv_usec));

// The one struct whose layout differs by architecture.
static_assert(sizeof(struct epoll_event) == arch::kEpollEventSize);
static_assert(sizeof(struct timespec) == 16);
static_assert(sizeof(KernelTimespec) == sizeof(struct __kernel_timespec));
static_assert(offsetof(KernelTimespec, tv_nsec) == offsetof(struct __kernel_timespec, tv_nsec));
static_assert(kCLOCK_REALTIME == CLOCK_REALTIME && kCLOCK_MONOTONIC == CLOCK_MONOTONIC &&
              kCLOCK_REALTIME_COARSE == CLOCK_REALTIME_COARSE);
static_assert(sizeof(struct iovec) == 16);
static_assert(kUIO_MAXIOV == UIO_MAXIOV);

static_assert(kFUTEX_PRIVATE_FLAG == FUTEX_PRIVATE_FLAG && kFUTEX_CLOCK_REALTIME == FUTEX_CLOCK_REALTIME);
static_assert(kMEMBARRIER_CMD_QUERY == MEMBARRIER_CMD_QUERY &&
              kMEMBARRIER_CMD_PRIVATE_EXPEDITED == MEMBARRIER_CMD_PRIVATE_EXPEDITED &&
              kMEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED == MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
static_assert(kPR_SET_TIMERSLACK == PR_SET_TIMERSLACK && kPR_GET_TIMERSLACK == PR_GET_TIMERSLACK);
static_assert(kMADV_NOHUGEPAGE == MADV_NOHUGEPAGE);
#ifdef MADV_GUARD_INSTALL
static_assert(kMADV_GUARD_INSTALL == MADV_GUARD_INSTALL);
#endif

}  // namespace rawrt::sys
