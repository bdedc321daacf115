"""PNG charts of batch outcomes (matplotlib with the Agg backend: no display needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agent.validation.validate import KINDS

COLORS = {"plausible": "#2ca02c", "test-failure": "#ffbf00", "compile-error": "#d62728", "timeout": "#9467bd",
          "extract-failed": "#7f7f7f", "apply-failed": "#8c564b"}


def outcome_chart(per_bug: dict[str, Counter], path: str | Path, title: str = "outcomes") -> Path:
    """A stacked bar per bug (plus a total bar) of candidate outcomes; returns the PNG path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = list(per_bug)
    total: Counter = Counter()
    for c in per_bug.values():
        total.update(c)
    kinds = [k for k in KINDS if total[k]] or ["plausible"]
    fig, (ax, ax_total) = plt.subplots(1, 2, figsize=(max(6.0, 0.5 * len(labels) + 3), 4.5),
                                       gridspec_kw={"width_ratios": [max(1, len(labels)), 1.2]})
    try:
        bottoms = [0] * len(labels)
        bottom_total = 0
        for k in kinds:
            values = [per_bug[b][k] for b in labels]
            ax.bar(labels, values, bottom=bottoms, color=COLORS.get(k), label=k)
            bottoms = [a + b for a, b in zip(bottoms, values)]
            ax_total.bar(["total"], [total[k]], bottom=[bottom_total], color=COLORS.get(k))
            bottom_total += total[k]
        fixed = sum(1 for c in per_bug.values() if c["plausible"])
        ax.set_title(f"{title}: {fixed}/{len(labels)} bugs with a plausible patch")
        ax.set_ylabel("candidates")
        from matplotlib.ticker import MaxNLocator
        for a in (ax, ax_total):
            a.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="x", labelrotation=60, labelsize=8)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
