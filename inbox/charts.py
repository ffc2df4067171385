"""Dashboard charts rendered on the server as SVG (matplotlib), served as images.

Serving them through ``<img>`` keeps any text in them inert: an SVG shown as an
image cannot run script.
"""

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PALETTE = ["#0b4f8a", "#e07b39", "#3a9d5d", "#c0392b", "#8e44ad", "#16a085", "#d4ac0d",
           "#7f8c8d", "#2c3e50", "#e84393", "#6c5ce7", "#00b894", "#fdcb6e", "#636e72",
           "#b33939"]  # fmt: skip


def _svg(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def volume_chart(series: Mapping[str, Mapping[str, int]], title: str) -> bytes:
    """Stacked bars: complaints per day, split by the series' keys."""
    days = list(series)
    keys = sorted({k for day in series.values() for k in day})
    fig, ax = plt.subplots(figsize=(8, 3.2))
    bottom = [0] * len(days)
    for i, key in enumerate(keys):
        values = [series[d].get(key, 0) for d in days]
        ax.bar(range(len(days)), values, bottom=bottom, label=key,
               color=PALETTE[i % len(PALETTE)])  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]], fontsize=8)
    ax.set_ylabel("pengaduan")
    ax.set_title(title, fontsize=10)
    if keys:
        ax.legend(fontsize=7, ncol=min(len(keys), 5), loc="upper left", frameon=False)
    else:
        ax.text(0.5, 0.5, "belum ada data", ha="center", va="center", transform=ax.transAxes)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def bar_chart(items: Sequence[tuple[str, int]], title: str) -> bytes:
    """Horizontal bars, largest on top."""
    fig, ax = plt.subplots(figsize=(5, 0.35 * max(len(items), 3) + 0.8))
    labels = [label for label, _ in items][::-1]
    values = [value for _, value in items][::-1]
    ax.barh(labels, values, color=PALETTE[0])
    for y, v in enumerate(values):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    ax.set_title(title, fontsize=10)
    if not items:
        ax.text(0.5, 0.5, "belum ada data", ha="center", va="center", transform=ax.transAxes)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return _svg(fig)
