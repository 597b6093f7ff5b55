// mk/bench-charts on tests/data/bench_compare.json, the compare.json of a
// real `make bench` run (BENCH_FILTER'd to a dozen rows and two thread
// workloads): every row that ran has its panel, every ratio the file holds
// is written on its bar as compare.md prints it, and every workload's counts
// are on the thread chart. The expectations are read from the file itself,
// so a chart of fixed numbers fails, and so does one that drops a row.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tests/child_process.hpp"
#include "tests/picture_files.hpp"
#include "tests/temp_dir.hpp"

namespace {

using rawrt::test::has_text;
using rawrt::test::has_text_containing;
using rawrt::test::kPicturesSkip;
using rawrt::test::kSvgRoot;
using rawrt::test::read_file;
using rawrt::test::run_command;
using rawrt::test::shell_words;
using rawrt::test::source_path;
using rawrt::test::svg_texts;
using rawrt::test::TempDir;
using rawrt::test::under_qemu;
using rawrt::test::xml_root;

const std::string kCompare = source_path("tests/data/bench_compare.json");

// One row object of compare.json: its name and its numeric fields. The file
// is Go's json.MarshalIndent: one field a line, so lines are enough to read.
struct Row {
    std::string name;
    std::vector<std::pair<std::string, double>> numbers;

    const double* number(const std::string& key) const {
        for (const auto& [k, v] : numbers)
            if (k == key) return &v;
        return nullptr;
    }
};

std::vector<Row> rows_of(const std::string& json) {
    std::vector<Row> rows;
    std::istringstream in(json);
    for (std::string line; std::getline(in, line);) {
        const size_t q = line.find('"');
        const size_t colon = line.find("\": ");
        if (q == std::string::npos || colon == std::string::npos) continue;
        const std::string key = line.substr(q + 1, colon - q - 1);
        std::string value = line.substr(colon + 3);
        if (!value.empty() && value.back() == ',') value.pop_back();
        if (key == "row") {
            rows.push_back({value.substr(1, value.size() - 2), {}});
        } else if (!rows.empty() && !value.empty() && value[0] != '"' && value != "null") {
            char* end = nullptr;
            const double v = std::strtod(value.c_str(), &end);
            if (end != value.c_str() && *end == '\0') rows.back().numbers.emplace_back(key, v);
        }
    }
    return rows;
}

std::string format(const char* pattern, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, pattern, v);
    return buffer;
}

TEST(BenchCharts, EveryRowThatRanIsDrawnWithItsRatios) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_charts");
    ASSERT_FALSE(dir.path().empty());
    const std::string compare = dir.path() + "/compare.svg", threads = dir.path() + "/threads.svg";
    auto run = run_command(shell_words({source_path("mk/bench-charts"), kCompare, compare, threads}));
    ASSERT_EQ(run.exit_status, 0) << run.output;
    EXPECT_EQ(xml_root(compare).output, kSvgRoot);
    EXPECT_EQ(xml_root(threads).output, kSvgRoot);

    const std::vector<Row> rows = rows_of(read_file(kCompare));
    const auto compare_texts = svg_texts(read_file(compare));
    const auto thread_texts = svg_texts(read_file(threads));
    int panels = 0, compared = 0, ratios = 0, workloads = 0;
    for (const Row& row : rows) {
        if (row.name.rfind("threads_", 0) == 0) {
            EXPECT_TRUE(has_text(thread_texts, row.name)) << row.name;
            for (const char* key : {"rawrt_peak", "go_peak"})
                if (const double* v = row.number(key)) {
                    const std::string label = std::string(key[0] == 'r' ? "rawrt" : "Go") + " peak " +
                                              format("%.0f", *v);
                    EXPECT_TRUE(has_text(thread_texts, label)) << row.name << ": no bar " << label;
                    ++workloads;
                }
            continue;
        }
        ++compared;
        if (row.number("rawrt") == nullptr && row.number("go") == nullptr) {
            EXPECT_FALSE(has_text(compare_texts, row.name)) << row.name << " did not run but has a panel";
            continue;
        }
        ++panels;
        EXPECT_TRUE(has_text(compare_texts, row.name)) << "no panel for " << row.name;
        for (const auto& [key, other] :
             {std::pair{"ratio_rawrt_over_go", "Go"}, std::pair{"ratio_rawrt_over_glibc", "glibc"},
              std::pair{"ratio_rawrt_over_c", "C"}})
            if (const double* ratio = row.number(key)) {
                const std::string text = std::string("rawrt/") + other + " = " + format("%.3f", *ratio);
                EXPECT_TRUE(has_text_containing(compare_texts, text)) << row.name << ": no " << text;
                ++ratios;
            }
    }
    EXPECT_TRUE(has_text_containing(compare_texts,
                                    std::to_string(panels) + " of " + std::to_string(compared) + " rows ran"));
    // Enough of each that the loops above checked something: the fixture's
    // run had a dozen rows, two of them with a C loop, and two workloads.
    EXPECT_GE(panels, 10);
    EXPECT_GE(ratios, 15);
    EXPECT_GE(workloads, 4);
}

TEST(BenchCharts, RefusesWhatIsNotCompareJson) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_charts");
    ASSERT_FALSE(dir.path().empty());
    auto run = run_command(shell_words({source_path("mk/bench-charts"), source_path("tests/data/trace_sample.json"),
                                        dir.path() + "/compare.svg"}));
    EXPECT_EQ(run.exit_status, 1) << run.output;
    EXPECT_NE(run.output.find("not bench/go/compare's JSON"), std::string::npos) << run.output;
}

}  // namespace
