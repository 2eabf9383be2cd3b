"""The dashboard's plots: matplotlib (Agg) bar charts as inline SVG, each with role="img",
a <title> and a <desc> naming what it shows. matplotlib is not thread-safe: every plot is
drawn under one lock, in the routing executor (never on the event loop)."""

from __future__ import annotations

import html
import io
import re
import threading

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

_LOCK = threading.Lock()
COLOUR = "#1f4e79"  # dark blue: contrast 8.6:1 on white


def bar_svg(labels: list[str], values: list[float], title: str, desc: str, unit: str) -> str:
    """A horizontal bar chart as an <svg> element sized to its container."""
    with _LOCK, matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: smaller, readable
        fig = Figure(figsize=(6.4, 0.5 + 0.38 * max(1, len(labels))), dpi=72)
        ax = fig.add_subplot()
        ax.barh(range(len(labels)), values, color=COLOUR)
        ax.set_yticks(range(len(labels)), [lbl if len(lbl) <= 28 else lbl[:27] + "…" for lbl in labels])
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML prolog nor DOCTYPE inside HTML
    return _wrap(svg, title, desc)


def _wrap(svg: str, title: str, desc: str) -> str:
    """matplotlib's <svg ...> with role, title and desc added after its opening tag."""
    end = svg.index(">") + 1
    opening = re.sub(r' (width|height)="[^"]*"', "", svg[:end])  # the viewBox stays: it scales
    opening = opening.replace("<svg", '<svg role="img" style="width:100%;height:auto;max-width:40rem"', 1)
    return f"{opening}<title>{html.escape(title)}</title><desc>{html.escape(desc)}</desc>{svg[end:]}"
