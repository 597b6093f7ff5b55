// The freestanding programs as real programs: static, no interpreter, no
// shared library, nothing undefined; run as children (under qemu on aarch64)
// with their output and exit status asserted.

#include <gtest/gtest.h>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::run_command;
using rawrt::test::run_program;

class FreestandingBinary : public testing::TestWithParam<const char*> {
protected:
    std::string path() const { return build_path(std::string("examples/") + GetParam()); }
};

TEST_P(FreestandingBinary, HasNoInterpreterAndNoSharedLibraries) {
    auto headers = run_command("readelf -lW " + path());
    ASSERT_EQ(headers.exit_status, 0) << headers.output;
    EXPECT_NE(headers.output.find("LOAD"), std::string::npos) << headers.output;
    EXPECT_EQ(headers.output.find("INTERP"), std::string::npos) << headers.output;
    EXPECT_EQ(headers.output.find("DYNAMIC"), std::string::npos) << headers.output;
    auto dynamic = run_command("readelf -dW " + path());
    EXPECT_EQ(dynamic.output.find("NEEDED"), std::string::npos) << dynamic.output;
}

TEST_P(FreestandingBinary, HasNoUndefinedSymbol) {
    auto symbols = run_command(std::string(RAWRT_TEST_NM) + " " + path());
    ASSERT_EQ(symbols.exit_status, 0) << symbols.output;
    EXPECT_NE(symbols.output.find(" T _start"), std::string::npos) << "symbol table missing";
    auto undefined = run_command(std::string(RAWRT_TEST_NM) + " -u " + path());
    EXPECT_EQ(undefined.exit_status, 0);
    EXPECT_EQ(undefined.output, "");
}

TEST_P(FreestandingBinary, CarriesTheBranchProtectionNote) {
    auto notes = run_command("readelf -nW " + path());
#if defined(__x86_64__)
    EXPECT_NE(notes.output.find("x86 feature: IBT"), std::string::npos) << notes.output;
#else
    EXPECT_NE(notes.output.find("AArch64 feature: BTI"), std::string::npos) << notes.output;
#endif
}

INSTANTIATE_TEST_SUITE_P(Examples, FreestandingBinary, testing::Values("hello", "tour"));

TEST(Hello, PrintsItsLineAndExitsZero) {
    auto hello = run_program(build_path("examples/hello"));
    EXPECT_EQ(hello.exit_status, 0);
    EXPECT_EQ(hello.output, "hello from rawrt\n");
}

TEST(Hello, ExitsOneWhenStdoutIsClosed) {
    // The write fails with EBADF; main turns that into status 1.
    // The group gets stderr folded into the pipe before stdout is closed.
    std::string runner = RAWRT_TEST_RUNNER;
    auto hello = run_command("{ " + runner + " " + build_path("examples/hello") + " >&-; }");
    EXPECT_EQ(hello.exit_status, 1) << hello.output;
}

#if defined(__x86_64__)
TEST(Hello, IsAtMostSixteenKiB) {
    auto size = run_command("stat -c %s " + build_path("examples/hello"));
    ASSERT_EQ(size.exit_status, 0);
    EXPECT_LE(std::stol(size.output), 16 * 1024);
}
#endif

TEST(Tour, PrintsItsFoundationSection) {
    auto tour = run_program(build_path("examples/tour"));
    EXPECT_EQ(tour.exit_status, 0) << tour.output;
    EXPECT_NE(tour.output.find("architecture: " RAWRT_TEST_ARCH), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("vDSO:"), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("getpid via stub"), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("clock_gettime via syscall"), std::string::npos) << tour.output;
}

}  // namespace
