// What the tests of the pictures (mk/trace-render, mk/trace-html,
// mk/bench-charts) share: where the scripts and their inputs are, and how to
// read what they write. The scripts are host-side Python: the native run of
// the suite checks them, and under qemu-user (the aarch64 run) they would
// only run again, on the same host, so the tests skip there.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/child_process.hpp"
#include "tests/temp_dir.hpp"

namespace rawrt::test {

constexpr const char* kPicturesSkip =
    "the pictures' scripts are host-side Python, checked by the native run; under qemu-user they would only "
    "run again on the same host";

inline std::string source_path(const std::string& relative) {
    return std::string(RAWRT_TEST_SOURCE_DIR) + "/" + relative;
}

// `'a' 'b' ...`: the words quoted for /bin/sh (none holds a quote here).
inline std::string shell_words(const std::vector<std::string>& words) {
    std::string line;
    for (const std::string& w : words) line += (line.empty() ? "'" : " '") + w + "'";
    return line;
}

// The text of each <text> element of an SVG that matplotlib wrote with
// svg.fonttype "none" (one line each, no nested elements), trimmed and with
// the XML entities it escapes undone.
inline std::vector<std::string> svg_texts(const std::string& svg) {
    std::vector<std::string> texts;
    size_t at = 0;
    while ((at = svg.find("<text", at)) != std::string::npos) {
        const size_t open_end = svg.find('>', at);
        const size_t close = svg.find("</text>", open_end);
        if (open_end == std::string::npos || close == std::string::npos) break;
        std::string text = svg.substr(open_end + 1, close - open_end - 1);
        for (auto [entity, ch] :
             {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}})
            for (size_t e; (e = text.find(entity)) != std::string::npos;)
                text.replace(e, std::string(entity).size(), ch);
        const size_t first = text.find_first_not_of(" \n\t");
        const size_t last = text.find_last_not_of(" \n\t");
        texts.push_back(first == std::string::npos ? "" : text.substr(first, last - first + 1));
        at = close;
    }
    return texts;
}

inline bool has_text(const std::vector<std::string>& texts, const std::string& wanted) {
    for (const std::string& t : texts)
        if (t == wanted) return true;
    return false;
}

inline bool has_text_containing(const std::vector<std::string>& texts, const std::string& part) {
    for (const std::string& t : texts)
        if (t.find(part) != std::string::npos) return true;
    return false;
}

// The root element's tag as Python's XML parser reads the file ("{ns}svg"),
// or its error: the file is XML, not only text that looks like it.
inline ChildResult xml_root(const std::string& path) {
    return run_command(
        "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)' " +
        shell_words({path}));
}

constexpr const char* kSvgRoot = "{http://www.w3.org/2000/svg}svg\n";

}  // namespace rawrt::test
