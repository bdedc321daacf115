"""WarmValidator soundness: same outcomes and failures as FreshValidator over every sample bug, plus restarts
after crashes/hangs, isolation of static state, duplicate skipping, and the user's files left untouched."""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from conftest import tree_digest

from agent.validation import warm
from agent.bugs import SAMPLES, bug_from_dict, load_manifest
from agent.validation.javatools import build_helper
from agent.validation.cache import CachingValidator
from agent.validation.validate import Candidate, FreshValidator, Outcome, ValidationConfig, make_validator
from agent.validation.warm import WarmValidator
from agent.validation.workspace import buggy_method
from extractors.failures import CompileError, TestFailure, TestTimeout

BUGS = load_manifest(SAMPLES)
CONFIG = ValidationConfig(test_timeout=1.0)


def candidates(bug) -> dict[str, Candidate]:
    original = buggy_method(bug.read_source(), bug.location).text
    fixed = bug.fixed_method
    out = {
        "fixed": Candidate(fixed),
        "original": Candidate(original),  # InfiniteLoop-1: the timeout case
        "compile-error": Candidate(fixed.replace("{", "{\n    int unused = undefinedHelper(1);", 1)),
        "chunk": Candidate(bug.fixed_chunk, "chunk"),
    }
    if bug.id in ("OffByOne-1", "InfiniteLoop-1", "WrongVariable-2", "StringCompare-1"):
        # API changes: the whole project must be compiled (errors land in the test file / new throws clause)
        out["renamed"] = Candidate(fixed.replace(f" {bug.location.method}(", f" {bug.location.method}Renamed(", 1))
        out["throws"] = Candidate(fixed.replace(") {", ") throws IllegalStateException {", 1))
        out["exit"] = Candidate(fixed.replace("{", "{\n    if (true) { System.exit(3); }", 1))
    return out


def signature(o: Outcome) -> tuple:
    """What must agree between validators: the kind and each failure (compile errors up to the scratch folder)."""
    fs = []
    for f in o.failures:
        if isinstance(f, CompileError):
            fs.append(("compile", f.file.split("/project/")[-1], f.line, f.column, f.message, f.source_line))
        elif isinstance(f, TestFailure):
            fs.append(("test", f.test, f.exception, f.message, f.frame))
        else:
            assert isinstance(f, TestTimeout)
            fs.append(("timeout", f.test))
    return o.kind, tuple(fs)


FRESH_SECONDS: list[float] = []  # wall time of the fresh fixture (two threads)
CASES = [(bug, name, cand) for bug in BUGS for name, cand in candidates(bug).items()]


@pytest.fixture(scope="module")
def digests():
    return {bug.id: tree_digest(bug.root) for bug in BUGS}


@pytest.fixture(scope="module")
def fresh_outcomes(digests):
    fresh = FreshValidator(CONFIG)
    build_helper("RepairRunner")  # once, before threads race to build it (build_helper's temp dir is per process)
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda c: fresh.validate(c[0], c[2]), CASES))
    FRESH_SECONDS.append(time.monotonic() - started)
    return {(bug.id, name): o for (bug, name, _), o in zip(CASES, outs)}


@pytest.fixture(scope="module")
def warm_validator():
    v = make_validator(ValidationConfig(test_timeout=1.0, validator="warm"))
    assert isinstance(v, WarmValidator)
    yield v
    v.close()


def test_warm_matches_fresh_on_every_sample_bug(fresh_outcomes, warm_validator, digests):
    mismatches = []
    started = time.monotonic()
    for bug, name, cand in CASES:
        got = warm_validator.validate(bug, cand)
        want = fresh_outcomes[(bug.id, name)]
        if signature(got) != signature(want):
            mismatches.append((bug.id, name, signature(got), signature(want), got.detail, want.detail))
        assert got.code == want.code
    assert not mismatches, "\n".join(map(str, mismatches))
    kinds = {(b, n): o.kind for (b, n), o in fresh_outcomes.items()}
    assert kinds[("InfiniteLoop-1", "original")] == "timeout"
    assert all(kinds[(b.id, "fixed")] == "plausible" and kinds[(b.id, "chunk")] == "plausible" for b in BUGS)
    assert all(kinds[(b.id, "compile-error")] == "compile-error" for b in BUGS)
    assert kinds[("OffByOne-1", "exit")] == "test-failure"
    assert warm_validator.fallbacks == 0
    # one server per bug (its root, JDK, JVM options), yet faster serially than fresh on two threads; measured
    # side by side in one run, as the machine's load changes both alike
    assert time.monotonic() - started < FRESH_SECONDS[0]
    for bug in BUGS:  # nothing written into the user's trees (no patched file, no .class files)
        assert tree_digest(bug.root) == digests[bug.id], bug.id


def test_exit_and_halt_do_not_kill_the_server(warm_validator):
    bug = BUGS[0]
    fresh = FreshValidator(CONFIG)
    for stmt in ("System.exit(0);", "Runtime.getRuntime().halt(1);"):
        cand = Candidate(bug.fixed_method.replace("{", "{\n    if (true) { " + stmt + " }", 1))
        got, want = warm_validator.validate(bug, cand), fresh.validate(bug, cand)
        assert got.kind == want.kind == "test-failure", (got, want)
    assert warm_validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    assert warm_validator.fallbacks == 0


def test_killed_server_is_restarted_and_candidate_retried(warm_validator):
    bug = BUGS[1]
    assert warm_validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    before = warm_validator.restarts
    os.killpg(warm_validator.server.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert warm_validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    assert warm_validator.restarts == before + 1 and warm_validator.fallbacks == 0


def test_hung_server_is_killed_and_candidate_retried(monkeypatch):
    monkeypatch.setattr(warm, "SLACK", 2.0)
    bug = BUGS[2]
    # the hang is noticed after compile_timeout + candidate_timeout + SLACK seconds; javac keeps room on a busy machine
    # unsandboxed: SIGSTOP must reach the server JVM itself, not the bwrap process in front of it
    with WarmValidator(ValidationConfig(test_timeout=5.0, compile_timeout=20.0, candidate_timeout=1.0,
                                        sandbox="none")) as v:
        assert v.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
        hung = v.server
        os.kill(hung.pid, signal.SIGSTOP)  # alive but silent: only the deadline can notice
        out = v.validate(bug, Candidate(bug.fixed_method))
        assert out.kind == "plausible" and v.restarts == 1 and v.fallbacks == 0
        assert hung.proc.poll() is not None, "the hung server must be killed"


def test_stuck_test_thread_restarts_server(warm_validator):
    bug = next(b for b in BUGS if b.id == "InfiniteLoop-1")
    assert warm_validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    pid, restarts = warm_validator.server.pid, warm_validator.restarts
    original = buggy_method(bug.read_source(), bug.location).text
    assert warm_validator.validate(bug, Candidate(original)).kind == "timeout"
    assert warm_validator.restarts == restarts + 1  # the spinning thread's JVM was replaced
    assert warm_validator._server is None or warm_validator.server.pid != pid
    assert warm_validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"


STATEFUL = {
    "src/main/java/demo/Registry.java": "package demo;\n\npublic class Registry {\n"
    "    private static int count;\n    public static int register() { return ++count; }\n}\n",
    "src/main/java/demo/Adder.java": "package demo;\n\npublic class Adder {\n"
    "    static int calls;\n\n    public static int add(int a, int b) {\n        return a - b;\n    }\n}\n",
    "src/test/java/demo/AdderTest.java": "package demo;\n\nimport static org.junit.Assert.*;\nimport org.junit.Test;\n\n"
    "public class AdderTest {\n    @Test\n    public void testAdd() {\n"
    "        assertEquals(1, Registry.register());\n        assertEquals(1, ++Adder.calls);\n"
    "        assertEquals(5, Adder.add(2, 3));\n        System.out.println(\"{\\\"op\\\": \\\"noise\\\"}\");\n    }\n}\n",
}


@pytest.mark.parametrize("isolation", ["shared", "class"])
def test_static_state_does_not_leak_across_candidates(tmp_path, isolation):
    for rel, text in STATEFUL.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    bug = bug_from_dict({"id": "Stateful-1", "root": ".", "source_roots": ["src/main/java"],
                         "test_roots": ["src/test/java"], "failing_tests": ["demo.AdderTest::testAdd"],
                         "location": {"file": "src/main/java/demo/Adder.java", "method": "add", "lines": [7, 7]}},
                        tmp_path)
    fixed = Candidate("public static int add(int a, int b) {\n    return a + b;\n}")
    with WarmValidator(replace(CONFIG, isolation=isolation)) as v:
        for _ in range(3):  # the failing phase and the full run both start from fresh statics, every time
            out = v.validate(bug, fixed)
            assert out.kind == "plausible", out
        assert v.validate(bug, Candidate("        return a + b + 0;", "chunk")).kind == "plausible"
        assert v.validate(bug, Candidate("        return a * b;", "chunk")).kind == "test-failure"
    assert not list(tmp_path.rglob("*.class"))


class Counting:
    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def validate(self, bug, candidate):
        self.calls += 1
        return self.inner.validate(bug, candidate)


def test_duplicates_are_skipped_and_persisted(tmp_path, warm_validator):
    bug = BUGS[0]
    inner = Counting(warm_validator)
    path = tmp_path / "cache.jsonl"
    cache = CachingValidator(inner, path=path)
    first = cache.validate(bug, Candidate(bug.fixed_method))
    reformatted = "// the fix\n" + bug.fixed_method.replace("    ", "\t").replace(" = ", "=").replace("\n", "\n\n")
    second = cache.validate(bug, Candidate(reformatted))
    assert first.kind == second.kind == "plausible"
    assert inner.calls == 1 and cache.hits == 1 and second.seconds == 0 and second.cached
    assert second.code != first.code  # the hit carries this candidate's code
    other = cache.validate(bug, Candidate(bug.fixed_method.replace("<=", "<")))  # a different candidate
    assert inner.calls == 2 and other.kind == "test-failure"
    # the fixed chunk yields a file token-equal to the fixed method's: a hit too (the key is the patched file)
    assert cache.validate(bug, Candidate(bug.fixed_chunk, "chunk")).kind == "plausible" and inner.calls == 2
    cache.close = lambda: None  # keep the shared warm validator open
    cache._file.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 2 and all(e["bug"] == bug.id for e in lines)
    resumed_inner = Counting(warm_validator)
    resumed = CachingValidator(resumed_inner, path=path)
    again = resumed.validate(bug, Candidate(bug.fixed_method.replace("<=", "<")))
    assert again.kind == "test-failure" and resumed_inner.calls == 0 and resumed.hits == 1
    assert [f.test for f in again.failures] == [f.test for f in other.failures]
    resumed._file.close()
