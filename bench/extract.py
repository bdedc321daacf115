"""Benchmark extractors.code over the reply corpus: exact recovery, correct abstentions, replies/s.

Usage: python bench/extract.py [corpus.jsonl] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from extractors import java  # noqa: E402
from extractors.code import extract_chunk, extract_method  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "replies" / "replies.jsonl"


def run(row: dict):
    if row.get("kind") == "chunk":
        return extract_chunk(row["reply"])
    return extract_method(row["reply"], row.get("name"), row.get("arity"), original=row.get("original"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=5, help="timing repetitions over the corpus")
    args = ap.parse_args(argv)
    rows = [json.loads(x) for x in Path(args.corpus).read_text(encoding="utf-8").splitlines() if x.strip()]
    console = Console()
    code_rows = [r for r in rows if r["expected"] is not None]
    abst_rows = [r for r in rows if r["expected"] is None]
    exact, abst_ok, wrong = 0, 0, []
    for r in rows:
        got = run(r)
        if r["expected"] is None:
            if got.code is None:
                abst_ok += 1
            else:
                wrong.append((r["note"], "should abstain", got.reason))
        elif got.code is not None and java.normalize(got.code) == java.normalize(r["expected"]):
            exact += 1
        else:
            wrong.append((r["note"], "wrong/missing code", got.reason))
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for r in rows:
            run(r)
    dt = time.perf_counter() - t0
    rate = len(rows) * args.repeat / dt if dt else float("inf")

    table = Table(title=f"extractors.code on {Path(args.corpus).name} ({len(rows)} replies)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("exact recovery (rows with code)",
                  f"{exact}/{len(code_rows)} = {100 * exact / max(1, len(code_rows)):.1f}%")
    table.add_row("correct abstentions", f"{abst_ok}/{len(abst_rows)} = {100 * abst_ok / max(1, len(abst_rows)):.1f}%")
    table.add_row("method rows / chunk rows",
                  f"{sum(r.get('kind') != 'chunk' for r in rows)} / {sum(r.get('kind') == 'chunk' for r in rows)}")
    table.add_row("throughput", f"{rate:.0f} replies/s")
    console.print(table)
    if wrong:
        bad = Table(title="misses")
        for c in ("note", "problem", "reason"):
            bad.add_column(c)
        for w in wrong:
            bad.add_row(*w)
        console.print(bad)
    return 0 if exact >= 0.95 * len(code_rows) else 1


if __name__ == "__main__":
    sys.exit(main())
