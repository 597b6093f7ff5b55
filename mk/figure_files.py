# How mk/trace-render and mk/bench-charts set matplotlib up and save a
# figure, so that their SVGs embed the same way in mk/trace-html's page.
#
# - The Agg backend: no display is needed, or looked for.
# - Text stays <text> in an SVG (svg.fonttype "none"): the tests and the
#   browser check find lane labels and row names in it, and it stays small.
# - Each file gets its own id salt, derived from its name: two SVGs inlined
#   in one page never share a clip-path id, and a file drawn twice from the
#   same input comes out the same (no date either).

import os

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["font.size"] = 9

import matplotlib.pyplot as pyplot  # noqa: E402  (after the backend is chosen)

FORMATS = {".svg": "svg", ".png": "png"}


def check_outputs(paths):
    """The paths' formats, or the first path whose extension is neither."""
    for path in paths:
        if os.path.splitext(path)[1].lower() not in FORMATS:
            raise ValueError("%s: the output's name must end in .svg or .png" % path)


def save(figure, paths, dpi=110):
    for path in paths:
        fmt = FORMATS[os.path.splitext(path)[1].lower()]
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if fmt == "svg":
            matplotlib.rcParams["svg.hashsalt"] = "rawrt:" + os.path.basename(path)
            figure.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
        else:
            figure.savefig(path, format="png", dpi=dpi, bbox_inches="tight")
    pyplot.close(figure)
