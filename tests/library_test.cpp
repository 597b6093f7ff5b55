// Two rules of the runtime checked as tests: librawrt.a needs nothing it does
// not define itself, and no runtime source includes a libc header.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::run_command;

std::set<std::string> symbol_names(const std::string& nm_output) {
    std::set<std::string> names;
    std::istringstream lines(nm_output);
    std::string line;
    while (std::getline(lines, line)) {
        auto space = line.find_last_of(' ');
        if (!line.empty() && line.back() != ':') names.insert(line.substr(space + 1));
    }
    return names;
}

// Symbols the static linker defines itself: the init arrays' bounds, and the
// GOT that position-independent code on x86_64 addresses relative to.
bool linker_provided(const std::string& name) {
    return name.rfind("__init_array", 0) == 0 || name.rfind("__preinit_array", 0) == 0 ||
           name == "_GLOBAL_OFFSET_TABLE_";
}

TEST(Library, DefinesEverySymbolItUses) {
    const std::string lib = build_path("librawrt.a");
    const std::string nm = RAWRT_TEST_NM;
    auto undefined = run_command(nm + " -u " + lib);
    auto defined = run_command(nm + " --defined-only -g " + lib);
    ASSERT_EQ(undefined.exit_status, 0) << undefined.output;
    ASSERT_EQ(defined.exit_status, 0) << defined.output;
    auto needed = symbol_names(undefined.output);
    auto have = symbol_names(defined.output);
    ASSERT_FALSE(have.empty());
    std::string missing;
    for (const auto& name : needed)
        // main: sched/run.cpp runs the program's main as the main G.
        if (!have.count(name) && !linker_provided(name) && name != "main") missing += name + "\n";
    EXPECT_EQ(missing, "") << "librawrt.a needs symbols it does not define";
}

TEST(Library, CrtNeedsOnlyMainAndTheLibrary) {
    const std::string nm = RAWRT_TEST_NM;
    auto undefined = symbol_names(run_command(nm + " -u " + build_path("rawrt_crt.o")).output);
    auto have = symbol_names(run_command(nm + " --defined-only -g " + build_path("librawrt.a")).output);
    for (const auto& name : undefined) {
        EXPECT_TRUE(name == "main" || linker_provided(name) || have.count(name)) << name;
    }
}

TEST(Library, RuntimeSourcesIncludeNoLibcHeader) {
    // Freestanding C++ headers and the kernel's UAPI headers only.
    const std::set<std::string> allowed = {"cstdint", "cstddef", "atomic",   "type_traits", "new",
                                           "limits",  "bit",     "concepts", "utility",     "initializer_list"};
    const std::regex include(R"(^\s*#\s*include\s*<([^>]+)>)");
    int files = 0;
    for (const char* dir : {"arch", "sys", "vdso", "sched", "netpoll"}) {
        std::filesystem::path root = std::filesystem::path(RAWRT_TEST_SOURCE_DIR) / dir;
        if (!std::filesystem::exists(root)) continue;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
            if (!entry.is_regular_file()) continue;
            ++files;
            std::ifstream in(entry.path());
            std::string line;
            while (std::getline(in, line)) {
                std::smatch m;
                if (!std::regex_search(line, m, include)) continue;
                const std::string header = m[1];
                bool uapi = header.rfind("linux/", 0) == 0 || header.rfind("asm/", 0) == 0 ||
                            header.rfind("asm-generic/", 0) == 0;
                EXPECT_TRUE(uapi || allowed.count(header)) << entry.path() << " includes <" << header << ">";
            }
        }
    }
    EXPECT_GT(files, 20);
}

}  // namespace
