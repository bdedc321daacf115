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
    assert model.seen[2][-1]["content"].count("does not compile") == 1  # one header, not two
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


class Interrupting:
    """Answers from a script, then raises KeyboardInterrupt (Ctrl-C while the model is asked)."""

    def __init__(self, script):
        self.script, self.seen = list(script), []

    def complete(self, messages, n=1):
        self.seen.append([dict(m) for m in messages])
        if not self.script:
            raise KeyboardInterrupt
        return self.script.pop(0)[:n]


def test_which_reply_continues_the_chat_and_what_the_model_sees(sample_bugs, scripted, sessions_dir):
    from agent.history import rebuild
    from agent.loop import chat, open_transcript
    from agent.validation.validate import ValidationConfig

    bug = sample_bugs["WrongOperator-1"]
    wrong = bug.fixed_method.replace("+ 32.0", "* 32.0")
    huge = "x" * 200_000 + "\n" + fenced(wrong)  # a runaway reply: only its code goes back to the model
    model = scripted([["no code here", huge], [fenced(bug.fixed_method)], ["It computes Fahrenheit."]])
    config = LoopConfig(rounds=5, samples=2, show_original_failure=False)
    with open_transcript(None, bug, "scripted", config, ValidationConfig(test_timeout=7.0)) as tr:
        session = RepairSession(bug, model, FreshValidator(), config, tr)
        session.run()
        # the plausible reply is the assistant turn, so a follow-up question alternates user/assistant
        assert session.result == "plausible" and session.messages[-1]["role"] == "assistant"
        session.say("Why was it wrong?")
        session.config.rounds += 1
        session.step()
    # round 1: the second reply (the only one with code) continues the chat, bounded to its code
    assert model.seen[1][-2] == {"role": "assistant", "content": "```java\n" + wrong + "\n```"}
    assert "still fails tests" in model.seen[1][-1]["content"]
    assert [m["role"] for m in model.seen[2]] == ["system", "user", "assistant", "user", "assistant", "user"]
    # extraction's internal reason codes never reach the model
    assert not any(code in m["content"] for m in model.seen[1] for code in ("prose", "no-match", "fenced-java"))
    events = transcript.read(tr.path)
    start = events[0]
    assert start["loop"]["samples"] == 2 and start["validation"]["test_timeout"] == 7.0
    assert "javac" in start["versions"]["java"] and start["versions"]["repairchat"]
    state, _ = rebuild(events)
    assert state.messages == session.messages and state.round == 3 and "+ 32.0" in state.code
    # consecutive user messages (feedback + the user's own words) reach the model as one turn
    assert chat([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]) == [
        {"role": "user", "content": "a\n\nb"}]


def test_interrupted_turn_uses_nothing_and_budgets_end_the_loop(sample_bugs, sessions_dir):
    import pytest

    from agent.history import rebuild

    bug = sample_bugs["OffByOne-1"]
    model = Interrupting([["no idea"]])
    config = LoopConfig(rounds=5, show_original_failure=False)
    with Transcript.create(None, bug.to_dict(), "scripted", {}) as tr:
        session = RepairSession(bug, model, FreshValidator(), config, tr)
        with pytest.raises(KeyboardInterrupt):
            session.run()
    assert session.round == 1 and len(session.attempts) == 1 and session.result == "interrupted"
    rebuilt = rebuild(transcript.read(tr.path))[0]
    assert (rebuilt.messages, rebuilt.round, rebuilt.code) == (session.messages, 1, None)
    assert [(a.round, a.reply, a.outcome.kind) for a in rebuilt.attempts] == [(1, "no idea", "extract-failed")]

    # budgets live in the loop: the tries end a session ("exhausted": the last turn asks only for the tries
    # left), the seconds too (result "budget")
    tries = RepairSession(bug, Interrupting([["a", "b"], ["c"]]), FreshValidator(),
                          LoopConfig(rounds=5, samples=2, tries=1, show_original_failure=False))
    tries.run()
    assert tries.result == "exhausted" and len(tries.attempts) == 1
    slow = RepairSession(bug, Interrupting([]), FreshValidator(), LoopConfig(bug_seconds=0.001))
    slow.run()  # the buggy method's validation alone spends the budget: the model is never asked
    assert slow.result == "budget" and slow.attempts == []
