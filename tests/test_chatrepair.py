"""ChatRepair's budget (tries over restarted conversations), its plausible-patch phase (variants) and the
evidence columns, run deterministically with the replay backend (a transcript as the model) on real javac and
JUnit over a sample bug."""

import csv
import json

import pytest

from agent.cli import main
from agent.loop import Attempt, LoopConfig, RepairSession, continuation
from agent.models import load_model
from agent.validation.validate import FreshValidator, Outcome, ValidationConfig
from sessions import transcript
from sessions.transcript import Transcript

BUG = "OffByOne-1"


def fenced(code):
    return f"Sure.\n```java\n{code}\n```"


def replies(bug):
    """Hand-written replies for OffByOne-1, one of each outcome, and three plausible ones (two distinct)."""
    fix = bug.fixed_method
    return {
        "prose": "I am not sure what is wrong here.",
        "compile": fenced(fix.replace("total += a[i];", "total += a[i]")),
        "test": fenced(fix.replace("i <= to", "i < to - 1")),
        "timeout": fenced(fix.replace("i <= to; i++", "i <= to;")),
        "fix": fenced(fix),
        "fix-commented": fenced(fix.replace("total += a[i];", "total += a[i]; // the end is inclusive")),
        "other-fix": fenced(fix.replace("i <= to", "i < to + 1")),
    }


def script(tmp_path, bug, turns) -> str:
    """A transcript holding the model turns ``[(conversation, round, [reply names])]``: a replay model."""
    r = replies(bug)
    with Transcript.create(tmp_path / "scripts", bug.to_dict(), "hand-written") as tr:
        for conversation, rnd, names in turns:
            for i, name in enumerate(names):
                tr.log("reply", round=rnd, sample=i, raw=r[name], outcome={"kind": "scripted"},
                       conversation=conversation)
    return str(tr.path)


class Recorder:
    """Keeps the chats a model was sent (what the model saw), and asks the wrapped model."""

    def __init__(self, model):
        self.model, self.seen = model, []

    def complete(self, messages, n=1):
        self.seen.append([dict(m) for m in messages])
        return self.model.complete(messages, n)


def kinds(attempts):
    return [(a.conversation, a.round, a.outcome.kind) for a in attempts]


@pytest.fixture
def fast():
    return FreshValidator(ValidationConfig(test_timeout=1.0))


def test_most_informative_reply_continues_the_chat():
    def at(kind, i):
        return Attempt(1, i, kind, Outcome(kind))
    assert continuation([at("apply-failed", 0), at("extract-failed", 1)]).sample == 0  # equals: the first
    order = ["extract-failed", "compile-error", "timeout", "test-failure"]
    for k in range(1, len(order) + 1):
        turn = [at(kind, i) for i, kind in enumerate(order[:k])]
        assert continuation(turn).outcome.kind == order[k - 1]
        assert continuation(list(reversed(turn))).outcome.kind == order[k - 1]
    turn = [at("compile-error", 0), at("compile-error", 1), at("plausible", 2), at("test-failure", 3)]
    assert continuation(turn).sample == 2  # a plausible reply first
    assert continuation(turn[:2]).sample == 0  # the first of equals


def test_config_checks():
    with pytest.raises(ValueError, match="tries"):
        LoopConfig(tries=-1)
    with pytest.raises(ValueError, match="chat style"):
        LoopConfig(variants=2, style="fill")


def test_tries_restart_conversations_until_spent(sample_bugs, tmp_path, fast):
    bug = sample_bugs[BUG]
    spec = script(tmp_path, bug, [(1, 1, ["prose", "compile"]), (1, 2, ["prose", "test"]),
                                  (2, 1, ["timeout", "test"]), (2, 2, ["prose", "fix"])])
    model = Recorder(load_model(f"replay:{spec}"))
    config = LoopConfig(rounds=2, samples=2, tries=7, show_original_failure=False)
    with Transcript.create(tmp_path / "sessions", bug.to_dict(), "replay", {}) as tr:
        session = RepairSession(bug, model, fast, config, tr)
        attempts = session.run()
    # 7 tries: two turns of two, a restart, one turn of two and a last turn of the one try left
    assert kinds(attempts) == [(1, 1, "extract-failed"), (1, 1, "compile-error"), (1, 2, "extract-failed"),
                               (1, 2, "test-failure"), (2, 1, "timeout"), (2, 1, "test-failure"),
                               (2, 2, "extract-failed")]
    assert session.result == "exhausted" and [a.label for a in attempts][-1] == "c2r2s0"
    first, second, third, fourth = model.seen
    # the compile error beats the unparsable reply, the test failure beats the timeout
    assert "does not compile" in second[-1]["content"] and "';' expected" in second[-1]["content"]
    assert "still fails tests" in fourth[-1]["content"] and "testSumInclusive" in fourth[-1]["content"]
    # the restarted conversation starts from the same first prompt, without the first conversation's turns
    assert third == first and len(first) == 2
    assert len(fourth) == 4 and fourth[2]["content"] == replies(bug)["test"]
    events = transcript.read(tr.path)
    assert [e["conversation"] for e in events if e["type"] == "reply"] == [1, 1, 1, 1, 2, 2, 2]
    assert [e["conversation"] for e in events if e["type"] == "message"].count(2) == 5
    assert events[-1]["type"] == "end" and events[-1]["result"] == "exhausted"


def test_without_tries_one_conversation(sample_bugs, tmp_path, fast):
    bug = sample_bugs[BUG]
    spec = script(tmp_path, bug, [(1, 1, ["prose"]), (1, 2, ["prose"]), (2, 1, ["fix"])])
    session = RepairSession(bug, load_model(f"replay:{spec}"), fast,
                            LoopConfig(rounds=2, show_original_failure=False))
    assert kinds(session.run()) == [(1, 1, "extract-failed"), (1, 2, "extract-failed")]
    assert session.result == "exhausted"


def test_variants_phase_keeps_every_plausible_patch(sample_bugs, tmp_path, fast):
    bug = sample_bugs[BUG]
    spec = script(tmp_path, bug, [(1, 1, ["test"]), (1, 2, ["fix"]), (1, 3, ["fix-commented"]),
                                  (1, 4, ["other-fix"]), (1, 5, ["compile"]), (1, 6, ["prose"])])
    model = Recorder(load_model(f"replay:{spec}"))
    session = RepairSession(bug, model, fast, LoopConfig(rounds=3, variants=4, show_original_failure=False))
    attempts = session.run()
    assert [(a.round, a.phase, a.outcome.kind, a.same_as) for a in attempts] == [
        (1, "repair", "test-failure", ""), (2, "repair", "plausible", ""), (3, "variant", "plausible", "r2s0"),
        (4, "variant", "plausible", ""), (5, "variant", "compile-error", ""), (6, "variant", "extract-failed", "")]
    assert session.result == "plausible"
    assert [a.label for a in session.patches] == ["r2s0", "r4s0"]  # deduplicated by normalised form
    prompts = [seen[-1]["content"] for seen in model.seen[2:]]
    assert prompts[0].startswith("That fix passes all the tests.") and prompts[0].count("```java\n") == 1
    assert "i < to + 1" not in prompts[1] and prompts[2].count("```java\n") == 2 and "i < to + 1" in prompts[2]
    assert prompts[3].startswith("The fixed version does not compile") and prompts[3].count("```java\n") == 2
    assert "different fix" in prompts[3]


def test_run_and_report_with_tries_variants_and_evidence(sample_bugs, tmp_path, capsys):
    """The batch command end to end: results rows and CSV carry phase, duplicates and evidence; the summary
    counts plausible / AST match / exact; the report shows the distinct patches; a golden replay agrees."""
    bug = sample_bugs[BUG]
    spec = script(tmp_path, bug, [(1, 1, ["compile"]), (2, 1, ["other-fix"]), (2, 2, ["fix-commented"]),
                                  (2, 3, ["other-fix"])])
    out = tmp_path / "res.jsonl"
    sessions = tmp_path / "sessions"
    argv = ["run", "--ids", BUG, "--model", f"replay:{spec}", "--rounds", "1", "--tries", "3", "--variants", "2",
            "--no-show-original-failure", "--test-timeout", "1", "--out", str(out), "--sessions-dir", str(sessions)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    cands = [r for r in rows if not r.get("done")]
    assert [(r["candidate"], r["phase"], r["outcome"], r["same_as"], r.get("exact"), r.get("ast_match"))
            for r in cands] == [
        ("r1s0", "repair", "compile-error", "", None, None),
        ("c2r1s0", "repair", "plausible", "", False, False),
        ("c2r2s0", "variant", "plausible", "", False, True),
        ("c2r3s0", "variant", "plausible", "c2r1s0", False, False)]
    assert cands[1]["fix_distance"] == 4 and cands[2]["fix_distance"] == 0
    done = rows[-1]
    assert done["done"] and done["result"] == "plausible" and (done["patches"], done["ast_match"],
                                                                  done["exact"]) == (2, 1, 0)
    with open(out.with_suffix(".csv")) as fh:
        header = next(csv.reader(fh))
    assert {"conversation", "phase", "same_as", "exact", "ast_match", "fix_distance"} <= set(header)
    assert "AST" in printed and "exact" in printed
    # the report folds the duplicate into its first
    assert main(["report", str(out), "--sessions-dir", str(sessions)]) == 0
    md = (tmp_path / "res-report" / f"{BUG}.md").read_text()
    assert "## Patch 1: c2r1s0 (also produced by c2r3s0)" in md and "## Patch 2: c2r2s0" in md
    # golden replay: the recorded session through the loop again gives the same outcomes and prompts
    tr = next(sessions.glob("*.jsonl"))
    capsys.readouterr()
    assert main(["replay", str(tr), "--test-timeout", "1"]) == 0, capsys.readouterr().out
