"""Defects4J bugs through the ``defects4j`` command line.

Ids look like ``d4j:Lang-1`` (or ``Lang-1`` with ``--bugs d4j``); the loaded bug's id is the Defects4J one,
``Lang-1`` (results, transcripts and scratch folders use it; a ``:`` would break classpaths). A bug is checked out once (buggy version) into
``<work>/<Project>-<id>b`` with ``defects4j checkout``; its source/test folders, test classpath and triggering
tests come from ``defects4j export``. The buggy method and chunk are located from the bug's source patch
``$D4J_HOME/framework/projects/<P>/patches/<id>.src.patch`` (a unified diff from the fixed to the buggy
version, so ``+`` lines are buggy lines) with tree-sitter. The checkout is compiled once with ``defects4j compile``
so the exported classpath's build folders exist. Validation is repairchat's own by default (javac + RepairRunner on
the exported classpath); ``--validator d4j`` (``D4JValidator``) instead runs ``defects4j compile`` and
``defects4j test`` in a scratch copy and reads its ``failing_tests`` file.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from agent.bugs import Bug, Location
from agent.errors import UserError
from extractors import java

INSTALL = ("defects4j not found on PATH; install it: git clone https://github.com/rjust/defects4j && "
           "cd defects4j && ./init.sh && export PATH=$PWD/framework/bin:$PATH")
ID = re.compile(r"^(?:d4j:)?([A-Z][A-Za-z]*)-(\d+)b?$")
PREFIX = "d4j"


def is_d4j(bugs_arg: str | None, ids: list[str] | None = None) -> bool:
    """True when ``--bugs`` names Defects4J (``d4j`` / ``d4j:Lang-1,...``) or any id is ``d4j:...``."""
    return bool(bugs_arg and (bugs_arg == PREFIX or bugs_arg.startswith(PREFIX + ":"))) or \
        any(i.startswith(PREFIX + ":") for i in ids or [])


def parse_id(text: str) -> tuple[str, int]:
    m = ID.match(text.strip())
    if not m:
        raise UserError(f"bad Defects4J bug id {text!r}; use Project-N, e.g. d4j:Lang-1")
    return m.group(1), int(m.group(2))


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
        raise UserError(INSTALL)
    return found


def d4j_home(exe: str) -> Path:
    """$D4J_HOME, else the checkout the ``defects4j`` script lives in (<home>/framework/bin/defects4j)."""
    env = os.environ.get("D4J_HOME")
    return Path(env) if env else Path(os.path.realpath(exe)).parent.parent.parent


def run(args: list[str], timeout: float) -> tuple[int | None, str, str]:
    """(returncode or None on timeout, stdout, stderr) of ``defects4j ARGS``; a hung run's process group is killed."""
    proc = subprocess.Popen([executable(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out, err = proc.communicate()
        return None, out, err
    return proc.returncode, out, err


def call(args: list[str], timeout: float = 900) -> str:
    """stdout of ``defects4j ARGS``; failure or timeout is a one-line UserError."""
    code, out, err = run(args, timeout)
    if code is None:
        raise UserError(f"defects4j {' '.join(args)} timed out after {timeout:g}s")
    if code != 0:
        tail = (err or out).strip().splitlines()[-1:] or ["(no output)"]
        raise UserError(f"defects4j {' '.join(args)} failed: {tail[0][:200]}")
    return out


def export(prop: str, workdir: Path) -> str:
    return call(["export", "-p", prop, "-w", str(workdir)]).strip()


@dataclass(frozen=True)
class Hunk:
    file: str
    fixed_start: int
    fixed_lines: tuple[str, ...]  # the hunk's lines as in the fixed version (' ' and '-')
    buggy_start: int
    buggy_lines: tuple[str, ...]  # as in the buggy version (' ' and '+')
    changed: tuple[int, ...]  # buggy line numbers of '+' lines; for a pure deletion, the line before it


HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def parse_patch(text: str) -> list[Hunk]:
    """Hunks of a unified diff whose old side is the fixed and new side the buggy version."""
    hunks, file = [], None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("+++ "):
            file = line[4:].split("\t")[0].strip()
            file = file[2:] if file.startswith(("a/", "b/")) else file
        m = HUNK.match(line)
        if m and file:
            fs, bs = int(m.group(1)), int(m.group(2))
            fixed, buggy, changed = [], [], []
            bl = bs
            deleted_after = None  # a run of '-' lines not (yet) followed by '+': a pure deletion after this line
            i += 1
            while i < len(lines) and not lines[i].startswith(("@@", "diff ", "--- ", "+++ ")):
                ln = lines[i]
                tag, body = (ln[:1], ln[1:]) if ln else (" ", "")
                if tag == "+":
                    buggy.append(body)
                    changed.append(bl)
                    bl += 1
                    deleted_after = None  # the '-' run was replaced: the '+' lines are the change
                elif tag == "-":
                    fixed.append(body)
                    if deleted_after is None:
                        deleted_after = max(bl - 1, 1)
                elif tag != "\\":
                    if deleted_after is not None:
                        changed.append(deleted_after)
                        deleted_after = None
                    fixed.append(body)
                    buggy.append(body)
                    bl += 1
                i += 1
            if deleted_after is not None:
                changed.append(deleted_after)
            hunks.append(Hunk(file, fs, tuple(fixed), bs, tuple(buggy), tuple(sorted(set(changed)))))
            continue
        i += 1
    if not hunks:
        raise UserError("the Defects4J source patch has no hunks")
    return hunks


def fixed_source(buggy: str, hunks: list[Hunk]) -> str:
    """The fixed version of a buggy file: undo the hunks (bottom up)."""
    lines = buggy.split("\n")
    for h in sorted(hunks, key=lambda h: -h.buggy_start):
        a = h.buggy_start - 1
        lines[a:a + len(h.buggy_lines)] = list(h.fixed_lines)
    return "\n".join(lines)


def blocks(lines: tuple[int, ...]) -> int:
    """How many contiguous runs of line numbers."""
    return sum(1 for k, n in enumerate(lines) if k == 0 or n != lines[k - 1] + 1)


def locate(buggy_src: str, hunks: list[Hunk], bug_id: str) -> tuple[Location, str | None, dict]:
    """(location, fixed method, facts) of the bug in one file: the method holding the changed lines."""
    file = hunks[0].file
    changed = tuple(sorted({n for h in hunks for n in h.changed}))
    spans = java.methods(buggy_src)

    def innermost(n):
        inside = [m for m in spans if m.start_line <= n <= m.end_line]
        return min(inside, key=lambda m: m.end_line - m.start_line) if inside else None

    owners = [innermost(n) for n in changed]
    names = {(m.name, m.start_line) for m in owners if m}
    if not owners or owners[0] is None:
        raise UserError(f"{bug_id}: the patch changes lines outside any method ({file}:{changed[0]})")
    method = owners[0]
    single_function = len(names) == 1 and all(owners)
    in_method = [n for n, m in zip(changed, owners) if m == method]
    lines = (min(in_method), max(in_method))
    fixed = java.find_method(fixed_source(buggy_src, hunks), method.name, lines[0])
    facts = {"single_function": single_function, "hunks": blocks(changed), "files": 1}
    return Location(file, method.name, lines), method_text(fixed.text) if fixed else None, facts


def method_text(text: str) -> str:
    """A method's declaration as cut from a file (continuation lines keep the file's indent) as plain text."""
    from agent.history import method_text as plain
    return plain(text)


def checkout(project: str, number: int, work: Path) -> Path:
    target = work / f"{project}-{number}b"
    marker = target / ".repairchat-checkout"
    if not marker.exists():
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        call(["checkout", "-p", project, "-v", f"{number}b", "-w", str(target)])
        call(["compile", "-w", str(target)])  # builds what the exported classpath names (and checks the checkout)
        marker.write_text("ok\n")
    return target


def load_bug(bug_id: str, work: Path) -> Bug:
    project, number = parse_id(bug_id)
    exe = executable()
    patch = d4j_home(exe) / "framework" / "projects" / project / "patches" / f"{number}.src.patch"
    if not patch.is_file():
        raise UserError(f"Defects4J patch {patch} not found; set D4J_HOME to your defects4j clone")
    hunks = parse_patch(patch.read_text(encoding="utf-8", errors="replace"))
    root = checkout(project, number, work)
    src_dir, test_dir = export("dir.src.classes", root), export("dir.src.tests", root)
    classpath = tuple(p for p in export("cp.test", root).split(os.pathsep) if p)
    failing = tuple(t.strip() for t in export("tests.trigger", root).splitlines() if t.strip())
    files = sorted({h.file for h in hunks})
    rel = [f if f.startswith(src_dir + "/") else f"{src_dir}/{f}" for f in files]
    first = [h for h in hunks if h.file == files[0]]
    path = rel[0] if (root / rel[0]).is_file() else files[0]
    if not (root / path).is_file():
        raise UserError(f"d4j:{bug_id}: patched file {files[0]} not found in the checkout {root}")
    loc, fixed, facts = locate((root / path).read_text(encoding="utf-8", errors="replace"), first, bug_id)
    facts["files"] = len(files)
    facts["single_function"] = facts["single_function"] and len(files) == 1
    loc = Location(path, loc.method, loc.lines)
    return Bug(id=f"{project}-{number}", root=root, source_roots=(src_dir,), test_roots=(test_dir,),
               classpath=tuple(str(root / p) if not os.path.isabs(p) else p for p in classpath),
               failing_tests=failing, location=loc, fixed_method=fixed,
               description=f"Defects4J {project}-{number}", extra={"d4j": facts})


def load_bugs(bugs_arg: str | None, ids: list[str] | None, *, work: str | Path | None = None,
              single_function: bool = False, single_hunk: bool = False) -> list[Bug]:
    """The named Defects4J bugs (checked out as needed), filtered by --single-function / --single-hunk."""
    wanted = requested_ids(bugs_arg, [i for i in ids or []])
    executable()
    work = Path(work or os.environ.get("REPAIRCHAT_D4J_WORK") or ".repairchat/d4j")
    bugs = []
    for bug_id in dict.fromkeys(wanted):
        bug = load_bug(bug_id, work)
        facts = bug.extra["d4j"]
        if single_function and not facts["single_function"]:
            continue
        if single_hunk and not (facts["hunks"] == 1 and facts["files"] == 1):
            continue
        bugs.append(bug)
    if not bugs:
        raise UserError("no Defects4J bug left after --single-function/--single-hunk filtering")
    return bugs


ANT_PREFIX = re.compile(r"^\s*\[javac\] ?", re.MULTILINE)


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
            rc, out, err = run(["compile", "-w", str(ws.root)], self.config.compile_timeout)
            if rc != 0:
                text = ANT_PREFIX.sub("", out + "\n" + err)
                errors = fparse.parse_javac(text)
                detail = "defects4j compile timed out" if rc is None else ("" if errors else text.strip()[-500:])
                return Outcome("compile-error", tuple(errors), code, time.monotonic() - started, detail)
            budget = self.config.timeout_for(bug) * (count_tests(ws.root, bug.test_roots) + 1) + 60
            rc, out, err = run(["test", "-w", str(ws.root)], budget)
            seconds = time.monotonic() - started
            if rc is None:
                return Outcome("timeout", (fparse.TestTimeout("defects4j test", budget),), code, seconds,
                               f"defects4j test ran over {budget:g}s")
            report = ws.root / "failing_tests"
            found = fparse.parse_failing_tests(report.read_text(encoding="utf-8", errors="replace")) \
                if report.is_file() else []
            if found or rc != 0:
                return Outcome("test-failure", tuple(found), code, seconds,
                               "" if found else (err or out).strip()[-500:])
            return Outcome("plausible", (), code, seconds)
