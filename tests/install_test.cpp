// `make install` as a user meets it: the installed headers, crt object,
// library and rawrt.pc build a freestanding program with nothing but
// `pkg-config --cflags --libs rawrt`, and that program runs.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/child_process.hpp"
#include "tests/temp_dir.hpp"

namespace {

using rawrt::test::run_command;
using rawrt::test::run_program;
using rawrt::test::TempDir;

TEST(Install, PkgConfigBuildsAWorkingFreestandingProgram) {
    TempDir root("rawrt_install");
    ASSERT_FALSE(root.path().empty());
    const std::string prefix = "/opt/rawrt";
    auto install = run_command(std::string("MAKEFLAGS= make --no-print-directory -C ") + RAWRT_TEST_SOURCE_DIR +
                               " ARCH=" RAWRT_TEST_ARCH " BUILD_ROOT=" RAWRT_TEST_BUILD_ROOT " install PREFIX=" +
                               prefix + " DESTDIR=" + root.path());
    ASSERT_EQ(install.exit_status, 0) << install.output;
    const std::string installed = root.path() + prefix;
    for (const char* file :
         {"/lib/librawrt.a", "/lib/rawrt_crt.o", "/lib/pkgconfig/rawrt.pc", "/include/rawrt/sys/calls.hpp",
          "/include/rawrt/vdso/vdso.hpp", "/include/rawrt/sched/go.hpp"})
        EXPECT_TRUE(std::filesystem::exists(installed + file)) << file;

    // The sysroot variable moves the prefix the .pc names into DESTDIR.
    const std::string pkg_config = "PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=" + installed +
                                   "/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=" + root.path() + " pkg-config";
    auto flags = run_command(pkg_config + " --cflags --libs rawrt");
    ASSERT_EQ(flags.exit_status, 0) << flags.output;
    std::string one_line = flags.output.substr(0, flags.output.find('\n'));

    const std::string program = root.path() + "/hello";
    auto build = run_command(std::string(RAWRT_TEST_CXX) + " -O2 -o " + program + " " + RAWRT_TEST_SOURCE_DIR +
                             "/examples/hello/main.cpp " + one_line);
    ASSERT_EQ(build.exit_status, 0) << build.output;
    auto hello = run_program(program);
    EXPECT_EQ(hello.exit_status, 0);
    EXPECT_EQ(hello.output, "hello from rawrt\n");
}

}  // namespace
