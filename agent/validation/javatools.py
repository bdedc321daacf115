"""Java tooling: locate javac/java and JUnit 4, run subprocesses safely, build the shipped Java helpers.

Every javac/java subprocess of validation starts here, in one of two functions: ``run_process`` (run to the end
with a timeout: javac, test JVMs, helper builds) and ``start_process`` (a long-lived process spoken to over
pipes: the warm server). Both take the argument list, the working directory, the environment and the folders
the process may write (``writable``), and both build the final command with ``wrap_command`` (the one place a
sandbox goes). Every process runs in its own process group; on timeout the whole group is killed (a patched
method may fork or spin forever).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import UserError

if TYPE_CHECKING:
    from agent.validation.sandbox import Command, Sandbox

JUNIT_JARS = ("/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar")
INSTALL_HINT = "install it with: apt-get install -y openjdk-17-jdk-headless junit4 libhamcrest-java"
# the JUnit Platform launcher and the Jupiter engine (Debian's junit5 and its dependencies): added to a project's
# test classpath only when it has JUnit 5 (Jupiter) tests
JUPITER_JARS = tuple(f"/usr/share/java/{n}.jar" for n in (
    "junit-jupiter-api", "junit-jupiter-engine", "junit-jupiter-params", "junit-platform-commons",
    "junit-platform-engine", "junit-platform-launcher", "opentest4j", "apiguardian-api"))
JUPITER_HINT = "install it with: apt-get install -y junit5 (or set REPAIRCHAT_JUPITER_CP)"


@dataclass(frozen=True)
class ProcResult:
    returncode: int
    output: str  # stdout and stderr interleaved
    seconds: float
    timed_out: bool = False


@dataclass(frozen=True)
class JavaEnv:
    javac: str  # this JDK's javac, or the default one when the home is a runtime only (see ``release``)
    java: str
    junit_classpath: tuple[str, ...]
    version: int = 17  # the runtime's feature version (11, 17, 21, ...)
    home: str | None = None
    jupiter_classpath: tuple[str, ...] = ()  # the JUnit Platform + Jupiter jars; () when they are not installed

    @property
    def release(self) -> list[str]:
        """javac options that make classes this runtime loads (``--release N`` when javac is newer)."""
        return ["--release", str(self.version)] if self.version < javac_version(self.javac) else []

    @property
    def security_manager_flags(self) -> list[str]:
        """The flag a JVM needs to let a program install a security manager (Java 12-23); 11 needs none and
        24+ cannot have one."""
        return ["-Djava.security.manager=allow"] if 12 <= self.version < 24 else []


def cache_dir() -> Path:
    """Where repairchat keeps built helpers and trained demo models (``REPAIRCHAT_CACHE`` overrides)."""
    root = os.environ.get("REPAIRCHAT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "repairchat")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


VERSION = re.compile(r'version "(?:1\.)?(\d+)')


@lru_cache(maxsize=16)
def _version(tool: str) -> int:
    """The feature version of ``java`` or ``javac`` (``-version``'s "17.0.9" / "1.8.0" / "javac 17.0.9")."""
    res = run_process([tool, "-version"], timeout=60)
    m = VERSION.search(res.output) or re.search(r"javac (?:1\.)?(\d+)", res.output)
    if res.returncode != 0 or not m:
        raise UserError(f"{tool} -version failed: {res.output.strip()[:200]}; check java_home / JAVA_HOME")
    return int(m.group(1))


def javac_version(javac: str) -> int:
    return _version(javac)


@lru_cache(maxsize=16)
def has_compiler(java: str) -> bool:
    """Whether this Java runtime holds javac's module (jdk.compiler), which the warm server runs in-process."""
    res = run_process([java, "--list-modules"], timeout=60)
    return res.returncode == 0 and "jdk.compiler@" in res.output


@lru_cache(maxsize=8)
def java_env(java_home: str | None = None) -> JavaEnv:
    """Find javac, java and the JUnit 4 jars, or raise a one-line UserError saying how to install them.

    ``java_home`` (a bug's setting) picks that JDK's ``bin/java`` and ``bin/javac``; a home with a runtime only
    (no javac) compiles with the default javac and ``--release`` of that runtime. Without it, ``JAVA_HOME`` and
    then PATH decide."""
    if java_home is not None:
        bin_dir = os.path.join(java_home, "bin")
        java = shutil.which("java", path=bin_dir)
        if not java:
            raise UserError(f"java_home {java_home} has no bin/java; give a JDK's home folder")
        javac = shutil.which("javac", path=bin_dir) or java_env().javac
    else:
        home = os.environ.get("JAVA_HOME")

        def tool(name: str) -> str:
            found = (home and shutil.which(name, path=os.path.join(home, "bin"))) or shutil.which(name)
            if not found:
                raise UserError(f"{name} not found on PATH (Java 17 JDK needed); {INSTALL_HINT}")
            return found
        javac, java = tool("javac"), tool("java")
    env_cp = os.environ.get("REPAIRCHAT_JUNIT_CP")
    jars = tuple(p for p in env_cp.split(os.pathsep) if p) if env_cp else JUNIT_JARS
    missing = [j for j in jars if not os.path.exists(j)]
    if missing:
        raise UserError(f"JUnit 4 jar not found: {missing[0]}; {INSTALL_HINT} (or set REPAIRCHAT_JUNIT_CP)")
    return JavaEnv(javac, java, jars, _version(java), java_home, jupiter_jars())


def jupiter_jars() -> tuple[str, ...]:
    """The JUnit Platform and Jupiter jars (``REPAIRCHAT_JUPITER_CP`` overrides Debian's), or () when one is
    missing: a project with Jupiter tests then gets a one-line error (``settings_for``)."""
    env_cp = os.environ.get("REPAIRCHAT_JUPITER_CP")
    jars = tuple(p for p in env_cp.split(os.pathsep) if p) if env_cp else JUPITER_JARS
    return jars if all(os.path.exists(j) for j in jars) else ()


def wrap_command(args: list[str], *, cwd: str | Path | None, env: dict | None,
                 writable: tuple[str | Path, ...], readable: tuple[str | Path, ...] = (),
                 sandbox: "Sandbox | None" = None) -> "Command":
    """The command (argv, environment, cwd) that actually runs ``args`` in ``cwd`` when only ``writable`` folders
    may be written and, besides the system, only ``readable`` ones and the classpath read: ``sandbox`` (by
    default the one ``REPAIRCHAT_SANDBOX`` names) wraps it. ``env`` (default: ours) is scrubbed to what Java needs."""
    from agent.validation.sandbox import default_sandbox
    box = sandbox if sandbox is not None else default_sandbox()
    return box.wrap(args, cwd=cwd if cwd is not None else os.getcwd(), writable=writable, readable=readable,
                    env=env)


def start_process(args: list[str], *, cwd: str | Path | None = None, env: dict | None = None,
                  writable: tuple[str | Path, ...] = (), readable: tuple[str | Path, ...] = (),
                  sandbox: "Sandbox | None" = None, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT) -> subprocess.Popen:
    """Start ``args`` (through ``wrap_command``) in a new process group; the caller talks to it and must
    ``kill_group`` it (the sandbox's PID namespace takes every process of the command with it)."""
    cmd = wrap_command(args, cwd=cwd, env=env, writable=writable, readable=readable, sandbox=sandbox)
    return subprocess.Popen(list(cmd.argv), cwd=cmd.cwd, env=dict(cmd.env), stdin=stdin, stdout=stdout,
                            stderr=stderr, start_new_session=True)


def run_process(args: list[str], *, timeout: float, cwd: str | Path | None = None,
                env: dict | None = None, writable: tuple[str | Path, ...] = (),
                readable: tuple[str | Path, ...] = (), sandbox: "Sandbox | None" = None) -> ProcResult:
    """Run ``args`` in a new process group; kill the whole group when ``timeout`` seconds pass, when the command
    ends (what it left behind) and on Ctrl-C."""
    start = time.monotonic()
    proc = start_process(args, cwd=cwd, env=env, writable=writable, readable=readable, sandbox=sandbox,
                         stdin=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        timed_out = True
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or SystemExit: nothing of the command may outlive us
        kill_group(proc)
        proc.wait()
        raise
    kill_group(proc)  # children the command left behind in its group (a patch that spawned `sleep 1000`)
    return ProcResult(proc.returncode, out.decode("utf-8", "replace"), time.monotonic() - start, timed_out)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of ``proc`` (it was started with ``start_new_session=True``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def java_source(name: str) -> str:
    return resources.files("agent.validation.java").joinpath(name).read_text(encoding="utf-8")


def build_helper(name: str, extra_sources: tuple[str, ...] = (), env: JavaEnv | None = None,
                 classpath: tuple[str, ...] | None = None) -> Path:
    """Compile the shipped helper ``agent/validation/java/<name>.java`` once into the cache; return its classes dir.

    The directory is keyed on the sources' hash, the classpath they compile against (``classpath``, default the
    JUnit 4 jars; with the JUnit Platform jars for ``JupiterRunner``) and the Java runtime it is built for
    (``env``, default the default JDK), so an edited helper is rebuilt, a stale one never used, and a Java 11
    runtime gets classes it can load.
    """
    from agent.validation.sandbox import Sandbox
    env = env or java_env()
    cp = env.junit_classpath if classpath is None else classpath
    names = (name, *extra_sources)
    texts = {n: java_source(f"{n}.java") for n in names}
    digest = hashlib.sha256("".join([*(texts[n] for n in names), *cp]).encode()).hexdigest()[:16]
    out = cache_dir() / "java" / f"{name}-{digest}-java{env.version}"
    if (out / f"{name}.class").exists():
        return out
    tmp = out.with_name(out.name + f".tmp{os.getpid()}-{threading.get_ident()}")  # per process and thread
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "src").mkdir(parents=True)
    for n, text in texts.items():
        (tmp / "src" / f"{n}.java").write_text(text, encoding="utf-8")
    res = run_process([env.javac, *env.release, "-nowarn", "-encoding", "UTF-8", "-d", str(tmp), "-cp",
                       os.pathsep.join(cp), *(str(tmp / "src" / f"{n}.java") for n in names)],
                      timeout=120, writable=(tmp,), sandbox=Sandbox("none"))  # our own code, not a candidate's
    if res.returncode != 0:
        raise UserError(f"could not compile the {name} helper with {env.javac}: {res.output.strip()[:300]}")
    shutil.rmtree(tmp / "src")
    try:
        tmp.rename(out)
    except OSError:  # another worker won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return out
