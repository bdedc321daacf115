"""Validation on real javac + JUnit over every sample bug: the fix is plausible, the bug is not."""

import time
from dataclasses import replace

import pytest
from conftest import tree_digest

from agent.bugs import SAMPLES, load_manifest
from agent.styles import method_context
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig
from agent.validation.workspace import apply_chunk, apply_method

BUGS = load_manifest(SAMPLES)


@pytest.fixture(scope="module")
def validator():
    return FreshValidator(ValidationConfig(test_timeout=3.0))


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.id)
def test_sample_bug_fails_and_fix_passes(bug, validator):
    before = tree_digest(bug.root)
    buggy = validator.validate(bug, Candidate(method_context(bug)[0]))
    assert buggy.kind in ("test-failure", "timeout")
    assert buggy.failures and {f.test for f in buggy.failures} <= set(bug.failing_tests)
    assert validator.validate(bug, Candidate(bug.fixed_method, "method")).kind == "plausible"
    assert tree_digest(bug.root) == before, "validation must never modify the user's files"


@pytest.mark.parametrize("bug", BUGS[:4], ids=lambda b: b.id)
def test_fixed_chunk_passes(bug, validator):
    assert validator.validate(bug, Candidate(bug.fixed_chunk, "chunk")).kind == "plausible"


def test_outcome_kinds(sample_bugs, validator):
    bug = sample_bugs["WrongOperator-1"]
    broken = bug.fixed_method.replace("32.0;", "32.0")
    o = validator.validate(bug, Candidate(broken))
    assert o.kind == "compile-error"
    assert o.failures[0].kind == "compile" and o.failures[0].file.endswith("Temperature.java")
    assert "';' expected" in o.failures[0].message or "expected" in o.failures[0].message
    assert validator.validate(bug, Candidate("I am not sure how to fix this.", "reply")).kind == "extract-failed"
    reply = f"Sure! The offset must be added:\n\n```java\n{bug.fixed_method}\n```\nThis fixes it."
    assert validator.validate(bug, Candidate(reply, "reply")).kind == "plausible"
    nowhere = replace(bug, location=replace(bug.location, method="nope"))
    assert validator.validate(nowhere, Candidate(bug.fixed_method)).kind == "apply-failed"
    assert validator.validate(bug, Candidate("x", "patch")).kind == "apply-failed"


def test_failure_outside_the_failing_tests_is_caught_by_the_full_run(sample_bugs, validator):
    bug = replace(sample_bugs["WrongOperator-1"], failing_tests=("sample.TemperatureTest::testToFahrenheit",))
    overfit = bug.fixed_method.replace("return celsius", "return celsius == 37.0 ? 0.0 : celsius")
    o = validator.validate(bug, Candidate(overfit))
    assert o.kind == "test-failure"
    assert [f.test for f in o.failures] == ["sample.TemperatureTest::testRoundTrip"]


def test_infinite_loop_times_out_and_the_jvm_is_killed(sample_bugs):
    bug = sample_bugs["InfiniteLoop-1"]
    start = time.monotonic()
    o = FreshValidator(ValidationConfig(test_timeout=1.0)).validate(bug, Candidate(method_context(bug)[0]))
    assert o.kind == "timeout" and o.failures[0].kind == "timeout"
    assert o.failures[0].test in bug.failing_tests
    assert time.monotonic() - start < 20


def test_apply_reindents_and_keeps_the_rest_of_the_file(sample_bugs):
    bug = sample_bugs["WrongVariable-2"]  # overloaded clamp: the lines pick the double one
    src = bug.read_source()
    patched = apply_method(src, bug.location, bug.fixed_method)
    assert patched.source.count("clamp(") == src.count("clamp(")
    assert patched.source != src and "\n    public static double clamp" in patched.source
    chunk = apply_chunk(src, bug.location, bug.fixed_chunk)
    assert chunk.source == patched.source


def test_bug_ids_with_path_and_classpath_separators(sample_bugs, validator):
    """Scratch folders are named after the bug: ':' would split the classpath and '/' the path."""
    bug = replace(sample_bugs["WrongOperator-1"], id="d4j:Odd/1 x")
    assert validator.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    assert validator.validate(bug, Candidate(method_context(bug)[0])).kind == "test-failure"
