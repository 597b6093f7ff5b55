// The set of signals the runtime has put handlers on (sys/sighandlers.hpp;
// Go: handlingSig in runtime/signal_unix.go).

#include "sys/sighandlers.hpp"

#include <atomic>

namespace rawrt::sys {
namespace {

std::atomic<SignalSet> handled{0};

}  // namespace

SignalSet runtime_handlers() { return handled.load(); }

void note_runtime_handler(int sig) { handled.fetch_or(signal_bit(sig)); }

}  // namespace rawrt::sys
