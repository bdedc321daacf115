"""The CLI: validate with tables and results, and bad input as one-line errors (never a traceback)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import main

ROOT = Path(__file__).resolve().parents[1]


def repairchat(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT, timeout=300)


def test_import_agent_is_light():
    code = ("import sys, agent, agent.cli, agent.loop, agent.validation.validate, agent.models, extractors, finetune, sessions; "
            "agent.cli.build_parser(); print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_validate_command(sample_bugs, tmp_path, capsys):
    b1, b2 = sample_bugs["OffByOne-1"], sample_bugs["StringCompare-1"]
    rows = [{"bug": b1.id, "candidate": "fix", "text": b1.fixed_method, "kind": "method"},
            {"bug": b1.id, "candidate": "chunk", "text": b1.fixed_chunk, "kind": "chunk"},
            {"bug": b2.id, "candidate": "prose", "text": "The bug is the == comparison.", "kind": "reply"},
            {"bug": b2.id, "candidate": "broken", "text": "public int count(String name) { return x; }"}]
    cands = tmp_path / "cands.jsonl"
    cands.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "results.jsonl"
    assert main(["validate", "--candidates", str(cands), "--out", str(out)]) == 0
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["bug"], r["candidate"], r["outcome"]) for r in results] == [
        (b1.id, "fix", "plausible"), (b1.id, "chunk", "plausible"),
        (b2.id, "prose", "extract-failed"), (b2.id, "broken", "compile-error")]
    text = capsys.readouterr().out
    assert "OffByOne-1" in text and "StringCompare-1" in text and "total (2 bugs)" in text and "1/2" in text


@pytest.mark.parametrize("args, env, message", [
    (["run", "--model", "replay:/nonexistent.jsonl"], {}, "transcript /nonexistent.jsonl not found"),
    (["run", "--model", "demo", "--ids", "Nope-9"], {}, "unknown bug id 'Nope-9'"),
    (["run", "--model", "hf:/no/such/model"], {}, "not"),
    (["run", "--model", "x", "--bugs", "/no/bugs.jsonl"], {}, "manifest /no/bugs.jsonl not found"),
    (["validate", "--candidates", "{cands}"], {"PATH": "/nonexistent"}, "javac not found"),
    (["validate", "--candidates", "{bad}"], {}, "malformed JSON"),
    (["replay", "{bad}"], {}, "a transcript must start with a 'session' event"),
    (["run", "--model", "x", "--rounds", "0"], {}, "rounds and samples must be at least 1"),
])
def test_bad_input_is_one_line(tmp_path, sample_bugs, args, env, message):
    bug = sample_bugs["OffByOne-1"]
    (tmp_path / "cands.jsonl").write_text(json.dumps({"bug": bug.id, "text": bug.fixed_method}) + "\n")
    (tmp_path / "bad.jsonl").write_text('{"bug": "x",\n')
    args = [a.format(cands=tmp_path / "cands.jsonl", bad=tmp_path / "bad.jsonl") for a in args]
    res = repairchat(*args, env={**env, "JAVA_HOME": ""}, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("repairchat: error: ") and res.stderr.count("\n") == 1, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
