# rawrt: see README.md.
#
#   make                  build/<host arch>/librawrt.a and the crt object
#   make ARCH=aarch64     the same, cross-built
#   make run              build and run the tour (examples/tour)
#   make test             every test, x86_64 natively and aarch64 under qemu-user, then
#                         test-aarch64-vm
#   make bench            Google Benchmark suites (x86_64) and bench/go, side by side:
#                         JSON, compare.md and its charts in build/bench/ (BENCH_FILTER=regexp,
#                         TRACE_ROUNDS=n, NET_ROUNDS=n)
#   make trace            the tour with RAWRT_TRACE set, its timeline and a page of it
#                         checked in headless Chromium, in build/trace/
#   make fuzz             the vDSO parser under libFuzzer for FUZZ_SECONDS
#   make fuzz-seeds       rewrite fuzz/corpus and the crafted fuzz/regressions
#   make install PREFIX=/usr/local DESTDIR=
#   make CHECKED=1 ...    the checked build (invariant assertions), in build/<arch>-checked
#   make NOTRACE=1 ...    the tracer compiled out of its event sites (sched/trace.hpp), in
#                         build/<arch>-notrace: what `make bench` sets the tracer's cost against
#   make check-checked    the scheduler's tests only (CHECKED_TESTS), in the checked build
#   make test-aarch64-vm  the aarch64 tests qemu-user cannot run (VM_TESTS, VM_CHECKED_TESTS),
#                         in Debian's arm64 kernel under qemu-system-aarch64
#
# The top-level targets install the Debian packages they need (mk/ensure-packages).

HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
# BUILD_ROOT lets two checkouts' worth of builds share one tree (e.g. parallel work).
BUILD_ROOT ?= build
BUILD := $(BUILD_ROOT)/$(ARCH)$(if $(CHECKED),-checked)$(if $(NOTRACE),-notrace)
ENSURE := mk/ensure-packages
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
# The top-level targets build through sub-makes, on every CPU unless the
# caller chose with -j (its jobserver then reaches them through MAKEFLAGS).
SUBMAKE = $(MAKE) --no-print-directory $(if $(findstring -j,$(MAKEFLAGS)),,-j$(shell nproc))

ifeq ($(ARCH),x86_64)
  CROSS := $(if $(filter x86_64,$(HOST_ARCH)),,x86_64-linux-gnu-)
  ARCH_FLAGS := -fcf-protection=branch
  RUN_PREFIX := $(if $(filter x86_64,$(HOST_ARCH)),,qemu-x86_64)
else ifeq ($(ARCH),aarch64)
  CROSS := $(if $(filter aarch64,$(HOST_ARCH)),,aarch64-linux-gnu-)
  # GCC 12 would otherwise call libgcc's __aarch64_* helpers for atomics.
  ARCH_FLAGS := -mno-outline-atomics -mbranch-protection=bti
  # cortex-a53 is ARMv8.0: an instruction from a later revision traps loudly.
  RUN_PREFIX := $(if $(filter aarch64,$(HOST_ARCH)),,qemu-aarch64 -cpu cortex-a53)
else
  $(error rawrt supports ARCH=x86_64 and ARCH=aarch64, not "$(ARCH)")
endif

CXX := $(CROSS)g++
AR := $(CROSS)ar
LD := $(CROSS)ld
NM := $(CROSS)nm
OBJCOPY := $(CROSS)objcopy
OBJDUMP := $(CROSS)objdump

COMMON_FLAGS := -std=c++20 -O2 -g -Wall -Wextra -iquote . $(ARCH_FLAGS) -MMD -MP \
                $(if $(CHECKED),-DRAWRT_CHECKED=1) $(if $(NOTRACE),-DRAWRT_TRACE_COMPILED_OUT=1)
# The runtime directories: no libc, no exceptions, no RTTI, no hidden calls
# into libstdc++ (guard variables, atexit) or back into memcpy from memcpy.
RT_FLAGS := $(COMMON_FLAGS) -ffreestanding -fno-exceptions -fno-rtti -fno-stack-protector \
            -fno-threadsafe-statics -fno-tree-loop-distribute-patterns \
            -ffunction-sections -fdata-sections -fPIE -iquote $(BUILD)/gen
HOSTED_FLAGS := $(COMMON_FLAGS) -fPIE

LIB := $(BUILD)/librawrt.a
CRT := $(BUILD)/rawrt_crt.o
CRT_SRCS := arch/$(ARCH)/start.S sys/startup.cpp mem/new_delete.cpp
RT_SRCS := $(filter-out $(CRT_SRCS),$(wildcard sys/*.cpp vdso/*.cpp locks/*.cpp mem/*.cpp sched/*.cpp netpoll/*.cpp os/*.cpp exec/*.cpp) $(wildcard arch/$(ARCH)/*.S))
RT_OBJS := $(RT_SRCS:%=$(BUILD)/obj/%.o)
CRT_OBJS := $(CRT_SRCS:%=$(BUILD)/obj/%.o)
ERRNO_LIST := $(BUILD)/gen/errno_list.inc

# Freestanding programs: rawrt's crt, rawrt's library, nothing else. Debug
# info is stripped at link (the symbol table stays, for nm and gdb).
FREESTANDING_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
                        -Wl,-z,noexecstack -Wl,-z,noseparate-code -Wl,--strip-debug
EXAMPLES := hello tour retake fastpath threadcount lockstarve echo http dnsq init
EXAMPLE_BINS := $(EXAMPLES:%=$(BUILD)/examples/%)

# Hosted programs (tests, benchmarks) link libc before librawrt.a, so they
# keep libc's memcpy and friends and librawrt's copies stay out.
HOSTED_LIBS := -lc $(LIB)
ifeq ($(CROSS),)
  GTEST_INC :=
  GTEST_LIBS := -lgtest
  HOSTED_LDFLAGS := -pie
else
  # Debian ships GoogleTest as source only for other architectures: build it
  # once with the cross compiler and cache it under build/ (one copy for the
  # plain and the checked build: it does not depend on CHECKED).
  GTEST_SRC := /usr/src/googletest/googletest
  GTEST_INC := -isystem $(GTEST_SRC)/include
  GTEST_LIBS := $(BUILD_ROOT)/$(ARCH)/gtest/libgtest.a
  HOSTED_LDFLAGS := -static
endif
TEST_SRCS := $(wildcard tests/*.cpp)
TEST_OBJS := $(TEST_SRCS:%=$(BUILD)/obj/%.o)
TEST_BIN := $(BUILD)/tests/rawrt_tests
# Freestanding programs the tests run as children (one .cpp each in tests/programs).
TEST_PROGRAMS := $(patsubst tests/programs/%.cpp,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.cpp))
# The checked build's own test binary holds only the scheduler's tests (a
# fifth of the suite's compile time), and `make test` runs these suites of
# it: the stress test, the rest of what is quick there, the preemption
# tests (the runtime asserts there that no preemption lands at an unsafe
# point) and the child processes'.
CHECKED_TEST_SRCS := tests/main.cpp $(wildcard tests/sched_*_test.cpp) tests/exec_test.cpp
CHECKED_TEST_BIN := $(BUILD)/tests/rawrt_sched_tests
CHECKED_TESTS ?= SchedStress*:SchedRun*:SchedChan*:SchedSync*:SchedDeadlock*:SchedPreempt*:Exec*
# What test-aarch64-vm runs in a real arm64 kernel (TCG, 2 CPUs), from the
# plain and the checked aarch64 test binaries: what qemu-user cannot run
# (child processes: it forks the whole emulator for clone(CLONE_VM |
# CLONE_VFORK), and the child can deadlock in it; io_uring; the syscalls it
# lacks; namespaces, which a threaded emulator cannot enter), and what the
# kernel does itself there but qemu-user imitates or leaves out (the vDSO,
# which qemu-user does not map; the syscalls' errors; signal frames, which
# preemption rewrites; epoll; stack guards; BTI, which the kernel enforces
# on rawrt's own programs; the tour's file read through the ring; TCP's
# early ends of a read, which the skipped read relies on).
# The rest runs under qemu-user only: the timing-bound scheduler and network
# tests are slow and noisy on an emulated kernel, and the host-side ones
# (pictures, install, symbols) need tools the VM has not. NeverAtAnUnsafePoint
# runs from the checked binary only, which asserts there (5 to 25 s each in the
# VM); the checked build's RegistersSurvivePreemption goes through 100 000
# preemptions (about 20 s under qemu-user, minutes in the VM): the plain
# build's runs instead.
VM_TESTS ?= Exec*:Ways/OsFile.*/Ring:UringWorkers.*:Every/SysTable.*:Sys*:Vdso*:ExampleInit.*:SchedStack.*:SchedPreempt*:Netpoll*:Procs/NetShortRead.*:SignalNotify*:Procs/TourSyscalls.*/0-SysTableList.GeneratedFilesAreCurrent:SchedPreempt.NeverAtAnUnsafePoint
VM_CHECKED_TESTS ?= Exec*:SchedPreempt*-SchedPreempt.RegistersSurvivePreemption
VM_DIR := $(BUILD_ROOT)/aarch64-vm
# Seconds the VM may run in all (it takes half a minute on 2 idle cores, two
# beside other builds).
VM_TIMEOUT ?= 400
TEST_DEFS := -DRAWRT_TEST_ARCH='"$(ARCH)"' -DRAWRT_TEST_BUILD_DIR='"$(abspath $(BUILD))"' \
             -DRAWRT_TEST_SOURCE_DIR='"$(CURDIR)"' -DRAWRT_TEST_RUNNER='"$(RUN_PREFIX)"' \
             -DRAWRT_TEST_NM='"$(NM)"' -DRAWRT_TEST_CXX='"$(CXX)"' \
             -DRAWRT_TEST_BUILD_ROOT='"$(abspath $(BUILD_ROOT))"'

BENCH_SRCS := $(wildcard bench/*.cpp)
BENCH_BIN := $(BUILD)/bench/rawrt_bench
BENCH_FILTER ?= .
# Rounds of the tracer's comparison (the two builds' benchmark binaries in
# turn; medians) and of netbench's cases (interleaved; medians).
TRACE_ROUNDS ?= 5
NET_ROUNDS ?= 1
# bench/go's programs: standard library only, built by the go on PATH, else
# by Debian's golang-1.19-go (which puts none on PATH). Its caches live in
# the build tree (nothing written to $HOME), no user go env is read, and a
# module download fails instead of happening.
GO = $(or $(shell command -v go),/usr/lib/go-1.19/bin/go)
GO_ENV := GOENV=off GOFLAGS= GO111MODULE=on GOPROXY=off GOSUMDB=off CGO_ENABLED=0 \
          GOCACHE=$(abspath $(BUILD_ROOT))/go/cache GOPATH=$(abspath $(BUILD_ROOT))/go/path \
          GOMODCACHE=$(abspath $(BUILD_ROOT))/go/path/pkg/mod

# The network benchmarks: one load generator and the C baseline,
# hosted; rawrt's servers are the examples, measured only where they exist.
BENCH_NET_BINS := $(BUILD_ROOT)/x86_64/bench/echo_load $(BUILD_ROOT)/x86_64/bench/c_echo
BENCH_NET_EXAMPLES := $(foreach e,echo http,$(if $(wildcard examples/$(e)/*.cpp),$(BUILD_ROOT)/x86_64/examples/$(e)))
# The tracer's cost with no trace on is set against these, built with it
# compiled out (NOTRACE=1): the same sources, a runtime without the sites.
BENCH_NOTRACE_BINS := $(BUILD_ROOT)/x86_64-notrace/bench/rawrt_bench \
                      $(if $(wildcard examples/echo/*.cpp),$(BUILD_ROOT)/x86_64-notrace/examples/echo)

PACKAGES_BUILD := g++ make binutils linux-libc-dev
PACKAGES_TEST := $(PACKAGES_BUILD) g++-aarch64-linux-gnu binutils-aarch64-linux-gnu \
                 linux-libc-dev-arm64-cross qemu-user libgtest-dev googletest pkgconf python3-matplotlib \
                 qemu-system-arm e2fsprogs
PACKAGES_BENCH := $(PACKAGES_BUILD) libbenchmark-dev libboost-context-dev golang-1.19-go wrk python3-matplotlib linux-perf
PACKAGES_TRACE := $(PACKAGES_BUILD) python3-matplotlib chromium
PACKAGES_FUZZ := $(PACKAGES_BUILD) clang

.PHONY: all lib examples run test check check-checked test-aarch64-vm bench trace fuzz fuzz-seeds install clean packages-build gen-syscalls
.DEFAULT_GOAL := all

all: packages-build
	$(SUBMAKE) lib

packages-build:
	@$(ENSURE) $(PACKAGES_BUILD) $(if $(CROSS),g++-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-libc-dev-arm64-cross)

lib: $(LIB) $(CRT)
examples: $(EXAMPLE_BINS)

run: packages-build
	$(SUBMAKE) ARCH=$(HOST_ARCH) examples
	$(BUILD_ROOT)/$(HOST_ARCH)/examples/tour

# Both architectures, one after the other; each prints "<arch>: N passed, M
# failed, K skipped", then the checked build's scheduler tests
# "<arch>-checked: ...", then the VM's "aarch64-vm: ...".
test:
	@$(ENSURE) $(PACKAGES_TEST)
	$(SUBMAKE) ARCH=x86_64 check
	$(SUBMAKE) ARCH=aarch64 check
	$(SUBMAKE) ARCH=x86_64 check-checked
	$(SUBMAKE) ARCH=aarch64 check-checked
	$(SUBMAKE) test-aarch64-vm

# What qemu-user does not emulate faithfully: preemption's signals at a 100
# us quantum. Its signal delivery now and then resumes a thread from a frame
# the thread did not save, and the emulator dies ("uncaught target signal
# 11"; docs/preemption.md); and the death tests' fork of its threaded
# emulator has crashed or hung. Under qemu-user these suites are left out;
# the arm64 VM runs them in a real kernel (VM_TESTS, VM_CHECKED_TESTS), and
# x86_64 runs them natively.
QEMU_USER_SKIP := SchedPreempt*:SignalNotify.SigurgFromOthersArrivesPreemptionsDoNot
check: $(TEST_BIN) $(TEST_PROGRAMS) $(EXAMPLE_BINS) $(LIB)
	$(RUN_PREFIX) $(TEST_BIN) $(if $(RUN_PREFIX),--gtest_filter='-$(QEMU_USER_SKIP)')

ifdef CHECKED
check-checked: $(CHECKED_TEST_BIN) $(TEST_PROGRAMS)
	$(RUN_PREFIX) $(CHECKED_TEST_BIN) --gtest_filter='$(CHECKED_TESTS)$(if $(RUN_PREFIX),-$(QEMU_USER_SKIP))'
else
check-checked:
	$(SUBMAKE) CHECKED=1 check-checked
endif

# The VM (mk/vm-test) boots the kernel mk/vm-fetch fetched once into
# $(VM_DIR), on a disk holding the test binaries, the programs they run and
# the fuzzer's files at their own paths.
ifeq ($(ARCH),aarch64)
VM_CHECKED_BUILD := $(BUILD_ROOT)/aarch64-checked
test-aarch64-vm: $(TEST_BIN) $(TEST_PROGRAMS) $(EXAMPLE_BINS) | $(VM_DIR)/vmlinuz
	$(SUBMAKE) CHECKED=1 $(VM_CHECKED_BUILD)/tests/rawrt_sched_tests $(TEST_PROGRAMS:$(BUILD)/%=$(VM_CHECKED_BUILD)/%)
	mk/vm-test --dir $(VM_DIR) --timeout $(VM_TIMEOUT) --strip $(CROSS)strip \
	    --run $(TEST_BIN) '$(VM_TESTS)' \
	    --run $(VM_CHECKED_BUILD)/tests/rawrt_sched_tests '$(VM_CHECKED_TESTS)' \
	    $(BUILD)/tests/programs $(BUILD)/examples $(VM_CHECKED_BUILD)/tests/programs fuzz/corpus fuzz/regressions
else
test-aarch64-vm:
	@$(ENSURE) $(PACKAGES_TEST)
	$(SUBMAKE) ARCH=aarch64 test-aarch64-vm
endif

$(VM_DIR)/vmlinuz:
	mk/vm-fetch $(VM_DIR)

# BENCH_FILTER: a regular expression over the names of both suites (Go's
# are BM_go_<name>), e.g. BENCH_FILTER=gosched; the table marks the rest
# "not run". The network cases (bench/go/netbench) are named
# echo_<server>_<procs>p and http_<server>_<procs>p; a failed one (wrong
# bytes, a bad exit status) fails the target, after the tables are written.
# The thread counts of the seed's workloads (bench/go/threadbench)
# are threads_A ... threads_F (BENCH_FILTER=threads; B and F also as
# threads_B_fallback and threads_F_fallback, rawrt without its io_uring
# ring), likewise. The
# tracer's cost compares BM_gosched_1p, BM_chan_pingpong_1p,
# BM_getpid_blocking (BM_entersyscall_exitsyscall: its two sites alone)
# and echo_rawrt_<procs>p with the tracer compiled out
# (echo_rawrt_notrace_<procs>p) and echo with a trace on
# (echo_rawrt_traced_<procs>p), whichever of them BENCH_FILTER runs.
bench:
	@$(ENSURE) $(PACKAGES_BENCH)
	$(SUBMAKE) ARCH=x86_64 $(BUILD_ROOT)/x86_64/bench/rawrt_bench $(BENCH_NET_BINS) $(BENCH_NET_EXAMPLES) \
	    $(BUILD_ROOT)/x86_64/examples/threadcount
	$(SUBMAKE) ARCH=x86_64 NOTRACE=1 $(BENCH_NOTRACE_BINS)
	BUILD_ROOT='$(BUILD_ROOT)' BENCH_FILTER='$(BENCH_FILTER)' GO='$(GO)' GO_ENV='$(GO_ENV)' \
	    TRACE_ROUNDS='$(TRACE_ROUNDS)' NET_ROUNDS='$(NET_ROUNDS)' mk/bench

# The tour with tracing on, and its pictures, in $(BUILD_ROOT)/trace:
#   tour.json           the trace the tour writes (RAWRT_TRACE), for Perfetto
#   tour.svg            mk/trace-render's timeline of seed scenario 3
#   tour-timeline.png   the same timeline as a raster
#   tour.html           mk/trace-html: the timeline and the bench charts (when
#                       $(BUILD_ROOT)/bench has them) in one page, no network
#   tour.png            the screenshot headless Chromium takes of tour.html
#                       (mk/trace-browser, which fails when the page rendered
#                       nothing or lacks its title)
# The issue names tour.png for both the timeline's raster and the screenshot:
# the screenshot keeps the name, being the proof that the page renders, and
# the raster is tour-timeline.png. TRACE_JSON=path draws that trace instead
# of running the tour.
TRACE_DIR := $(BUILD_ROOT)/trace
trace:
	@$(ENSURE) $(PACKAGES_TRACE)
	@mkdir -p $(TRACE_DIR)
	rm -f $(TRACE_DIR)/tour.json
ifdef TRACE_JSON
	cp '$(TRACE_JSON)' $(TRACE_DIR)/tour.json
else
	$(SUBMAKE) ARCH=$(HOST_ARCH) examples
	RAWRT_TRACE=$(TRACE_DIR)/tour.json $(BUILD_ROOT)/$(HOST_ARCH)/examples/tour
endif
	@test -s $(TRACE_DIR)/tour.json || { echo "make trace: no trace in $(TRACE_DIR)/tour.json" >&2; exit 1; }
	mk/trace-render $(TRACE_DIR)/tour.json $(TRACE_DIR)/tour.svg $(TRACE_DIR)/tour-timeline.png
	mk/trace-html $(TRACE_DIR)/tour.html $(TRACE_DIR)/tour.svg \
	    $(wildcard $(BUILD_ROOT)/bench/compare.svg $(BUILD_ROOT)/bench/threads.svg)
	mk/trace-browser $(TRACE_DIR)/tour.html $(TRACE_DIR)/tour.png 'rawrt: seed scenario 3'

# sys/calls.inc, sys/calls_list.inc and docs/syscalls.md's table from
# sys/syscalls.tbl (the numbers from both architectures' compilers).
gen-syscalls:
	mk/gen-syscalls

# New inputs go to the first corpus directory and crash files under the
# artifact prefix, both in the build tree: fuzz/corpus (the seeds) is only
# read. A finding is copied into fuzz/regressions/ by hand, where the tests
# replay it.
fuzz:
	@$(ENSURE) $(PACKAGES_FUZZ)
	$(SUBMAKE) $(BUILD_ROOT)/fuzz/vdso_fuzz
	mkdir -p $(BUILD_ROOT)/fuzz/corpus $(BUILD_ROOT)/fuzz/artifacts
	$(BUILD_ROOT)/fuzz/vdso_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
	    -artifact_prefix=$(BUILD_ROOT)/fuzz/artifacts/ $(BUILD_ROOT)/fuzz/corpus fuzz/corpus

# Rewrites the seeds and the crafted regressions from fuzz/make_seeds.cpp.
fuzz-seeds:
	@mkdir -p $(BUILD_ROOT)/fuzz fuzz/corpus fuzz/regressions
	g++ -std=c++20 -O1 -Wall -Wextra -iquote . -o $(BUILD_ROOT)/fuzz/make_seeds fuzz/make_seeds.cpp
	$(BUILD_ROOT)/fuzz/make_seeds fuzz/corpus fuzz/regressions

$(BUILD_ROOT)/fuzz/vdso_fuzz: fuzz/vdso_fuzz.cpp $(wildcard fuzz/*.hpp vdso/*.cpp vdso/*.hpp arch/*.hpp arch/*/*.hpp)
	@mkdir -p $(@D)
	clang++ -std=c++20 -O1 -g -iquote . -fsanitize=fuzzer,address,undefined \
	    -o $@ fuzz/vdso_fuzz.cpp vdso/elf_image.cpp

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(LIB) $(CRT) $(DESTDIR)$(PREFIX)/lib/
	for f in $(wildcard arch/*.hpp arch/$(ARCH)/*.hpp sys/*.hpp sys/*.inc vdso/*.hpp locks/*.hpp mem/*.hpp sched/*.hpp netpoll/*.hpp os/*.hpp exec/*.hpp); do \
	    install -D -m 644 $$f $(DESTDIR)$(PREFIX)/include/rawrt/$$f || exit 1; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@ARCH_FLAGS@|$(ARCH_FLAGS)|' mk/rawrt.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rawrt.pc

clean:
	rm -rf build

# --- rules

$(ERRNO_LIST):
	@mkdir -p $(@D)
	echo '#include <linux/errno.h>' | $(CXX) -E -dM -x c++ - \
	    | awk '$$1 == "#define" && $$2 ~ /^E[A-Z0-9]+$$/ && $$3 ~ /^[0-9]+$$/ \
	           { print "RAWRT_ERRNO(" $$2 ", " $$3 ")" }' | sort -t, -k2 -n > $@

$(BUILD)/obj/sys/errno.cpp.o: $(ERRNO_LIST)

# The runtime's code in one range of a program (sys/runtime_text.hpp): each
# code section of a library or crt object is renamed RT_TEXT_SECTION, which
# GNU ld sorts between sys/runtime_text.cpp's markers, and the object's calls
# to memcpy and friends go to rawrt_memcpy and friends (sys/memory.cpp, which
# defines them and keeps the standard names as weak aliases).
RT_TEXT_SECTION := .text.sorted.rawrt.1
MEMORY_SYMBOLS := memcpy memmove memset memcmp strlen
RT_TEXT = $(OBJCOPY) $$($(OBJDUMP) -h $@.raw | awk '$$2 ~ /^[.]text($$|[.])/ && $$2 !~ /^[.]text[.]sorted[.]/ \
              { printf " --rename-section %s=$(RT_TEXT_SECTION)", $$2 }') \
          $(if $(filter %/sys/memory.cpp.o,$@),,$(foreach f,$(MEMORY_SYMBOLS),--redefine-sym $(f)=rawrt_$(f))) $@.raw $@

# The rule itself is an input: an object made by an older rule would keep
# its sections' old names.
$(RT_OBJS) $(CRT_OBJS): $(BUILD)/obj/%.o: % Makefile
	@mkdir -p $(@D)
	$(CXX) $(RT_FLAGS) -MF $(@:.o=.d) -MT $@ -c -o $@.raw $<
	$(RT_TEXT)
	rm -f $@.raw

# The other freestanding objects: the examples' and those of tests/programs.
# The hosted ones (tests/, bench/) are listed in static pattern rules below.
$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	$(CXX) $(RT_FLAGS) -c -o $@ $<
$(BUILD)/obj/%.cpp.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(RT_FLAGS) -c -o $@ $<

$(LIB): $(RT_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(CRT): $(CRT_OBJS)
	$(LD) -r --unique=$(RT_TEXT_SECTION) -o $@ $^

# An example is every .cpp in its folder.
.SECONDEXPANSION:
$(BUILD)/examples/%: $$(addprefix $(BUILD)/obj/,$$(addsuffix .o,$$(wildcard examples/$$*/*.cpp))) $(CRT) $(LIB)
	@mkdir -p $(@D)
	$(CXX) $(FREESTANDING_LDFLAGS) -o $@ $(CRT) $(filter %.cpp.o,$^) $(LIB)

$(BUILD_ROOT)/$(ARCH)/gtest/libgtest.a:
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 $(GTEST_INC) -I$(GTEST_SRC) -c -o $(@D)/gtest-all.o $(GTEST_SRC)/src/gtest-all.cc
	$(AR) rcs $@ $(@D)/gtest-all.o

$(TEST_OBJS): $(BUILD)/obj/%.o: %
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_FLAGS) $(GTEST_INC) $(TEST_DEFS) -c -o $@ $<

$(BUILD)/tests/programs/%: $(BUILD)/obj/tests/programs/%.cpp.o $(CRT) $(LIB)
	@mkdir -p $(@D)
	$(CXX) $(FREESTANDING_LDFLAGS) -o $@ $(CRT) $< $(LIB)

$(TEST_BIN): $(TEST_OBJS) $(LIB) $(if $(CROSS),$(GTEST_LIBS))
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_LDFLAGS) -o $@ $(TEST_OBJS) $(HOSTED_LIBS) $(GTEST_LIBS) -pthread

$(CHECKED_TEST_BIN): $(CHECKED_TEST_SRCS:%=$(BUILD)/obj/%.o) $(LIB) $(if $(CROSS),$(GTEST_LIBS))
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_LDFLAGS) -o $@ $(CHECKED_TEST_SRCS:%=$(BUILD)/obj/%.o) $(HOSTED_LIBS) $(GTEST_LIBS) -pthread

$(patsubst %,$(BUILD)/obj/%.o,$(BENCH_SRCS) $(wildcard bench/net/*.cpp)): $(BUILD)/obj/%.o: %
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_FLAGS) -c -o $@ $<

$(BENCH_BIN): $(BENCH_SRCS:%=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_LDFLAGS) -o $@ $(BENCH_SRCS:%=$(BUILD)/obj/%.o) $(HOSTED_LIBS) -lbenchmark -lboost_context -pthread

# bench/net's programs: plain hosted ones, no librawrt.
$(BUILD)/bench/%: $(BUILD)/obj/bench/net/%.cpp.o
	@mkdir -p $(@D)
	$(CXX) $(HOSTED_LDFLAGS) -o $@ $< -pthread

.SECONDARY:
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
