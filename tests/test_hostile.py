"""Hostile candidate patches on a sample bug, under the fresh and the warm validator, in the bubblewrap sandbox.

Every row is a candidate method that tries one hostile act and then computes the right answer, so an act that
is not contained shows up as a ``plausible`` outcome or as a change on disk. Real javac, JUnit and bwrap. After
each row: the user's copy of the bug, a folder outside it and the user's current directory are byte-identical,
no process of the candidate is alive, the secret is in no outcome or feedback, and the outcome is the expected one.
"""

import dataclasses
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from agent.validation import sandbox as sb
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig
from agent.validation.warm import WarmValidator
from extractors.failures import render_feedback
from tests.conftest import tree_digest

pytestmark = pytest.mark.skipif(not sb.probe().ok, reason=f"bubblewrap unusable here: {sb.probe().reason}")

SECRET = "sk-hostile-test-0123456789"
FIXED = "return celsius * 9.0 / 5.0 + 32.0;"
MARK = f"{os.getpid()}{time.monotonic_ns() % 10**6}"
# (name, statements run before the right answer, expected outcome); {user}, {outside}, {port}, {marker} filled in
ROWS = [
    ("write-outside", 'java.nio.file.Files.write(java.nio.file.Paths.get("{outside}/pwned.txt"), "x".getBytes());',
     "test-failure"),
    ("delete-bug-files", 'java.nio.file.Files.delete(java.nio.file.Paths.get('
                         '"{user}/src/test/java/sample/TemperatureTest.java"));', "test-failure"),
    ("append-original-source", 'java.nio.file.Files.write(java.nio.file.Paths.get('
                               '"{user}/src/main/java/sample/Temperature.java"), "// pwned".getBytes(), '
                               'java.nio.file.StandardOpenOption.APPEND);', "test-failure"),
    ("read-api-key", 'String k = System.getenv("OPENAI_API_KEY"); '
                     'if (k != null) throw new IllegalStateException("leaked " + k);', "plausible"),
    ("socket-to-localhost", 'new java.net.Socket("127.0.0.1", {port}).getOutputStream().write(1);', "test-failure"),
    ("spawn-sleep", 'new ProcessBuilder("sleep", "1000.{marker}1").start();', "plausible"),
    ("spawn-sleep-then-hang", 'new ProcessBuilder("sleep", "1000.{marker}2").start(); '
                              'while (celsius == celsius) Thread.sleep(50);', "timeout"),
    ("allocate-until-oom", 'java.util.List<long[]> hog = new java.util.ArrayList<>(); '
                           'for (int i = 0; i < Integer.MAX_VALUE; i++) hog.add(new long[1 << 24]);', "test-failure"),
    ("relative-path-write", 'java.nio.file.Files.write(java.nio.file.Paths.get("pwned.txt"), "x".getBytes());',
     "plausible"),
]


def candidate(body: str) -> Candidate:
    return Candidate("public static double toFahrenheit(double celsius) {\n"
                     f"    try {{ {body} }} catch (Exception e) {{ throw new RuntimeException(e); }}\n"
                     f"    {FIXED}\n}}")


def alive(marker: str) -> list[str]:
    found = []
    for d in Path("/proc").iterdir():
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode() if d.name.isdigit() else ""
            if marker in cmd and "pytest" not in cmd and (d / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(cmd)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def world(sample_bugs, tmp_path_factory):
    """The user's copy of a sample bug (outside /tmp when possible, so it is visible read-only in the sandbox),
    a folder outside it, the user's current directory, a listening socket, and the secret in the environment."""
    base = Path(tempfile.mkdtemp(prefix="repairchat-hostile-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK)
                                 else str(tmp_path_factory.mktemp("hostile"))))
    bug = sample_bugs["WrongOperator-1"]
    user = base / "user"
    shutil.copytree(bug.root, user)
    (base / "outside").mkdir()
    (base / "cwd").mkdir()
    with socket.socket() as srv, pytest.MonkeyPatch.context() as mp:
        srv.bind(("127.0.0.1", 0))
        srv.listen(5)
        srv.setblocking(False)
        mp.setenv("OPENAI_API_KEY", SECRET)
        mp.chdir(base / "cwd")
        yield dataclasses.replace(bug, root=user), base, srv
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module", params=["fresh", "warm"])
def validator(request, world):
    config = ValidationConfig(test_timeout=2.0, sandbox="bwrap", heap="256m")
    v = FreshValidator(config) if request.param == "fresh" else WarmValidator(config)
    yield v
    getattr(v, "close", lambda: None)()


@pytest.mark.parametrize("name,body,expected", ROWS, ids=[r[0] for r in ROWS])
def test_hostile_candidate_is_contained(world, validator, name, body, expected):
    bug, base, srv = world
    before = {p: tree_digest(base / p) for p in ("user", "outside", "cwd")}
    text = body.format(user=bug.root, outside=base / "outside", port=srv.getsockname()[1], marker=MARK)
    started = time.monotonic()
    out = validator.validate(bug, candidate(text))
    assert out.kind == expected, (out.kind, out.detail[:300], render_feedback(out.failures)[:300])
    assert time.monotonic() - started < 60
    assert {p: tree_digest(base / p) for p in before} == before  # nothing outside the scratch copy changed
    with pytest.raises(BlockingIOError):
        srv.accept()  # nobody reached the socket
    deadline = time.monotonic() + 5
    while alive(MARK) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(MARK) == []
    shown = json.dumps(out.to_dict()) + render_feedback(out.failures)
    assert SECRET not in shown
    if name == "allocate-until-oom":
        assert "OutOfMemoryError" in shown
    if expected == "test-failure" and name != "allocate-until-oom":
        assert "RuntimeException" in shown  # the act raised inside the candidate


def test_secret_reaches_no_model_turn_or_transcript(world, scripted, sessions_dir):
    """A candidate that prints the key into its failure: the feedback turn and the transcript carry no secret."""
    from agent.loop import LoopConfig, RepairSession
    from sessions.transcript import Transcript

    bug, base, srv = world
    leak = ("public static double toFahrenheit(double celsius) {\n"
            '    throw new IllegalStateException("key=" + System.getenv("OPENAI_API_KEY"));\n}')
    fixed = f"public static double toFahrenheit(double celsius) {{\n    {FIXED}\n}}"
    model = scripted([[f"```java\n{leak}\n```"], [f"```java\n{fixed}\n```"]])
    validator = FreshValidator(ValidationConfig(sandbox="bwrap", heap="256m"))
    with Transcript.create(None, bug.to_dict(), "scripted", {}) as tr:
        attempts = RepairSession(bug, model, validator, LoopConfig(rounds=2, show_original_failure=False), tr).run()
    assert [a.outcome.kind for a in attempts] == ["test-failure", "plausible"]
    feedback = model.seen[1][-1]["content"]
    assert "key=null" in feedback and SECRET not in json.dumps(model.seen)
    assert SECRET not in tr.path.read_text()
