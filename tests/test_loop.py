"""The loop end to end on real javac/JUnit: feedback turns, transcripts, and replay as a golden test."""

import json

from agent.loop import LoopConfig, RepairSession
from agent.models.replay import ReplayModel
from agent.validation.validate import FreshValidator
from sessions import transcript
from sessions.transcript import Transcript


def fenced(code):
    return f"Here is the fix.\n```java\n{code}\n```"


def test_feedback_turns_until_plausible(sample_bugs, scripted, sessions_dir):
    bug = sample_bugs["WrongOperator-1"]
    wrong_op = bug.fixed_method.replace("+ 32.0", "* 32.0")
    no_semicolon = bug.fixed_method.replace("32.0;", "32.0")
    model = scripted([["I think the bug is in the formula."], [fenced(no_semicolon)], [fenced(wrong_op)],
                      [fenced(bug.fixed_method)]])
    with Transcript.create(None, bug.to_dict(), "scripted", {}) as tr:
        attempts = RepairSession(bug, model, FreshValidator(), LoopConfig(rounds=5), tr).run()
    assert [a.outcome.kind for a in attempts] == ["extract-failed", "compile-error", "test-failure", "plausible"]
    # the first prompt carries the original failure; each later one the parsed failure of the previous reply
    first_user = model.seen[0][1]["content"]
    assert "toFahrenheit" in first_user and "boiling point" in first_user and "```java" in first_user
    assert "could not find a Java method" in model.seen[1][-1]["content"]
    assert "does not compile" in model.seen[2][-1]["content"] and "';' expected" in model.seen[2][-1]["content"]
    fb = model.seen[3][-1]["content"]
    assert "still fails tests" in fb and "testToFahrenheit" in fb and "212.0" in fb
    assert len(fb) < 1500
    events = transcript.read(tr.path)
    assert [e["type"] for e in events].count("reply") == 4
    assert events[-1] == {**events[-1], "type": "end", "result": "plausible", "rounds": 4}
    assert all(e["v"] == transcript.SCHEMA_VERSION for e in events)
    reply = [e for e in events if e["type"] == "reply"][1]
    assert reply["outcome"]["kind"] == "compile-error" and reply["outcome"]["failures"][0]["line"] > 0
    assert reply["raw"] == fenced(no_semicolon) and "timings" in reply

    # golden test: the transcript replayed through the loop gives the same outcomes and the same prompts
    replayed = RepairSession(bug, ReplayModel(events), FreshValidator(), LoopConfig(rounds=5)).run()
    assert [a.outcome.kind for a in replayed] == [a.outcome.kind for a in attempts]


def test_budget_ends_the_loop(sample_bugs, scripted, sessions_dir):
    bug = sample_bugs["OffByOne-1"]
    model = scripted([["no idea", "still no idea"], ["nothing"]])
    with Transcript.create(None, bug.to_dict(), "scripted", {"rounds": 2}) as tr:
        attempts = RepairSession(bug, model, FreshValidator(), LoopConfig(rounds=2, samples=2,
                                                                          show_original_failure=False), tr).run()
    assert [(a.round, a.sample) for a in attempts] == [(1, 0), (1, 1), (2, 0)]
    assert all(a.outcome.kind == "extract-failed" for a in attempts)
    end = json.loads(tr.path.read_text().splitlines()[-1])
    assert end["result"] == "exhausted" and end["rounds"] == 2


def test_fill_style_prompt_and_chunk_reply(sample_bugs, scripted):
    bug = sample_bugs["OffByOne-1"]
    model = scripted([[bug.fixed_chunk.strip() + "<|endoftext|>"]])
    attempts = RepairSession(bug, model, FreshValidator(), LoopConfig(rounds=1, style="fill")).run()
    prompt = model.seen[0][-1]["content"]
    assert "<FILL_ME>" in prompt and "// for (int i = from; i < to; i++) {" in prompt
    assert attempts[0].outcome.kind == "plausible"
