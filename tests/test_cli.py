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


def bad_inputs(tmp_path, bug):
    """Files a careless (or unlucky) user passes: non-UTF-8, empty, lines past the end, unwritable places."""
    from sessions.transcript import Transcript
    samples = Path(bug.root).parent
    entry = json.loads(next(x for x in (samples / "bugs.jsonl").read_text().splitlines() if bug.id in x))
    entry["root"] = str(bug.root)
    (tmp_path / "latin1.jsonl").write_bytes(json.dumps(entry).encode() + b"\n# caf\xe9\n")
    entry["location"]["lines"] = [500, 501]
    (tmp_path / "past.jsonl").write_text(json.dumps(entry) + "\n")
    (tmp_path / "empty.jsonl").write_text("\n")
    (tmp_path / "blank.jsonl").write_text(json.dumps({"bug": bug.id, "text": "  \n"}) + "\n")
    (tmp_path / "cands.jsonl").write_text(json.dumps({"bug": bug.id, "text": bug.fixed_method}) + "\n")
    with Transcript.create(tmp_path, bug.to_dict(), "x", {}) as tr:
        tr.log("reply", round=1, sample=0, raw="no idea", outcome={"kind": "extract-failed"})
    (tmp_path / "t.jsonl").write_bytes(tr.path.read_bytes())
    (tmp_path / "latin1-t.jsonl").write_bytes(tr.path.read_bytes() + b'{"v": 2, "type": "end", "result": "\xe9"}\n')
    (tmp_path / "res.jsonl").write_text(json.dumps({"bug": bug.id, "done": True, "result": "exhausted"}) + "\n")


UNWRITABLE = "/proc/repairchat-nowhere/x"  # cannot be created, root or not


@pytest.mark.parametrize("args, message", [
    (["run", "--bugs", "{t}/latin1.jsonl", "--model", "x"], "latin1.jsonl:2: not UTF-8 text"),
    (["validate", "--candidates", "{t}/latin1-t.jsonl"], "latin1-t.jsonl:3: not UTF-8 text"),
    (["replay", "{t}/latin1-t.jsonl"], "latin1-t.jsonl:3: not UTF-8 text"),
    (["run", "--bugs", "{t}/past.jsonl", "--model", "x"], "'location.lines' [500, 501] go past the end"),
    (["validate", "--candidates", "{t}/empty.jsonl"], "has no candidates"),
    (["validate", "--candidates", "{t}/blank.jsonl"], "the candidate method is empty"),
    (["run", "--ids", "OffByOne-1", "--model", "openai:m@http://127.0.0.1:9/v1?max_tokens=abc"],
     "max_tokens='abc' must be a number"),
    (["run", "--ids", "OffByOne-1", "--model", "replay:{t}/t.jsonl", "--out", UNWRITABLE + "/r.jsonl"],
     "cannot write the results file"),
    (["run", "--ids", "OffByOne-1", "--model", "replay:{t}/t.jsonl", "--no-show-original-failure",
      "--out", "{t}/r.jsonl", "--sessions-dir", UNWRITABLE], "cannot write the transcript"),
    (["validate", "--candidates", "{t}/cands.jsonl", "--out", UNWRITABLE + "/v.jsonl"], "cannot write"),
    (["merge", "{t}/res.jsonl", "--out", UNWRITABLE + "/m.jsonl"], "cannot use /proc/repairchat-nowhere"),
    (["repl", "OffByOne-1", "--model", "replay:{t}/t.jsonl", "--sessions-dir", UNWRITABLE],
     "cannot write the transcript"),
])
def test_bad_files_and_unwritable_paths_are_one_line(sample_bugs, tmp_path, capsys, args, message):
    bad_inputs(tmp_path, sample_bugs["OffByOne-1"])
    capsys.readouterr()
    assert main([a.format(t=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repairchat: error: ") and message in err and err.count("\n") == 1, err


def test_sessions_list_survives_a_non_utf8_transcript(sample_bugs, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    bad_inputs(tmp_path, sample_bugs["OffByOne-1"])
    assert main(["sessions", "list", "--sessions-dir", str(tmp_path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "unreadable" in text and "latin1-t.jsonl:3: not UTF-8 text" in text and "OffByOne-1" in text
