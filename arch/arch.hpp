// C++ declarations of the assembly routines in arch/<arch>/. Each .S file
// documents its own register-level ABI; these are the C-level contracts.
#pragma once

extern "C" {
// Raw syscalls: the kernel's result, -4095..-1 being -errno (syscallN.S).
long rawrt_syscall0(long nr);
long rawrt_syscall1(long nr, long a1);
long rawrt_syscall2(long nr, long a1, long a2);
long rawrt_syscall3(long nr, long a1, long a2, long a3);
long rawrt_syscall4(long nr, long a1, long a2, long a3, long a4);
long rawrt_syscall5(long nr, long a1, long a2, long a3, long a4, long a5);
long rawrt_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

// Code labels inside the stubs: the syscall instruction and the one after it.
extern const char rawrt_syscall0_insn[], rawrt_syscall0_return[];
extern const char rawrt_syscall1_insn[], rawrt_syscall1_return[];
extern const char rawrt_syscall2_insn[], rawrt_syscall2_return[];
extern const char rawrt_syscall3_insn[], rawrt_syscall3_return[];
extern const char rawrt_syscall4_insn[], rawrt_syscall4_return[];
extern const char rawrt_syscall5_insn[], rawrt_syscall5_return[];
extern const char rawrt_syscall6_insn[], rawrt_syscall6_return[];

// A thread on stack_top that runs fn(arg) then the raw exit (clone.S).
long rawrt_clone(unsigned long flags, void* stack_top, int* tid, void* tls,
                 int (*fn)(void*), void* arg);

// The SA_RESTORER trampoline (sigreturn.S). Never called directly.
void rawrt_sigreturn();

// The calling thread's TCB pointer (thread_pointer_get.S / _set.S).
void* rawrt_thread_pointer_get();
long rawrt_thread_pointer_set(void* tcb);
}
