"""The REPL on a real sample bug with real javac/JUnit: commands driven directly with a scripted model, the real
prompt_toolkit session driven through a pipe, and `repairchat repl` as a subprocess with piped commands."""

import io
import os
import subprocess
import sys
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from agent.history import rebuild
from agent.loop import LoopConfig
from agent.ui.repl import Commands, ReplIO, completer, loop, prompt_session
from agent.validation.warm import WarmValidator
from sessions import transcript
from sessions.transcript import Transcript

ROOT = Path(__file__).resolve().parents[1]


def fenced(code):
    return f"Try this:\n```java\n{code}\n```"


def make(bug, model, tmp_path):
    out = io.StringIO()
    tr = Transcript.create(tmp_path / "sessions", bug.to_dict(), "scripted", {})
    validator = WarmValidator()  # a real compile-and-test server (the fast path; FreshValidator is the reference)
    cmds = Commands(bug, model, "scripted", validator, ReplIO(Console(file=out, width=150), tr),
                    LoopConfig(rounds=1000), tr)
    return cmds, tr, out


def actions(tr):
    return [e["name"] for e in transcript.read(tr.path) if e["type"] == "action"]


def test_commands_undo_redo_apply_and_transcript(sample_bugs, scripted, tmp_path, capsys):
    bug = sample_bugs["WrongOperator-1"]
    wrong = bug.fixed_method.replace("+ 32.0", "* 32.0")
    model = scripted([[fenced(wrong)], [fenced(bug.fixed_method)]])
    cmds, tr, out = make(bug, model, tmp_path)
    source_before = bug.source_file.read_bytes()
    cmds.start()

    cmds.handle("/feedback")  # what the first /run sends: the buggy method and its real failure
    assert "toFahrenheit" in out.getvalue() and "boiling" in out.getvalue()
    cmds.handle("/run")
    assert cmds.outcome.kind == "test-failure" and "* 32.0" in cmds.code
    after_run = (list(cmds.session.messages), cmds.code, cmds.session.round)
    assert [m["role"] for m in after_run[0]] == ["system", "user", "assistant", "user"]
    assert "still fails tests" in after_run[0][-1]["content"]
    cmds.handle("/diff")
    assert "-        return celsius * 9.0 / 5.0 - 32.0;" in out.getvalue()
    assert "+        return celsius * 9.0 / 5.0 * 32.0;" in out.getvalue()

    # /apply FILE with the fixed method (inside a whole class, as a user would keep it): /test is plausible
    user_file = tmp_path / "MyFix.java"
    user_file.write_text("class Scratch {\n    // my fix\n    " + bug.fixed_method.replace("\n", "\n    ")
                         + "\n}\n")
    user_before = user_file.read_bytes()
    cmds.handle(f"/apply {user_file}")
    cmds.handle("/test")
    assert cmds.outcome.kind == "plausible"
    assert user_file.read_bytes() == user_before and bug.source_file.read_bytes() == source_before
    cmds.handle("/feedback")  # the applied code (and that it passes) will go to the model with the next /run
    assert "I changed the method to" in out.getvalue() and "It passes all tests." in out.getvalue()

    # /undo twice rewinds code and chat to the start; /redo twice brings back the turn and the applied code
    cmds.handle("/undo")
    assert (list(cmds.session.messages), cmds.code, cmds.session.round) == after_run
    cmds.handle("/undo")
    assert cmds.code is None and cmds.session.round == 0 and len(cmds.session.messages) == 2
    assert cmds.diff_text() == ""
    cmds.handle("/redo")
    assert (list(cmds.session.messages), cmds.code, cmds.session.round) == after_run
    cmds.handle("/redo")
    assert "+ 32.0" in cmds.code and cmds.outcome.kind == "plausible"  # as it was when /undo rewound it
    cmds.handle("/redo")  # nothing left: a one-line error, logged
    assert "nothing to redo" in out.getvalue()

    cmds.handle("/run")  # sends the applied code; the model answers the fix
    assert "I changed the method to" in model.seen[-1][-1]["content"]
    assert cmds.outcome.kind == "plausible"
    patch = tmp_path / "fix.patch"
    cmds.handle(f"/save {patch}")
    text = patch.read_text()
    assert text.startswith(f"--- a/{bug.location.file}") and "+        return celsius * 9.0 / 5.0 + 32.0;" in text
    cmds.handle("/model")
    cmds.handle("/frobnicate")
    cmds.handle("/apply")
    cmds.handle("/help")
    cmds.handle("/quit")
    assert cmds.done
    cmds.end()
    tr.close()
    cmds.session.validator.close()
    assert bug.source_file.read_bytes() == source_before

    # every action is in the transcript, errors included, and the transcript alone rebuilds the final state
    assert actions(tr) == ["feedback", "run", "diff", "apply", "test", "feedback", "undo", "undo", "redo", "redo",
                           "error", "run", "save", "model", "error", "error", "help", "quit"]
    events = transcript.read(tr.path)
    assert [e["message"] for e in events if e.get("name") == "error"] == [
        "nothing to redo", "unknown command /frobnicate; /help lists the commands", "/apply needs FILE or 'paste'"]
    state, _ = rebuild(events)
    assert state.messages == cmds.session.messages and state.code == cmds.code and state.round == 2
    assert events[-1]["type"] == "end" and events[-1]["result"] == "plausible"

    # the transcript is a golden test of the REPL session: its commands rerun with the recorded replies
    from agent.cli import main
    assert main(["replay", str(tr.path), "--validator", "warm"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "2 turn outcome(s) replayed, 0 differ; 0 chat message(s) differ" in text
    # sessions show ends with the fix
    assert main(["sessions", "show", str(tr.path)]) == 0
    text = capsys.readouterr().out
    assert "final code (plausible)" in text and "return celsius * 9.0 / 5.0 + 32.0;" in text


def test_test_command_shows_the_feedback_the_model_gets(sample_bugs, scripted, tmp_path):
    """/test renders failures against the bug (as every prompt style does): the failing test's own assertion, and a
    compile error in the method as a line of the method rather than of the file."""
    from agent.loop import feedback_message
    bug = sample_bugs["WrongOperator-1"]
    cmds, tr, out = make(bug, scripted([]), tmp_path)
    cmds.start()
    try:
        cmds.handle("/test")  # the buggy method: two failing tests
        shown = " ".join(out.getvalue().split())
        assert ('at sample.TemperatureTest.testToFahrenheit(TemperatureTest.java:10): assertEquals("boiling point", '
                '212.0, Temperature.toFahrenheit(100.0), 1e-9);') in shown
        sent = feedback_message(cmds.outcome, cmds.config.feedback_chars, bug=bug)["content"]
        assert cmds.failure_text(cmds.outcome) in sent  # the very text the next model turn carries
        bad = tmp_path / "Bad.java"
        bad.write_text(bug.fixed_method.replace("+ 32.0;", "+ 32.0 + offset;"))  # line 2 of the method, 8 of the file
        cmds.handle(f"/apply {bad}")
        cmds.handle("/test")
        assert cmds.outcome.kind == "compile-error"
        shown = " ".join(out.getvalue().split())
        assert "The code does not compile: line 2 of the method: cannot find symbol" in shown
        assert "Temperature.java line 8" not in shown
    finally:
        cmds.end()
        tr.close()
        cmds.session.validator.close()


def test_prompt_toolkit_session_through_a_pipe(sample_bugs, scripted, tmp_path):
    bug = sample_bugs["OffByOne-1"]
    model = scripted([[fenced(bug.fixed_method)]])
    cmds, tr, out = make(bug, model, tmp_path)
    assert [c.text for c in completer(cmds.commands()).get_completions(Document("/un"), CompleteEvent())] == [
        "/undo"]
    assert [c.text for c in completer(cmds.commands()).get_completions(Document("/re"), CompleteEvent())] == [
        "/redo"]
    assert {"/run", "/test", "/diff", "/apply", "/feedback", "/undo", "/redo", "/model", "/save", "/quit"} <= {
        c.text for c in completer(cmds.commands()).get_completions(Document("/"), CompleteEvent())}
    history = tmp_path / "history"
    with create_pipe_input() as pipe:
        # a two-line message (Esc-Enter inserts the newline), a prefix command, undo/redo, quit
        pipe.send_text("/diff\rthe loop bound looks wrong,\x1b\rit should include `to`\r/te\r/undo\r/redo\r")
        # /apply paste: Enter inserts newlines, Esc-Enter submits; then the main prompt is single-line again
        pipe.send_text("/apply paste\r" + bug.fixed_method.replace("\n", "\r") + "\x1b\r/test\r/quit\r")
        loop(cmds, prompt_session(cmds.commands(), history, input=pipe, output=DummyOutput()))
    tr.close()
    cmds.session.validator.close()
    # the user's message joins the first prompt in one user turn (the model sees system, user)
    assert [m["role"] for m in model.seen[0]] == ["system", "user"]
    assert model.seen[0][-1]["content"].endswith("fixed method.\n\nthe loop bound looks wrong,\nit should include `to`")
    assert actions(tr) == ["diff", "say", "test", "undo", "redo", "apply", "test", "quit"]
    assert cmds.outcome.kind == "plausible" and "i <= to" in cmds.code
    assert "/diff" in history.read_text() and "plausible" in out.getvalue()


def test_repl_command_with_piped_input(sample_bugs, tmp_path):
    """`repairchat repl` end to end (stdin not a terminal: lines are read plainly); the user's file untouched."""
    bug = sample_bugs["NullCheck-1"]
    fix = tmp_path / "fix.java"
    fix.write_text(bug.fixed_method)
    before = bug.source_file.read_bytes()
    res = subprocess.run([sys.executable, "-m", "agent.cli", "repl", bug.id, "--model", "replay:/none.jsonl"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 2 and res.stderr.startswith("repairchat: error: transcript /none.jsonl not found")
    sessions = tmp_path / "s"
    with Transcript.create(tmp_path, bug.to_dict(), "x", {}) as recorded:  # a model that is never asked here
        recorded.log("reply", round=1, sample=0, raw="no idea", outcome={"kind": "extract-failed"})
    res = subprocess.run([sys.executable, "-m", "agent.cli", "repl", bug.id, "--model", f"replay:{recorded.path}",
                          "--sessions-dir", str(sessions), "--validator", "warm"], input=f"/apply paste\n{bug.fixed_method}\n.\n/test\n/save /proc/nowhere/x.patch\n/save out.patch\n/nonsense\n", text=True,
                         capture_output=True, cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr
    assert "plausible" in res.stdout and "unknown command /nonsense" in res.stdout and "Traceback" not in res.stderr
    assert (tmp_path / "out.patch").read_text().startswith(f"--- a/{bug.location.file}")
    assert bug.source_file.read_bytes() == before
    [path] = sessions.glob("*.jsonl")
    # the pasted lines (up to '.') were one method, not messages to the model; /save to a bad place is one line
    assert [e["name"] for e in transcript.read(path) if e["type"] == "action"] == [
        "apply", "test", "error", "save", "error"]
    assert "/save: cannot write /proc/nowhere/x.patch" in " ".join(res.stdout.split())


def test_failure_text_is_shown_literally_and_partial_events_are_one_line(sample_bugs, scripted, tmp_path, capsys):
    """Brackets in failure messages (``S[atur]day``, ``a[i]``) are not rich markup; damaged events are one line."""
    import json

    from agent.cli import main
    from agent.validation.validate import Outcome
    from extractors.failures import TestFailure
    bug = sample_bugs["OffByOne-1"]
    cmds, tr, out = make(bug, scripted([]), tmp_path)
    failure = TestFailure("sample.DayTest::testName", "java.lang.AssertionError", "expected:<S[atur]day> but was:<a[i]>")
    cmds.io.outcomes("round 1", [("r1s0", Outcome("test-failure", (failure,)))])
    cmds.io.info("a[i] and [bold]S[atur]day[/bold]")
    cmds.io.error("no method [x] found")
    cmds.session.validator.close()
    text = out.getvalue()
    assert "S[atur]day" in text and "a[i]" in text and "[bold]S[atur]day[/bold]" in text and "[x]" in text
    tr.close()
    lines = tr.path.read_text().splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join(lines + [json.dumps({"v": 2, "type": "reply", "round": 1, "sample": 0, "raw": "x",
                                                     "outcome": {"kind": "test-failure", "failures": [{}]}})]))
    capsys.readouterr()
    assert main(["sessions", "show", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repairchat: error: ") and "outcome is damaged" in err and err.count("\n") == 1
