"""Contain what a candidate patch can do: every javac and test JVM runs through a ``Sandbox``.

``Sandbox.wrap(argv, cwd=..., writable=..., readable=...)`` turns a command into a ``Command`` (argv, env, cwd)
for ``subprocess.Popen``:

- ``bwrap`` mode (Linux bubblewrap): the system read-only; a private, size-capped ``/tmp``; the user's home, ``/run``
  (agent and Docker sockets) and ``/tmp`` hidden behind empty tmpfs folders, with only the given ``readable``
  paths (and the command line's classpath entries) bound back read-only; only ``writable`` paths writable;
  no network (a fresh network namespace: its own loopback only); a new PID namespace whose init dies with bwrap
  (``--die-with-parent``), so killing bwrap, or the command ending, ends every process the candidate started;
  ``--new-session`` (no terminal injection); no capabilities, even when repairchat runs as root.
- both modes: an environment scrubbed to what Java needs (``KEEP_ENV``: PATH, JAVA_HOME, locale, TZ, ...; never
  API keys or tokens), HOME pointed into the scratch, a heap cap (``-Xmx`` for java, ``-J-Xmx`` for javac,
  ``JAVA_TOOL_OPTIONS`` for anything else) and a data-segment limit (``prlimit --data``: heap and native
  allocations together), so allocating until OOM ends in an ``OutOfMemoryError``, not gigabytes of swap.

``none`` mode applies only the environment scrub and the memory caps. ``auto`` (the default) uses bwrap when a
probe (run once per process, cached) shows it works, and otherwise says once, on stderr, that patches run
unconfined. The mode comes from ``ValidationConfig.sandbox`` (flag ``--sandbox``), whose default is the
environment variable ``REPAIRCHAT_SANDBOX``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from agent.errors import UserError

MODES = ("auto", "bwrap", "none")
ENV_VAR = "REPAIRCHAT_SANDBOX"
KEEP_ENV = ("PATH", "JAVA_HOME", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "D4J_HOME", "PERL5LIB")
KEEP_PREFIXES = ("LC_",)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
BWRAP_HINT = "install it with: apt-get install -y bubblewrap"
DEFAULT_HEAP_MB = 2048


def default_mode() -> str:
    """The sandbox mode from ``REPAIRCHAT_SANDBOX`` (``auto`` when unset)."""
    return os.environ.get(ENV_VAR, "").strip() or "auto"


def scrub_env(environ: Mapping[str, str] | None = None, *, home: str | None = None,
              extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the variables Java needs (``KEEP_ENV``, ``LC_*``), HOME set to ``home``, then ``extra`` on top."""
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if k in KEEP_ENV or k.startswith(KEEP_PREFIXES)}
    env.setdefault("PATH", DEFAULT_PATH)
    if home is not None:
        env["HOME"] = home
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Probe:
    ok: bool
    reason: str  # why bwrap cannot be used ("" when ok)


# --cap-drop ALL: run as root, bwrap would otherwise keep every capability, and the command could simply remount
# the read-only system writable
BWRAP_ISOLATION = ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                   "--new-session", "--cap-drop", "ALL")


@lru_cache(maxsize=1)
def probe() -> Probe:
    """Whether bubblewrap works here with every namespace repairchat asks for (checked once per process)."""
    bwrap, true = shutil.which("bwrap"), shutil.which("true") or "/bin/true"
    if bwrap is None:
        return Probe(False, f"bwrap not found on PATH; {BWRAP_HINT}")
    try:
        res = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                              *BWRAP_ISOLATION, "--", true], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return Probe(False, f"bwrap did not run: {e}")
    if res.returncode != 0:
        last = (res.stdout.decode("utf-8", "replace").strip().splitlines() or [f"exit {res.returncode}"])[-1]
        return Probe(False, f"bwrap failed: {last[:200]}")
    return Probe(True, "")


_warned = False
_warn_lock = threading.Lock()


def _warn_unconfined(reason: str) -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    print(f"repairchat: WARNING: candidate patches run unconfined (no sandbox): they can read and write your "
          f"files, use the network and leave processes behind. Reason: {reason}. Pass --sandbox none "
          f"(or {ENV_VAR}=none) to accept this without the warning.", file=sys.stderr, flush=True)


def resolve_mode(mode: str) -> str:
    """``bwrap`` or ``none`` for a configured mode; ``auto`` falls back to ``none`` with one warning, and ``bwrap``
    that cannot work is a one-line UserError."""
    if mode not in MODES:
        raise UserError(f"unknown sandbox mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "none":
        return "none"
    found = probe()
    if found.ok:
        return "bwrap"
    if mode == "bwrap":
        raise UserError(f"--sandbox bwrap: bubblewrap does not work here ({found.reason}); fix that or use "
                        f"--sandbox auto/none")
    _warn_unconfined(found.reason)
    return "none"


def _real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.fspath(path))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _outermost(paths: Iterable[str]) -> list[str]:
    """The paths without those inside another of them, parents first."""
    kept: list[str] = []
    for p in sorted(set(paths), key=lambda s: (s.count("/"), s)):
        if not any(_under(p, k) for k in kept):
            kept.append(p)
    return kept


PATH_OPTIONS = ("-cp", "-classpath", "--class-path", "-sourcepath", "--source-path", "-processorpath",
                "--processor-path", "-p", "--module-path")


def named_paths(argv: Iterable[str]) -> list[str]:
    """The existing paths a java/javac command line reads from: the entries of its classpath-like options and,
    for a ``java``/``javac`` executable, its whole JDK (resolved). Other arguments are not trusted as paths."""
    argv = list(argv)
    out = []
    for opt, value in zip(argv, argv[1:]):
        if opt in PATH_OPTIONS:
            out += [_real(p) for p in value.split(os.pathsep) if p.startswith("/") and os.path.exists(p)]
    if argv and os.path.basename(argv[0]) in ("java", "javac") and os.path.exists(argv[0]):
        out.append(str(Path(_real(argv[0])).parents[1]))
    return out


def heap_flags(argv: list[str], heap_mb: int) -> tuple[list[str], dict[str, str]]:
    """``argv`` with a heap cap: right after the program for java and javac (a later -Xmx in ``argv`` wins),
    else through ``JAVA_TOOL_OPTIONS`` for JVMs the program starts."""
    prog = os.path.basename(argv[0]) if argv else ""
    if prog == "java":
        return [argv[0], f"-Xmx{heap_mb}m", *argv[1:]], {}
    if prog == "javac":
        return [argv[0], f"-J-Xmx{heap_mb}m", *argv[1:]], {}
    return list(argv), {"JAVA_TOOL_OPTIONS": f"-Xmx{heap_mb}m"}


@dataclass(frozen=True)
class Command:
    """What to hand ``subprocess.Popen``: ``Popen(cmd.argv, env=cmd.env, cwd=cmd.cwd, start_new_session=True)``."""
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str


def _default_hidden() -> tuple[str, ...]:
    home = os.path.expanduser("~")
    return tuple(sorted(p for p in {home, "/root", "/run", "/var/run"} if p != "/"))


@dataclass(frozen=True)
class Sandbox:
    """How candidate code is run. ``Sandbox.create(mode)`` resolves ``auto`` (probing bwrap once)."""
    mode: str = "none"  # resolved: bwrap | none
    heap_mb: int = DEFAULT_HEAP_MB
    tmp_mb: int = 512  # size of the private /tmp (a tmpfs: memory)
    hidden: tuple[str, ...] = field(default_factory=_default_hidden)

    def __post_init__(self):
        if self.mode not in ("bwrap", "none"):
            raise ValueError(f"Sandbox mode must be resolved to bwrap or none, not {self.mode!r}")
        if self.heap_mb < 16 or self.tmp_mb < 1:
            raise ValueError("heap_mb must be at least 16 and tmp_mb at least 1")

    @staticmethod
    def create(mode: str = "auto", heap_mb: int = DEFAULT_HEAP_MB) -> "Sandbox":
        return Sandbox(resolve_mode(mode), heap_mb)

    @property
    def confined(self) -> bool:
        return self.mode == "bwrap"

    @property
    def data_mb(self) -> int:
        """The data-segment limit: heap plus as much again (at least 1 GB) for metaspace, code, threads, buffers."""
        return 2 * self.heap_mb + 1024

    def wrap(self, argv: Iterable[str], *, cwd: str | os.PathLike, writable: Iterable[str | os.PathLike] = (),
             readable: Iterable[str | os.PathLike] = (), env: Mapping[str, str] | None = None) -> Command:
        """``argv`` run in ``cwd`` with only ``writable`` writable. The environment is ``env`` (default: this
        process's) scrubbed to ``KEEP_ENV``: a caller can set JAVA_HOME or PATH, never pass a secret through."""
        argv = [os.fspath(a) for a in argv]
        cwd = _real(cwd)
        writable = _outermost(_real(w) for w in writable)
        home = writable[0] if writable else cwd
        argv, heap_env = heap_flags(argv, self.heap_mb)
        full_env = scrub_env(env, home=home, extra=heap_env)
        prefix = []
        prlimit = shutil.which("prlimit")
        if prlimit:
            limit = self.data_mb << 20
            prefix = [prlimit, f"--data={limit}:{limit}", "--core=0:0", "--"]
        if not self.confined:
            return Command(tuple(prefix + argv), full_env, cwd)
        return Command(tuple(prefix + self._bwrap(argv, cwd, writable, readable)), full_env, cwd)

    def _bwrap(self, argv: list[str], cwd: str, writable: list[str], readable: Iterable) -> list[str]:
        hidden = _outermost(_real(h) for h in self.hidden if os.path.isdir(h))
        masked = ["/tmp", *hidden]
        visible = [p for p in _outermost([*(_real(r) for r in readable), *named_paths(argv), cwd])
                   if any(_under(p, m) for m in masked) and not any(_under(p, w) for w in writable)
                   and os.path.exists(p)]
        out = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--size", str(self.tmp_mb << 20), "--tmpfs", "/tmp"]
        for h in hidden:
            if not _under(h, "/tmp"):
                out += ["--size", str(1 << 20), "--tmpfs", h]
        for p in visible:
            out += ["--ro-bind", p, p]
        for w in writable:
            out += ["--bind", w, w]
        return [*out, *BWRAP_ISOLATION, "--chdir", cwd, "--", *argv]


@lru_cache(maxsize=None)
def _sandbox_for(mode: str, heap_mb: int) -> Sandbox:
    return Sandbox.create(mode, heap_mb)


def default_sandbox(mode: str | None = None, heap_mb: int = DEFAULT_HEAP_MB) -> Sandbox:
    """The sandbox for ``mode`` (default: ``REPAIRCHAT_SANDBOX``, else auto), resolved once per process."""
    return _sandbox_for(mode or default_mode(), heap_mb)
