// The layers point one way (docs/architecture.md): a folder includes headers
// of its own layer and the layers below it, never one above. The check reads
// every #include "..." of the runtime's folders and the examples.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Bottom to top. locks and mem sit side by side between vdso and sched; mem
// takes its lock from locks. exec (child processes, waited for in the
// netpoller) is the top of the runtime.
const std::map<std::string, int> kLayers = {
    {"arch", 0},  {"sys", 1},     {"vdso", 2}, {"locks", 3}, {"mem", 4},
    {"sched", 5}, {"netpoll", 6}, {"os", 7},   {"exec", 7},  {"examples", 8},
};

std::string first_dir(const std::string& path) { return path.substr(0, path.find('/')); }

// One line per include that points up: "sched/proc.cpp includes netpoll/netpoll.hpp".
std::vector<std::string> upward_includes(const fs::path& root) {
    std::vector<std::string> found;
    for (const auto& [layer, rank] : kLayers) {
        if (!fs::is_directory(root / layer)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(root / layer)) {
            const std::string ext = entry.path().extension().string();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".S" && ext != ".inc")) continue;
            std::ifstream in(entry.path());
            for (std::string line; std::getline(in, line);) {
                const size_t at = line.find("#include \"");
                if (at == std::string::npos || line.find_first_not_of(" \t") != at) continue;
                const size_t start = at + 10, end = line.find('"', start);
                const std::string header = line.substr(start, end - start);
                const auto target = kLayers.find(first_dir(header));
                if (target != kLayers.end() && target->second > rank)
                    found.push_back(fs::relative(entry.path(), root).string() + " includes " + header);
            }
        }
    }
    return found;
}

TEST(Layers, NoFolderIncludesAHeaderOfAFolderAboveIt) {
    const std::vector<std::string> found = upward_includes(RAWRT_TEST_SOURCE_DIR);
    std::string all;
    for (const auto& f : found) all += "\n  " + f;
    EXPECT_TRUE(found.empty()) << found.size() << " include(s) point up a layer:" << all;
}

// The check itself finds what it must: a tree with the scheduler calling
// into the poller, and the allocator into the scheduler.
TEST(Layers, TheCheckFindsAnIncludeThatPointsUp) {
    const fs::path root = fs::temp_directory_path() / ("rawrt_layers_" + std::to_string(getpid()));
    fs::create_directories(root / "sched");
    fs::create_directories(root / "mem");
    fs::create_directories(root / "netpoll");
    std::ofstream(root / "sched/proc.cpp") << "#include \"sched/proc.hpp\"\n#include \"netpoll/netpoll.hpp\"\n";
    std::ofstream(root / "mem/malloc.cpp") << "  #include \"sched/proc.hpp\"\n#include \"locks/lock_futex.hpp\"\n";
    std::ofstream(root / "netpoll/fd.cpp") << "#include \"sched/proc.hpp\"\n#include <atomic>\n";
    const std::vector<std::string> found = upward_includes(root);
    fs::remove_all(root);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], "mem/malloc.cpp includes sched/proc.hpp");
    EXPECT_EQ(found[1], "sched/proc.cpp includes netpoll/netpoll.hpp");
}

}  // namespace
