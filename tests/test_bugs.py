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
