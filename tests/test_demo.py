"""`repairchat demo` end to end: the tiny demo model is trained locally (once, cached), then repairs real bugs
through the real loop, javac and JUnit, with a feedback turn for the bugs it was taught to get wrong first."""

import json

from agent.cli import main
from sessions.transcript import read


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_demo_repairs_with_a_feedback_turn_and_caches_the_model(tmp_path, capsys):
    out, sessions = tmp_path / "results.jsonl", tmp_path / "sessions"
    rc = main(["demo", "--ids", "WrongOperator-1", "OffByOne-1", "--out", str(out), "--sessions-dir", str(sessions)])
    assert rc == 0
    first = capsys.readouterr()
    assert "has seen the answers" in " ".join(first.out.split())  # said plainly

    candidates = [r for r in rows(out) if "candidate" in r]
    by_bug = {b: [r["outcome"] for r in candidates if r["bug"] == b] for b in ("WrongOperator-1", "OffByOne-1")}
    assert by_bug == {"WrongOperator-1": ["compile-error", "plausible"], "OffByOne-1": ["plausible"]}

    # the second turn of WrongOperator-1 carried the parsed javac error back to the model
    [path] = [p for p in sessions.glob("*.jsonl") if "WrongOperator-1" in p.read_text()]
    prompts = [e for e in read(path) if e["type"] == "message" and e.get("role") == "user"]
    assert len(prompts) == 2 and "';' expected" in prompts[1]["content"]
    assert read(path)[-1]["result"] == "plausible"

    # a second run reuses the cached model instead of training it again
    assert main(["demo", "--ids", "OffByOne-1", "--out", str(tmp_path / "again.jsonl"),
                 "--sessions-dir", str(sessions)]) == 0
    captured = capsys.readouterr()
    assert "training the demo model" in first.err + first.out
    assert "training the demo model" not in captured.err + captured.out
