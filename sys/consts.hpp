// The kernel's constants that rawrt names itself: each is the kernel's name
// behind a k (the name alone is a macro wherever the defining header is
// included). Runtime code cannot include every header that defines them:
// GCC 12's <atomic> pulls in glibc's <signal.h> and <time.h>, which clash
// with <asm/signal.h> and <linux/time.h>, and some (eventfd's, the socket
// ones) live only in glibc's headers. sys/uapi_checks.cpp checks each one
// against the UAPI header that defines it; tests/sys_consts_test.cpp checks
// the rest against glibc's. The values are the same on x86_64 and arm64.
#pragma once

#include <cstdint>

namespace rawrt::sys {

// Signals (<asm/signal.h>).
constexpr int kNSIG = 64;
constexpr int kSIGINT = 2;
constexpr int kSIGILL = 4;
constexpr int kSIGBUS = 7;
constexpr int kSIGFPE = 8;
constexpr int kSIGKILL = 9;
constexpr int kSIGSEGV = 11;
constexpr int kSIGTERM = 15;
constexpr int kSIGSTOP = 19;
constexpr int kSIGCHLD = 17;
constexpr int kSIGHUP = 1;
constexpr int kSIGQUIT = 3;
constexpr int kSIGUSR1 = 10;
constexpr int kSIGUSR2 = 12;
constexpr int kSIGPIPE = 13;
constexpr int kSIGWINCH = 28;
constexpr int kSIGURG = 23;
constexpr unsigned long kSA_SIGINFO = 0x00000004;
constexpr unsigned long kSA_RESTORER = 0x04000000;
constexpr unsigned long kSA_ONSTACK = 0x08000000;
constexpr unsigned long kSA_RESTART = 0x10000000;
constexpr unsigned long kSA_NODEFER = 0x40000000;
constexpr int kSI_QUEUE = -1;  // siginfo's si_code for rt_sigqueueinfo's signals (<asm-generic/siginfo.h>)
constexpr int kSS_DISABLE = 2;
// rt_sigprocmask's how.
constexpr int kSIG_BLOCK = 0;
constexpr int kSIG_UNBLOCK = 1;
constexpr int kSIG_SETMASK = 2;

// Clocks (<linux/time.h>).
constexpr int kCLOCK_REALTIME = 0;
constexpr int kCLOCK_MONOTONIC = 1;
constexpr int kCLOCK_REALTIME_COARSE = 5;

// futex ops and flags (<linux/futex.h>).
constexpr int kFUTEX_WAIT = 0;
constexpr int kFUTEX_PRIVATE_FLAG = 128;
constexpr int kFUTEX_CLOCK_REALTIME = 256;

// membarrier commands (<linux/membarrier.h>).
constexpr int kMEMBARRIER_CMD_QUERY = 0;
constexpr int kMEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
constexpr int kMEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

// prctl (<linux/prctl.h>).
constexpr int kPR_SET_TIMERSLACK = 29;
constexpr int kPR_GET_TIMERSLACK = 30;

// madvise advice (<asm-generic/mman-common.h>; MADV_GUARD_INSTALL is 6.13+).
constexpr int kMADV_NOHUGEPAGE = 15;
constexpr int kMADV_GUARD_INSTALL = 102;

// The most iovecs one readv or writev takes (<linux/uio.h>).
constexpr int kUIO_MAXIOV = 1024;

// File types, for mknodat's mode and in a stat's (<linux/stat.h> hides them
// from a program that has seen glibc's headers).
constexpr unsigned kS_IFMT = 0170000;
constexpr unsigned kS_IFSOCK = 0140000;
constexpr unsigned kS_IFREG = 0100000;
constexpr unsigned kS_IFBLK = 0060000;
constexpr unsigned kS_IFCHR = 0020000;
constexpr unsigned kS_IFIFO = 0010000;

// Paths (<linux/fcntl.h>, <asm-generic/fcntl.h>: these open flags are the
// same on x86_64 and arm64, unlike O_DIRECTORY and O_NOFOLLOW).
constexpr int kAT_FDCWD = -100;
constexpr int kAT_SYMLINK_NOFOLLOW = 0x100;
constexpr int kAT_REMOVEDIR = 0x200;
constexpr int kAT_EMPTY_PATH = 0x1000;
constexpr int kO_RDONLY = 0;
constexpr int kO_WRONLY = 1;
constexpr int kO_RDWR = 2;
constexpr int kO_CREAT = 0100;
constexpr int kO_TRUNC = 01000;
constexpr int kO_NONBLOCK = 04000;
constexpr int kO_CLOEXEC = 02000000;
constexpr int kF_GETFD = 1;
constexpr int kF_SETFD = 2;
constexpr int kF_GETFL = 3;
constexpr int kF_SETFL = 4;
constexpr int kF_DUPFD_CLOEXEC = 1030;
constexpr int kFD_CLOEXEC = 1;

// Children (<linux/wait.h>, <linux/sched.h>, <asm-generic/siginfo.h>).
constexpr int kWNOHANG = 1;
constexpr int kWEXITED = 4;
constexpr int kWNOWAIT = 0x01000000;
constexpr int kP_ALL = 0;
constexpr int kP_PID = 1;
constexpr int kP_PGID = 2;
constexpr int kP_PIDFD = 3;
constexpr int kCLD_EXITED = 1;
constexpr int kCLD_KILLED = 2;
constexpr int kCLD_DUMPED = 3;
constexpr unsigned long kCLONE_VM = 0x00000100;
constexpr unsigned long kCLONE_VFORK = 0x00004000;
constexpr unsigned long kCLONE_PIDFD = 0x00001000;
constexpr unsigned long kCLONE_NEWNS = 0x00020000;
constexpr unsigned long kCLONE_NEWUSER = 0x10000000;
constexpr unsigned long kCLONE_NEWPID = 0x20000000;
constexpr unsigned kPIDFD_NONBLOCK = 04000;  // O_NONBLOCK
constexpr int kPR_SET_PDEATHSIG = 1;
constexpr int kPR_SET_CHILD_SUBREAPER = 36;
constexpr int kPR_GET_CHILD_SUBREAPER = 37;

// eventfd2 flags (glibc's <sys/eventfd.h>: O_CLOEXEC and O_NONBLOCK).
constexpr int kEFD_SEMAPHORE = 1;
constexpr int kEFD_NONBLOCK = 04000;
constexpr int kEFD_CLOEXEC = 02000000;

// Sockets (glibc's <sys/socket.h>; SOCK_STREAM differs only on MIPS).
constexpr uint16_t kAF_UNIX = 1;
constexpr uint16_t kAF_INET = 2;
constexpr uint16_t kAF_INET6 = 10;
constexpr int kSOCK_STREAM = 1;
constexpr int kSOCK_DGRAM = 2;
constexpr int kMSG_NOSIGNAL = 0x4000;
constexpr int kMSG_TRUNC = 0x20;
constexpr int kSHUT_RD = 0;
constexpr int kSHUT_WR = 1;
constexpr int kSHUT_RDWR = 2;

}  // namespace rawrt::sys
