"""Bug pre-flight: is a bug sound before any model is asked to fix it?

``check(bug, config)`` builds the buggy version with the bug's settings and runs its failing tests and its suite
(each test class in its own class loader, recording which project classes it reaches: ``selection``); every
failing test must fail. Where the fix is known (``fixed_method`` or ``fixed_chunk``), the fixed version must
compile and pass its failing tests; the other tests that fail on it too (environment-dependent or order-dependent
ones, like Defects4J's broken-test lists) are recorded as broken and never used to judge a candidate; so are failing tests
that fail on the fixed version too, as long as at least one failing test passes there. The fixed
version runs what candidates will run: the failing tests and the selected classes (every class with
``--all-tests``, which is part of the cache key). A bug that fails the
check is reported with its reason and not repaired. Results are cached per bug, settings and source tree
(``<cache>/preflight``), so ``run`` pays for a check once.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, cast

from agent.bugs import Bug
from agent.validation.discovery import candidate_classes, ran_classes
from agent.validation.javatools import cache_dir
from agent.validation.selection import file_classes, read_record, select
from agent.validation.settings import BuildSettings, ValidationConfig, settings_for
from agent.validation.validate import Candidate, Outcome, compile_project, prepare, run_tests
from agent.validation.workspace import Workspace, safe_name
from extractors import failures as fparse

VERSION = 4  # of the cached result's format and meaning (2: test classes isolated by default; 3: Jupiter classes;
# 4: failing tests that fail on the fix too are excluded when others pass there)
MAX_TIMEOUT_RERUNS = 3


@dataclass(frozen=True)
class Check:
    bug: str
    ok: bool
    reason: str = ""  # why the bug fails the check
    broken: tuple[str, ...] = ()  # tests failing on the fixed version too: excluded from judging candidates
    test_classes: tuple[str, ...] = ()  # the JUnit test classes found (buggy version)
    selected: tuple[str, ...] | None = None  # those reaching the buggy file's classes (None: unknown, run all)
    fixed_checked: bool = False
    seconds: float = 0.0
    reach: dict = field(default_factory=dict, compare=False)  # test class -> project classes it loaded

    def to_dict(self) -> dict:
        d = asdict(self)
        d["v"] = VERSION
        return d

    @staticmethod
    def from_dict(d: dict) -> "Check":
        d = {k: v for k, v in d.items() if k != "v"}
        for k in ("broken", "test_classes"):
            d[k] = tuple(d.get(k, ()))
        if d.get("selected") is not None:
            d["selected"] = tuple(d["selected"])
        return Check(**d)


def _failed_tests(failures) -> set[str]:
    return {f.test for f in failures if getattr(f, "test", None)}


def _is_failing(test: str, failed: set[str]) -> bool:
    cls = test.split("::", 1)[0]
    return test in failed or f"{cls}::initializationError" in failed or cls in failed or any(
        f.startswith(test + "[") for f in failed)


def _fail(bug: Bug, started: float, reason: str, **kw) -> Check:
    return Check(bug.id, False, reason, seconds=time.monotonic() - started, **kw)


def _first(failures, output: str) -> str:
    if failures:
        f = failures[0]
        return f"{getattr(f, 'test', '') or getattr(f, 'file', '')}: {getattr(f, 'message', '')}".strip()[:200]
    return output.strip().splitlines()[-1][:200] if output.strip() else "(no output)"


def check(bug: Bug, config: ValidationConfig | None = None) -> Check:
    """Run the pre-flight of one bug (uncached; see ``cached_check``)."""
    config = config or ValidationConfig()
    started = time.monotonic()
    s = settings_for(bug, config)
    failing = list(bug.failing_tests)
    if not failing:
        return _fail(bug, started, "the bug names no failing tests")
    with Workspace(bug) as ws:
        comp = compile_project(ws, s)
        if comp.returncode != 0 or comp.timed_out:
            errors = fparse.parse_javac(comp.output)
            return _fail(bug, started, "the buggy version does not compile "
                         f"({'javac timed out' if comp.timed_out else _first(errors, comp.output)}); check "
                         "classpath and javac_options")
        record = cast(Path, ws.tmp) / "reach.tsv"
        classes = candidate_classes(ws.root, bug)
        res = run_tests(ws, s, failing + classes, tests_only=True, record=record,
                        timeout=s.candidate_timeout + 60)
        found = fparse.parse_junit(res.output)
        failed = _failed_tests(found)
        stopped = res.timed_out or any(f.kind == "timeout" for f in found)
        passing = [t for t in failing if not _is_failing(t, failed)]
        if passing and not stopped:
            return _fail(bug, started, f"failing test {passing[0]} passes on the buggy version; check "
                         "failing_tests and the buggy location")
        missing = [f for f in found if isinstance(f, fparse.TestFailure)
                   and f.message.startswith("No tests found matching")]
        if missing:
            return _fail(bug, started, f"failing test not found: {missing[0].message[:200]}")
        loader_errors = [f for f in found if isinstance(f, fparse.TestFailure) and f.exception in (
            "java.lang.ClassNotFoundException", "java.lang.NoClassDefFoundError")
            and f.test.split("::", 1)[0] in {t.split("::", 1)[0] for t in failing}]
        if loader_errors:
            return _fail(bug, started, f"{loader_errors[0].test}: {loader_errors[0].exception} "
                         f"{loader_errors[0].message[:150]}; check the classpath")
        tests = tuple(ran_classes(res.output))
        reach = read_record(record)
        selected = None if stopped else select(list(tests), reach,
                                               file_classes(bug.read_source()))
    broken: tuple[str, ...] = ()
    fixed_checked = False
    fix = (Candidate(bug.fixed_method) if bug.fixed_method else
           Candidate(bug.fixed_chunk, "chunk") if bug.fixed_chunk is not None else None)
    if fix is not None:
        fixed = prepare(bug, fix)
        if isinstance(fixed, Outcome):
            return _fail(bug, started, f"the fix does not apply: {fixed.kind} {fixed.detail[:200]}")
        # candidates run the failing tests and the selected classes only (unless --all-tests): a test outside them
        # never judges a candidate, so the fixed version need not run it either
        judged = classes if config.all_tests or selected is None else list(selected)
        out = _fixed_run(bug, s, fixed.source, failing, judged)
        if isinstance(out, str):
            return _fail(bug, started, out, test_classes=tests)
        broken, fixed_checked = out, True
    return Check(bug.id, True, "", broken, tests, selected, fixed_checked, time.monotonic() - started,
                 {k: list(v) for k, v in reach.items()})


def _fixed_run(bug: Bug, s: BuildSettings, source: str, failing: list[str], classes: list[str]) -> tuple | str:
    """The tests that fail on the fixed version (broken), or why the fixed version fails the check."""
    broken: list[str] = list(bug.broken_tests)
    with Workspace(bug) as ws:
        ws.write(source)
        comp = compile_project(ws, s)
        if comp.returncode != 0 or comp.timed_out:
            return f"the fixed version does not compile ({_first(fparse.parse_javac(comp.output), comp.output)})"
        for _ in range(MAX_TIMEOUT_RERUNS + 1):
            res = run_tests(ws, s, failing + classes, tests_only=True, exclude=tuple(broken),
                            timeout=s.candidate_timeout + 60)
            found = fparse.parse_junit(res.output)
            bad = [t for t in failing if t not in broken and _is_failing(t, _failed_tests(found))]
            if bad and all(t in broken or t in bad for t in failing):
                return (f"failing test {bad[0]} fails on the fixed version too "
                        f"({_first([f for f in found if getattr(f, 'test', None) == bad[0]] or found, res.output)})")
            # some failing tests fail on the fix too (Lang-57 on JDK 17: a locale count): they cannot tell a fix
            # from the bug, so they are excluded like broken tests while the others still judge candidates
            broken += bad
            if res.timed_out:
                return "the fixed version's tests ran over the candidate budget (--candidate-timeout)"
            broken += sorted(_failed_tests(found) - set(broken))
            if not any(f.kind == "timeout" for f in found):  # a timeout stops the run: run the rest again
                return tuple(dict.fromkeys(broken))
        return "the fixed version's tests keep timing out"


def _digest(bug: Bug, s: BuildSettings, all_tests: bool = False) -> str:
    """What a check's result depends on: the bug, its settings and JDK, ``--all-tests`` (which tests the fixed
    version runs), and its files (path, size, mtime)."""
    h = hashlib.sha256(json.dumps([VERSION, bug.to_dict(), s.javac_args, s.jvm_args, s.test_timeout,
                                   s.env.java, s.env.version, s.isolate_classes,
                                   *(["all-tests"] if all_tests else [])],
                                  sort_keys=True, default=str).encode())
    for r in bug.source_roots + bug.test_roots:
        for f in sorted((bug.root / r).rglob("*")):
            if f.is_file():
                st = f.stat()
                h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for entry in bug.classpath:
        try:
            h.update(f"{entry}\0{Path(entry).stat().st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{entry}\0missing\n".encode())
    return h.hexdigest()[:24]


def cached_check(bug: Bug, config: ValidationConfig | None = None) -> Check:
    """``check`` once per bug, settings and source tree; the result is kept under the cache folder."""
    config = config or ValidationConfig()
    s = settings_for(bug, config)
    path = cache_dir() / "preflight" / f"{safe_name(bug.id)}-{_digest(bug, s, config.all_tests)}.json"
    if path.is_file():
        try:
            return Check.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError):
            pass  # a torn or older file: check again
    result = check(bug, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
    tmp.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    tmp.replace(path)
    return result


def checked_bug(bug: Bug, result: Check, config: ValidationConfig) -> Bug:
    """The bug as validators should judge it: broken tests excluded, the selected test classes (unless
    ``--all-tests``)."""
    selected = None if config.all_tests else result.selected
    return replace(bug, broken_tests=tuple(dict.fromkeys((*bug.broken_tests, *result.broken))),
                   test_classes=selected)


def check_bugs(bugs: list[Bug], config: ValidationConfig,
               report: Callable[[str], None] = print) -> tuple[list[Bug], list[Check]]:
    """The bugs that pass the pre-flight (as ``checked_bug``), and every bug's result; a failing bug is reported
    with its reason. With ``config.preflight`` off, the bugs as they are."""
    if not config.preflight:
        return list(bugs), []
    from concurrent.futures import ThreadPoolExecutor

    kept, results = [], []
    with ThreadPoolExecutor(2) as pool:  # JVM start-ups overlap; reports stay in the bugs' order
        checks = list(pool.map(lambda b: cached_check(b, config), bugs))
    for bug, result in zip(bugs, checks):
        results.append(result)
        if result.ok:
            kept.append(checked_bug(bug, result, config))
            if result.broken:
                report(f"pre-flight {bug.id}: {len(result.broken)} test(s) fail on the fixed version too and are "
                       f"excluded: {', '.join(result.broken[:3])}{' ...' if len(result.broken) > 3 else ''}")
        else:
            report(f"pre-flight {bug.id}: skipped, {result.reason}")
    return kept, results
