"""The sandbox itself: real bubblewrap and a real JVM running tests/data/sandbox/Hostile.java, one hostile act each."""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.validation import sandbox as sb
from agent.validation.javatools import java_env, run_process

HOSTILE = Path(__file__).parent / "data" / "sandbox" / "Hostile.java"
needs_bwrap = pytest.mark.skipif(not sb.probe().ok, reason=f"bubblewrap unusable here: {sb.probe().reason}")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The compiled Hostile class (outside every sandbox's writable area)."""
    out = tmp_path_factory.mktemp("hostile-classes")
    res = run_process([java_env().javac, "-nowarn", "-d", str(out), str(HOSTILE)], timeout=120, writable=(out,))
    assert res.returncode == 0, res.output
    return out


@pytest.fixture
def area(tmp_path):
    """A user's folder (bug sources), a scratch folder (the only writable one) and an outside folder."""
    user, scratch, outside = tmp_path / "user", tmp_path / "scratch", tmp_path / "outside"
    for d in (user, scratch, outside):
        d.mkdir()
    (user / "Buggy.java").write_text("class Buggy {}\n")
    return user, scratch, outside


def run(box: sb.Sandbox, hostile: Path, scratch: Path, *args: str, readable=(), timeout=60.0):
    return run_process([java_env().java, "-cp", str(hostile), "Hostile", *args], cwd=scratch, writable=(scratch,),
                       readable=tuple(readable), sandbox=box, timeout=timeout)


def sleepers(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker``."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in cmd and state != "Z" and "pytest" not in cmd:
                found.append(int(d.name))
    return found


def wait_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while sleepers(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sleepers(marker)


@needs_bwrap
def test_hostile_acts_are_contained(hostile, area, monkeypatch):
    user, scratch, outside = area
    box = sb.Sandbox("bwrap", heap_mb=128)
    before = (user / "Buggy.java").read_bytes()
    assert "BLOCKED write" in run(box, hostile, scratch, "write", str(outside / "x.txt")).output
    assert "BLOCKED append" in run(box, hostile, scratch, "append", str(user / "Buggy.java"),
                                   readable=[user]).output
    assert "BLOCKED delete" in run(box, hostile, scratch, "delete", str(user / "Buggy.java"),
                                   readable=[user]).output
    assert (user / "Buggy.java").read_bytes() == before and not (outside / "x.txt").exists()
    # inside the scratch, relative paths and the private /tmp work, and nothing of /tmp leaks out
    assert "DONE write" in run(box, hostile, scratch, "write", "rel.txt").output
    assert (scratch / "rel.txt").read_text() == "pwned\n"
    marker = f"/tmp/repairchat-sandbox-{os.getpid()}.txt"
    assert "DONE write" in run(box, hostile, scratch, "write", marker).output
    assert not os.path.exists(marker)


@needs_bwrap
def test_root_cannot_remount_the_system_writable(tmp_path):
    """Run as root, the command has no capabilities left: remounting / read-write fails, the write too."""
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK) else str(tmp_path)
    target = Path(base) / f"repairchat-remount-{os.getpid()}"
    res = run_process(["/bin/sh", "-c", f"mount -o remount,rw,bind / ; touch {target}; grep CapEff /proc/self/status"],
                      cwd=tmp_path, writable=(tmp_path,), sandbox=sb.Sandbox("bwrap"), timeout=30)
    try:
        assert not target.exists() and "CapEff:\t0000000000000000" in res.output, res.output
    finally:
        target.unlink(missing_ok=True)


@needs_bwrap
def test_folders_not_named_are_hidden(hostile, area):
    user, scratch, outside = area
    home = outside / "home"
    home.mkdir()
    (home / "credentials").write_text("aws-secret")
    box = sb.Sandbox("bwrap", heap_mb=128, hidden=(str(home),))
    res = run(box, hostile, scratch, "read", str(home / "credentials"))
    assert "BLOCKED read" in res.output and "aws-secret" not in res.output
    # /tmp is hidden too (pytest's tmp folders live there): a folder not named is not even readable
    assert "BLOCKED read" in run(box, hostile, scratch, "read", str(user / "Buggy.java")).output
    assert "CONTENT class Buggy" in run(box, hostile, scratch, "read", str(user / "Buggy.java"),
                                        readable=[user]).output


@pytest.mark.parametrize("mode", ["bwrap", "none"])
def test_environment_is_scrubbed(hostile, area, monkeypatch, mode):
    if mode == "bwrap" and not sb.probe().ok:
        pytest.skip("bubblewrap unusable here")
    user, scratch, outside = area
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-very-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    out = run(sb.Sandbox(mode, heap_mb=128), hostile, scratch, "env").output
    assert "ENV {" in out and "secret" not in out and "OPENAI" not in out
    assert "LC_ALL=C.UTF-8" in out and f"HOME={os.path.realpath(scratch)}" in out and "PATH=" in out


@needs_bwrap
def test_no_network_not_even_loopback(hostile, area):
    user, scratch, outside = area
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        res = run(sb.Sandbox("bwrap", heap_mb=128), hostile, scratch, "connect", str(srv.getsockname()[1]))
        srv.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing reached the listening socket
            srv.accept()
    assert "BLOCKED connect" in res.output and "Connection refused" in res.output


@needs_bwrap
def test_no_process_outlives_the_command(hostile, area):
    user, scratch, outside = area
    box = sb.Sandbox("bwrap", heap_mb=128)
    marker = f"1000.{os.getpid()}{time.monotonic_ns() % 100000}"
    res = run(box, hostile, scratch, "spawn", marker)
    assert "DONE spawn" in res.output
    assert wait_gone(marker) == []
    # and after a timeout: the JVM sleeps on, the process group is killed, the PID namespace goes with it
    marker2 = marker + "1"
    res = run(box, hostile, scratch, "spawn", marker2, "60000", timeout=2)
    assert res.timed_out
    assert wait_gone(marker2) == []


@pytest.mark.parametrize("act", ["oom", "native"])
def test_memory_is_capped(hostile, area, act):
    user, scratch, outside = area
    started = time.monotonic()
    res = run(sb.Sandbox("bwrap" if sb.probe().ok else "none", heap_mb=64), hostile, scratch, act, timeout=60)
    assert f"BLOCKED {act} java.lang.OutOfMemoryError" in res.output, res.output[-500:]
    assert time.monotonic() - started < 30


def test_ctrl_c_ends_every_process(hostile, area, tmp_path):
    """SIGINT to a Python process waiting in run_process: the command and its children end with it."""
    user, scratch, outside = area
    marker = f"1000.{os.getpid()}{time.monotonic_ns() % 100000}2"
    mode = "bwrap" if sb.probe().ok else "none"
    script = textwrap.dedent(f"""
        import sys
        from agent.validation import sandbox as sb
        from agent.validation.javatools import java_env, run_process
        print("started", flush=True)
        run_process([java_env().java, "-cp", {str(hostile)!r}, "Hostile", "spawn", {marker!r}, "60000"],
                    cwd={str(scratch)!r}, writable=({str(scratch)!r},), sandbox=sb.Sandbox({mode!r}, heap_mb=128),
                    timeout=120)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout.readline().strip() == b"started"
    deadline = time.monotonic() + 30
    while not sleepers(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sleepers(marker), "the hostile command never started its child"
    proc.send_signal(2)
    out = proc.communicate(timeout=30)[0].decode()
    assert "KeyboardInterrupt" in out
    assert wait_gone(marker) == []


def test_auto_without_bwrap_warns_once_and_runs_unconfined(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    monkeypatch.setattr(sb, "_warned", False)
    sb.probe.cache_clear()
    try:
        assert not sb.probe().ok and "bwrap not found" in sb.probe().reason
        assert sb.Sandbox.create("auto").mode == "none"
        assert sb.Sandbox.create("auto").mode == "none"
        err = capsys.readouterr().err
        assert err.count("run unconfined") == 1 and "apt-get install -y bubblewrap" in err
        with pytest.raises(UserError, match="bubblewrap does not work here"):
            sb.Sandbox.create("bwrap")
        assert sb.Sandbox.create("none").mode == "none" and capsys.readouterr().err == ""
    finally:
        sb.probe.cache_clear()


def test_bad_mode_is_a_user_error():
    with pytest.raises(UserError, match="unknown sandbox mode 'docker'"):
        sb.resolve_mode("docker")


def test_command_line_shape(tmp_path):
    """What bwrap is asked for: read-only system, binds in order, every namespace, heap flags placed right."""
    scratch = tmp_path / "s"
    scratch.mkdir()
    box = sb.Sandbox("bwrap", heap_mb=300, hidden=())
    cmd = box.wrap(["/usr/bin/javac", "-d", str(scratch / "out")], cwd=scratch, writable=[scratch, scratch / "out"])
    argv = list(cmd.argv)
    bw = argv.index(shutil.which("bwrap") or "bwrap")
    assert argv[bw + 1:bw + 4] == ["--ro-bind", "/", "/"]
    assert argv.count("--bind") == 1  # scratch/out lies inside scratch
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in argv
    tail = argv[argv.index("--") + 1:] if "prlimit" not in argv[0] else argv[argv.index("--", bw) + 1:]
    assert tail[:2] == ["/usr/bin/javac", "-J-Xmx300m"]
    plain = sb.Sandbox("none", heap_mb=300).wrap(["/bin/sh", "-c", "true"], cwd=scratch)
    assert plain.env["JAVA_TOOL_OPTIONS"] == "-Xmx300m" and "bwrap" not in " ".join(plain.argv)
