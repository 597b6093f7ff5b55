// From _start to main for a freestanding program (Go: rt0_go in runtime/
// asm_<arch>.s); linked through the crt object (build/<arch>/rawrt_crt.o),
// never into hosted programs.

#include "arch/arch.hpp"
#include "sys/calls.hpp"
#include "sys/process.hpp"
#include "sys/tcb.hpp"

// The program's ordinary main; any of the standard signatures links here.
int rawrt_program_main(int, char**, char**) __asm__("main");

// Calls main and returns its status. The scheduler (sched/) provides a strong
// definition that runs main as the main G; without it main runs right here.
extern "C" __attribute__((weak)) int rawrt_main_entry(int argc, char** argv, char** envp) {
    return rawrt_program_main(argc, argv, envp);
}

// Static constructors of the program and the runtime (the static linker
// provides these bounds).
extern "C" {
extern void (*__preinit_array_start[])(int, char**, char**) __attribute__((weak));
extern void (*__preinit_array_end[])(int, char**, char**) __attribute__((weak));
extern void (*__init_array_start[])(int, char**, char**) __attribute__((weak));
extern void (*__init_array_end[])(int, char**, char**) __attribute__((weak));
}

namespace {

rawrt::sys::ThreadControlBlock main_thread_tcb;

void run_constructors(int argc, char** argv, char** envp) {
    for (auto* f = __preinit_array_start; f != __preinit_array_end; ++f) (*f)(argc, argv, envp);
    for (auto* f = __init_array_start; f != __init_array_end; ++f) (*f)(argc, argv, envp);
}

}  // namespace

extern "C" [[noreturn]] void rawrt_start_c(long* initial_sp) {
    using namespace rawrt::sys;
    int argc = static_cast<int>(initial_sp[0]);
    char** argv = reinterpret_cast<char**>(initial_sp + 1);
    char** envp = argv + argc + 1;
    char** e = envp;
    while (*e != nullptr) ++e;
    set_process_args(argc, argv, envp);
    set_auxv(reinterpret_cast<const unsigned long*>(e + 1));

    main_thread_tcb.init(random_canary());
    install_thread_control_block(&main_thread_tcb);
    init_stack_protector();

    run_constructors(argc, argv, envp);
    exit_group(rawrt_main_entry(argc, argv, envp));
}
