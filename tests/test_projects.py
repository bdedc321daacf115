"""Validation on test projects written for repairchat (tests/projects/, one per case of real suites): JUnit 4
annotations spelled in full, JUnit 3, threads that must not be daemons, a file read from the project root, Java 8
source on JDK 17 (--release 8), ISO-8859-1 sources, --add-opens, a slow test, an environment-dependent test,
@BeforeClass once per class, and JUnit 5 (Jupiter) tests beside a JUnit 4 class. For every candidate, fresh and warm
(after the pre-flight) give the outcome that plain javac + JUnitCore (for Jupiter-1: the JUnit Platform console
launcher) give on the same tree; the pre-flight fails exactly the bugs whose build settings are missing."""

import json
import os
import shutil
from dataclasses import replace

import pytest

from agent.bugs import load_manifest
from agent.validation.discovery import candidate_classes, glob_regex, matches
from agent.validation.javatools import java_env
from agent.validation.preflight import check, check_bugs
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig
from agent.validation.warm import WarmValidator
from junitref import BROKEN, CASES, MANIFEST
from junitref import PROJECT_BUGS as BUGS

CONFIG = ValidationConfig(candidate_timeout=120)


@pytest.fixture(scope="module")
def checked():
    kept, results = check_bugs(list(BUGS.values()), CONFIG, lambda line: None)
    assert all(r.ok for r in results), [(r.bug, r.reason) for r in results if not r.ok]
    return {b.id: b for b in kept}, {r.bug: r for r in results}


def test_preflight_finds_test_classes_and_broken_tests(checked):
    _, results = checked
    for bug in BUGS.values():
        assert set(results[bug.id].test_classes) == set(bug.extra["junit_classes"]), bug.id
        assert set(results[bug.id].broken) == BROKEN.get(bug.id, set()), bug.id
        assert results[bug.id].fixed_checked


def test_fresh_and_warm_agree_with_javac_and_junitcore(checked, project_references):
    references = project_references
    bugs, _ = checked
    fresh = FreshValidator(CONFIG)
    with WarmValidator(CONFIG) as warm:
        for bug, name, cand in CASES:
            want, failed = references[(bug.id, name)]
            for v in (fresh, warm):
                got = v.validate(bugs[bug.id], cand)
                assert got.kind == want, (bug.id, name, type(v).__name__, got, failed)
                assert {f.test for f in got.failures} <= failed, (bug.id, name, got.failures, failed)
                if name == "regression":  # the failing tests pass: every test class ran, every failure is known
                    assert {f.test for f in got.failures} == failed, (bug.id, type(v).__name__, got.failures)
        assert warm.fallbacks == 0
    kinds = {(b.id, n): references[(b.id, n)][0] for b, n, _ in CASES}
    assert all(kinds[(b, "fixed")] == "plausible" for b in BUGS)
    assert kinds[("FqnAnnotation-1", "regression")] == kinds[("JUnit3-1", "regression")] == "test-failure"
    assert references[("Jupiter-1", "regression")][1] == {"p.StatsTest::pairs[2]", "p.StatsFqnTest::firstOfTwo"}
    assert references[("Jupiter-1", "buggy")][1] == {"p.StatsTest::negatives", "p.StatsTest$Single::negative"}


@pytest.mark.parametrize("bug_id, drop, reason", [
    ("Release8-1", "javac_options", "buggy version does not compile"),
    ("Latin1-1", "javac_options", "buggy version does not compile"),
    ("AddOpens-1", "jvm_options", "fails on the fixed version too"),
])
def test_preflight_fails_without_the_build_settings(bug_id, drop, reason):
    result = check(replace(BUGS[bug_id], **{drop: ()}), CONFIG)
    assert not result.ok and reason in result.reason, result


def test_a_short_test_timeout_times_out_the_slow_test(checked):
    bugs, _ = checked
    bug = bugs["SlowTest-1"]
    out = FreshValidator(ValidationConfig(test_timeout=1.0)).validate(bug, Candidate(bug.fixed_method))
    assert out.kind == "timeout" and out.failures[-1].test == "p.SumsSlowTest::slow"


def test_a_hanging_jupiter_test_is_timed_out_by_the_watchdog(checked):
    bugs, _ = checked
    spin = Candidate("public static int max(int... values) {\n    while (values.length > 0) {\n"
                     "        Thread.onSpinWait();\n    }\n    return 0;\n}")
    out = FreshValidator(ValidationConfig(test_timeout=1.0)).validate(bugs["Jupiter-1"], spin)
    assert out.kind == "timeout" and [f.test for f in out.failures] == ["p.StatsTest::negatives"], out


def test_preflight_reports_a_misconfigured_bug_and_drops_it():
    bug = BUGS["FqnAnnotation-1"]
    lines = []
    kept, results = check_bugs([replace(bug, failing_tests=("p.NumZeroTest::zero",)),
                                replace(bug, id="Nope-1", failing_tests=("p.Missing::test",))], CONFIG, lines.append)
    assert kept == [] and len(lines) == 2
    assert "passes on the buggy version" in results[0].reason
    assert "Nope-1" in lines[1] and "p.Missing" in results[1].reason


def test_junit_platform_jars_only_for_projects_with_jupiter_tests(monkeypatch):
    from agent.errors import UserError
    from agent.validation.settings import settings_for
    assert settings_for(BUGS["Jupiter-1"], CONFIG).jupiter and not settings_for(BUGS["JUnit3-1"], CONFIG).jupiter
    assert "/usr/share/java/junit-platform-launcher.jar" in settings_for(BUGS["Jupiter-1"], CONFIG).junit_classpath
    # a JUnit 4 project whose classpath brings Jupiter jars (a build's resolved test classpath) gets the platform
    assert settings_for(replace(BUGS["JUnit3-1"], classpath=("/m2/junit-jupiter-api-5.10.0.jar",)), CONFIG).jupiter
    monkeypatch.setenv("REPAIRCHAT_JUPITER_CP", "/nowhere/junit-platform-launcher.jar")
    java_env.cache_clear()
    try:
        with pytest.raises(UserError, match=r"^Jupiter-1 has JUnit 5 \(Jupiter\) tests but the JUnit Platform jar "
                                            r"\S+ is missing; install it with: apt-get install -y junit5"):
            settings_for(BUGS["Jupiter-1"], CONFIG)
        assert not settings_for(BUGS["JUnit3-1"], CONFIG).jupiter  # JUnit 4 projects do not need it
    finally:
        monkeypatch.delenv("REPAIRCHAT_JUPITER_CP")
        java_env.cache_clear()


def test_discovery_patterns():
    assert matches("p/FooTest.java", ("**/*Test.java",)) and matches("FooTest.java", ("**/*Test.java",))
    assert matches("a/b/TestFoo.java", ("**/Test*.java",)) and not matches("a/FooTests2.java", ("**/*Tests.java",))
    assert not matches("p/Foo$InnerTest.java", ("**/*Test.java",)) or matches("p/Foo$InnerTest.java", ("**/*$*",))
    assert glob_regex("**/perf/**").match("x/perf/SlowTest")
    bug = BUGS["JUnit3-1"]
    assert candidate_classes(bug.root, bug) == ["p.AbstractRangeTest", "p.ClampHighTest", "p.ClampTest",
                                                "p.TestData"]
    assert candidate_classes(bug.root, replace(bug, test_exclude=("**/Abstract*",))) == [
        "p.ClampHighTest", "p.ClampTest", "p.TestData"]
    assert candidate_classes(bug.root, replace(bug, test_include=("**/ClampTest.java",))) == ["p.ClampTest"]


def test_selection_runs_only_test_classes_that_reach_the_patched_class(tmp_path):
    """A generated project: OtherTest never loads Target, so after the pre-flight only TargetTest runs; a
    candidate that breaks Other is not possible (only Target changes), one that breaks Target is caught."""
    src, test = tmp_path / "src", tmp_path / "test"
    (src / "q").mkdir(parents=True)
    (test / "q").mkdir(parents=True)
    (src / "q" / "Target.java").write_text("package q;\npublic class Target {\n    public static int f(int x) {\n"
                                           "        return x;\n    }\n}\n")
    (src / "q" / "Other.java").write_text("package q;\npublic class Other {\n    public static int g() { return 1; }\n}\n")
    for name, body in (("TargetTest", "assertEquals(4, Target.f(2));"), ("TargetMoreTest", "assertEquals(6, Target.f(3));"),
                       ("OtherTest", "assertEquals(1, Other.g());")):
        (test / "q" / f"{name}.java").write_text(
            f"package q;\nimport static org.junit.Assert.*;\nimport org.junit.Test;\npublic class {name} {{\n"
            f"    @Test public void t() {{ {body} }}\n}}\n")
    from agent.bugs import bug_from_dict
    bug = bug_from_dict({"id": "Sel-1", "root": ".", "source_roots": ["src"], "test_roots": ["test"],
                         "failing_tests": ["q.TargetTest::t"],
                         "location": {"file": "src/q/Target.java", "method": "f", "lines": [4, 4]},
                         "fixed_method": "public static int f(int x) {\n    return 2 * x;\n}"}, tmp_path)
    kept, results = check_bugs([bug], CONFIG, lambda line: None)
    assert set(results[0].selected) == {"q.TargetMoreTest", "q.TargetTest"}
    assert set(results[0].reach["q.OtherTest"]) == {"q.Other", "q.OtherTest"}
    half = Candidate("public static int f(int x) {\n    return x == 2 ? 4 : x;\n}")  # passes TargetTest only
    out = FreshValidator(CONFIG).validate(kept[0], half)
    assert out.kind == "test-failure" and [f.test for f in out.failures] == ["q.TargetMoreTest::t"]
    all_tests = check_bugs([bug], replace(CONFIG, all_tests=True), lambda line: None)[0][0]
    assert all_tests.test_classes is None


def test_check_and_validate_commands(checked, tmp_path, capsys):
    """`repairchat check` reports the pre-flight; `repairchat validate` pre-flights, validates token-equal
    candidates once and leaves no temporary folders behind."""
    import json

    from agent.cli import main
    assert main(["check", "--bugs", str(MANIFEST), "--ids", "Release8-1", "JUnit3-1"]) == 0
    out = capsys.readouterr().out
    assert "Release8-1" in out and "JUnit3-1" in out and "FAILED" not in out
    bug = BUGS["FqnAnnotation-1"]
    cands = tmp_path / "cands.jsonl"
    cands.write_text("".join(json.dumps({"bug": bug.id, "candidate": str(i), "text": text}) + "\n" for i, text in
                             enumerate([bug.fixed_method, "// same tokens\n" + bug.fixed_method])))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.environ["REPAIRCHAT_SCRATCH"] = str(scratch)
    try:
        assert main(["validate", "--bugs", str(MANIFEST), "--candidates", str(cands), "--validator", "warm",
                     "--out", str(tmp_path / "res.jsonl")]) == 0
    finally:
        del os.environ["REPAIRCHAT_SCRATCH"]
    rows = [json.loads(x) for x in (tmp_path / "res.jsonl").read_text().splitlines()]
    assert [(r["outcome"], r["cached"]) for r in rows] == [("plausible", False), ("plausible", True)]
    assert "token-equal" in capsys.readouterr().out
    assert list(scratch.iterdir()) == []  # the warm validator's folders are removed


def test_the_fixed_version_runs_what_candidates_run(tmp_path):
    """A broken test in a class that never reaches the buggy class never judges a candidate (selection), so the
    pre-flight's fixed run skips it; with --all-tests it runs and is recorded as broken."""
    root = tmp_path / "EnvDependent-1"
    shutil.copytree(BUGS["EnvDependent-1"].root, root)
    (root / "src/test/java/p/HomeEnvTest.java").write_text(
        "package p;\n\nimport org.junit.Test;\n\npublic class HomeEnvTest {\n    @Test\n    public void needsHome() {\n"
        "        org.junit.Assert.assertNotNull(System.getenv(\"REPAIRCHAT_TEST_FLAG_NEVER_SET\"));\n    }\n}\n")
    bug = replace(BUGS["EnvDependent-1"], root=root)
    selected = check(bug, CONFIG)
    everything = check(bug, replace(CONFIG, all_tests=True))
    assert selected.ok and everything.ok
    assert "p.HomeEnvTest" in selected.test_classes and "p.HomeEnvTest" not in (selected.selected or ())
    assert set(selected.broken) == {"p.FlagsEnvTest::fromTheEnvironment"}
    assert set(everything.broken) == {"p.FlagsEnvTest::fromTheEnvironment", "p.HomeEnvTest::needsHome"}


POLLUTION = {  # Lang-40's shape: a test class's tearDown leaves a static default changed (StandardToStringStyleTest)
    "src/main/java/p/Style.java": "package p;\n\npublic final class Style {\n    private static String sep = \",\";\n\n"
    "    public static void setSeparator(String s) {\n        sep = s;\n    }\n\n    public static String join(int a, int b) {\n"
    "        return a + sep + b;\n    }\n\n    public static int twice(int x) {\n        return x * 3;\n    }\n}\n",
    "src/test/java/p/AStyleTest.java": "package p;\n\nimport org.junit.After;\nimport org.junit.Test;\n\n"
    "public class AStyleTest {\n    @After\n    public void tearDown() {\n        Style.setSeparator(\";\");  // not the default\n"
    "    }\n\n    @Test\n    public void semicolon() {\n        Style.setSeparator(\";\");\n"
    "        org.junit.Assert.assertEquals(\"1;2\", Style.join(1, 2));\n    }\n}\n",
    "src/test/java/p/JoinTest.java": "package p;\n\nimport org.junit.Test;\n\npublic class JoinTest {\n    @Test\n"
    "    public void comma() {\n        org.junit.Assert.assertEquals(\"1,2\", Style.join(1, 2));\n    }\n}\n",
    "src/test/java/p/TwiceTest.java": "package p;\n\nimport org.junit.Test;\n\npublic class TwiceTest {\n    @Test\n"
    "    public void twice() {\n        org.junit.Assert.assertEquals(4, Style.twice(2));\n    }\n}\n",
}


def test_a_test_class_cannot_fail_another_through_static_state(tmp_path):
    """Lang-40: StandardToStringStyleTest's tearDown leaves its own style as ToStringBuilder's default, and every
    ToStringBuilderTest run after it in the same class loader fails (in Defects4J's order it ran first). With
    classes isolated (the default) the developer fix passes and nothing is excluded; shared, as one JUnitCore run
    gives, JoinTest fails after AStyleTest and the pre-flight can only exclude it."""
    for rel, text in POLLUTION.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "bugs.jsonl").write_text(json.dumps({
        "id": "StaticDefault-1", "root": ".", "source_roots": ["src/main/java"], "test_roots": ["src/test/java"],
        "classpath": [], "failing_tests": ["p.TwiceTest::twice"],
        "location": {"file": "src/main/java/p/Style.java", "method": "twice", "lines": [14, 16]},
        "fixed_method": "public static int twice(int x) {\n        return x + x;\n    }"}) + "\n")
    bug = load_manifest(tmp_path / "bugs.jsonl")[0]
    fix = Candidate(bug.fixed_method)
    isolated, shared = CONFIG, replace(CONFIG, isolation="shared")
    assert check(bug, isolated).broken == ()
    assert check(bug, shared).broken == ("p.JoinTest::comma",)
    assert FreshValidator(isolated).validate(bug, fix).kind == "plausible"
    with WarmValidator(isolated) as warm:
        assert warm.validate(bug, fix).kind == "plausible"
    out = FreshValidator(shared).validate(bug, fix)
    assert out.kind == "test-failure" and [f.test for f in out.failures] == ["p.JoinTest::comma"]


def test_a_failing_test_that_fails_on_the_fix_too_is_excluded_while_another_judges():
    """Lang-57 on JDK 17: one of its failing tests (LocaleUtilsTest::testCountriesByLanguage) counts the JDK's
    locales and fails on the fixed version too. It cannot tell a fix from the bug: it is excluded and the bug is
    kept, judged by the failing tests that pass on the fix; when no failing test passes there, the bug is dropped."""
    bug = BUGS["EnvDependent-1"]
    env_test = "p.FlagsEnvTest::fromTheEnvironment"
    kept = check(replace(bug, failing_tests=(*bug.failing_tests, env_test)), CONFIG)
    assert kept.ok and env_test in kept.broken, kept
    dropped = check(replace(bug, failing_tests=(env_test,)), CONFIG)
    assert not dropped.ok and f"failing test {env_test} fails on the fixed version too" in dropped.reason
