"""Scratch copies of a bug's project and patch application by tree-sitter span.

The user's files are never written: every candidate is applied to a fresh copy under a temporary folder that is
removed afterwards, whatever happens.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from agent.bugs import Bug, Location
from extractors import java

IGNORED = shutil.ignore_patterns(".git", "target", "build", ".repairchat", "*.class", ".gradle")


class ApplyError(Exception):
    """The candidate cannot be put into the buggy file (method not found, no chunk lines, ...)."""


@dataclass(frozen=True)
class Patched:
    source: str  # the whole patched file
    code: str  # the applied method or chunk, re-indented as it stands in the file


def reindent(code: str, indent: str) -> str:
    """Dedent ``code`` and indent every line but the first by ``indent`` (the first continues the line)."""
    lines = textwrap.dedent(code.replace("\r\n", "\n").strip("\n")).rstrip().split("\n")
    return "\n".join([lines[0]] + [indent + ln if ln.strip() else "" for ln in lines[1:]])


def _line_indent(src: str, offset: int) -> str:
    start = src.rfind("\n", 0, offset) + 1
    line = src[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]


def buggy_method(source: str, loc: Location) -> java.MethodSpan:
    span = java.find_method(source, loc.method, line=loc.lines[0] if loc.lines else None)
    if span is None:
        raise ApplyError(f"method {loc.method!r} not found in {loc.file}")
    return span


def apply_method(source: str, loc: Location, code: str) -> Patched:
    """Replace the buggy method's declaration with ``code`` (a whole method)."""
    span = buggy_method(source, loc)
    data = source.encode("utf-8")
    prefix = data[: span.start_byte].decode("utf-8")
    indent = _line_indent(prefix + "x", len(prefix))
    new = reindent(code, indent)
    return Patched(prefix + new + data[span.end_byte:].decode("utf-8"), new)


def apply_chunk(source: str, loc: Location, code: str) -> Patched:
    """Replace the buggy chunk (``loc.lines``) with ``code``; an empty chunk deletes the lines."""
    if not loc.lines:
        raise ApplyError("bug has no 'location.lines', so a chunk cannot be applied; give a whole method")
    lines = source.splitlines(keepends=True)
    first, last = loc.lines
    if last > len(lines):
        raise ApplyError(f"chunk lines {first}-{last} are past the end of {loc.file} ({len(lines)} lines)")
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip(" \t"))]
    new = indent + reindent(code, indent) + "\n" if code.strip() else ""
    return Patched("".join(lines[: first - 1]) + new + "".join(lines[last:]), new)


def apply(source: str, loc: Location, code: str, kind: str) -> Patched:
    if kind == "chunk":
        return apply_chunk(source, loc, code)
    if kind == "method":
        return apply_method(source, loc, code)
    raise ApplyError(f"unknown candidate kind {kind!r} (method or chunk)")


def safe_name(text: str) -> str:
    """``text`` usable in a folder name on a classpath (no ``:``, ``/`` or spaces)."""
    return re.sub(r"[^\w.-]", "_", text)


class Workspace:
    """A scratch copy of a bug's project, removed on exit: ``with Workspace(bug) as ws: ws.write(text)``."""

    def __init__(self, bug: Bug, parent: str | None = None):
        self.bug = bug
        self._parent = parent or os.environ.get("REPAIRCHAT_SCRATCH")
        self.tmp: Path | None = None

    def __enter__(self) -> "Workspace":
        self.tmp = Path(tempfile.mkdtemp(prefix=f"repairchat-{safe_name(self.bug.id)}-", dir=self._parent))
        shutil.copytree(self.bug.root, self.root, ignore=IGNORED)
        return self

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def root(self) -> Path:
        assert self.tmp is not None, "use Workspace as a context manager"
        return self.tmp / "project"

    @property
    def out(self) -> Path:
        return self.tmp / "classes"

    def write(self, source: str) -> None:
        (self.root / self.bug.location.file).write_text(source, encoding=self.bug.encoding)

    def java_files(self, roots: tuple[str, ...]) -> list[str]:
        return sorted(str(p) for r in roots for p in (self.root / r).rglob("*.java"))
