"""Manifest loading: the built-in samples, and one-line errors for bad manifests."""

import json

import pytest

from agent.bugs import SAMPLES, load_manifest, select
from agent.errors import UserError


def test_samples_load_and_cover_the_bug_kinds():
    bugs = load_manifest(SAMPLES)
    assert len(bugs) >= 10
    kinds = {b.id.rsplit("-", 1)[0] for b in bugs}
    assert {"OffByOne", "WrongOperator", "NullCheck", "InfiniteLoop", "WrongReturn"} <= kinds
    for b in bugs:
        assert b.source_file.is_file() and b.failing_tests and b.fixed_method and b.location.lines


GOOD = {"id": "X-1", "root": "proj", "source_roots": ["src"], "test_roots": ["test"], "classpath": [],
        "failing_tests": ["p.ATest::t"], "location": {"file": "src/p/A.java", "method": "m", "lines": [3, 3]}}


def _write(tmp_path, lines):
    (tmp_path / "proj" / "src" / "p").mkdir(parents=True, exist_ok=True)
    (tmp_path / "proj" / "src" / "p" / "A.java").write_text("package p;\nclass A {\n  int m() { return 1; }\n}\n")
    m = tmp_path / "bugs.jsonl"
    m.write_text("\n".join(lines) + "\n")
    return m


@pytest.mark.parametrize("line, message", [
    ("{not json", "malformed JSON"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "location"}), "missing field(s) location"),
    (json.dumps({**GOOD, "failing_tests": ["p.ATest.t"]}), "must look like pkg.Class::method"),
    (json.dumps({**GOOD, "location": {"file": "src/p/A.java", "method": "m", "lines": [3]}}), "location.lines"),
    (json.dumps({**GOOD, "root": "nowhere"}), "does not exist"),
    (json.dumps({**GOOD, "location": {"file": "src/p/B.java", "method": "m"}}), "buggy file"),
    (json.dumps({**GOOD, "source_roots": "src"}), "'source_roots' must be a list"),
    ("[1, 2]", "expected a JSON object"),
])
def test_malformed_manifest_is_one_line_error(tmp_path, line, message):
    m = _write(tmp_path, [line])
    with pytest.raises(UserError) as e:
        load_manifest(m)
    assert message in str(e.value) and "\n" not in str(e.value) and f"{m}:1" in str(e.value)


def test_good_manifest_duplicates_and_unknown_ids(tmp_path):
    bugs = load_manifest(_write(tmp_path, [json.dumps(GOOD)]))
    assert bugs[0].location.lines == (3, 3) and bugs[0].root == (tmp_path / "proj").resolve()
    with pytest.raises(UserError, match="duplicate bug id"):
        load_manifest(_write(tmp_path, [json.dumps(GOOD)] * 2))
    with pytest.raises(UserError, match="unknown bug id 'Nope-1'; known ids: X-1"):
        select(bugs, ["Nope-1"])
    with pytest.raises(UserError, match="not found"):
        load_manifest(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("extra, message", [
    ({"test_timeout": 0}, "'test_timeout' must be a positive number"),
    ({"test_timeout": "5"}, "'test_timeout' must be a positive number"),
    ({"javac_options": "--release 8"}, "'javac_options' must be a list"),
    ({"javac_options": ["-encoding"]}, "ends with -encoding"),
    ({"javac_options": ["-encoding", "NOPE-99"]}, "unknown source encoding 'NOPE-99'"),
    ({"java_home": "no/such/jdk"}, "is not a folder"),
    ({"broken_tests": [1]}, "'broken_tests' must be a list of strings"),
])
def test_bad_build_settings_are_one_line_errors(tmp_path, extra, message):
    with pytest.raises(UserError) as e:
        load_manifest(_write(tmp_path, [json.dumps({**GOOD, **extra})]))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_build_settings_load_and_round_trip(tmp_path):
    from agent.bugs import bug_from_dict
    settings = {"javac_options": ["--release", "8", "-encoding", "ISO-8859-1"], "test_timeout": 45,
                "jvm_options": ["--add-opens", "java.base/java.lang=ALL-UNNAMED"], "test_include": ["**/*Test.java"],
                "test_exclude": ["**/perf/**"], "broken_tests": ["p.ATest::env"]}
    bug = load_manifest(_write(tmp_path, [json.dumps({**GOOD, **settings})]))[0]
    assert bug.encoding == "ISO-8859-1" and bug.test_timeout == 45.0 and bug.broken_tests == ("p.ATest::env",)
    again = bug_from_dict(bug.to_dict(), tmp_path)
    assert again == bug and again.jvm_options == tuple(settings["jvm_options"])
    assert load_manifest(_write(tmp_path, [json.dumps(GOOD)]))[0].encoding == "utf-8"


def test_outcomes_of_old_transcripts_still_load():
    from agent.validation.validate import LEGACY_HIT, Outcome
    old = Outcome.from_dict({"kind": "plausible", "failures": [], "code": "x", "seconds": 0.0,
                             "detail": f"{LEGACY_HIT}; from before"})
    assert old.cached and old.detail == "from before"
    new = Outcome("test-failure", (), "y", 1.0, "", cached=True)
    assert Outcome.from_dict(new.to_dict()) == new
    assert "cached" not in Outcome("plausible").to_dict()
