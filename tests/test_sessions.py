"""Saved sessions: list/show, replay through the loop (golden), --revalidate, and --continue with a live model,
on a transcript recorded by the real loop with real javac/JUnit."""

import json

import pytest

from agent.cli import main
from agent.loop import LoopConfig, RepairSession, config_dict
from agent.validation.validate import FreshValidator
from sessions import transcript
from sessions.transcript import Transcript


def fenced(code):
    return f"```java\n{code}\n```"


@pytest.fixture
def recorded(sample_bugs, scripted, sessions_dir):
    """A session that ran out of rounds: a compile error, then a wrong formula."""
    bug = sample_bugs["WrongOperator-1"]
    no_semicolon = bug.fixed_method.replace("32.0;", "32.0")
    wrong = bug.fixed_method.replace("+ 32.0", "* 32.0")
    config = LoopConfig(rounds=2, show_original_failure=False)
    with Transcript.create(None, bug.to_dict(), "scripted", config_dict(config)) as tr:
        attempts = RepairSession(bug, scripted([[fenced(no_semicolon)], [fenced(wrong)]]), FreshValidator(),
                                 config, tr).run()
    assert [a.outcome.kind for a in attempts] == ["compile-error", "test-failure"]
    return tr.path


def out_text(capsys):
    return " ".join(capsys.readouterr().out.split())


def test_list_show_replay_revalidate_continue(recorded, sample_bugs, sessions_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # tables unwrapped
    bug = sample_bugs["WrongOperator-1"]
    assert main(["sessions", "list"]) == 0
    text = out_text(capsys)
    assert recorded.name[:20] in text and "WrongOperator-1" in text and "exhausted" in text
    assert main(["sessions", "show", recorded.name]) == 0
    text = out_text(capsys)
    assert "reply r1s0: compile-error" in text and "reply r2s0: test-failure" in text
    assert "end: exhausted after 2 round(s)" in text and "does not compile" in text

    # golden: the recorded replies through the loop again give the same outcomes and the same chat
    assert main(["replay", str(recorded), "--validator", "warm"]) == 0
    assert "2 turn outcome(s) replayed, 0 differ; 0 chat message(s) differ" in out_text(capsys)
    assert main(["replay", str(recorded), "--revalidate", "--validator", "warm"]) == 0
    assert "2 recorded patches re-validated, 0 outcome(s) differ" in out_text(capsys)
    tampered = tmp_path / "tampered.jsonl"
    events = transcript.read(recorded)
    for e in events:
        if e["type"] == "reply" and e["round"] == 2:
            e["outcome"]["kind"] = "plausible"
    tampered.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert main(["replay", str(tampered), "--revalidate", "--validator", "warm"]) == 1
    text = out_text(capsys)
    assert "DIFFERS" in text and "1 outcome(s) differ" in text

    # --continue: a live model takes over at the last turn; the transcript is appended, not rewritten
    with Transcript.create(tmp_path, bug.to_dict(), "x", {}) as live:
        live.log("reply", round=1, sample=0, raw=fenced(bug.fixed_method), outcome={"kind": "plausible"})
    before = recorded.read_text()
    assert main(["replay", str(recorded), "--continue", "--model", f"replay:{live.path}", "--rounds", "2"]) == 0
    assert "1 new attempt(s), plausible patch found" in out_text(capsys)
    after = recorded.read_text()
    assert after.startswith(before)
    new = [json.loads(x) for x in after[len(before):].splitlines()]
    assert new[0]["type"] == "action" and new[0]["name"] == "continue"
    # the recording ended on the wrong reply as the assistant turn; continuing answers it with the real failure
    last = [e for e in events if e["type"] == "message"][-1]
    assert last["role"] == "assistant" and last["content"] == fenced(bug.fixed_method.replace("+ 32.0", "* 32.0"))
    assert (new[1]["type"], new[1]["role"]) == ("message", "user")
    assert "still fails tests" in new[1]["content"] and "testToFahrenheit" in new[1]["content"]
    reply = next(e for e in new if e["type"] == "reply")
    assert reply["round"] == 3 and reply["outcome"]["kind"] == "plausible"
    assert new[-1]["type"] == "end" and new[-1]["result"] == "plausible"
    assert main(["replay", str(recorded), "--continue", "--model", f"replay:{live.path}"]) == 0
    assert "already ended with a plausible patch" in out_text(capsys)
    # the continued transcript is itself a golden test of the whole conversation
    assert main(["replay", str(recorded), "--validator", "warm"]) == 0
    assert "3 turn outcome(s) replayed, 0 differ; 0 chat message(s) differ" in out_text(capsys)
    assert main(["sessions", "list"]) == 0
    assert "plausible" in out_text(capsys)


@pytest.mark.parametrize("argv, message", [
    (["replay", "{t}", "--model", "demo"], "--model is only used with --continue"),
    (["replay", "{t}", "--continue"], "--continue needs --model SPEC"),
    (["sessions", "show", "nope.jsonl"], "transcript"),
    (["sessions", "show"], "sessions show needs a transcript FILE"),
    (["replay", "{bad}"], "bad.jsonl:2: reply event needs str field 'raw'"),
])
def test_bad_replay_input_is_one_line(sample_bugs, tmp_path, capsys, argv, message):
    with Transcript.create(tmp_path, sample_bugs["OffByOne-1"].to_dict(), "x", {}) as tr:
        tr.log("reply", round=1, sample=0, raw="no idea", outcome={"kind": "extract-failed"})
    recorded = tr.path
    bad = tmp_path / "bad.jsonl"
    events = transcript.read(recorded)
    next(e for e in events if e["type"] == "reply").pop("raw")
    bad.write_text("".join(json.dumps(e) + "\n" for e in events))
    capsys.readouterr()
    assert main([a.format(t=recorded, bad=bad) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repairchat: error: ") and message in err and err.count("\n") == 1, err
