"""Defects4J bugs through the ``defects4j`` command line.

Ids look like ``d4j:Lang-1`` (or ``Lang-1`` with ``--bugs d4j``); the loaded bug's id is the Defects4J one,
``Lang-1`` (results, transcripts and scratch folders use it; a ``:`` would break classpaths). A bug is checked out
once (buggy version) into ``<work>/<Project>-<id>b`` with ``defects4j checkout`` and compiled with ``defects4j
compile`` (so the exported classpath's build folders exist). What ``defects4j export`` says about it (source and
test folders, test classpath, triggering tests, the test classes Defects4J runs) and the bug's source patch are
cached with the checkout in ``.repairchat-d4j.json``: loading it again calls no ``defects4j`` at all.

The buggy method and the developer's version of it come from the source patch (:mod:`agent.bugs.d4jpatch`). The
javac settings come from the project's own Ant build (:mod:`agent.bugs.antbuild`: ``--release``, ``-encoding``);
old code gets the reflective access it had before Java 9 (``--add-opens``). A bug that cannot be checked out or
located is skipped with its reason; the others go on.

Defects4J insists on Java 11 (``java`` on PATH); repairchat itself runs on any JDK >= 17. ``D4J_JAVA_HOME`` (or
a JDK 11 found under ``/usr/lib/jvm``) is put first on PATH and in JAVA_HOME for the ``defects4j`` calls only.

Validation is repairchat's own by default (javac + the JUnit runner on the exported classpath, with the derived
settings); ``--validator d4j`` (``D4JValidator``) instead runs ``defects4j compile`` and ``defects4j test`` in a
scratch copy and reads its ``failing_tests`` file.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Callable

from agent.bugs import d4jpatch
from agent.bugs.manifest import Bug, bug_from_dict
from agent.errors import UserError

INSTALL = ("defects4j not found on PATH; install it: git clone https://github.com/rjust/defects4j && "
           "cd defects4j && ./init.sh && export PATH=$PWD/framework/bin:$PATH")
JAVA11 = ("defects4j needs Java 11 and found another java; set D4J_JAVA_HOME to a JDK 11 (repairchat puts it on "
          "PATH for the defects4j calls only and keeps its own JDK for validation)")
ID = re.compile(r"^(?:d4j:)?([A-Z][A-Za-z]*)-(\d+)b?$")
PREFIX = "d4j"
JVM_GLOB = "/usr/lib/jvm/*"  # where a JDK 11 for Defects4J is looked for when D4J_JAVA_HOME is not set
CACHE = ".repairchat-d4j.json"
CACHE_VERSION = 2
EXPORTS = ("dir.src.classes", "dir.src.tests", "cp.test", "tests.trigger", "tests.all")
# Code written for Java < 9 reflects into the JDK freely: Java 8 allowed it and 9-16 permitted it by default, 17
# refuses. Open the java.base packages such code (reflection builders, serialization, mocking) reaches into;
# on Lang (full suites of Lang-1, -40 and -60 on JDK 17) java.lang is the one that matters.
OPENS = ("java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.util", "java.base/java.text",
         "java.base/java.io", "java.base/java.math", "java.base/java.net", "java.base/java.util.concurrent")


class SetupError(UserError):
    """Defects4J itself cannot run (not installed, wrong Java): every bug would fail the same way."""


def is_d4j(bugs_arg: str | None, ids: list[str] | None = None) -> bool:
    """True when ``--bugs`` names Defects4J (``d4j`` / ``d4j:Lang-1,...``) or any id is ``d4j:...``."""
    return bool(bugs_arg and (bugs_arg == PREFIX or bugs_arg.startswith(PREFIX + ":"))) or \
        any(i.startswith(PREFIX + ":") for i in ids or [])


def parse_id(text: str) -> tuple[str, int]:
    m = ID.match(text.strip())
    if not m:
        raise UserError(f"bad Defects4J bug id {text!r}; use Project-N, e.g. d4j:Lang-1")
    return m.group(1), int(m.group(2))


def local_id(text: str) -> str:
    """The id a loaded bug carries: ``d4j:Lang-1`` -> ``Lang-1``; other ids unchanged."""
    if not text.startswith(PREFIX + ":"):
        return text
    project, number = parse_id(text)
    return f"{project}-{number}"


def requested_ids(bugs_arg: str | None, ids: list[str] | None) -> list[str]:
    out = []
    if bugs_arg and bugs_arg.startswith(PREFIX + ":"):
        out += [x for x in bugs_arg[len(PREFIX) + 1:].split(",") if x.strip()]
    for i in ids or []:
        out += [x for x in i.split(",") if x.strip()]
    if not out:
        raise UserError("no Defects4J bugs named; use --bugs d4j --ids Lang-1 Chart-3 or --bugs d4j:Lang-1,Lang-3")
    return [f"{p}-{n}" for p, n in (parse_id(x) for x in out)]


def executable() -> str:
    found = shutil.which("defects4j")
    if not found:
        raise SetupError(INSTALL)
    return found


def d4j_home(exe: str) -> Path:
    """$D4J_HOME, else the checkout the ``defects4j`` script lives in (<home>/framework/bin/defects4j)."""
    env = os.environ.get("D4J_HOME")
    return Path(env) if env else Path(os.path.realpath(exe)).parent.parent.parent


def java11_home() -> str | None:
    """The JDK the ``defects4j`` calls run on: $D4J_JAVA_HOME, else a JDK 11 under /usr/lib/jvm, else none (the
    inherited ``java``)."""
    home = os.environ.get("D4J_JAVA_HOME")
    if home:
        if not os.path.isfile(os.path.join(home, "bin", "java")):
            raise SetupError(f"D4J_JAVA_HOME={home} has no bin/java; point it at a JDK 11")
        return home
    found = sorted(h for h in glob.glob(JVM_GLOB) if re.search(r"(^|[-_.a-z])11([-_.]|$)", os.path.basename(h)))
    return next((h for h in found if os.path.isfile(os.path.join(h, "bin", "java"))), None)


def d4j_environment() -> dict | None:
    home = java11_home()
    if home is None:
        return None
    return {**os.environ, "JAVA_HOME": home, "PATH": os.path.join(home, "bin") + os.pathsep + os.environ["PATH"]}


def run(args: list[str], timeout: float, cwd: Path | None = None, sandbox=None):
    """``defects4j ARGS`` through the one subprocess runner (its process group killed on timeout). Checkouts and
    exports run unconfined (``sandbox`` None: Defects4J's own tooling); a candidate's compile and test runs in
    ``sandbox`` with Defects4J's folder readable and only the scratch copy writable."""
    from agent.validation.javatools import run_process
    from agent.validation.sandbox import Sandbox
    workdir = Path(args[args.index("-w") + 1]) if "-w" in args else None  # what defects4j writes (and beside it)
    exe = executable()
    res = run_process([exe, *args], timeout=timeout, cwd=cwd, env=d4j_environment(),
                      writable=(workdir.parent,) if workdir else (),
                      readable=(str(d4j_home(exe)), *filter(None, [java11_home()])),
                      sandbox=sandbox or Sandbox("none"))
    if res.returncode != 0 and "Java 11 is required" in res.output:
        raise SetupError(JAVA11)
    return res


NOISE = re.compile(r"^(Compilation failed in require|BEGIN failed|Executed command:)|\.{5,}|called at |^\s*at \S+ line")


def failure_line(output: str) -> str:
    """The line of a failed ``defects4j`` run that says why: the compiler's first ``error:``, else its ``Error:``
    (or git's ``fatal:``, Ant's ``BUILD FAILED``) line, else the last line that is not a perl stack frame."""
    found = [ANT_PREFIX.sub("", ln).strip() for ln in output.splitlines() if ln.strip() and not NOISE.search(ln)]
    said = [ln for ln in found if "error:" in ln] or \
        [ln for ln in found if re.match(r"(Error|ERROR|fatal|BUILD FAILED)\b", ln)]
    line = (said or found or ["(no output)"])[0 if said else -1]
    return re.sub(r" at \S+ line \d+\.?$", "", line)[:200]


def call(args: list[str], timeout: float = 900) -> str:
    """Output of ``defects4j ARGS``; failure or timeout is a one-line UserError."""
    res = run(args, timeout)
    if res.timed_out:
        raise UserError(f"defects4j {' '.join(args)} timed out after {timeout:g}s")
    if res.returncode != 0:
        raise UserError(f"defects4j {args[0]} failed: {failure_line(res.output)}")
    return res.output


def export(prop: str, workdir: Path) -> str:
    """``defects4j export -p PROP`` (written to a file: the command's diagnostics go to the same output)."""
    target = workdir / f".repairchat-export-{prop}"
    try:
        call(["export", "-p", prop, "-o", str(target), "-w", str(workdir)])
        return target.read_text(encoding="utf-8", errors="replace").strip()
    finally:
        target.unlink(missing_ok=True)


def recorded(root: Path) -> dict[str, str]:
    """The exports ``defects4j checkout`` already wrote into ``defects4j.build.properties`` (each ``defects4j
    export`` is an Ant run of seconds): source and test folders and the triggering tests."""
    from agent.bugs.antbuild import read_properties
    path = root / "defects4j.build.properties"
    props = read_properties(path.read_text(encoding="utf-8", errors="replace")) if path.is_file() else {}
    out = {p: props[f"d4j.{p}"] for p in ("dir.src.classes", "dir.src.tests") if props.get(f"d4j.{p}")}
    if "d4j.tests.trigger" in props:
        out["tests.trigger"] = "\n".join(t for t in props["d4j.tests.trigger"].split(",") if t.strip())
    return out


def checkout(project: str, number: int, work: Path) -> tuple[Path, dict]:
    """The bug's buggy checkout and its cached facts (exports and source patch), made on first use."""
    target = work / f"{project}-{number}b"
    cache = target / CACHE
    if cache.is_file():
        try:
            facts = json.loads(cache.read_text(encoding="utf-8"))
            if facts.get("version") == CACHE_VERSION:
                return target, facts
        except ValueError:
            pass
    patch = d4j_home(executable()) / "framework" / "projects" / project / "patches" / f"{number}.src.patch"
    if not patch.is_file():
        raise UserError(f"Defects4J patch {patch} not found; is {project}-{number} a Defects4J bug? (D4J_HOME "
                        "names your defects4j clone)")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    call(["checkout", "-p", project, "-v", f"{number}b", "-w", str(target)])
    call(["compile", "-w", str(target)])  # builds what the exported classpath names (and checks the checkout)
    known = recorded(target)
    facts = {"version": CACHE_VERSION, "exports": {p: known[p] if p in known else export(p, target) for p in EXPORTS},
             "patch": patch.read_text(encoding="utf-8", errors="replace")}
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(facts), encoding="utf-8")
    tmp.replace(cache)
    return target, facts


def lines(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


def load_bug(bug_id: str, work: Path) -> Bug:
    from agent.bugs import antbuild

    project, number = parse_id(bug_id)
    root, facts = checkout(project, number, work)
    exports = facts["exports"]
    hunks = d4jpatch.parse_patch(facts["patch"])
    src_dir, test_dir = exports["dir.src.classes"], exports["dir.src.tests"]
    files = sorted({h.file for h in hunks})
    rel = [f if f.startswith(src_dir + "/") else f"{src_dir}/{f}" for f in files]
    path = rel[0] if (root / rel[0]).is_file() else files[0]
    if not (root / path).is_file():
        raise UserError(f"{project}-{number}: patched file {files[0]} not found in the checkout {root}")
    settings = antbuild.read(root)
    source = (root / path).read_text(encoding=settings.encoding or "utf-8", errors="replace")
    found = d4jpatch.locate(source, [h for h in hunks if h.file == files[0]], f"{project}-{number}")
    info = {**found.facts, "files": len(files)}
    if len(files) > 1 and info["single_function"]:
        info.update(single_function=False, why=f"the fix changes {len(files)} files")
    old = settings.source_level is not None and settings.source_level < 9
    entry = {
        "id": f"{project}-{number}", "root": str(root), "source_roots": [src_dir], "test_roots": [test_dir],
        "classpath": [p if os.path.isabs(p) else str(root / p) for p in exports["cp.test"].split(os.pathsep) if p],
        "failing_tests": lines(exports["tests.trigger"]),
        "location": {"file": path, "method": found.location.method, "lines": list(found.location.lines or ())},
        "description": f"Defects4J {project}-{number}",
        "javac_options": settings.javac_options(),
        "jvm_options": [f"--add-opens={p}=ALL-UNNAMED" for p in OPENS] if old else [],
        # the test classes Defects4J's own build runs (its per-project selection), as file patterns
        "test_include": [c.replace(".", "/") + ".java" for c in lines(exports["tests.all"])],
        "d4j": info}
    if info["single_function"] and found.fixed_method:
        entry["fixed_method"] = found.fixed_method
    return bug_from_dict(entry, root, f"d4j:{project}-{number}")


def warn(message: str) -> None:
    print(f"repairchat: {message}", file=sys.stderr, flush=True)


def load_bugs(bugs_arg: str | None, ids: list[str] | None, *, work: str | Path | None = None,
              single_function: bool = False, single_hunk: bool = False,
              skipped: Callable[[str, str], None] | None = None) -> list[Bug]:
    """The named Defects4J bugs (checked out as needed), filtered by --single-function / --single-hunk. A bug
    that cannot be checked out or located, or that a filter drops, is passed to ``skipped(id, reason)`` (default:
    a warning on stderr) and the others go on; Defects4J itself not working stops everything."""
    wanted = requested_ids(bugs_arg, [i for i in ids or []])
    work = Path(work or os.environ.get("REPAIRCHAT_D4J_WORK") or ".repairchat/d4j")
    report = skipped or (lambda bug_id, why: warn(f"skipped d4j:{bug_id}: {why}"))
    bugs, reasons = [], []
    for bug_id in dict.fromkeys(wanted):
        try:
            bug = load_bug(bug_id, work)
        except SetupError:
            raise
        except UserError as e:
            reasons.append(f"{bug_id}: {e}")
            report(bug_id, str(e))
            continue
        facts = bug.extra["d4j"]
        why = None
        if single_function and not facts["single_function"]:
            why = f"not single-function: {facts.get('why')}"
        elif single_hunk and not (facts["hunks"] == 1 and facts["files"] == 1):
            why = f"not single-hunk: {facts['hunks']} chunks in {facts['files']} file(s)"
        if why:
            reasons.append(f"{bug_id}: {why}")
            report(bug_id, why)
            continue
        bugs.append(bug)
    if not bugs:
        raise UserError(f"no Defects4J bug left to run ({'; '.join(reasons[:3])}"
                        f"{' ...' if len(reasons) > 3 else ''})")
    return bugs


ANT_PREFIX = re.compile(r"^\s*\[javac\] ?", re.MULTILINE)
COMPILE_RUNS = 3  # `defects4j compile` is an Ant start and two javac runs (sources, tests): 3x javac's timeout


class D4JValidator:
    """``--validator d4j``: ``defects4j compile`` + ``defects4j test`` in a scratch copy (the Defects4J reference)."""

    def __init__(self, config=None):
        from agent.validation.validate import ValidationConfig
        self.config = config or ValidationConfig()

    def validate(self, bug: Bug, candidate):
        from agent.validation.validate import Outcome, count_tests, patch
        from agent.validation.workspace import Workspace
        from extractors import failures as fparse

        if not (bug.root / ".defects4j.config").is_file():
            raise UserError(f"--validator d4j validates Defects4J checkouts only (d4j:Project-N), not {bug.id}")
        started = time.monotonic()
        patched = patch(bug, candidate)
        if isinstance(patched, Outcome):
            return Outcome(patched.kind, code=patched.code, seconds=time.monotonic() - started, detail=patched.detail)
        source, code = patched
        with Workspace(bug) as ws:
            ws.write(source)
            from agent.validation.settings import sandbox_for
            box = sandbox_for(self.config)
            budget = COMPILE_RUNS * self.config.compile_timeout
            res = run(["compile", "-w", str(ws.root)], budget, sandbox=box)
            if res.timed_out:  # a slow build is no compile error
                return Outcome("timeout", (fparse.TestTimeout("defects4j compile", budget),), code,
                               time.monotonic() - started, f"defects4j compile ran over {budget:g}s")
            if res.returncode != 0:
                text = ANT_PREFIX.sub("", res.output)
                errors = fparse.parse_javac(text)
                return Outcome("compile-error", tuple(errors), code, time.monotonic() - started,
                               "" if errors else text.strip()[-500:])
            budget = self.config.timeout_for(bug) * (count_tests(ws.root, bug.test_roots) + 1) + 60
            res = run(["test", "-w", str(ws.root)], budget, sandbox=box)
            seconds = time.monotonic() - started
            if res.timed_out:
                return Outcome("timeout", (fparse.TestTimeout("defects4j test", budget),), code, seconds,
                               f"defects4j test ran over {budget:g}s")
            report = ws.root / "failing_tests"
            found = fparse.parse_failing_tests(report.read_text(encoding="utf-8", errors="replace")) \
                if report.is_file() else []
            if found or res.returncode != 0:
                return Outcome("test-failure", tuple(found), code, seconds,
                               "" if found else res.output.strip()[-500:])
            return Outcome("plausible", (), code, seconds)
