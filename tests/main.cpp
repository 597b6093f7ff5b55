// The test binary's main: GoogleTest, then one closing line that CI reads,
// "<arch>: N passed, M failed, K skipped", so a run that executed no test is
// visible, and so is one that skipped what it was meant to run.

#include <gtest/gtest.h>

#include <cstdio>

// The checked build (CHECKED=1) says so: "<arch>-checked: ...".
#if RAWRT_CHECKED
constexpr const char* kVariant = "-checked";
#else
constexpr const char* kVariant = "";
#endif

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    int status = RUN_ALL_TESTS();
    const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
    std::printf("%s%s: %d passed, %d failed, %d skipped\n", RAWRT_TEST_ARCH, kVariant, unit.successful_test_count(),
                unit.failed_test_count(), unit.skipped_test_count());
    return status;
}
