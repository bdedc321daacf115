"""Fast, sound patch validation through a warm JVM compile-and-test server (``agent/validation/java/WarmServer.java``).

One server process per ``WarmValidator`` (per worker), spoken to in JSON lines. Per bug, once per server, the
project is copied into a scratch folder and compiled there (sources + tests, by the server's in-process javac);
the user's tree is only read. Per candidate the server compiles just the patched file in memory against those
prebuilt classes, falling back to compiling the whole project when the patched file's API (members, signatures,
constants, supertypes) differs from the original's or when it does not compile, so diagnostics and linkage are
javac's over the whole project exactly as in ``FreshValidator``. Tests run as ``FreshValidator`` runs them:
failing tests first (fail fast), then every test class, with RepairRunner's per-test timeouts and report format,
in fresh class loaders (nothing static survives from one candidate to the next). Outcomes are built by the same
code as ``FreshValidator``'s (``patch``, ``test_classes``, ``outcome_from_tests``, ``extractors.failures``).

A server that hangs (no answer within the budget), dies, or reports a stuck test thread is killed (its process
group) and replaced; a candidate whose request failed is retried once on a fresh server, then validated by
``FreshValidator`` as a last resort.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agent.bugs import Bug
from agent.validation.javatools import (ProcResult, build_helper, java_env, java_source, kill_group,
                                       start_process)
from agent.validation.sandbox import Sandbox, default_sandbox
from agent.validation.validate import (Candidate, FreshValidator, Outcome, ValidationConfig, count_tests,
                            outcome_from_tests, patch, test_classes)
from agent.validation.workspace import Workspace
from extractors import failures as fparse

STARTUP_TIMEOUT = 60.0
RECYCLE_AFTER = 2000  # requests per server process (class-loader and metaspace hygiene)
SLACK = 30.0  # seconds added to a request's budget (compile + every test's timeout) before the server is deemed hung


_SERVER_FRAME = re.compile(r"WarmServer\.lambda\$run\$\d+\(WarmServer\.java:\d+\)")


@lru_cache(maxsize=1)
def _runner_frame() -> str:
    """The frame RepairRunner's test thread shows at the bottom of a trace (where the test was started)."""
    lines = java_source("RepairRunner.java").splitlines()
    n = next((i for i, ln in enumerate(lines, 1) if "new JUnitCore().run(request)" in ln), 0)
    return f"RepairRunner.lambda$main$0(RepairRunner.java:{n})"


def as_runner_output(text: str) -> str:
    """The server's report with its test-thread frame spelled as RepairRunner's, so that a failure whose trace has
    no project frame (the parser then names the runner's frame) reads the same as under FreshValidator."""
    return _SERVER_FRAME.sub(lambda _m: _runner_frame(), text)


class ServerError(Exception):
    """The warm server died, hung, or answered nonsense; it has been killed."""


class WarmServer:
    """One ``java WarmServer`` process in its own process group, spoken to in JSON lines."""

    def __init__(self, log: Path | None = None, *, cwd: str | Path | None = None,
                 writable: tuple[str | Path, ...] = (), readable: tuple[str | Path, ...] = (),
                 sandbox: Sandbox | None = None):
        env = java_env()
        helper = build_helper("WarmServer", ("RepairRunner", "Json"))
        self._log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = start_process(
            [env.java, "-Djava.security.manager=allow", "-XX:+UseSerialGC", "-Xshare:auto",
             "-cp", os.pathsep.join([str(helper), *env.junit_classpath]), "WarmServer"],
            cwd=cwd, writable=writable, readable=readable, sandbox=sandbox, stderr=self._log)
        self._buf = b""
        self._next = 0
        self.requests = 0
        self.request({"op": "ping"}, STARTUP_TIMEOUT)

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
            self.proc.stdin.write(json.dumps(obj).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
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
        fd = self.proc.stdout.fileno()
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
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def close(self) -> None:
        if self.alive():
            try:
                self.proc.stdin.write(b'{"op": "shutdown"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


@dataclass
class _Prepared:
    workspace: Workspace
    signature: tuple  # (path, size, mtime) of every Java file in the user's roots when the copy was made
    tests: list[str]
    n_tests: int
    server_pid: int | None = None  # the server that holds this bug's prebuilt state


def _signature(bug: Bug) -> tuple:
    out = []
    for r in bug.source_roots + bug.test_roots:
        for p in sorted((bug.root / r).rglob("*.java")):
            st = p.stat()
            out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


class WarmValidator:
    """``Validator`` on a warm JVM: same outcomes as ``FreshValidator``, tens of times faster. Call ``close()``."""

    def __init__(self, config: ValidationConfig | None = None, *, isolation: str = "phase"):
        if isolation not in ("phase", "class"):
            raise ValueError("isolation must be 'phase' (one class loader per test run, as FreshValidator's "
                             "JVMs) or 'class' (one per test class)")
        self.config = config or ValidationConfig()
        self.isolation = isolation
        self._tmp = Path(tempfile.mkdtemp(prefix="repairchat-warm-", dir=os.environ.get("REPAIRCHAT_SCRATCH")))
        self._readable: set[str] = set()  # what the server's sandbox shows besides its work area (bug classpaths)
        self._server: WarmServer | None = None
        self._prepared: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self.restarts = 0  # servers replaced after a hang, a crash or a stuck test
        self.fallbacks = 0  # candidates validated by FreshValidator after two failed tries

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
    def sandbox(self) -> Sandbox:
        return default_sandbox(self.config.sandbox, self.config.heap_mb)

    @property
    def server(self) -> WarmServer:
        if self._server is not None and (not self._server.alive() or self._server.requests >= RECYCLE_AFTER):
            self._drop_server()
        if self._server is None:
            java_env()  # a missing JDK is the error to report, before anything about the sandbox
            # cwd is the work area: a test's relative-path writes land there, never in the user's folder
            self._server = WarmServer(self._tmp / "server.log", cwd=self._tmp, writable=(self._tmp,),
                                      readable=tuple(sorted(self._readable)), sandbox=self.sandbox)
        return self._server

    def _server_for(self, bug: Bug) -> WarmServer:
        """The server, started afresh (not counted as a restart) when ``bug``'s classpath is not yet visible in
        its sandbox: mounts are fixed when the sandbox starts."""
        needed = {os.path.realpath(p) for p in bug.classpath if os.path.exists(p)}
        if not needed <= self._readable:
            self._readable |= needed
            if self._server is not None:
                self._server.kill()
                self._server = None
        return self.server

    def _drop_server(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server = None
            self.restarts += 1

    # -- per bug ---------------------------------------------------------------------------------------
    def _prepare(self, bug: Bug, server: WarmServer) -> _Prepared:
        key = bug.id
        sig = _signature(bug)
        prep = self._prepared.get(key)
        if prep is not None and prep.signature != sig:  # the user's files changed: copy and build again
            prep.workspace.__exit__(None, None, None)
            prep = None
        if prep is None:
            ws = Workspace(bug, parent=str(self._tmp)).__enter__()
            prep = _Prepared(ws, sig, test_classes(ws.root, bug.test_roots), count_tests(ws.root, bug.test_roots))
            self._prepared[key] = prep
        if prep.server_pid != server.pid:
            ws = prep.workspace
            server.request({"op": "prepare", "key": key, "file": str(ws.root / bug.location.file),
                            "sources": ws.java_files(bug.source_roots + bug.test_roots),
                            "classpath": [*bug.classpath, *java_env().junit_classpath], "out": str(ws.out)},
                           self.config.compile_timeout + SLACK)
            prep.server_pid = server.pid
        return prep

    # -- validation ------------------------------------------------------------------------------------
    def validate(self, bug: Bug, candidate: Candidate) -> Outcome:
        started = time.monotonic()
        patched = patch(bug, candidate, started)
        if isinstance(patched, Outcome):
            return patched
        source, code = patched
        errors = []
        with self._lock:
            for _attempt in range(2):
                try:
                    return self._validate(bug, source, code, started)
                except ServerError as e:
                    errors.append(str(e))
                    self._drop_server()
            self.fallbacks += 1
        out = FreshValidator(self.config).validate(bug, candidate)
        note = f"warm server failed twice ({errors[-1][:200]}); validated by a fresh JVM"
        return Outcome(out.kind, out.failures, out.code, time.monotonic() - started,
                       f"{out.detail}; {note}" if out.detail else note)

    def _validate(self, bug: Bug, source: str, code: str, started: float) -> Outcome:
        server = self._server_for(bug)
        prep = self._prepare(bug, server)
        t = self.config.test_timeout
        budget = self.config.compile_timeout + t * (len(bug.failing_tests) + prep.n_tests + 2) + SLACK
        resp = server.request({"op": "validate", "key": bug.id, "source": source,
                               "failing": list(bug.failing_tests), "tests": prep.tests, "timeout": t,
                               "isolation": self.isolation}, budget)
        if resp.get("restart"):  # a test thread is stuck or left threads behind: this JVM is not clean
            self._drop_server()
        if not resp["compiled"]:
            errors = fparse.parse_javac(resp["output"])
            detail = "" if errors else resp["output"].strip()[-500:]
            return Outcome("compile-error", tuple(errors), code, time.monotonic() - started, detail)
        res = ProcResult(int(resp["exit"]), as_runner_output(resp["output"]), time.monotonic() - started)
        return outcome_from_tests(res, fparse.parse_junit(res.output), started, code)
