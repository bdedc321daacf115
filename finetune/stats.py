"""Dataset statistics: a rich table (counts per source, under the token limits, length summary) and a
token-length histogram PNG (matplotlib, Agg backend)."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

from finetune.data import as_record, count_tokens, pair_tokens


def lengths(records: Sequence[dict], tokenizer=None) -> list[dict]:
    """Per record ``{"source", "input", "output", "pair"}`` token counts (chats: all text / assistant text;
    ``pair``: the whole encoded example, what the length filter checks)."""
    out = []
    for r in map(as_record, records):
        if "messages" in r:
            inp = "".join(m["content"] for m in r["messages"] if m["role"] != "assistant")
            outp = "".join(m["content"] for m in r["messages"] if m["role"] == "assistant")
        else:
            inp, outp = r.get("input", ""), r.get("output", "")
        out.append({"source": r.get("source", "chat" if "messages" in r else "?"),
                    "input": count_tokens(inp, tokenizer), "output": count_tokens(outp, tokenizer),
                    "pair": pair_tokens(r, tokenizer) if ("messages" in r or "output" in r) else 0})
    return out


def summarize(records: Sequence[dict], tokenizer=None, max_tokens: int = 1024) -> dict:
    """``{"rows": {source: {...}}, "total": {...}, "lengths": [...]}``; each row has n, fit (the pair within
    max_tokens), input/output mean/median/max."""
    lens = lengths(records, tokenizer)
    by: dict[str, list[dict]] = defaultdict(list)
    for l in lens:
        by[l["source"]].append(l)

    def row(items: list[dict]) -> dict:
        if not items:
            return {"n": 0, "fit": 0}
        d = {"n": len(items), "fit": sum(1 for l in items if l["pair"] <= max_tokens)}
        for k in ("input", "output"):
            xs = [l[k] for l in items]
            d[f"{k}_mean"] = round(statistics.fmean(xs), 1)
            d[f"{k}_median"] = statistics.median(xs)
            d[f"{k}_max"] = max(xs)
        return d
    limits = sorted({256, 512, 1024, 2048, max_tokens})
    under = {n: sum(1 for l in lens if l["pair"] <= n) for n in limits}
    return {"rows": {s: row(v) for s, v in sorted(by.items())}, "total": row(lens), "lengths": lens,
            "max_tokens": max_tokens, "under": under}


def table(summary: dict, title: str = "IR4xOR2 dataset"):
    from rich.table import Table
    t = Table(title=f"{title} (limit {summary['max_tokens']} tokens)")
    cols = ["source", "n", "fit", "input_mean", "input_median", "input_max", "output_mean", "output_median",
            "output_max"]
    for c in cols:
        name = c.replace("input_", "in ").replace("output_", "out ").replace("median", "med")
        t.add_column(name, justify="left" if c == "source" else "right", no_wrap=c == "source")
    for name, r in [*summary["rows"].items(), ("total", summary["total"])]:
        t.add_row(name, *[str(r.get(c, "-")) for c in cols[1:]], style="bold" if name == "total" else None)
    return t


def histogram(summary: dict, path: str | Path, bins: int = 30) -> Path:
    """Token-length histogram of inputs and outputs, with the limit marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for k in ("input", "output"):
        xs = [l[k] for l in summary["lengths"]]
        if xs:
            ax.hist(xs, bins=bins, alpha=0.6, label=k)
    ax.axvline(summary["max_tokens"], color="red", linestyle="--", label="limit")
    ax.set_xlabel("tokens")
    ax.set_ylabel("samples")
    ax.set_title("token lengths")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report(records: Sequence[dict], tokenizer=None, max_tokens: int = 1024, png: str | Path | None = None,
           console=None, skipped: Counter | None = None) -> dict:
    """Print the table (and skip reasons), write the histogram when ``png`` is given; returns the summary."""
    from rich.console import Console
    console = console or Console()
    s = summarize(records, tokenizer, max_tokens)
    console.print(table(s))
    n = s["total"]["n"]
    console.print("pairs within: " + ", ".join(f"{k} tokens {v}/{n}" for k, v in s["under"].items()))
    if skipped:
        console.print("skipped: " + ", ".join(f"{k}={v}" for k, v in sorted(skipped.items())))
    if png:
        histogram(s, png)
        console.print(f"histogram: {png}")
    return s
