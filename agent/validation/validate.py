"""Patch validation as explicit steps: prepare a candidate once (extract, apply: ``prepare``), compile it with the
bug's build settings (``settings``), run the failing tests, then the test classes (``discovery``; the pre-flight's
selection, ``preflight``), and classify the outcome.

``FreshValidator`` is the reference path: a fresh javac and fresh JVMs per candidate, in the project's root. The
failing tests run first (stopping at the first failing class), then the test classes, each class as one JUnit
request with a per-test watchdog inside the runner; the whole process group is killed when the candidate's
budget runs out.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

from agent.bugs import Bug
from agent.validation.discovery import candidate_classes
from agent.validation.javatools import build_helper, run_process
from agent.validation.settings import VALIDATORS, BuildSettings, ValidationConfig, register_validator, settings_for
from agent.validation.workspace import ApplyError, Workspace, apply, buggy_method
from extractors import failures as fparse

KINDS = ("plausible", "test-failure", "compile-error", "timeout", "extract-failed", "apply-failed")
CANDIDATE_KINDS = ("method", "chunk", "reply", "fill-reply")


@dataclass(frozen=True)
class Candidate:
    text: str
    kind: str = "method"  # method | chunk | reply (raw reply: extract a method) | fill-reply (raw: extract a chunk)


@dataclass(frozen=True)
class Outcome:
    kind: str
    failures: tuple = ()
    code: str | None = None  # the code that was applied
    seconds: float = 0.0
    detail: str = ""
    cached: bool = False  # the outcome of an earlier, token-equal candidate (CachingValidator)

    @property
    def plausible(self) -> bool:
        return self.kind == "plausible"

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "failures": [fparse.failure_to_dict(f) for f in self.failures],
             "code": self.code, "seconds": round(self.seconds, 3), "detail": self.detail}
        if self.cached:
            d["cached"] = True
        return d

    @staticmethod
    def from_dict(d: dict) -> "Outcome":
        detail, cached = d.get("detail", ""), bool(d.get("cached", False))
        if detail.startswith(LEGACY_HIT):  # transcripts written before `cached` was a field
            cached, detail = True, detail[len(LEGACY_HIT):].lstrip("; ")
        return Outcome(d["kind"], tuple(fparse.failure_from_dict(f) for f in d.get("failures", [])),
                       d.get("code"), d.get("seconds", 0.0), detail, cached)


LEGACY_HIT = "cache hit: same tokens as an earlier candidate"


def make_validator(config: "ValidationConfig | None" = None) -> "Validator":
    """The validator named by ``config.validator`` (``settings.VALIDATORS``), imported lazily."""
    import importlib

    config = config or ValidationConfig()
    module, _, name = VALIDATORS[config.validator].partition(":")
    return getattr(importlib.import_module(module), name)(config)


class Validator(Protocol):
    def validate(self, bug: Bug, candidate: Candidate) -> Outcome: ...


@dataclass(frozen=True)
class Prepared:
    """A candidate made ready to run, once: extracted, applied, and keyed."""
    source: str  # the whole patched file
    code: str  # the applied method or chunk as it stands in the file
    candidate: Candidate | None = field(default=None, compare=False)  # what it was prepared from

    def run_on(self, validator, bug: Bug, started: float | None = None) -> "Outcome":
        """Run this prepared patch on ``validator``: by its ``run_prepared`` when it has one, else (a validator
        that prepares for itself, e.g. ``D4JValidator``) through ``validate`` with the original candidate."""
        run = getattr(validator, "run_prepared", None)
        if run is not None:
            return run(bug, self, started)
        return validator.validate(bug, self.candidate or Candidate(self.code, "method"))

    @property
    def key(self) -> str:
        """Token-equal patched files (``extractors.java.normalize``) share a key, per bug (see ``cache_key``)."""
        from extractors import java
        try:
            return java.normalize(self.source)
        except Exception:  # never let the key break validation: fall back to the exact text
            return self.source


def prepare(bug: Bug, candidate: Candidate, started: float | None = None) -> Prepared | Outcome:
    """Extract (a reply) and apply the candidate to the buggy file, or the extract/apply failure as an Outcome
    (timed from ``started``, a ``time.monotonic()`` reading, when given)."""
    patched = patch(bug, candidate, started)
    return patched if isinstance(patched, Outcome) else Prepared(*patched, candidate=candidate)


def resolve(bug: Bug, candidate: Candidate, source: str | None = None) -> tuple[str, str] | Outcome:
    """Turn a candidate into (code, kind) to apply; a reply goes through extraction (or gives extract-failed)."""
    if candidate.kind not in CANDIDATE_KINDS:
        return Outcome("apply-failed", detail=f"unknown candidate kind {candidate.kind!r}")
    if candidate.kind in ("method", "chunk"):
        return candidate.text, candidate.kind
    from extractors.code import extract_chunk, extract_method
    if candidate.kind == "fill-reply":
        ex = extract_chunk(candidate.text)
    else:
        source = bug.read_source() if source is None else source
        try:
            span = buggy_method(source, bug.location)
        except ApplyError as e:
            return Outcome("apply-failed", detail=str(e))
        ex = extract_method(candidate.text, bug.location.method, span.arity, original=span.text)
    if ex.code is None:
        return Outcome("extract-failed", detail=ex.reason)
    return ex.code, ex.kind  # extract_chunk answers "method" when the reply is a whole method


def patch(bug: Bug, candidate: Candidate, started: float | None = None) -> tuple[str, str] | Outcome:
    """The patched file text and the applied code, or the extract/apply failure as an Outcome (timed from
    ``started``, a ``time.monotonic()`` reading, when given)."""
    source = bug.read_source()
    resolved = resolve(bug, candidate, source)
    if not isinstance(resolved, Outcome):
        try:
            patched = apply(source, bug.location, *resolved)
            patched.source.encode(bug.encoding)
            return patched.source, patched.code
        except ApplyError as e:
            resolved = Outcome("apply-failed", detail=str(e))
        except UnicodeEncodeError as e:
            resolved = Outcome("apply-failed", detail=f"the patched file cannot be written in the project's "
                                                      f"encoding {bug.encoding}: {e.reason}")
    if started is None:
        return resolved
    return Outcome(resolved.kind, code=resolved.code, seconds=time.monotonic() - started, detail=resolved.detail)


def count_tests(root: Path, test_roots: tuple[str, ...]) -> int:
    """A rough count of test methods (``@Test`` and JUnit 3 ``void test...``), for time budgets."""
    return sum(len(re.findall(r"@(?:org\.junit\.)?Test\b|\bvoid\s+test\w*\s*\(",
                              p.read_text(encoding="utf-8", errors="replace")))
               for r in test_roots for p in (root / r).rglob("*.java"))


RESULT_LINE = "REPAIRCHAT-RESULT "  # RepairRunner's (and WarmServer's) last line: the run finished
TIMEOUT_LINE = re.compile(r"^REPAIRCHAT-TIMEOUT (\S+) ([\d.]+)", re.MULTILINE)


def outcome_from_tests(res, failures: list, started: float, code: str | None) -> Outcome:
    """Classify a test run: timeouts first (a killed JVM counts as one), then test failures."""
    seconds = time.monotonic() - started
    m = TIMEOUT_LINE.search(res.output)
    if m and not any(f.kind == "timeout" for f in failures):  # a name the parser does not know: keep the fact
        failures = [*failures, fparse.TestTimeout(m.group(1), float(m.group(2)))]
    if res.timed_out or any(f.kind == "timeout" for f in failures):
        detail = "" if failures else "the whole-candidate budget ran out"
        return Outcome("timeout", tuple(failures), code, seconds, detail)
    if res.returncode != 0 or failures:
        detail = "" if failures else res.output.strip()[-500:]
        return Outcome("test-failure", tuple(failures), code, seconds, detail)
    if RESULT_LINE not in res.output:  # the JVM exited before the runner finished (System.exit(0) in the code)
        return Outcome("test-failure", (), code, seconds, "the test run ended early (System.exit in the code?): "
                       + res.output.strip()[-400:])
    return Outcome("plausible", (), code, seconds)


def classpath(bug: Bug, out: Path, s: BuildSettings) -> list[str]:
    return [str(out), *bug.classpath, *s.env.junit_classpath]


def compile_project(ws: Workspace, s: BuildSettings, timeout: float | None = None):
    """javac over the workspace's sources and tests, as the bug's build compiles them."""
    bug = ws.bug
    return run_process([s.env.javac, *s.javac_args, "-d", str(ws.out), "-cp",
                        os.pathsep.join(classpath(bug, ws.out, s)),
                        *ws.java_files(bug.source_roots + bug.test_roots)],
                       timeout=timeout or s.compile_timeout, cwd=ws.root, writable=(cast(Path, ws.tmp),), sandbox=s.sandbox)


def run_tests(ws: Workspace, s: BuildSettings, specs: list[str], *, timeout: float, fail_fast: bool = False,
              tests_only: bool = False, record: Path | None = None, exclude: tuple[str, ...] | None = None):
    """One test JVM (RepairRunner) in the project's root over ``specs``, without the excluded tests (default the
    bug's broken ones). Each test class runs in its own class loader over the project's classes (unless the
    settings say ``shared``; always with ``record``, which writes which project classes each class loaded)."""
    bug = ws.bug
    runner = str(build_helper("RepairRunner", env=s.env))
    cp = classpath(bug, ws.out, s)
    args = ["--timeout", str(s.test_timeout)]
    if record is not None or s.isolate_classes:
        jvm_cp = [runner, *s.env.junit_classpath]
        args += ["--isolate", os.pathsep.join(cp[:len(cp) - len(s.env.junit_classpath)])]
        args += ["--record", str(record)] if record is not None else []
    else:
        jvm_cp = [*cp, runner]
    args += ["--fail-fast"] if fail_fast else []
    args += ["--tests-only"] if tests_only else []
    for t in bug.broken_tests if exclude is None else exclude:
        args += ["--exclude", t]
    return run_process([s.env.java, *s.jvm_args, "-cp", os.pathsep.join(jvm_cp), "RepairRunner", *args, *specs],
                       timeout=timeout, cwd=ws.root, writable=(cast(Path, ws.tmp),), sandbox=s.sandbox)


def test_specs(bug: Bug, root: Path, config: ValidationConfig) -> tuple[list[str], bool]:
    """The test classes to run after the failing tests, and whether the runner must still apply JUnit's rules
    (``--tests-only``): the pre-flight's selection, else every class the build's patterns pick."""
    if bug.test_classes is not None and not config.all_tests:
        return list(bug.test_classes), False
    return candidate_classes(root, bug), True


def compile_failure(comp, code: str | None, started: float) -> Outcome:
    errors = fparse.parse_javac(comp.output)
    detail = "javac timed out" if comp.timed_out else ("" if errors else comp.output.strip()[-500:])
    return Outcome("compile-error", tuple(errors), code, time.monotonic() - started, detail)


class PreparingValidator:
    """A validator in two steps: ``prepare`` the candidate once, then ``run_prepared`` (what subclasses do)."""

    def validate(self, bug: Bug, candidate: Candidate) -> Outcome:
        started = time.monotonic()
        prepared = prepare(bug, candidate, started)
        if isinstance(prepared, Outcome):
            return prepared
        return self.run_prepared(bug, prepared, started)

    def run_prepared(self, bug: Bug, prepared: Prepared, started: float | None = None) -> Outcome:
        raise NotImplementedError


class FreshValidator(PreparingValidator):
    """Fresh javac + fresh JVMs per candidate: slow, simple, the soundness reference."""

    def __init__(self, config: ValidationConfig | None = None):
        self.config = config or ValidationConfig()

    def run_prepared(self, bug: Bug, prepared: Prepared, started: float | None = None) -> Outcome:
        started = time.monotonic() if started is None else started
        s = settings_for(bug, self.config)
        code = prepared.code
        with Workspace(bug) as ws:
            ws.write(prepared.source)
            comp = compile_project(ws, s)
            if comp.returncode != 0 or comp.timed_out:
                return compile_failure(comp, code, started)
            deadline = started + s.candidate_timeout
            first = run_tests(ws, s, list(bug.failing_tests), fail_fast=True,
                              timeout=max(1.0, deadline - time.monotonic()))
            found = fparse.parse_junit(first.output)
            if first.returncode != 0 or first.timed_out:
                return outcome_from_tests(first, found, started, code)
            specs, tests_only = test_specs(bug, ws.root, self.config)
            rest = run_tests(ws, s, specs, tests_only=tests_only, timeout=max(1.0, deadline - time.monotonic()))
            return outcome_from_tests(rest, fparse.parse_junit(rest.output), started, code)
