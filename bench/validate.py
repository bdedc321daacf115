"""Candidates/s: fresh-process validation (FreshValidator) vs the warm server (WarmValidator), side by side.

    .venv/bin/python bench/validate.py [--per-bug 4] [--timeout 1.0] [--include-timeouts] [--bugs ID ...]
    .venv/bin/python bench/validate.py --suite 120 [--slow 10] [--candidates 5]

The second form is the real-size case: a generated project of ``--suite`` test classes (``--slow`` of them sleep
a second, as real suites' slow tests do; a few reach the buggy class), passing candidates validated by fresh
javac + JVMs over the full suite (``--all-tests``, what every candidate cost before test selection) and by the
warm server with class-level test selection after one pre-flight; it prints the ratio and checks that both give
identical outcomes, on the passing candidates and on a candidate that breaks a selected test.

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


def generate(root: Path, classes: int, slow: int, reaching: int = 4) -> None:
    """A project with ``classes`` test classes over 20 helper classes and one buggy class, ``g.Target``."""
    src, test = root / "src" / "g", root / "test" / "g"
    src.mkdir(parents=True)
    test.mkdir(parents=True)
    (src / "Target.java").write_text("package g;\n\npublic class Target {\n    public static int scale(int x) {\n"
                                     "        return x + x + 1;\n    }\n}\n")
    for i in range(20):
        (src / f"Helper{i}.java").write_text(f"package g;\n\npublic class Helper{i} {{\n    public static int value"
                                             f"(int x) {{\n        return x * {i + 1};\n    }}\n}}\n")
    for k in range(classes):
        if k < reaching:
            body = f"assertEquals({2 * (k + 1)}, Target.scale({k + 1}));"
        else:
            h = k % 20
            body = f"assertEquals({(k + 3) * (h + 1)}, Helper{h}.value({k + 3}));"
        sleep = "Thread.sleep(1000);\n        " if reaching <= k < reaching + slow else ""
        (test / f"Gen{k:03d}Test.java").write_text(
            f"package g;\n\nimport static org.junit.Assert.assertEquals;\n\nimport org.junit.Test;\n\n"
            f"public class Gen{k:03d}Test {{\n    @Test\n    public void one() throws Exception {{\n        {sleep}{body}\n"
            f"    }}\n\n    @Test\n    public void two() {{\n        assertEquals(0, Helper0.value(0));\n    }}\n}}\n")
    manifest = {"id": "Generated-1", "root": ".", "source_roots": ["src"], "test_roots": ["test"],
                "failing_tests": ["g.Gen000Test::one"],
                "location": {"file": "src/g/Target.java", "method": "scale", "lines": [5, 5]},
                "fixed_method": "public static int scale(int x) {\n    return x + x;\n}", "test_timeout": 10}
    import json
    (root / "bugs.jsonl").write_text(json.dumps(manifest) + "\n")


def real_size(console, classes: int, slow: int, n_candidates: int) -> int:
    import dataclasses
    import shutil
    import tempfile

    from agent.validation.preflight import check_bugs
    root = Path(tempfile.mkdtemp(prefix="repairchat-bench-suite-"))
    try:
        generate(root, classes, slow)
        bug = load_manifest(root / "bugs.jsonl")[0]
        fixes = [f"public static int scale(int x) {{\n    return {e};\n}}" for e in
                 ("x + x", "2 * x", "x * 2", "x << 1", "(x + x) * 1", "x + x + 0", "Math.multiplyExact(x, 2)",
                  "x - (-x)")][:n_candidates]
        breaking = Candidate("public static int scale(int x) {\n    return x == 1 ? 2 : 3 * x;\n}")
        config = ValidationConfig()
        started = time.monotonic()
        [checked], _ = check_bugs([bug], config, console.print)
        pre_s = time.monotonic() - started
        console.print(f"generated suite: {classes} test classes ({slow} with a 1 s test), pre-flight {pre_s:.1f}s, "
                      f"{len(checked.test_classes or ())} class(es) reach the buggy class")
        full = FreshValidator(dataclasses.replace(config, all_tests=True))
        fresh_s, fresh = timed(full, [(bug, Candidate(f)) for f in fixes])
        with WarmValidator(config) as warm:
            warm_s, warmed = timed(warm, [(checked, Candidate(f)) for f in fixes])
            steady_s, _ = timed(warm, [(checked, Candidate(f)) for f in fixes])
            bad_warm = warm.validate(checked, breaking)
        bad_fresh = full.validate(bug, breaking)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    table = Table(title=f"passing candidates on a {classes}-class suite")
    for col in ("validator", "seconds", "s/candidate", "speed-up"):
        table.add_column(col, justify="right" if col != "validator" else "left")
    for name, secs in (("fresh, full suite (javac + JVMs)", fresh_s), ("warm + selection, cold start included", warm_s),
                       ("warm + selection, steady state", steady_s)):
        table.add_row(name, f"{secs:.2f}", f"{secs / len(fixes):.2f}", f"{fresh_s / secs:.1f}x")
    console.print(table)
    same = [key(a) == key(b) for a, b in zip(fresh, warmed)] + [key(bad_fresh) == key(bad_warm)]
    console.print(f"outcomes: fresh {[o.kind for o in fresh]} + {bad_fresh.kind}; warm {[o.kind for o in warmed]} + "
                  f"{bad_warm.kind}; identical on {sum(same)}/{len(same)}")
    return 0 if all(same) and all(o.plausible for o in fresh) and bad_fresh.kind == "test-failure" else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", type=int, help="the real-size case: a generated project with this many test classes")
    ap.add_argument("--slow", type=int, default=10, help="--suite: test classes with a 1 s test")
    ap.add_argument("--candidates", type=int, default=5, help="--suite: passing candidates (at most 8)")
    ap.add_argument("--per-bug", type=int, default=5, help="candidates per bug (at most 5)")
    ap.add_argument("--timeout", type=float, default=1.0, help="per-test timeout in seconds")
    ap.add_argument("--include-timeouts", action="store_true", help="keep InfiniteLoop-1's looping candidate")
    ap.add_argument("--bugs", nargs="*", help="bug ids (default: all samples)")
    ap.add_argument("--no-sandbox", action="store_true", help="skip the sandboxed vs unsandboxed table")
    args = ap.parse_args(argv)
    if args.suite:
        return real_size(Console(), args.suite, args.slow, args.candidates)
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
