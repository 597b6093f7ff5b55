// The tour's count of parked Gs by wait reason (parked.hpp), read from the
// scheduler's list of every G.

#include "examples/tour/parked.hpp"

#include "sched/runtime2.hpp"

namespace tour {
namespace {

bool same(const char* a, const char* b) {
    if (a == nullptr || b == nullptr) return a == b;
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

}  // namespace

Parked count_parked() {
    namespace s = rawrt::sched;
    Parked p;
    s::lock(&s::sched.lock);
    for (s::G* gp = s::sched.allgs; gp != nullptr; gp = gp->alllink) {
        if (gp->atomicstatus.load(std::memory_order_acquire) != s::Gwaiting) continue;
        ++p.all;
        if (same(gp->waitreason, "chan receive")) ++p.chan;
        else if (same(gp->waitreason, "semacquire")) ++p.mutex;
        else if (same(gp->waitreason, "sleep")) ++p.timer;
        else if (same(gp->waitreason, "IO wait")) ++p.io;
    }
    s::unlock(&s::sched.lock);
    return p;
}

}  // namespace tour
