// argv, envp and the auxiliary vector (sys/process.hpp), and getenv over
// envp (Go: sysargs and sysauxv in runtime/os_linux.go, syscall.Getenv).

#include "sys/process.hpp"

#include <linux/auxvec.h>
#include <linux/fcntl.h>

#include <atomic>

#include "sys/calls.hpp"

namespace rawrt::sys {
namespace {

int process_argc = 0;
char** process_argv = nullptr;
char* empty_environment[] = {nullptr};
char** process_envp = empty_environment;

// 0: not loaded, 1: loading, 2: ready. A hosted program may ask from several
// threads at once; the loser of the race waits for the winner.
std::atomic<int> auxv_state{0};
const unsigned long* auxv_pairs = nullptr;
// Room for 64 entries: Linux 6.x passes about 25.
unsigned long auxv_from_proc[2 * 64];

void load_auxv_from_proc() {
    unsigned long* out = auxv_from_proc;
    out[0] = AT_NULL;
    Result<int> fd = raw::openat(AT_FDCWD, "/proc/self/auxv", O_RDONLY | O_CLOEXEC);
    if (!fd.ok()) return;  // no /proc: auxv_value answers 0 for everything
    size_t have = 0;
    const size_t room = sizeof auxv_from_proc - 2 * sizeof(unsigned long);  // keep an AT_NULL
    while (have < room) {
        Result<size_t> r = raw::read(fd.value(), reinterpret_cast<char*>(out) + have, room - have);
        if (!r.ok() && r.error() == Errno(EINTR)) continue;
        if (!r.ok() || r.value() == 0) break;
        have += r.value();
    }
    (void)raw::close(fd.value());
    size_t words = have / sizeof(unsigned long);
    out[words & ~size_t{1}] = AT_NULL;
}

const unsigned long* auxv() {
    int state = auxv_state.load(std::memory_order_acquire);
    if (state == 2) return auxv_pairs;
    int expected = 0;
    if (auxv_state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
        load_auxv_from_proc();
        auxv_pairs = auxv_from_proc;
        auxv_state.store(2, std::memory_order_release);
    } else {
        while (auxv_state.load(std::memory_order_acquire) != 2) (void)raw::sched_yield();
    }
    return auxv_pairs;
}

}  // namespace

void set_process_args(int argc, char** argv, char** envp) {
    process_argc = argc;
    process_argv = argv;
    process_envp = envp != nullptr ? envp : empty_environment;
}

void set_auxv(const unsigned long* pairs) {
    auxv_pairs = pairs;
    auxv_state.store(2, std::memory_order_release);
}

int argc() { return process_argc; }
char** argv() { return process_argv; }
char** envp() { return process_envp; }

unsigned long auxv_value(unsigned long type) {
    for (const unsigned long* p = auxv(); p[0] != AT_NULL; p += 2)
        if (p[0] == type) return p[1];
    return 0;
}

const char* getenv(const char* name) {
    if (name == nullptr || *name == '\0') return nullptr;
    for (char** e = process_envp; *e != nullptr; ++e) {
        const char* n = name;
        const char* v = *e;
        while (*n != '\0' && *n == *v) ++n, ++v;
        if (*n == '\0' && *v == '=') return v + 1;
    }
    return nullptr;
}

}  // namespace rawrt::sys
