// Command threadcount runs the seed's "Thread Count Prediction" workloads
// A–E and the fsync storm F in Go, with the parameters of rawrt's examples/threadcount, and
// watches the process's OS threads the same way: the "Threads:" line of
// /proc/self/status, sampled every millisecond while a workload runs (its
// peak), and read once more after the workload's goroutines have all ended
// and the process has idled 100 ms (settled). Go never ends an idle M; only
// a goroutine that exits locked takes its thread with it.
//
//	threadcount [A|B|C|D|E|F|all [n]]
//
// One JSON object per workload on stdout, with the field names of rawrt's
// `threadcount --json` (bench/go/threadbench puts them side by side); a line
// for people on stderr. n is the workload's size, as in rawrt's: A and B,
// goroutines parked (5 000); C, foreign calls (1 000); D, locked goroutines
// (100); E, syscalls per burst (64); F, goroutines each syncing a file of
// their own (1 000). B and F write their files in a directory of their own
// under $TMPDIR, removed at their end. GOMAXPROCS is the seed's GOMAXPROCS.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	foreignCall    = 50 * time.Millisecond  // the seed's 50 ms cgo call
	callBound      = 32                     // the seed's semaphore
	fileBytes      = 10 * 1024              // the seed's 10 KB file
	lockedSleep    = 300 * time.Millisecond // as rawrt's: long enough for all to sleep at once
	bursts         = 3
	burstSyscall   = 5 * time.Millisecond
	idleAfterBurst = 200 * time.Millisecond
	idleAfterLast  = 1700 * time.Millisecond // as rawrt's: 2 s idle in all when E's threads are read
	settle         = 100 * time.Millisecond
	syncBytes      = 4096 // F: BM_go_fsync_storm's file and rounds
	syncRounds     = 4
)

var statusPath = []byte("/proc/self/status\x00")

// The kernel's count of the process's threads (-1 if unreadable). RawSyscall,
// as rawrt reads it: the watching must not itself move the scheduler.
func osThreads() int64 {
	dirfd := _AT_FDCWD
	fd, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, uintptr(dirfd),
		uintptr(unsafe.Pointer(&statusPath[0])), syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return -1
	}
	var text [4096]byte
	have := 0
	for have < len(text) {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&text[have])), uintptr(len(text)-have))
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 || n == 0 {
			break
		}
		have += int(n)
	}
	syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
	for _, line := range bytes.Split(text[:have], []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Threads:")) {
			v, err := strconv.ParseInt(strings.TrimSpace(string(line[len("Threads:"):])), 10, 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

const _AT_FDCWD = -100

// The Ms in allm (what the threadcreate profile counts): every M made,
// minus those that ended with a locked goroutine. Go exposes no count of
// Ms ever made, so only E (nothing locked) reports it.
func allmCount() int64 { return int64(pprof.Lookup("threadcreate").Count()) }

func raiseMax(max *atomic.Int64, v int64) {
	for {
		seen := max.Load()
		if v <= seen || max.CompareAndSwap(seen, v) {
			return
		}
	}
}

// A goroutine that samples the thread count every millisecond and keeps
// the highest (rawrt's Watch).
type watch struct {
	peak    atomic.Int64
	running atomic.Bool
	stopped sync.WaitGroup
}

func (w *watch) start() {
	raiseMax(&w.peak, osThreads())
	w.running.Store(true)
	w.stopped.Add(1)
	go func() {
		for w.running.Load() {
			raiseMax(&w.peak, osThreads())
			time.Sleep(time.Millisecond)
		}
		w.stopped.Done()
	}()
}

func (w *watch) stop() {
	raiseMax(&w.peak, osThreads())
	w.running.Store(false)
	w.stopped.Wait()
}

// The workload's JSON line, once the process has settled, and its line for
// people.
func report(workload string, n int64, w *watch, extra map[string]int64, text string) {
	time.Sleep(settle)
	line := map[string]any{
		"runtime":            "go",
		"workload":           workload,
		"n":                  n,
		"procs":              runtime.GOMAXPROCS(0),
		"peak_os_threads":    w.peak.Load(),
		"settled_os_threads": osThreads(),
	}
	for k, v := range extra {
		line[k] = v
	}
	data, _ := json.Marshal(line)
	fmt.Printf("%s\n", data)
	fmt.Fprintf(os.Stderr, "%s: %s; threads at peak (/proc/self/status): %d, settled: %v\n",
		workload, text, w.peak.Load(), line["settled_os_threads"])
}

// n goroutines parked until release: half receiving on a channel nobody
// sends on, half asleep on timers (waking every 50 ms to go back to sleep).
type parked struct {
	gate     chan struct{}
	released atomic.Bool
	count    atomic.Int64
	done     sync.WaitGroup
}

func (p *parked) start(n int64) {
	p.gate = make(chan struct{})
	p.done.Add(int(n))
	for i := int64(0); i < n; i++ {
		if i%2 == 0 {
			go func() {
				p.count.Add(1)
				<-p.gate // returns once the gate is closed
				p.done.Done()
			}()
		} else {
			go func() {
				p.count.Add(1)
				for !p.released.Load() {
					time.Sleep(50 * time.Millisecond)
				}
				p.done.Done()
			}()
		}
	}
	for p.count.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
}

func (p *parked) release() {
	p.released.Store(true)
	close(p.gate)
	p.done.Wait()
}

func workloadA(n int64) {
	var p parked
	var w watch
	w.start()
	p.start(n)
	w.stop()
	p.release()
	report("A", n, &w, nil, fmt.Sprintf("%d goroutines parked, half on a channel, half on timers", n))
}

// A directory of the workload's own under $TMPDIR, as rawrt's: removed at
// the end; exits when it cannot be made or something was left in it.
func scratchDir() string {
	dir, err := os.MkdirTemp("", "threadcount-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "threadcount:", err)
		os.Exit(1)
	}
	return dir
}

func removeScratch(dir string) bool {
	if err := os.Remove(dir); err != nil {
		fmt.Fprintln(os.Stderr, "threadcount: left behind:", err)
		return false
	}
	return true
}

func workloadB(n int64) {
	dir := scratchDir()
	path := filepath.Join(dir, "b")
	data := make([]byte, fileBytes)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "threadcount:", err)
		os.Exit(1)
	}
	var p parked
	var w watch
	w.start()
	p.start(n)
	var requests sync.WaitGroup
	var read, whole atomic.Int64
	requests.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			defer requests.Done()
			// The seed's os.ReadFile: openat, read to the end and close,
			// each through Syscall (entersyscall); a regular file is never
			// in the poller.
			b, err := os.ReadFile(path)
			if err != nil {
				return
			}
			read.Add(int64(len(b)))
			if len(b) == fileBytes {
				whole.Add(1)
			}
		}()
	}
	requests.Wait()
	w.stop()
	p.release()
	removed := os.Remove(path) == nil && removeScratch(dir)
	report("B", n, &w, map[string]int64{"bytes_read": read.Load(), "reads_whole": whole.Load(), "removed": boolCount(removed)},
		fmt.Sprintf("%d parked as in A, and %d requests each reading a 10 KB file whole (os.ReadFile); whole reads: %d", n, n, whole.Load()))
	if !removed {
		os.Exit(1)
	}
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

type calls struct {
	inFlight, inFlightMax atomic.Int64
}

// A call that holds its thread 50 ms. CGO_ENABLED=0 leaves no cgo call, so
// this is the nearest Go has: syscall.Syscall(SYS_NANOSLEEP). A cgo call
// (runtime.cgocall) brackets the C function with the same entersyscall /
// exitsyscall: the M stays in the call, sysmon retakes its P, and a new M
// runs the other goroutines. The thread accounting is the same.
func (c *calls) foreignCall() {
	raiseMax(&c.inFlightMax, c.inFlight.Add(1))
	ts := syscall.NsecToTimespec(int64(foreignCall))
	syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	c.inFlight.Add(-1)
}

func workloadCUnbounded(n int64) {
	var c calls
	var w watch
	var done sync.WaitGroup
	w.start()
	done.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			c.foreignCall()
			done.Done()
		}()
	}
	done.Wait()
	w.stop()
	report("C_unbounded", n, &w, map[string]int64{"in_flight_max": c.inFlightMax.Load()},
		fmt.Sprintf("%d calls of 50 ms all at once; most in flight: %d", n, c.inFlightMax.Load()))
}

func workloadCBounded(n int64) {
	var c calls
	var w watch
	var done sync.WaitGroup
	bound := make(chan struct{}, callBound) // parks the goroutine, not its M
	w.start()
	done.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			bound <- struct{}{}
			c.foreignCall()
			<-bound
			done.Done()
		}()
	}
	done.Wait()
	w.stop()
	report("C_bounded", n, &w, map[string]int64{"in_flight_max": c.inFlightMax.Load()},
		fmt.Sprintf("%d calls of 50 ms, at most %d at once; most in flight: %d", n, callBound, c.inFlightMax.Load()))
}

func workloadD(n int64) {
	var done sync.WaitGroup
	var locked atomic.Int64
	var w watch
	w.start()
	done.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			runtime.LockOSThread()
			locked.Add(1)
			time.Sleep(lockedSleep)
			for locked.Load() < n {
				time.Sleep(10 * time.Millisecond)
			}
			// Ends still locked: the thread ends with the goroutine.
			done.Done()
		}()
	}
	done.Wait()
	w.stop()
	time.Sleep(50 * time.Millisecond) // as rawrt's: the locked threads exit
	report("D", n, &w, map[string]int64{"locked": locked.Load()},
		fmt.Sprintf("%d goroutines locked to their threads, asleep at once", locked.Load()))
}

func workloadE(n int64) {
	var w watch
	w.start()
	made := make([]string, 0, bursts)
	madeInAll := int64(0)
	for b := 0; b < bursts; b++ {
		before := allmCount()
		var done sync.WaitGroup
		done.Add(int(n))
		for i := int64(0); i < n; i++ {
			go func() {
				ts := syscall.NsecToTimespec(int64(burstSyscall))
				syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
				done.Done()
			}()
		}
		done.Wait()
		m := allmCount() - before
		madeInAll += m
		made = append(made, strconv.FormatInt(m, 10))
		time.Sleep(idleAfterBurst) // every P idle
	}
	time.Sleep(idleAfterLast)
	w.stop()
	report("E", n, &w, map[string]int64{"threads_made": madeInAll}, fmt.Sprintf("%d bursts of %d syscalls of 5 ms, 200 ms idle after each (2 s after the last); Ms made per burst: %s",
		bursts, n, strings.Join(made, " ")))
}

// The fsync storm, as rawrt's F and BM_go_fsync_storm: n goroutines each
// create a file of their own, write 4 KiB, fsync and close it, 4 rounds.
func workloadF(n int64) {
	dir := scratchDir()
	data := make([]byte, syncBytes)
	var errors atomic.Int64
	var w watch
	w.start()
	start := time.Now()
	for r := 0; r < syncRounds; r++ {
		var done sync.WaitGroup
		done.Add(int(n))
		for i := int64(0); i < n; i++ {
			go func(i int64) {
				defer done.Done()
				f, err := os.Create(filepath.Join(dir, "f"+strconv.FormatInt(i, 10)))
				if err != nil {
					errors.Add(1)
					return
				}
				if _, err := f.Write(data); err != nil || f.Sync() != nil {
					errors.Add(1)
				}
				if f.Close() != nil {
					errors.Add(1)
				}
			}(i)
		}
		done.Wait()
	}
	elapsed := time.Since(start)
	w.stop()
	synced, removed := int64(0), int64(0)
	for i := int64(0); i < n; i++ {
		path := filepath.Join(dir, "f"+strconv.FormatInt(i, 10))
		if st, err := os.Stat(path); err == nil && st.Size() == syncBytes {
			synced++
		}
		if os.Remove(path) == nil {
			removed++
		}
	}
	gone := removeScratch(dir)
	filesPerS := int64(float64(syncRounds*n) / elapsed.Seconds())
	report("F", n, &w, map[string]int64{"files_per_s": filesPerS, "errors": errors.Load(), "files_synced": synced,
		"removed": boolCount(gone && removed == n)},
		fmt.Sprintf("%d goroutines each create, write 4 KiB to, fsync and close a file of their own, %d rounds: %d files/s; errors: %d; files of 4 KiB: %d of %d",
			n, syncRounds, filesPerS, errors.Load(), synced, n))
	if !gone {
		os.Exit(1)
	}
}

func sizeArg(args []string, fallback int64) int64 {
	if len(args) > 1 {
		if v, err := strconv.ParseInt(args[1], 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return fallback
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "--json" || args[0] == "-json") {
		args = args[1:] // rawrt's flag; here JSON is always on
	}
	which := "all"
	if len(args) > 0 {
		which = strings.ToUpper(args[0])
	}
	if !strings.Contains(" A B C D E F ALL ", " "+which+" ") {
		fmt.Fprintln(os.Stderr, "usage: threadcount [A|B|C|D|E|F|all [n]]")
		os.Exit(2)
	}
	all := which == "ALL"
	// The order of rawrt's `all`: from the fewest threads to the most,
	// since neither runtime ends an idle M.
	if all || which == "A" {
		workloadA(sizeArg(args, 5000))
	}
	if all || which == "B" {
		workloadB(sizeArg(args, 5000))
	}
	if all || which == "C" {
		workloadCBounded(sizeArg(args, 1000))
	}
	if all || which == "E" {
		workloadE(sizeArg(args, 64))
	}
	if all || which == "F" {
		workloadF(sizeArg(args, 1000))
	}
	if all || which == "D" {
		workloadD(sizeArg(args, 100))
	}
	if all || which == "C" {
		workloadCUnbounded(sizeArg(args, 1000))
	}
}
