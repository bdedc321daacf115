"""Patch validation: apply a candidate in a scratch copy, compile with javac, run JUnit 4 tests.

``FreshValidator`` is the reference path: a fresh javac and fresh JVMs per candidate. The failing tests run
first (stopping at the first failure), then every test class; each test has its own timeout inside the runner,
and the whole process group is killed if the JVM itself hangs.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from agent.bugs import Bug
from agent.validation.javatools import build_helper, java_env, run_process
from agent.validation.sandbox import DEFAULT_HEAP_MB, MODES as SANDBOX_MODES, Sandbox, default_mode, default_sandbox
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

    @property
    def plausible(self) -> bool:
        return self.kind == "plausible"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "failures": [fparse.failure_to_dict(f) for f in self.failures],
                "code": self.code, "seconds": round(self.seconds, 3), "detail": self.detail}

    @staticmethod
    def from_dict(d: dict) -> "Outcome":
        return Outcome(d["kind"], tuple(fparse.failure_from_dict(f) for f in d.get("failures", [])),
                       d.get("code"), d.get("seconds", 0.0), d.get("detail", ""))


@dataclass
class ValidationConfig:
    test_timeout: float = field(default=5.0, metadata={"help": "seconds each test may run before it counts as a timeout"})
    compile_timeout: float = field(default=120.0, metadata={"help": "seconds javac may run"})
    validator: str = field(default="fresh", metadata={"help": "fresh (new javac + JVM per candidate) or warm "
                                                              "(a long-running compile-and-test server)"})

    sandbox: str = field(default_factory=default_mode, metadata={
        "help": "where javac and the tests run: auto (bubblewrap when it works, else unconfined with a warning), "
                "bwrap (required) or none (unconfined); the default comes from REPAIRCHAT_SANDBOX"})
    heap_mb: int = field(default=DEFAULT_HEAP_MB, metadata={
        "help": "heap cap (MB) of javac and every test JVM; native memory is capped at twice this plus 1 GB"})

    def __post_init__(self):
        if self.test_timeout <= 0 or self.compile_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.sandbox not in SANDBOX_MODES:
            raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)} (--sandbox or REPAIRCHAT_SANDBOX), "
                             f"not {self.sandbox!r}")
        if self.heap_mb < 64:
            raise ValueError("heap_mb must be at least 64")
        if self.validator not in VALIDATORS:
            raise ValueError(f"validator must be one of {', '.join(VALIDATORS)}")


VALIDATORS = {"fresh": "agent.validation.validate:FreshValidator", "warm": "agent.validation.warm:WarmValidator"}


def make_validator(config: "ValidationConfig | None" = None) -> "Validator":
    """The validator named by ``config.validator``, imported lazily."""
    import importlib

    config = config or ValidationConfig()
    module, _, name = VALIDATORS[config.validator].partition(":")
    return getattr(importlib.import_module(module), name)(config)


class Validator(Protocol):
    def validate(self, bug: Bug, candidate: Candidate) -> Outcome: ...


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
            return patched.source, patched.code
        except ApplyError as e:
            resolved = Outcome("apply-failed", detail=str(e))
    if started is None:
        return resolved
    return Outcome(resolved.kind, code=resolved.code, seconds=time.monotonic() - started, detail=resolved.detail)


def test_classes(root: Path, test_roots: tuple[str, ...]) -> list[str]:
    """Concrete JUnit test classes under the test roots (files that declare @Test methods)."""
    names = []
    for r in test_roots:
        for p in sorted((root / r).rglob("*.java")):
            text = p.read_text(encoding="utf-8", errors="replace")
            if "@Test" in text and not re.search(r"\babstract\s+class\b", text):
                names.append(".".join(p.relative_to(root / r).with_suffix("").parts))
    return names


def count_tests(root: Path, test_roots: tuple[str, ...]) -> int:
    return sum(p.read_text(encoding="utf-8", errors="replace").count("@Test")
               for r in test_roots for p in (root / r).rglob("*.java"))


RESULT_LINE = "REPAIRCHAT-RESULT "  # RepairRunner's (and WarmServer's) last line: the run finished


def outcome_from_tests(res, failures: list, started: float, code: str | None) -> Outcome:
    """Classify a test run: timeouts first (a killed JVM counts as one), then test failures."""
    seconds = time.monotonic() - started
    if res.timed_out or any(f.kind == "timeout" for f in failures):
        return Outcome("timeout", tuple(failures), code, seconds)
    if res.returncode != 0 or failures:
        detail = "" if failures else res.output.strip()[-500:]
        return Outcome("test-failure", tuple(failures), code, seconds, detail)
    if RESULT_LINE not in res.output:  # the JVM exited before the runner finished (System.exit(0) in the code)
        return Outcome("test-failure", (), code, seconds, "the test run ended early (System.exit in the code?): "
                       + res.output.strip()[-400:])
    return Outcome("plausible", (), code, seconds)


class FreshValidator:
    """Fresh javac + fresh JVMs per candidate: slow, simple, the soundness reference."""

    def __init__(self, config: ValidationConfig | None = None):
        self.config = config or ValidationConfig()

    @property
    def sandbox(self) -> Sandbox:
        """Resolved on first use (after Java itself was found, so a missing JDK is the error a user sees)."""
        return default_sandbox(self.config.sandbox, self.config.heap_mb)

    def validate(self, bug: Bug, candidate: Candidate) -> Outcome:
        started = time.monotonic()
        patched = patch(bug, candidate, started)
        if isinstance(patched, Outcome):
            return patched
        source, code = patched
        env = java_env()
        with Workspace(bug) as ws:
            ws.write(source)
            cp = [str(ws.out), *bug.classpath, *env.junit_classpath]
            comp = run_process([env.javac, "-nowarn", "-encoding", "UTF-8", "-g", "-d", str(ws.out),
                                "-cp", os.pathsep.join(cp),
                                *ws.java_files(bug.source_roots + bug.test_roots)],
                               timeout=self.config.compile_timeout, cwd=ws.root, writable=(ws.tmp,),
                               sandbox=self.sandbox)
            if comp.returncode != 0 or comp.timed_out:
                errors = fparse.parse_javac(comp.output)
                detail = "javac timed out" if comp.timed_out else ("" if errors else comp.output.strip()[-500:])
                return Outcome("compile-error", tuple(errors), code, time.monotonic() - started, detail)
            runner = [env.java, "-cp", os.pathsep.join([*cp, str(build_helper("RepairRunner"))]),
                      "RepairRunner", "--timeout", str(self.config.test_timeout)]
            t = self.config.test_timeout
            first = run_process(runner + ["--fail-fast", *bug.failing_tests], cwd=ws.root, writable=(ws.tmp,),
                                sandbox=self.sandbox,
                                timeout=t * (len(bug.failing_tests) + 1) + 30)
            found = fparse.parse_junit(first.output)
            if first.returncode != 0 or first.timed_out:
                return outcome_from_tests(first, found, started, code)
            rest = run_process(runner + test_classes(ws.root, bug.test_roots), cwd=ws.root, writable=(ws.tmp,),
                               sandbox=self.sandbox,
                               timeout=t * (count_tests(ws.root, bug.test_roots) + 1) + 30)
            return outcome_from_tests(rest, fparse.parse_junit(rest.output), started, code)
