// execve's errno as exec::fork_exec reports it, spawn after spawn, on both
// architectures: tests/programs/spawn_errno, one thread and no scheduler,
// reads it through the errno pipe the first time and from the memory it
// shares with the child afterwards, except under qemu-user, whose child has
// a copy of that memory: there the pipe must stay, or a failed execve would
// pass for a running program.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/child_process.hpp"
#include "tests/temp_dir.hpp"

namespace {

TEST(ExecErrno, EveryFailedSpawnReportsItsErrnoAndLeavesNothingBehind) {
    rawrt::test::TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    const std::string garbage = dir / "garbage";
    std::ofstream(garbage) << "no program\1\2\3";
    ASSERT_EQ(::chmod(garbage.c_str(), 0755), 0);
    const std::string missing = "/rawrt/no/such/program";
    const std::string under_a_file = garbage + "/x";  // ENOTDIR
    const std::string args = missing + " " + missing + " " + garbage + " " + dir.path() + " " + under_a_file +
                             " /bin/true " + missing + " " + garbage + " " + dir.path() + " " + under_a_file;
    auto r = rawrt::test::run_program(rawrt::test::build_path("tests/programs/spawn_errno") + " " + args);
    ASSERT_EQ(r.exit_status, 0) << r.output;
    const std::string spawns = "ENOENT ENOENT ENOEXEC EACCES ENOTDIR OK ENOENT ENOEXEC EACCES ENOTDIR ";
    EXPECT_EQ(r.output.substr(0, r.output.find("fds")), spawns);
    const auto before = rawrt::test::number_after(r.output, "fds ");
    ASSERT_TRUE(before.has_value()) << r.output;
    EXPECT_NE(r.output.find("fds " + std::to_string(*before) + " " + std::to_string(*before) + " children 0\n"),
              std::string::npos)
        << "a descriptor or a child was left: " << r.output;
}

}  // namespace
