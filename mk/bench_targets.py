# Reads the two kinds of text that compare.json keeps as written for people:
# a row's target ("≤ 0.25, rawrt ≤ 10 ns", "rawrt/C ≥ 1") and a workload's
# thread-count prediction from the seed ("10–20", "100+", "peak 30–100,
# settled 5–10", "hundreds to thousands"), for mk/bench-charts to draw.

import math
import re

# Words the seeds use for a count, as the range each stands for.
WORD_RANGES = {"tens": (10, 99), "dozens": (24, 99), "hundreds": (100, 999), "thousands": (1000, 9999)}
NUMBER = r"(\d+(?:\.\d+)?)"


def target_lines(target, unit):
    """[(against, op, bound)] from a target, as bench/go/compare's met() reads
    it: comma-separated clauses "OP X" on the ratio rawrt/Go, "rawrt/NAME OP
    X" on the ratio to NAME ("Go", "C", "glibc"), "rawrt OP X" on rawrt's own
    figure (against None, in the row's unit). Other clauses are only read."""
    lines = []
    for clause in target.split(","):
        fields = clause.split()
        against = "Go"
        if fields and fields[0] == "rawrt":
            against, fields = None, fields[1:]
        elif fields and fields[0].startswith("rawrt/"):
            against, fields = fields[0][len("rawrt/"):], fields[1:]
        if len(fields) < 2 or fields[0] not in ("≤", "<=", "≥", ">="):
            continue
        try:
            bound = float(fields[1])
        except ValueError:
            continue
        lines.append((against, "≤" if fields[0] in ("≤", "<=") else "≥", bound))
    return lines


def _range(text):
    text = text.strip()
    m = re.fullmatch(NUMBER + r"\s*[–—-]\s*" + NUMBER, text)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = re.fullmatch(NUMBER + r"\s*\+", text)
    if m:
        return float(m.group(1)), math.inf
    m = re.fullmatch(NUMBER, text)
    if m:
        return float(m.group(1)), float(m.group(1))
    m = re.fullmatch(r"(\w+)\s+to\s+(\w+)", text)
    if m and m.group(1) in WORD_RANGES and m.group(2) in WORD_RANGES:
        return WORD_RANGES[m.group(1)][0], WORD_RANGES[m.group(2)][1]
    if text in WORD_RANGES:
        return WORD_RANGES[text]
    return None


def predicted_ranges(text):
    """{"peak": (lo, hi), "settled": (lo, hi)} or {"any": (lo, hi)}; hi may be
    infinite; {} when the text says no range this reads."""
    ranges = {}
    for part in text.split(","):
        words = part.split(None, 1)
        if len(words) == 2 and words[0] in ("peak", "settled"):
            r = _range(words[1])
            if r:
                ranges[words[0]] = r
        else:
            r = _range(part)
            if r:
                ranges["any"] = r
    return ranges
