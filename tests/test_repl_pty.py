"""`repairchat repl` in a real pseudo-terminal (pexpect): what a person types and presses, with real javac/JUnit.

Covers: a bracketed paste of a two-line message at the main prompt, ``/apply paste`` ended with Esc-Enter, Ctrl-C
while /test runs an endless loop (the JVM is killed, the prompt comes back single-line), Ctrl-C during /run's
validation (the round is not used up), and Ctrl-D to quit."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions import transcript
from sessions.transcript import Transcript

pexpect = pytest.importorskip("pexpect")
ROOT = Path(__file__).resolve().parents[1]
ENDLESS = "public static int sum(int[] a, int from, int to) {\n    while (true) {\n    }\n}"


def jvms_under(folder: Path) -> list[str]:
    """Processes whose command line names ``folder`` (the JVMs that run tests in its scratch copies)."""
    out = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, timeout=30).stdout
    return [line for line in out.splitlines() if str(folder) in line and "java" in line]


def test_repl_in_a_pseudo_terminal(sample_bugs, tmp_path):
    bug = sample_bugs["OffByOne-1"]
    with Transcript.create(tmp_path, bug.to_dict(), "x", {}) as rec:  # the model's replies, in order
        rec.log("reply", round=1, sample=0, raw=f"```java\n{ENDLESS}\n```", outcome={"kind": "timeout"})
        rec.log("reply", round=2, sample=0, raw=f"```java\n{bug.fixed_method}\n```", outcome={"kind": "plausible"})
    scratch, sessions = tmp_path / "scratch", tmp_path / "sessions"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPAIRCHAT_SCRATCH": str(scratch), "TERM": "xterm",
           "COLUMNS": "120", "LINES": "40"}
    child = pexpect.spawn(sys.executable, ["-m", "agent.cli", "repl", bug.id, "--model", f"replay:{rec.path}",
                                           "--sessions-dir", str(sessions), "--history", str(tmp_path / "hist")],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=90, dimensions=(40, 120))
    child.logfile_read = open(tmp_path / "pty.log", "w", buffering=1)
    prompt = f"{bug.id}>"  # (prompt_toolkit puts an attribute reset before the space)

    def type_(keys: str) -> None:
        time.sleep(0.3)  # as a person would: the prompt is listening by then
        child.send(keys)
    try:
        child.expect_exact(prompt)
        # /apply paste: Enter inserts newlines, Esc-Enter submits
        type_("/apply paste\r")
        child.expect_exact("Esc-Enter")
        type_(ENDLESS.replace("\n", "\r") + "\x1b\r")
        child.expect_exact("applied 4 line(s)")
        child.expect_exact(prompt)
        # Ctrl-C while /test runs the endless loop: the command stops, its JVM is killed
        type_("/test\r")
        deadline = time.monotonic() + 60
        while not jvms_under(scratch):
            assert time.monotonic() < deadline, (tmp_path / "pty.log").read_text()[-3000:]
            time.sleep(0.1)
        child.sendintr()
        child.expect_exact("interrupted")
        child.expect_exact(prompt)
        deadline = time.monotonic() + 10
        while jvms_under(scratch):
            assert time.monotonic() < deadline, jvms_under(scratch)
            time.sleep(0.1)
        # after Ctrl-C the prompt is single-line: Enter runs the command at once
        type_("/diff\r")
        child.expect_exact("while (true)")
        child.expect_exact(prompt)
        # a bracketed paste of two lines at the main prompt is one message; /run's validation is interrupted
        type_("\x1b[200~the loop never ends,\nplease fix it\x1b[201~\r")
        deadline = time.monotonic() + 60
        while not jvms_under(scratch):
            assert time.monotonic() < deadline, "the reply's validation never started"
            time.sleep(0.1)
        child.sendintr()
        child.expect_exact("the round is not used up")
        child.expect_exact(prompt)
        type_("/run\r")  # the next turn is round 1 again (the recorded round 2 reply: the fix)
        child.expect_exact("plausible patch")
        child.expect_exact(prompt)
        child.sendeof()  # Ctrl-D
        child.expect_exact("transcript: ")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    [path] = sessions.glob("*.jsonl")
    events = transcript.read(path)
    actions = [(e["name"], e.get("rolled_back")) for e in events if e["type"] == "action"]
    # the interrupted /test logged no outcome; the interrupted message turn was rolled back (no round used)
    assert actions == [("apply", None), ("interrupted", False), ("diff", None), ("say", None), ("interrupted", True),
                       ("run", None)]
    said = [e for e in events if e["type"] == "message" and "the loop never ends,\nplease fix it" in e["content"]]
    assert len(said) == 1
    replies = [e for e in events if e["type"] == "reply"]
    assert [(e["round"], e["outcome"]["kind"]) for e in replies] == [(1, "plausible")]
    assert events[-1]["type"] == "end" and events[-1]["result"] == "plausible"
    assert list(scratch.iterdir()) == []
