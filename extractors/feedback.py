"""Failure feedback a model can act on: one rendering of parsed failures, shared by every prompt style.

``render_feedback(failures, context, limit)`` turns compile errors, test failures and timeouts into the next
chat turn's text. With a :class:`FeedbackContext` (built from the bug by the caller) it
  * names the file of every compile error, and says when an error lies in the method the model was shown,
    giving the line number relative to that method (line 1 = the method's first line) and the line's text;
  * orders a compile cascade root-first: errors inside the shown method, then the rest of its file, then other
    files (a test that no longer compiles against a changed signature), each in line order; identical messages
    are grouped ("and 12 more like it");
  * groups test failures by exception and message (13 tests failing the same way with different frames are
    one entry), shows the frame in the project's own code, chosen by the bug's packages rather than a fixed list
    of libraries, and quotes the failing test's own source line (its assertion) when the test sources are known;
  * keeps the whole text within ``limit`` characters, saying how many entries were left out.
Without a context the same rendering is used with what the failures carry (file names, frames by library list).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from extractors import java
from extractors._trace import frame_class, project_frame
from extractors.failures import CompileError, Failure, TestFailure, TestTimeout

__all__ = ["FeedbackContext", "render_feedback", "project_packages"]


@dataclass(frozen=True)
class FeedbackContext:
    """What the renderer needs to know about the bug (all optional)."""
    method_file: str = ""                 # the shown method's file, relative to ``root`` (``src/main/java/p/A.java``)
    method_start: int = 0                 # the method's first line in that file (1-based; 0 = unknown)
    method_lines: tuple[str, ...] = ()    # the method's lines as the model was shown them
    packages: tuple[str, ...] = ()        # the project's own packages (frames in them are the project's)
    root: str = ""                        # project root: test sources are read from ``root/test_root``
    test_roots: tuple[str, ...] = ()
    source_roots: tuple[str, ...] = ()

    def for_code(self, code: str | None) -> "FeedbackContext":
        """The context for a patched run: ``code`` (the method as applied, starting at the same line) is what
        line numbers inside the method refer to. A chunk (fill-in answer) leaves the context as it is."""
        if not code or not any(m.start_line == 2 and m.depth == 1 for m in java.methods("class _X {\n" + code + "\n}")):
            return self
        return replace(self, method_lines=tuple(code.split("\n")))

    def in_method(self, file: str, line: int) -> int:
        """The line's number within the shown method (1-based), 0 when the line is not in it."""
        if not (self.method_start and self.method_lines and _same_file(file, self.method_file)):
            return 0
        k = line - self.method_start + 1
        return k if 1 <= k <= len(self.method_lines) else 0


def _same_file(a: str, b: str) -> bool:
    if not a or not b:
        return False
    a, b = a.replace("\\", "/"), b.replace("\\", "/")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


@lru_cache(maxsize=64)
def project_packages(root: str, roots: tuple[str, ...]) -> tuple[str, ...]:
    """Packages declared by the Java files under ``root/<each of roots>`` (the bug's own code and tests)."""
    found: set[str] = set()
    pat = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
    for r in roots:
        base = Path(root) / r
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if not name.endswith(".java"):
                    continue
                try:
                    with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                        head = fh.read(4096)
                except OSError:
                    continue
                m = pat.search(head)
                if m:
                    found.add(m.group(1))
    return tuple(sorted(found))


# ----------------------------------------------------------------------------------------------- compile
def _compile_rank(e: CompileError, ctx: FeedbackContext) -> tuple:
    if ctx.in_method(e.file, e.line):
        group = 0
    elif _same_file(e.file, ctx.method_file):
        group = 1
    else:
        group = 2 if e.file else 3
    return (group, e.file, e.line)


def _where(e: CompileError, ctx: FeedbackContext) -> str:
    k = ctx.in_method(e.file, e.line)
    name = e.file.replace("\\", "/").rsplit("/", 1)[-1] if e.file else "compiler"
    if k:
        return f"line {k} of the method"
    if not e.line:
        return name
    where = f"{name} line {e.line}"
    return where + (" (outside the method)" if _same_file(e.file, ctx.method_file) and ctx.method_lines else "")


def _clip(s: str, n: int) -> str:
    s = s.strip()
    return s if len(s) <= n else s[: max(0, n - 1)].rstrip() + "…"


def _render_compile(e: CompileError, ctx: FeedbackContext, more: list[CompileError]) -> str:
    msg_lines = e.message.split("\n")
    text = [f"{_where(e, ctx)}: {_clip(msg_lines[0], 300)}"]
    k = ctx.in_method(e.file, e.line)
    src = e.source_line if e.source_line.strip() else (ctx.method_lines[k - 1] if k else "")
    if src.strip():
        lead = len(src) - len(src.lstrip())
        text.append("    " + _clip(src.strip(), 200))
        if e.column and e.column - 1 >= lead and e.source_line.strip():
            text.append("    " + " " * (e.column - 1 - lead) + "^")
    text += ["  " + _clip(d, 200) for d in msg_lines[1:4]]
    if more:
        where = ", ".join(_where(m, ctx) for m in more[:4]) + (", …" if len(more) > 4 else "")
        text.append(f"  (and {len(more)} more like it: {where})")
    return "\n".join(text)


def _compile_entries(errors: list[CompileError], ctx: FeedbackContext) -> list[str]:
    groups: dict[tuple, list[CompileError]] = {}
    for e in sorted(errors, key=lambda e: _compile_rank(e, ctx)):
        key = (e.message.split("\n")[0], "\n".join(e.message.split("\n")[1:2]))
        groups.setdefault(key, []).append(e)
    entries = []
    for same in groups.values():
        entries.append(_render_compile(same[0], ctx, same[1:]))
    return entries  # groups keep the rank order of their first error (dicts keep insertion order)


# ----------------------------------------------------------------------------------------------- tests
def _frame_file_line(frame: str) -> tuple[str, int] | None:
    m = re.search(r"\(([^():]+\.java):(\d+)\)\s*$", frame)
    return (m.group(1), int(m.group(2))) if m else None


def _test_source_line(f: TestFailure, frames: Sequence[str], ctx: FeedbackContext) -> tuple[str, str] | None:
    """(``FooTest.java:12``, the line's text) of the failing test's own frame, read from the test sources."""
    if not ctx.root:
        return None
    test_cls = f.test.split("::", 1)[0]
    for fr in frames:
        if frame_class(fr).split("$", 1)[0] != test_cls:
            continue
        fl = _frame_file_line(fr)
        if not fl:
            return None
        pkg_path = test_cls.rsplit(".", 1)[0].replace(".", "/") if "." in test_cls else ""
        for r in ctx.test_roots + ctx.source_roots:
            path = Path(ctx.root) / r / pkg_path / fl[0]
            text = _read_line(str(path), fl[1])
            if text is not None:
                return f"{fl[0]}:{fl[1]}", text.strip()
        return None
    return None


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...] | None:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").split("\n"))
    except OSError:
        return None


def _read_line(path: str, line: int) -> str | None:
    lines = _lines(path)
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1]


def _frame_text(frame: str, ctx: FeedbackContext) -> str:
    fl = _frame_file_line(frame)
    if fl and ctx.method_file:
        file = ctx.method_file.replace("\\", "/").rsplit("/", 1)[-1]
        k = ctx.in_method(ctx.method_file, fl[1]) if fl[0] == file else 0
        if k:
            return f"at line {k} of the method: {_clip(ctx.method_lines[k - 1].strip(), 160)}"
    return f"at {frame}"


def _render_test(fs: list[TestFailure], ctx: FeedbackContext) -> str:
    f = fs[0]
    exc = f.exception.rsplit(".", 1)[-1] if f.exception else "failure"
    if len(fs) == 1:
        head = f"{f.test} failed: {exc}"
    else:
        names = ", ".join(x.test.split("::")[-1] for x in fs[1:4]) + (", …" if len(fs) > 4 else "")
        head = f"{f.test} failed (and {len(fs) - 1} more tests failing the same way: {names}): {exc}"
    if f.message:
        msg = _clip(f.message, 400)
        head += (": " + msg) if "\n" not in msg else ":\n    " + msg.replace("\n", "\n    ")
    text = [head]
    if f.expected is not None and "expected" not in (f.message or ""):
        text.append(f"  expected: {_clip(f.expected, 150)}  actual: {_clip(f.actual or '', 150)}")
    frames = f.frames or ((f.frame,) if f.frame else ())
    frame = project_frame(frames, ctx.packages) if frames else None
    src = _test_source_line(f, frames, ctx)
    if frame:
        line = "  " + _frame_text(frame, ctx)
        if src and src[0] in frame:  # the failing line is the test's own: quote it
            line += f": {_clip(src[1], 200)}"
            src = None
        text.append(line)
    if src:
        text.append(f"  in the test at {src[0]}: {_clip(src[1], 200)}")
    return "\n".join(text)


# ----------------------------------------------------------------------------------------------- render
def render_feedback(failures: Sequence[Failure], context: FeedbackContext | None = None, limit: int = 1200,
                    header: bool = True) -> str:
    """The next chat turn's failure text (see the module docstring), at most ``limit`` characters; ``header=False``
    leaves out the "does not compile" line for a caller whose own first line already says so."""
    ctx = context or FeedbackContext()
    entries: list[str] = []
    comp = [f for f in failures if isinstance(f, CompileError)]
    if comp:
        seen: set = set()
        uniq = []
        for e in comp:
            if (e.file, e.line, e.message) not in seen:
                seen.add((e.file, e.line, e.message))
                uniq.append(e)
        entries += _compile_entries(uniq, ctx)
        if header:
            entries[0] = "The code does not compile:\n" + entries[0]
    groups: dict[tuple, list[TestFailure]] = {}
    order: list = []
    timed: set = set()
    for f in failures:
        if isinstance(f, TestFailure):
            key = (f.exception, f.message)
            if key not in groups:
                groups[key] = []
                order.append(("t", key))
            groups[key].append(f)
        elif isinstance(f, TestTimeout) and f.test not in timed:
            timed.add(f.test)
            order.append(("o", f))
    for tag, item in order:
        if tag == "t":
            entries.append(_render_test(groups[item], ctx))
        else:
            entries.append(f"{item.test} timed out after {item.seconds:g} s (infinite loop or very slow code?)")
    return _fit(entries, limit) if entries else ""


def _fit(items: list[str], limit: int) -> str:
    out: list[str] = []
    for i, item in enumerate(items):
        left = len(items) - i - 1
        omit = [f"({left} more failures omitted)"] if left else []
        if len("\n".join(out + [item] + omit)) <= limit:
            out.append(item)
            continue
        if not out:  # the first item alone is too long: clip it rather than show nothing
            room = limit - (len(omit[0]) + 1 if omit else 0)
            if room > 20:
                out.append(_clip(item, room))
        break
    left = len(items) - len(out)
    if left:
        out.append(f"({left} more failures omitted)")
    return "\n".join(out)[:limit]
