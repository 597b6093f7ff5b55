// The set of signals the runtime has put handlers on (sys/sighandlers.hpp;
// Go: handlingSig in runtime/signal_unix.go).

#include "sys/sighandlers.hpp"

#include <atomic>

#include "sys/calls.hpp"

namespace rawrt::sys {
namespace {

std::atomic<SignalSet> handled{0};

}  // namespace

SignalSet runtime_handlers() { return handled.load(); }

Result<void> install_runtime_handler(int sig, const KernelSigaction* act, KernelSigaction* old) {
    handled.fetch_or(signal_bit(sig));
    return raw::rt_sigaction(sig, act, old);
}

}  // namespace rawrt::sys
