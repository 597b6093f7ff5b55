// Running a program as a child process from a test: its stdout+stderr and its
// exit status. On aarch64 the test itself runs under qemu-user, and so must
// every aarch64 child: runner() is the prefix ("qemu-aarch64 -cpu
// cortex-a53"), empty on the native architecture and in the aarch64 VM
// (make test-aarch64-vm), where the tests and their children run natively on
// an emulated CPU.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace rawrt::test {

struct ChildResult {
    std::string output;    // stdout and stderr, interleaved
    int exit_status = -1;  // -1 if killed by a signal
    int signal = 0;
};

// Runs `command` through /bin/sh with stderr folded into stdout.
inline ChildResult run_command(const std::string& command) {
    ChildResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
    int status = ::pclose(pipe);
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

// The build's prefix (RAWRT_TEST_RUNNER), unless the environment's
// RAWRT_TEST_RUNNER, even empty, replaces it: mk/vm-init sets it empty. Read
// before main, so that asking on a G calls no glibc function.
inline const std::string runner_from_environment = [] {
    const char* set = std::getenv("RAWRT_TEST_RUNNER");
    return std::string(set != nullptr ? set : RAWRT_TEST_RUNNER);
}();
inline const std::string& runner() { return runner_from_environment; }

// Runs a program built for the architecture under test.
inline ChildResult run_program(const std::string& path_and_args) {
    return run_command(runner().empty() ? path_and_args : runner() + " " + path_and_args);
}

inline std::string build_path(const std::string& relative) {
    return std::string(RAWRT_TEST_BUILD_DIR) + "/" + relative;
}

// Whether the tests (and their children) run under qemu-user, whose
// emulation of a few kernel behaviours differs from the kernel's.
inline bool under_qemu() { return runner().find("qemu") != std::string::npos; }

// Whether the CPU under the tests is emulated (a cross build: qemu-user, or
// qemu-system in the VM step): sizes shrink there.
inline bool emulated() { return std::string_view(RAWRT_TEST_RUNNER).find("qemu") != std::string_view::npos; }

// The integer printed right after `label` in a child's output (spaces
// skipped), or nothing when the label or the number is missing.
inline std::optional<long long> number_after(const std::string& text, const std::string& label) {
    const size_t at = text.find(label);
    if (at == std::string::npos) return std::nullopt;
    const char* start = text.c_str() + at + label.size();
    char* end = nullptr;
    const long long value = std::strtoll(start, &end, 10);
    if (end == start) return std::nullopt;
    return value;
}

}  // namespace rawrt::test
