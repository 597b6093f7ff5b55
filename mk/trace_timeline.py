# Draws one window of a trace (mk/trace_model.py) onto matplotlib axes, for
# mk/trace-render: the lanes, then the counters.
#
# Lanes: one per M, showing the G that runs there coloured by G (its number
# written where it fits) with its syscalls as hatched slices inside (name and
# way out written where they fit); one per P, showing the M that holds it.
# Markers show retakes (with a line across every lane, where the P changes
# hands), handoffs, preemptions and the Ms' lives; arrows show flows. The
# slices of one kind go into one collection: a whole trace holds tens of
# thousands, and an artist each would take minutes to draw.

from dataclasses import dataclass

from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from figure_files import pyplot
from trace_model import PID_MS, PID_PS

MAX_G_LEGEND = 12
MAX_LABELLED_MARKERS = 24  # beyond this many, markers go unlabelled (and retakes unlined)
MAX_ARROWS = 150  # beyond this many flows, plain lines
# Beyond this many shapes in one collection, the SVG holds it as an image:
# a whole trace's tens of thousands of slices would make one of tens of MB.
MAX_VECTOR_SHAPES = 2000

# Instant markers, first match on the name's start; the labelled ones are
# what the scenario is about.
MARKERS = [
    ("retake", "retake of a P", dict(marker="v", color="#d62728", markersize=10), True),
    ("handoff", "handoff of a P", dict(marker="D", color="#ff7f0e", markersize=7), True),
    ("preempt", "preemption", dict(marker="s", color="#9467bd", markersize=6), True),
    ("dropped", "dropped events", dict(marker="X", color="#d62728", markersize=9), True),
    ("M created", "M created", dict(marker="^", color="#555555", markersize=6), False),
    ("M woken", "M woken", dict(marker="o", color="#555555", markersize=5, fillstyle="none"), False),
    ("M parked", "M parked", dict(marker="x", color="#555555", markersize=6), False),
    ("M exit", "M exit", dict(marker="X", color="#555555", markersize=6), False),
    ("sysmon pass", "sysmon pass", dict(marker=".", color="#999999", markersize=5), False),
]
FLOW_COLOURS = {"ready": "#2ca02c", "migrate": "#1f77b4"}
SYSCALL_HATCH = {"Syscall": "///", "entersyscallblock": "\\\\\\"}


@dataclass
class Window:
    lo: float  # µs, as in the trace
    hi: float
    scale: float  # µs per unit of the x axis
    unit: str

    @classmethod
    def of(cls, lo, hi):
        span = max(hi - lo, 1e-3)
        return cls(lo, lo + span, *((1e3, "ms") if span > 5000 else (1.0, "µs")))

    def x(self, ts):
        return (ts - self.lo) / self.scale

    @property
    def width(self):
        return self.x(self.hi)

    def holds(self, start, end):
        return end >= self.lo and start <= self.hi


def lanes(trace, w):
    """[(pid, tid, label)]: the Ms, then the Ps, that show anything in the window."""
    seen = set()
    for s in trace.slices:
        if s.pid in (PID_MS, PID_PS) and w.holds(s.start, s.end):
            seen.add((s.pid, s.tid))
    for i in trace.instants:
        if i.pid == PID_MS and w.lo <= i.ts <= w.hi:
            seen.add((i.pid, i.tid))
    return [(pid, tid, trace.track_name(pid, tid)) for pid, tid in sorted(seen)]


def goid(s):
    value = s.args.get("goid")
    if isinstance(value, int):
        return value
    head = s.name.split(" ", 1)[0]
    return int(head[1:]) if head[:1] == "G" and head[1:].isdigit() else s.name


class Lanes:
    def __init__(self, ax, trace, w):
        self.ax, self.trace, self.w = ax, trace, w
        self.rows = lanes(trace, w)
        self.y_of = {(pid, tid): i for i, (pid, tid, _) in enumerate(self.rows)}
        self.handles = []

    def draw(self):
        self._slices()
        self._markers()
        self._flows()
        self._frame()
        return self.handles

    def _rect(self, s, y, h):
        w = self.w
        left, right = w.x(max(s.start, w.lo)), w.x(min(s.end, w.hi))
        right = max(right, left + w.width / 2000)  # a slice too short to see still shows
        return [(left, y - h / 2), (right, y - h / 2), (right, y + h / 2), (left, y + h / 2)], left, right

    def _label(self, text, left, right, y, **style):
        # Only where it fits: a label wider than its slice would cover the next one.
        if right - left > self.w.width * 0.012 * len(text):
            self.ax.text((left + right) / 2, y, text, ha="center", va="center", fontsize=7, clip_on=True,
                         zorder=4, **style)

    def _slices(self):
        w = self.w
        slices = [s for s in self.trace.slices if (s.pid, s.tid) in self.y_of and w.holds(s.start, s.end)]
        palette = pyplot.get_cmap("tab20").colors
        g_colour, g_name = {}, {}
        for s in sorted((s for s in slices if s.pid == PID_MS and s.kind == "g"), key=lambda s: s.start):
            g_colour.setdefault(goid(s), palette[len(g_colour) % len(palette)])
            g_name.setdefault(goid(s), s.name)
        m_palette = pyplot.get_cmap("Pastel2").colors
        m_colour = {}

        gs, g_faces, ps, p_faces = [], [], [], []
        syscalls = {hatch: [] for hatch in SYSCALL_HATCH.values()}
        for s in slices:
            y = self.y_of[(s.pid, s.tid)]
            if s.pid == PID_PS:
                rect, left, right = self._rect(s, y, 0.6)
                ps.append(rect)
                p_faces.append(m_colour.setdefault(s.name, m_palette[len(m_colour) % len(m_palette)]))
                self._label(s.name, left, right, y)
            elif s.kind == "g":
                rect, left, right = self._rect(s, y, 0.6)
                gs.append(rect)
                g_faces.append(g_colour[goid(s)])
                self._label(s.name.split(" ", 1)[0], left, right, y - 0.16)
            else:
                rect, left, right = self._rect(s, y + 0.12, 0.32)
                syscalls[SYSCALL_HATCH.get(s.args.get("flavour"), "///")].append(rect)
                way = s.args.get("exit")
                self._label("%s → %s" % (s.name, way) if way else s.name, left, right, y + 0.12,
                            bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        ax = self.ax
        ax.add_collection(PolyCollection(ps, facecolors=p_faces, edgecolors="#444444", linewidths=0.5, zorder=2,
                                         rasterized=len(ps) > MAX_VECTOR_SHAPES))
        ax.add_collection(PolyCollection(gs, facecolors=g_faces, edgecolors="black", linewidths=0.5, zorder=2,
                                         rasterized=len(gs) > MAX_VECTOR_SHAPES))
        syscall_style = {}
        for hatch, rects in syscalls.items():
            # Hatching tens of thousands of slices takes Agg minutes: past
            # the vector limit they are filled grey instead.
            many = len(rects) > MAX_VECTOR_SHAPES
            syscall_style[hatch] = dict(facecolor="#cccccc", edgecolor="black") if many else \
                dict(facecolor="white", edgecolor="black", hatch=hatch)
            if rects:
                ax.add_collection(PolyCollection(rects, linewidths=0.5, zorder=3, rasterized=many,
                                                 **{k + ("s" if k != "hatch" else ""): v
                                                    for k, v in syscall_style[hatch].items()}))

        keys = list(g_colour)
        self.handles += [Patch(facecolor=g_colour[k], edgecolor="black", label=g_name[k]) for k in keys[:MAX_G_LEGEND]]
        if len(keys) > MAX_G_LEGEND:
            self.handles.append(Patch(facecolor="white", edgecolor="white",
                                      label="… %d more Gs" % (len(keys) - MAX_G_LEGEND)))
        for flavour, hatch in SYSCALL_HATCH.items():
            if syscalls[hatch]:
                name = "syscall" if flavour == "Syscall" else flavour
                self.handles.append(Patch(**syscall_style[hatch], label="%s (→ its way out)" % name))
        if ps:
            self.handles.append(Patch(facecolor=m_palette[0], edgecolor="#444444", label="the M holding a P"))

    def _markers(self):
        w, ax = self.w, self.ax
        points = {m[0]: [] for m in MARKERS}
        labelled = 0
        for instant in self.trace.instants:
            if (instant.pid, instant.tid) not in self.y_of or not w.lo <= instant.ts <= w.hi:
                continue
            match = next((m for m in MARKERS if instant.name.startswith(m[0])), None)
            if match is None:
                continue
            prefix, _, style, label = match
            x, y = w.x(instant.ts), self.y_of[(instant.pid, instant.tid)] - 0.42
            points[prefix].append((x, y))
            if label and labelled < MAX_LABELLED_MARKERS:
                labelled += 1
                if prefix == "retake":
                    # A line across every lane: the P's lane changes hands right there.
                    ax.axvline(x, color=style["color"], linestyle=":", linewidth=1, zorder=1)
                by = instant.args.get("by")
                ax.annotate(instant.name + (" (%s)" % by if by else ""), (x, y),
                            xytext=(4, 6 if prefix == "retake" else -10), textcoords="offset points", fontsize=7,
                            color=style["color"], zorder=6)
        for prefix, legend, style, _ in MARKERS:
            if points[prefix]:
                xs, ys = zip(*points[prefix])
                ax.plot(xs, ys, linestyle="none", zorder=5, rasterized=len(xs) > MAX_VECTOR_SHAPES, **style)
                self.handles.append(Line2D([], [], linestyle="none", label=legend, **style))

    def _flows(self):
        w, y_of = self.w, self.y_of
        by_name = {}
        for flow in self.trace.flows:
            (ts0, pid0, tid0), (ts1, pid1, tid1) = flow.start, flow.end
            if (pid0, tid0) in y_of and (pid1, tid1) in y_of and w.holds(ts0, ts1):
                by_name.setdefault(flow.name, []).append(((w.x(ts0), y_of[(pid0, tid0)]),
                                                          (w.x(ts1), y_of[(pid1, tid1)])))
        arrows = sum(len(segments) for segments in by_name.values()) <= MAX_ARROWS
        for name, segments in sorted(by_name.items()):
            colour = FLOW_COLOURS.get(name, "#7f7f7f")
            if arrows:
                for start, end in segments:
                    arrow = dict(arrowstyle="->", color=colour, linewidth=1.2, shrinkA=0, shrinkB=0)
                    self.ax.annotate("", xy=end, xytext=start, zorder=4, arrowprops=arrow)
            else:
                self.ax.add_collection(LineCollection(segments, colors=colour, linewidths=0.6, zorder=4,
                                                      rasterized=len(segments) > MAX_VECTOR_SHAPES))
            self.handles.append(Line2D([], [], color=colour, label="flow: " + name))

    def _frame(self):
        ax, w, rows = self.ax, self.w, self.rows
        ax.set_yticks(range(len(rows)), [label for _, _, label in rows])
        ax.set_ylim(len(rows) - 0.4, -0.9)
        ax.set_xlim(-w.width * 0.01, w.width * 1.01)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        p_rows = [i for i, (pid, _, _) in enumerate(rows) if pid == PID_PS]
        if p_rows:
            ax.axhline(p_rows[0] - 0.5, color="#888888", linewidth=0.8)
        if not rows:
            ax.text(0.5, 0.5, "no M or P shows anything in this window", transform=ax.transAxes, ha="center")
        ax.legend(handles=self.handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def counters(ax, trace, w):
    """Steps each counter through the window, from its value when the window opens."""
    for name, points in sorted(trace.counters.items()):
        before = [v for ts, v in points if ts <= w.lo]
        inside = [(w.x(ts), v) for ts, v in points if w.lo < ts <= w.hi]
        xs = [0.0] + [x for x, _ in inside] + [w.width]
        ys = [before[-1] if before else 0] + [v for _, v in inside]
        ys.append(ys[-1])
        ax.step(xs, ys, where="post", label=name, linewidth=1.2)
    ax.set_ylabel("count")
    ax.grid(color="#dddddd", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
