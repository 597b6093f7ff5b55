package main

// BM_alloc_small's counterpart: 64 bytes from mallocgc. Go frees by
// collecting, so the collector's share, amortised over the loop, is part of
// the figure; the global sink keeps escape analysis from putting the slice
// on the stack.

var sinkBytes []byte

func init() {
	register("BM_go_alloc_small", 0, func(n int64) result {
		sw := startStopwatch()
		for i := int64(0); i < n; i++ {
			sinkBytes = make([]byte, 64)
		}
		r := sw.stop(n)
		sinkBytes = nil
		return r
	})
}
