// Command gobench measures, in Go 1.19, the operations rawrt's Google
// Benchmark suite measures, each in the same shape as its rawrt counterpart,
// and writes the results in Google Benchmark's JSON format so that one
// comparer (bench/go/compare) reads both files alike.
//
// It is a plain program rather than `go test -bench`: the rawrt benchmarks
// time themselves inside the runtime and exclude their setup, and so does
// each benchmark here, which testing.B would not let us express the same way.
//
//	gobench [-filter REGEXP] [-min_time SECONDS] [-out FILE]
//
// A benchmark that needs a process of its own (a GODEBUG setting, which Go
// reads once at start) runs gobench again with -child NAME:ARG, which runs
// the measurement registered with registerChild and prints it as JSON.
//
// Each benchmark lives in a file of this package and registers itself from
// an init function with register().
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// A measurement of ops operations; setup and teardown are not in it.
type result struct {
	ops      int64
	wall     time.Duration
	cpu      time.Duration      // the whole process's CPU time over the same span
	counters map[string]float64 // extra fields, written as Google Benchmark user counters
}

type benchmark struct {
	name  string
	procs int // GOMAXPROCS while it runs; 0 leaves the default
	// run performs about n operations (it may round up) and reports how
	// many it timed.
	run func(n int64) result
	// An experiment of a fixed number of trials (rawrt's side: a benchmark
	// with ->Iterations(trials)): run once with n = trials, whatever it lasts.
	trials int64
}

var benchmarks []benchmark

func register(name string, procs int, run func(n int64) result) {
	benchmarks = append(benchmarks, benchmark{name: name, procs: procs, run: run})
}

func registerTrials(name string, procs int, trials int64, run func(n int64) result) {
	benchmarks = append(benchmarks, benchmark{name: name, procs: procs, run: run, trials: trials})
}

// What a child gobench can run: name -> a measurement whose result is
// printed as JSON on stdout.
var children = map[string]func(arg string) (any, error){}

func registerChild(name string, run func(arg string) (any, error)) { children[name] = run }

func runChild(spec string) int {
	name, arg, _ := strings.Cut(spec, ":")
	run, ok := children[name]
	if !ok {
		fmt.Fprintln(os.Stderr, "gobench: -child: no such measurement:", name)
		return 2
	}
	v, err := run(arg)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(v)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench: -child:", err)
		return 1
	}
	return 0
}

// Process CPU time read the way rawrt reads it, so cpu_ns means the same on
// both sides (every thread of the process, the runtime's own included).
func processCPU() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// Brackets a timed region.
type stopwatch struct {
	wall0 time.Time
	cpu0  time.Duration
}

func startStopwatch() stopwatch { return stopwatch{cpu0: processCPU(), wall0: time.Now()} }

func (s stopwatch) stop(ops int64) result {
	wall := time.Since(s.wall0)
	return result{ops: ops, wall: wall, cpu: processCPU() - s.cpu0}
}

// Grows n as Google Benchmark does (at most 10x a step, aiming 40% past the
// minimum time), so both suites settle on comparable run lengths.
func measure(b benchmark, minTime time.Duration) result {
	if b.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(b.procs))
	}
	if b.trials > 0 {
		runtime.GC()
		return b.run(b.trials)
	}
	n := int64(1)
	for {
		runtime.GC() // each try starts from a collected heap, not the last one's garbage
		r := b.run(n)
		if r.wall >= minTime || n >= 1e9 {
			return r
		}
		seconds := r.wall.Seconds()
		if seconds < 1e-9 {
			seconds = 1e-9
		}
		multiplier := minTime.Seconds() * 1.4 / seconds
		if seconds/minTime.Seconds() <= 0.1 && multiplier > 10 {
			multiplier = 10
		}
		if multiplier <= 1 {
			multiplier = 2
		}
		next := int64(float64(n) * multiplier)
		if next <= n {
			next = n + 1
		}
		n = next
	}
}

func main() {
	filter := flag.String("filter", "", "run only benchmarks whose name matches this regular expression")
	minTime := flag.Float64("min_time", 0.5, "minimum seconds of timed work per benchmark")
	out := flag.String("out", "", "write Google Benchmark JSON here")
	child := flag.String("child", "", "NAME:ARG: run one measurement for a parent gobench, print it as JSON")
	flag.Parse()
	if *child != "" {
		os.Exit(runChild(*child))
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench: -filter:", err)
		os.Exit(2)
	}
	sort.SliceStable(benchmarks, func(i, j int) bool { return benchmarks[i].name < benchmarks[j].name })

	hostname, _ := os.Hostname()
	report := map[string]any{
		"context": map[string]any{
			"date":               time.Now().Format(time.RFC3339),
			"host_name":          hostname,
			"executable":         os.Args[0],
			"num_cpus":           runtime.NumCPU(),
			"go_version":         runtime.Version(),
			"gomaxprocs":         runtime.GOMAXPROCS(0),
			"library_build_type": "release",
		},
	}
	var rows []map[string]any
	fmt.Printf("%-32s %12s %12s %12s\n", "Go benchmark", "Time", "cpu_ns", "Iterations")
	for _, b := range benchmarks {
		if !re.MatchString(b.name) {
			continue
		}
		r := measure(b, time.Duration(*minTime*float64(time.Second)))
		ops := float64(r.ops)
		row := map[string]any{
			"name":             b.name,
			"family_index":     len(rows),
			"run_name":         b.name,
			"run_type":         "iteration",
			"repetitions":      1,
			"repetition_index": 0,
			"threads":          1,
			"iterations":       r.ops,
			"real_time":        float64(r.wall) / ops,
			"cpu_time":         float64(r.cpu) / ops,
			"time_unit":        "ns",
			"cpu_ns":           float64(r.cpu) / ops,
		}
		for k, v := range r.counters {
			row[k] = v
		}
		rows = append(rows, row)
		fmt.Printf("%-32s %9.1f ns %9.1f ns %12d", b.name, float64(r.wall)/ops, float64(r.cpu)/ops, r.ops)
		names := make([]string, 0, len(r.counters))
		for k := range r.counters {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Printf("  %s=%.3f", k, r.counters[k])
		}
		fmt.Println()
	}
	report["benchmarks"] = rows

	if *out != "" {
		data, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			err = os.WriteFile(*out, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
			os.Exit(1)
		}
	}
}
