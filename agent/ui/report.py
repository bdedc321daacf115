"""Rich tables of validation outcomes: one row per candidate, a summary per bug, totals."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.validation.validate import KINDS

if TYPE_CHECKING:
    from agent.validation.validate import Outcome

HEADERS = {"test-failure": "test\nfail", "compile-error": "compile\nerror", "timeout": "time\nout",
           "extract-failed": "extract\nfail", "apply-failed": "apply\nfail"}
MAIN = ("plausible", "test-failure", "compile-error", "timeout")  # always columns of the summary
STYLE = {"plausible": "bold green", "test-failure": "yellow", "compile-error": "red", "timeout": "magenta",
         "extract-failed": "dim", "apply-failed": "dim red", "exhausted": "yellow", "budget": "yellow",
         "error": "bold red", "interrupted": "dim"}


def first_failure(outcome) -> str:
    """One short line about why a candidate failed (plain text: escape it before using it as rich markup)."""
    if outcome.failures:
        f = outcome.failures[0]
        if f.kind == "compile":
            return f"line {f.line}: {f.message}"[:90]
        if f.kind == "timeout":
            return f"{f.test} timed out ({f.seconds:g}s)"[:90]
        msg = f.message or f.exception
        return f"{f.test.split('::')[-1]}: {msg}"[:90]
    return outcome.detail.splitlines()[0][:90] if outcome.detail else ""


def kind_text(kind: str) -> str:
    """``kind`` (an outcome or a session result) as rich markup, styled when known."""
    style = STYLE.get(kind)
    return f"[{style}]{escape(kind)}[/]" if style else escape(str(kind))


def candidates_table(title: str, rows: "Sequence[tuple[str, Outcome]]") -> Table:
    """rows: (candidate label, Outcome)."""
    t = Table(title=title, title_justify="left")
    for col in ("candidate", "outcome", "s", "first failure"):
        t.add_column(col, justify="right" if col == "s" else "left", overflow="fold")
    for label, o in rows:
        t.add_row(escape(label), kind_text(o.kind), f"{o.seconds:.2f}", escape(first_failure(o)))
    return t


def usage_text(u: dict) -> str:
    """Model seconds, tokens and cost of a usage dict (``model_s``, ``prompt_tokens``, ``completion_tokens``,
    ``cost``), as far as they are known."""
    parts = [f"{u.get('model_s', 0.0):.1f} s model"]
    if u.get("prompt_tokens") or u.get("completion_tokens"):
        parts.append(f"{u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)} tokens")
    if u.get("cost") is not None:
        parts.append(f"${u['cost']:.4f}")
    return ", ".join(parts)


def summary_table(per_bug: dict[str, Counter], title: str = "Outcomes per bug", results: dict | None = None,
                  usage: dict | None = None, evidence: dict | None = None) -> Table:
    """Counts of each outcome kind per bug and in total; 'fixed' says whether any candidate was plausible (or
    that the session ended in an error); with ``usage``, model seconds and tokens per bug.

    The main kinds (plausible, test-failure, compile-error, timeout) are always columns, the others when they
    occur; two-line headers and no inner borders keep it within 80 columns."""
    from rich import box

    results, usage = results or {}, usage or {}
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    t.add_column("bug", no_wrap=True)
    t.add_column("fixed", no_wrap=True)
    kinds = [k for k in KINDS if k in MAIN or any(c[k] for c in per_bug.values())]
    for k in kinds:
        t.add_column(HEADERS.get(k, k), justify="right", no_wrap=True)
    matches = evidence or {}  # bug -> distinct plausible patches matching the developer's fix (agent.batch)
    evidence_cols = any(c["evidence"] for c in matches.values())
    if evidence_cols:
        t.add_column("AST\nmatch", justify="right", no_wrap=True)
        t.add_column("exact", justify="right", no_wrap=True)
    tokens = any(u.get("prompt_tokens") or u.get("completion_tokens") for u in usage.values())
    if usage:
        t.add_column("model\ns", justify="right", no_wrap=True)
    if tokens:
        t.add_column("tokens\nin+out", justify="right", no_wrap=True)
    total: Counter = Counter()
    total_usage: Counter = Counter()

    def evidence_cells(c: Counter) -> list[str]:
        return [str(c["ast-match"]), str(c["exact"])] if evidence_cols else []

    def usage_cells(u: dict) -> list[str]:
        cells = [f"{u.get('model_s', 0.0):.1f}"] if usage else []
        return cells + ([f"{u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)}"] if tokens else [])
    for bug, counts in per_bug.items():
        total.update(counts)
        u = usage.get(bug) or {}
        total_usage.update({k: v for k, v in u.items() if isinstance(v, (int, float))})
        fixed = "[green]yes[/]" if counts["plausible"] else (kind_text("error") if results.get(bug) == "error"
                                                             else "[red]no[/]")
        t.add_row(escape(bug), fixed, *(str(counts[k]) for k in kinds), *evidence_cells(matches.get(bug, Counter())),
                  *usage_cells(u))
    fixed_n = sum(1 for c in per_bug.values() if c["plausible"])
    t.add_section()
    t.add_row(f"total ({len(per_bug)} bugs)", f"{fixed_n}/{len(per_bug)}", *(str(total[k]) for k in kinds),
              *evidence_cells(sum(matches.values(), Counter())), *usage_cells(dict(total_usage)), style="bold")
    if evidence_cols:
        ast_n = sum(1 for c in matches.values() if c["ast-match"])
        exact_n = sum(1 for c in matches.values() if c["exact"])
        t.caption = (f"bugs plausible / AST match / exact: {fixed_n} / {ast_n} / {exact_n} (AST match and exact "
                     "columns: distinct plausible patches equal to the developer's fix)")
        t.caption_justify = "left"
    return t



def console() -> Console:
    return Console(highlight=False)
