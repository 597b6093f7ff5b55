// The files `make trace` draws from a trace, made here from
// tests/data/trace_sample.json (a small trace in the runtime's format, with a
// "scenario 3" region): mk/trace-render's timeline is an SVG with a lane per
// M and P of the region and its retake and handoff, and a PNG;
// mk/trace-html's page holds the title, the timeline and the charts inline
// and nothing from the network; trace-render refuses, with its reason, a file
// that is not a valid trace. The browser is `make trace`'s, not this.

#include <gtest/gtest.h>

#include <cstdio>
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

const std::string kSample = source_path("tests/data/trace_sample.json");

rawrt::test::ChildResult render(const std::string& trace, const std::vector<std::string>& outputs) {
    std::vector<std::string> words{source_path("mk/trace-render"), trace};
    words.insert(words.end(), outputs.begin(), outputs.end());
    return run_command(shell_words(words));
}

TEST(TraceFiles, TimelineHasALanePerMAndPAndTheRetake) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_trace");
    ASSERT_FALSE(dir.path().empty());
    const std::string svg = dir.path() + "/tour.svg", png = dir.path() + "/tour.png";
    auto run = render(kSample, {svg, png});
    ASSERT_EQ(run.exit_status, 0) << run.output;

    EXPECT_EQ(xml_root(svg).output, kSvgRoot);
    const auto texts = svg_texts(read_file(svg));
    EXPECT_TRUE(has_text(texts, "rawrt: seed scenario 3 — a long syscall, its P retaken"));
    for (const char* lane : {"M0", "M1", "M2 (sysmon)", "M3", "P0", "P1"})
        EXPECT_TRUE(has_text(texts, lane)) << "no lane " << lane;
    // The legend names each G by its creation site.
    for (const char* g : {"G1 tour.cpp:40", "G5 tour.cpp:212", "G6 tour.cpp:220", "G7 tour.cpp:221"})
        EXPECT_TRUE(has_text(texts, g)) << "no legend entry " << g;
    EXPECT_TRUE(has_text(texts, "retake P0 (sysmon)"));
    EXPECT_TRUE(has_text(texts, "handoff P0"));
    EXPECT_TRUE(has_text(texts, "read(fd 3, 4096) → slow"));
    // The window is the region (100 µs to 780 µs), not the whole trace.
    EXPECT_TRUE(has_text_containing(texts, "the \"scenario 3\" region, 680 µs")) << read_file(svg).substr(0, 4000);

    const std::string image = read_file(png);
    ASSERT_GT(image.size(), 8u);
    EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(TraceFiles, WithoutTheRegionTheTimelineIsTheWholeTrace) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_trace");
    ASSERT_FALSE(dir.path().empty());
    // The sample less its region's two events.
    const std::string trace = dir.path() + "/no_region.json", svg = dir.path() + "/t.svg";
    auto cut = run_command("grep -v '\"region\"' " + shell_words({kSample}) + " > " + shell_words({trace}));
    ASSERT_EQ(cut.exit_status, 0) << cut.output;
    auto run = render(trace, {svg});
    ASSERT_EQ(run.exit_status, 0) << run.output;
    const auto texts = svg_texts(read_file(svg));
    EXPECT_TRUE(has_text_containing(texts, "the whole trace (it has no \"scenario 3\" region), 839 µs"));
}

TEST(TraceFiles, RenderRefusesWhatIsNotAValidTrace) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_trace");
    ASSERT_FALSE(dir.path().empty());
    const std::string begin = R"({"ph":"B","pid":1,"tid":0,"ts":1,"name":"G1","cat":"g"})";
    const std::string end = R"({"ph":"E","pid":1,"tid":0,"ts":2,"name":"G1","cat":"g"})";
    const std::string syscall = R"({"ph":"B","pid":1,"tid":0,"ts":1.5,"name":"read","cat":"syscall"})";
    struct Case {
        const char* name;
        std::string text;
        const char* reason;
    };
    const Case cases[] = {
        {"cut", read_file(kSample).substr(0, 500), "not JSON"},
        {"array", "[" + begin + "," + end + "]", "no traceEvents list"},
        {"end_first", R"({"traceEvents":[)" + begin + "," + end + "," + end + "]}", "an end with no begin"},
        {"open", R"({"traceEvents":[)" + begin + "]}", "a begin with no end"},
        {"misnested", R"({"traceEvents":[)" + begin + "," + syscall + "," + end + "]}",
         "the end of a 'g' slice closes a 'syscall' one"},
        {"no_ts", R"({"traceEvents":[{"ph":"B","pid":1,"tid":0,"name":"G1"}]})", "no numeric 'ts'"},
        {"no_g", R"({"traceEvents":[]})", "nothing to draw"},
    };
    for (const Case& c : cases) {
        const std::string trace = dir.path() + "/" + c.name + ".json", svg = dir.path() + "/" + c.name + ".svg";
        {
            std::FILE* f = std::fopen(trace.c_str(), "w");
            ASSERT_NE(f, nullptr);
            std::fwrite(c.text.data(), 1, c.text.size(), f);
            std::fclose(f);
        }
        auto run = render(trace, {svg});
        EXPECT_EQ(run.exit_status, 1) << c.name << ": " << run.output;
        EXPECT_NE(run.output.find("is not a valid rawrt trace"), std::string::npos) << c.name << ": " << run.output;
        EXPECT_NE(run.output.find(c.reason), std::string::npos) << c.name << ": " << run.output;
        EXPECT_TRUE(read_file(svg).empty()) << c.name << ": an SVG was written";
    }
    auto missing = render(dir.path() + "/absent.json", {dir.path() + "/absent.svg"});
    EXPECT_EQ(missing.exit_status, 1) << missing.output;
    EXPECT_NE(missing.output.find("cannot read it"), std::string::npos) << missing.output;
}

TEST(TraceFiles, PageEmbedsTheTimelineAndTheChartsAndFetchesNothing) {
    if (under_qemu()) GTEST_SKIP() << kPicturesSkip;
    TempDir dir("rawrt_trace");
    ASSERT_FALSE(dir.path().empty());
    const std::string timeline = dir.path() + "/tour.svg", compare = dir.path() + "/compare.svg",
                      threads = dir.path() + "/threads.svg", page = dir.path() + "/tour.html";
    auto drawn = render(kSample, {timeline});
    ASSERT_EQ(drawn.exit_status, 0) << drawn.output;
    auto charts = run_command(shell_words({source_path("mk/bench-charts"), source_path("tests/data/bench_compare.json"),
                                           compare, threads}));
    ASSERT_EQ(charts.exit_status, 0) << charts.output;
    auto run = run_command(shell_words({source_path("mk/trace-html"), page, timeline, compare, threads}));
    ASSERT_EQ(run.exit_status, 0) << run.output;

    const std::string html = read_file(page);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("<title>rawrt trace: the tour</title>"), std::string::npos);
    size_t svgs = 0;
    for (size_t at = 0; (at = html.find("<svg", at)) != std::string::npos; ++at) ++svgs;
    EXPECT_EQ(svgs, 3u) << "the timeline and two charts, inline";
    const auto texts = svg_texts(html);
    EXPECT_TRUE(has_text(texts, "M2 (sysmon)"));
    EXPECT_TRUE(has_text(texts, "rawrt beside Go, glibc and the C loop: one make bench run"));
    // Self-contained: no address to fetch, no script, nothing loaded by name.
    for (const char* remote : {"http://", "https://", "<script", " src=", "<link", "@import"})
        EXPECT_EQ(html.find(remote), std::string::npos) << "the page holds " << remote;

    // No charts: the page says where they come from.
    auto alone = run_command(shell_words({source_path("mk/trace-html"), page, timeline}));
    ASSERT_EQ(alone.exit_status, 0) << alone.output;
    EXPECT_NE(read_file(page).find("make bench"), std::string::npos);

    // A trace is no SVG.
    auto refused = run_command(shell_words({source_path("mk/trace-html"), page, kSample}));
    EXPECT_EQ(refused.exit_status, 1) << refused.output;
    EXPECT_NE(refused.output.find("not XML"), std::string::npos) << refused.output;
}

}  // namespace
