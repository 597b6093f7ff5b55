// What Go's goroutine dump prints for each G ("goroutine 7 [chan receive]"),
// counted: the Gs parked right now, by wait reason. A peek into the
// scheduler's own list of every G, as runtime.Stack(all) does.
#pragma once

#include <cstdint>

namespace tour {

struct Parked {
    int64_t chan = 0;   // wait reason "chan receive"
    int64_t mutex = 0;  // "semacquire": Mutex parks through the runtime semaphore
    int64_t timer = 0;  // "sleep"
    int64_t io = 0;     // "IO wait": parked on a socket or pipe in the netpoller
    int64_t all = 0;    // every Gwaiting G, whatever it waits for
};

Parked count_parked();

}  // namespace tour
