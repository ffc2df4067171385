"""Dashboard charts rendered on the server as SVG (matplotlib), served as images.

Serving them through ``<img>`` keeps any text in them inert: an SVG shown as an
image cannot run script. Labels are untrusted (place names, platform names): they
are shortened, never parsed as mathtext (``$...$``), and matplotlib escapes them in
the SVG it writes. Figures are built without pyplot, whose global state is not safe
in the web server's worker threads.
"""

import io
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = [
    "#0b4f8a",
    "#e07b39",
    "#3a9d5d",
    "#c0392b",
    "#8e44ad",
    "#16a085",
    "#d4ac0d",
    "#7f8c8d",
    "#2c3e50",
    "#e84393",
    "#6c5ce7",
    "#00b894",
    "#fdcb6e",
    "#636e72",
    "#b33939",
]
#: longest label drawn; longer ones end in an ellipsis
LABEL_CHARS = 40
# Font loading and text layout share caches; one render at a time is plenty fast.
_lock = threading.Lock()


def short(label: object, limit: int = LABEL_CHARS) -> str:
    """*label* as one line of at most *limit* characters."""
    text = " ".join(str(label).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(width: float, height: float) -> "Figure":
    # matplotlib (with numpy and Pillow, about 50 MB) loads with the first chart a
    # dashboard asks for, not in every web worker and daemon at start.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _style() -> AbstractContextManager[None]:
    import matplotlib as mpl

    # rcParams are global: only ever changed under _lock.
    return mpl.rc_context(
        {"text.parse_math": False, "svg.fonttype": "path", "svg.hashsalt": "aduan"}
    )


def _svg(fig: "Figure") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def volume_chart(series: Mapping[str, Mapping[str, int]], title: str) -> bytes:
    """Stacked bars: complaints per day (ISO dates, in order), split by the series' keys."""
    days = list(series)
    keys = sorted({k for day in series.values() for k in day})
    with _lock, _style():
        fig = _figure(8, 3.2)
        ax = fig.subplots()
        bottom = [0] * len(days)
        for i, key in enumerate(keys):
            values = [series[d].get(key, 0) for d in days]
            ax.bar(
                range(len(days)),
                values,
                bottom=bottom,
                label=short(key),
                color=PALETTE[i % len(PALETTE)],
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        step = max(1, len(days) // 10)
        ax.set_xticks(range(0, len(days), step), [short(d[5:]) for d in days[::step]], fontsize=8)
        ax.set_ylabel("pengaduan")
        ax.set_title(short(title, 80), fontsize=10)
        if any(bottom):
            # Below the axes, so it never hides bars.
            ax.legend(
                fontsize=7,
                ncol=min(len(keys), 6),
                loc="upper center",
                bbox_to_anchor=(0.5, -0.12),
                frameon=False,
            )
        else:
            ax.text(0.5, 0.5, "belum ada data", ha="center", va="center", transform=ax.transAxes)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def bar_chart(items: Sequence[tuple[str, int]], title: str) -> bytes:
    """Horizontal bars, in the order given, first on top."""
    with _lock, _style():
        fig = _figure(5, 0.35 * max(len(items), 3) + 0.8)
        ax = fig.subplots()
        labels = [short(label) for label, _ in items][::-1]
        values = [value for _, value in items][::-1]
        # Numeric positions: equal labels stay separate bars.
        ax.barh(range(len(values)), values, color=PALETTE[0])
        ax.set_yticks(range(len(labels)), labels)
        for y, v in enumerate(values):
            ax.text(v, y, f" {v}", va="center", fontsize=8)
        ax.set_title(short(title, 80), fontsize=10)
        if not items:
            ax.text(0.5, 0.5, "belum ada data", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
        return _svg(fig)
