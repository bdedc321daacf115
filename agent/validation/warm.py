"""Fast, sound patch validation through a warm JVM compile-and-test server (``agent/validation/java/WarmServer.java``).

One server process per ``WarmValidator`` (per worker) at a time, spoken to in JSON lines, started in the bug's
project root (a scratch copy) with the bug's JDK and JVM options (``settings``). Per bug, once per server, the
project is copied into a scratch folder and compiled there (sources + tests, by the server's in-process javac);
the user's tree is only read. Per candidate the server compiles just the patched file in memory against those
prebuilt classes, falling back to compiling the whole project when the patched file's API (members, signatures,
constants, supertypes) differs from the original's or when it does not compile, so diagnostics and linkage are
javac's over the whole project exactly as in ``FreshValidator`` (with the bug's javac options). Tests run as
``FreshValidator`` runs them, by RepairRunner's own loop: failing tests first (fail fast), then the test classes
(``test_specs``), one JUnit request per class with a per-test watchdog, in fresh class loaders (nothing static
survives from one candidate to the next). Outcomes are built by the same code as ``FreshValidator``'s
(``prepare``, ``test_specs``, ``outcome_from_tests``, ``extractors.failures``).

A server that hangs (no answer within the budget), dies, or reports a stuck test thread is killed (its process
group) and replaced; a candidate whose request failed is retried once on a fresh server, then validated by
``FreshValidator`` as a last resort.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import threading
import time
from typing import IO, cast
from dataclasses import dataclass
from pathlib import Path

from agent.bugs import Bug
from agent.validation.javatools import ProcResult, build_helper, has_compiler, kill_group, start_process
from agent.validation.settings import BuildSettings, ValidationConfig, settings_for
from agent.validation.validate import (FreshValidator, Outcome, PreparingValidator, Prepared, helper_sources,
                                       outcome_from_tests, test_specs)
from agent.validation.workspace import Workspace
from extractors import failures as fparse

STARTUP_TIMEOUT = 60.0
RECYCLE_AFTER = 2000  # requests per server process (class-loader and metaspace hygiene)
SLACK = 30.0  # seconds added to a request's budget (compile + the candidate's budget) before the server is deemed hung


class ServerError(Exception):
    """The warm server died, hung, or answered nonsense; it has been killed."""


class WarmServer:
    """One ``java WarmServer`` process in its own process group, spoken to in JSON lines."""

    def __init__(self, log: Path | None = None, *, settings: BuildSettings | None = None,
                 cwd: str | Path | None = None, writable: tuple[str | Path, ...] = (),
                 readable: tuple[str | Path, ...] = ()):
        if settings is None:
            from agent.validation.javatools import java_env
            jvm: tuple[str, ...] = ("-Xmx2g",)
            env = java_env()
            junit: tuple[str, ...] = env.junit_classpath
            sources: tuple[str, ...] = ("RepairRunner",)
        else:
            jvm, env = settings.jvm_args, settings.env
            junit, sources = settings.junit_classpath, helper_sources(settings)
        helper = build_helper("WarmServer", (*sources, "Json"), env=env, classpath=junit)
        self._log: IO[bytes] | int = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = start_process(
            [env.java, *env.security_manager_flags, "-XX:+UseSerialGC", "-Xshare:auto", *jvm,
             "-cp", os.pathsep.join([str(helper), *junit]), "WarmServer"],
            cwd=cwd, writable=writable, readable=readable, sandbox=settings.sandbox if settings else None,
            stderr=self._log)
        self._stdin, self._stdout = cast(IO[bytes], self.proc.stdin), cast(IO[bytes], self.proc.stdout)
        self._buf = b""
        self._next = 0
        self.requests = 0
        hello = self.request({"op": "ping"}, STARTUP_TIMEOUT)
        self.exit_guard = bool(hello.get("exit_guard", True))  # False on Java 24+: System.exit ends the server
        self.has_javac = bool(hello.get("javac", True))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, obj: dict, timeout: float) -> dict:
        """Send one request and wait up to ``timeout`` seconds for its answer; on any failure kill and raise."""
        self._next += 1
        self.requests += 1
        obj = {**obj, "id": self._next}
        try:
            self._stdin.write(json.dumps(obj).encode("utf-8") + b"\n")
            self._stdin.flush()
            line = self._readline(time.monotonic() + timeout)
            resp = json.loads(line)
        except (OSError, ValueError, ServerError) as e:
            self.kill()
            raise ServerError(f"warm server failed on {obj['op']}: {e}") from None
        if resp.get("id") != self._next or not resp.get("ok"):
            self.kill()
            raise ServerError(f"warm server error on {obj['op']}: {str(resp.get('error', resp))[:500]}")
        return resp

    def _readline(self, deadline: float) -> bytes:
        fd = self._stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerError("no answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise ServerError(f"server exited (code {self.proc.poll()})")
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def kill(self) -> None:
        kill_group(self.proc)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self._stdin, self._stdout):
            try:
                f.close()
            except OSError:
                pass
        if not isinstance(self._log, int):  # (subprocess.DEVNULL is an int)
            self._log.close()

    def close(self) -> None:
        if self.alive():
            try:
                self._stdin.write(b'{"op": "shutdown"}\n')
                self._stdin.flush()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


@dataclass
class _Prepared:
    workspace: Workspace
    signature: tuple  # (path, size, mtime) of every Java file in the user's roots when the copy was made
    settings: BuildSettings
    server_pid: int | None = None  # the server that holds this bug's prebuilt state


def _signature(bug: Bug) -> tuple:
    out = []
    for r in bug.source_roots + bug.test_roots:
        for p in sorted((bug.root / r).rglob("*.java")):
            st = p.stat()
            out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


class NoWarm(Exception):
    """This bug cannot use the warm server (why); it is validated by FreshValidator."""


class WarmValidator(PreparingValidator):
    """``Validator`` on a warm JVM: same outcomes as ``FreshValidator``, tens of times faster. Call ``close()``.

    The server runs in the bug's project root (a scratch copy), with the bug's JDK and JVM options, so a worker
    moving to another bug starts another server."""

    def __init__(self, config: ValidationConfig | None = None):
        self.config = config or ValidationConfig()
        # the server's word for --isolation: a class loader per test class, or one per test phase (shared)
        self.isolation = "class" if self.config.isolation == "class" else "phase"
        self._tmp = Path(tempfile.mkdtemp(prefix="repairchat-warm-", dir=os.environ.get("REPAIRCHAT_SCRATCH")))
        self._server: WarmServer | None = None
        self._server_key: tuple | None = None
        self._prepared: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self.restarts = 0  # servers replaced after a hang, a crash or a stuck test
        self.fallbacks = 0  # candidates validated by FreshValidator after two failed tries (or NoWarm)

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> "WarmValidator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None
            for prep in self._prepared.values():
                prep.workspace.__exit__(None, None, None)
            self._prepared.clear()
            import shutil
            shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def server(self) -> WarmServer:
        """The current server (started for the last bug validated)."""
        if self._server is None:
            raise ServerError("no warm server yet: validate a candidate first")
        return self._server

    def _server_for(self, prep: _Prepared) -> WarmServer:
        s = prep.settings
        key = (s.env.java, s.jvm_args, s.junit_classpath, str(prep.workspace.root))
        if self._server is not None and (not self._server.alive() or self._server.requests >= RECYCLE_AFTER):
            self._drop_server()
        if self._server is not None and self._server_key != key:  # another bug: its root, JDK and JVM options
            self._server.close()
            self._server = None
        if self._server is None:
            if not has_compiler(s.env.java):
                raise NoWarm(f"the Java runtime {s.env.java} has no compiler (module jdk.compiler)")
            # in the sandbox: only the work area writable; the bug's classpath readable (the server reads it)
            self._server = WarmServer(self._tmp / "server.log", settings=s, cwd=prep.workspace.root,
                                      writable=(self._tmp,), readable=tuple(prep.workspace.bug.classpath))
            self._server_key = key
            if not self._server.has_javac:
                raise NoWarm(f"the Java runtime {s.env.java} has no compiler")
        return self._server

    def _drop_server(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server = None
            self.restarts += 1

    # -- per bug ---------------------------------------------------------------------------------------
    def _workspace(self, bug: Bug) -> _Prepared:
        key = bug.id
        sig = _signature(bug)
        prep = self._prepared.get(key)
        settings = settings_for(bug, self.config)
        if prep is not None and (prep.signature != sig or prep.settings != settings):
            prep.workspace.__exit__(None, None, None)  # the user's files changed: copy and build again
            prep = None
        if prep is None:
            ws = Workspace(bug, parent=str(self._tmp)).__enter__()
            prep = _Prepared(ws, sig, settings)
            self._prepared[key] = prep
        return prep

    def _prepare(self, bug: Bug, prep: _Prepared, server: WarmServer) -> None:
        if prep.server_pid != server.pid:
            ws = prep.workspace
            server.request({"op": "prepare", "key": bug.id, "file": str(ws.root / bug.location.file),
                            "sources": ws.java_files(bug.source_roots + bug.test_roots),
                            "classpath": [*bug.classpath, *prep.settings.junit_classpath], "out": str(ws.out),
                            "javac_options": list(prep.settings.javac_args)},
                           self.config.compile_timeout + SLACK)
            prep.server_pid = server.pid

    # -- validation ------------------------------------------------------------------------------------
    def run_prepared(self, bug: Bug, prepared: Prepared, started: float | None = None) -> Outcome:
        started = time.monotonic() if started is None else started
        errors = []
        with self._lock:
            for _attempt in range(2):
                try:
                    return self._validate(bug, prepared, started)
                except ServerError as e:
                    errors.append(str(e))
                    self._drop_server()
                except NoWarm as e:
                    errors.append(str(e))
                    break
            self.fallbacks += 1
        out = FreshValidator(self.config).run_prepared(bug, prepared)
        note = (f"warm server failed twice ({errors[-1][:200]})" if len(errors) > 1 else
                f"no warm server ({errors[-1][:200]})") + "; validated by a fresh JVM"
        return Outcome(out.kind, out.failures, out.code, time.monotonic() - started,
                       f"{out.detail}; {note}" if out.detail else note)

    def _validate(self, bug: Bug, prepared: Prepared, started: float) -> Outcome:
        prep = self._workspace(bug)
        server = self._server_for(prep)
        self._prepare(bug, prep, server)
        s = prep.settings
        specs, tests_only = test_specs(bug, prep.workspace.root, self.config)
        budget = s.compile_timeout + s.candidate_timeout + SLACK
        resp = server.request({"op": "validate", "key": bug.id, "source": prepared.source,
                               "failing": list(bug.failing_tests), "tests": specs, "timeout": s.test_timeout,
                               "isolation": self.isolation, "exclude": list(bug.broken_tests),
                               "tests_only": tests_only}, budget)
        if resp.get("restart"):  # a test thread is stuck or left threads behind: this JVM is not clean
            self._drop_server()
        code = prepared.code
        if not resp["compiled"]:
            errors = fparse.parse_javac(resp["output"])
            detail = "" if errors else resp["output"].strip()[-500:]
            return Outcome("compile-error", tuple(errors), code, time.monotonic() - started, detail)
        res = ProcResult(int(resp["exit"]), resp["output"], time.monotonic() - started)
        return outcome_from_tests(res, fparse.parse_junit(res.output), started, code)
