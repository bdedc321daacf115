"""Candidates/s: fresh-process validation (FreshValidator) vs the warm server (WarmValidator), side by side.

    .venv/bin/python bench/validate.py [--per-bug 4] [--timeout 1.0] [--include-timeouts] [--bugs ID ...]

Every sample bug gets several candidates (the fixed method, the original buggy method, a compile-error variant,
the fixed chunk, a wrong variant); both validators see the same list, serially, in one run. The warm column
counts everything: starting the server (JVM + javac warm-up) and building each bug's project once. Outcomes are
compared, so the table also says whether both agreed on every candidate.

A second table prices the sandbox: per validator, ms per candidate unsandboxed (``--sandbox none``) and in
bubblewrap (``--sandbox bwrap``), candidate by candidate alternately (so load changes hit both columns alike),
the warm pair after one untimed warm-up pass each. ``--no-sandbox`` skips it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from agent.bugs import SAMPLES, load_manifest, select  # noqa: E402
from agent.validation import sandbox  # noqa: E402
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig  # noqa: E402
from agent.validation.warm import WarmValidator  # noqa: E402
from agent.validation.workspace import buggy_method  # noqa: E402


def candidates(bug, per_bug: int, include_timeouts: bool) -> list[Candidate]:
    original = buggy_method(bug.read_source(), bug.location).text
    out = [Candidate(bug.fixed_method), Candidate(original),
           Candidate(bug.fixed_method.replace("{", "{\n    int unused = undefinedHelper(1);", 1)),
           Candidate(bug.fixed_chunk, "chunk"),
           Candidate(bug.fixed_method.replace("return ", "return 0 == 1 ? null : ", 1))]
    if bug.id == "InfiniteLoop-1" and not include_timeouts:
        out.pop(1)
    return out[:per_bug]


def key(o):
    return o.kind, tuple(getattr(f, "test", None) or (getattr(f, "line", 0), getattr(f, "message", ""))
                         for f in o.failures)


def timed(validator, work):
    started = time.monotonic()
    outs = [validator.validate(b, c) for b, c in work]
    return time.monotonic() - started, outs


def interleaved(pair, work) -> tuple[float, float, int]:
    """Seconds spent by each validator of ``pair`` over ``work``, alternating per candidate; outcome agreements."""
    spent = [0.0, 0.0]
    agree = 0
    for i, (b, c) in enumerate(work):
        outs = [None, None]
        for j in ((0, 1) if i % 2 == 0 else (1, 0)):
            started = time.monotonic()
            outs[j] = pair[j].validate(b, c)
            spent[j] += time.monotonic() - started
        agree += key(outs[0]) == key(outs[1])
    return spent[0], spent[1], agree


def sandbox_table(console, work, timeout: float) -> bool:
    """Unsandboxed vs bubblewrap, fresh and warm, side by side; True when outcomes agreed everywhere."""
    found = sandbox.probe()
    if not found.ok:
        console.print(f"sandbox comparison skipped: {found.reason}")
        return True
    none, bwrap = (ValidationConfig(test_timeout=timeout, sandbox=m) for m in ("none", "bwrap"))
    table = Table(title="sandbox cost per candidate (alternating, same run)")
    for col in ("validator", "unsandboxed ms", "bwrap ms", "overhead"):
        table.add_column(col, justify="right" if col != "validator" else "left")
    ok = True
    with WarmValidator(none) as w0, WarmValidator(bwrap) as w1:
        timed(w0, work), timed(w1, work)  # untimed: servers up, every bug built
        rows = [("fresh", interleaved((FreshValidator(none), FreshValidator(bwrap)), work)),
                ("warm, steady state", interleaved((w0, w1), work))]
    for name, (plain, boxed, agree) in rows:
        n = len(work)
        table.add_row(name, f"{1000 * plain / n:.0f}", f"{1000 * boxed / n:.0f}", f"{100 * (boxed / plain - 1):+.0f}%")
        ok = ok and agree == n
        if agree != n:
            console.print(f"{name}: sandboxed and unsandboxed outcomes differ on {n - agree}/{n} candidates")
    console.print(table)
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-bug", type=int, default=5, help="candidates per bug (at most 5)")
    ap.add_argument("--timeout", type=float, default=1.0, help="per-test timeout in seconds")
    ap.add_argument("--include-timeouts", action="store_true", help="keep InfiniteLoop-1's looping candidate")
    ap.add_argument("--bugs", nargs="*", help="bug ids (default: all samples)")
    ap.add_argument("--no-sandbox", action="store_true", help="skip the sandboxed vs unsandboxed table")
    args = ap.parse_args(argv)
    bugs = select(load_manifest(SAMPLES), args.bugs)
    work = [(b, c) for b in bugs for c in candidates(b, args.per_bug, args.include_timeouts)]
    config = ValidationConfig(test_timeout=args.timeout)
    console = Console()
    console.print(f"{len(work)} candidates over {len(bugs)} bugs, per-test timeout {args.timeout:g}s")
    fresh_s, fresh = timed(FreshValidator(config), work)
    with WarmValidator(config) as warm:
        warm_s, warmed = timed(warm, work)
        again_s, _ = timed(warm, work)  # steady state: server up, every bug already built
        restarts = warm.restarts
    agree = sum(key(a) == key(b) for a, b in zip(fresh, warmed))
    table = Table(title="patch validation throughput")
    for col in ("validator", "seconds", "candidates/s", "ms/candidate", "speed-up"):
        table.add_column(col, justify="right" if col != "validator" else "left")
    rows = [("fresh (javac + JVMs per candidate)", fresh_s), ("warm server, cold start included", warm_s),
            ("warm server, steady state", again_s)]
    for name, secs in rows:
        table.add_row(name, f"{secs:.2f}", f"{len(work) / secs:.1f}", f"{1000 * secs / len(work):.0f}",
                      f"{fresh_s / secs:.1f}x")
    console.print(table)
    kinds = {}
    for o in fresh:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    console.print(f"outcomes: {kinds}; warm agrees with fresh on {agree}/{len(work)} candidates; "
                  f"server restarts: {restarts}")
    same = args.no_sandbox or sandbox_table(console, work, args.timeout)
    return 0 if agree == len(work) and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
