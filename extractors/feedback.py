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
    name = re.match(r"^[^(=]*?(\w+)\s*\(", ctx.method_lines[0]) if ctx.method_lines else None
    for same in groups.values():
        text = _render_compile(same[0], ctx, same[1:])
        # a changed signature breaks the callers elsewhere (a test calling it 79 times): say that is the cause
        if name and not ctx.in_method(same[0].file, same[0].line) \
                and re.match(rf"^(method|constructor) {re.escape(name.group(1))}\b", same[0].message):
            text += f"\n  (these call the method you are fixing: keep the parameters of {name.group(1)})"
        entries.append(text)
    return entries  # groups keep the rank order of their first error (dicts keep insertion order)


# ----------------------------------------------------------------------------------------------- tests
def _frame_file_line(frame: str) -> tuple[str, int] | None:
    m = re.search(r"\(([^():]+\.java):(\d+)\)\s*$", frame)
    return (m.group(1), int(m.group(2))) if m else None


# javac puts a frame on one line of a multi-line statement (its first, last or a middle one), which alone may say
# nothing (``assertEquals("x",``, ``return``, ``}``): the statement is quoted whole, a compound one by its header
_STATEMENTS = frozenset({
    "expression_statement", "local_variable_declaration", "return_statement", "throw_statement", "assert_statement",
    "yield_statement", "break_statement", "continue_statement", "explicit_constructor_invocation", "field_declaration",
    "if_statement", "while_statement", "for_statement", "enhanced_for_statement", "do_statement", "switch_expression",
    "try_statement", "try_with_resources_statement", "synchronized_statement"})
_HEADED = {"if_statement": "consequence", "while_statement": "body", "for_statement": "body",
           "enhanced_for_statement": "body", "switch_expression": "body", "synchronized_statement": "body",
           "try_statement": "body", "try_with_resources_statement": "body"}
_MAX_ROWS = 6


def _statement(lines: Sequence[str], line: int, src: str | None = None, offset: int = 0, method: str = "") -> str:
    """The statement that ``line`` (1-based in ``lines``) belongs to, on one line; '' for a line without code.
    ``src``: the text to parse when ``lines`` is not a whole compilation unit, its row ``offset`` rows down.
    ``method``: the frame's method; '' when the line is in another (the log's line numbers are of other sources,
    e.g. Defects4J's stored trigger tests against a checkout whose broken tests were removed)."""
    if not 1 <= line <= len(lines):
        return ""
    raw = lines[line - 1].strip()
    code = raw if re.sub(r"[{}();\s]|//.*|/\*.*?\*/", "", raw) and not raw.startswith(("*", "/*", "//")) else ""
    row, col = line - 1 + offset, len(lines[line - 1]) - len(lines[line - 1].lstrip())
    node = java.parse(src if src is not None else "\n".join(lines)).root_node.descendant_for_point_range((row, col),
                                                                                                      (row, col))
    if method and not _frame_method_matches(node, method):
        return ""
    while node is not None and node.type not in _STATEMENTS:
        node = node.parent
    if node is None:
        return code
    first, last = node.start_point.row, node.end_point.row
    if node.type in _HEADED:
        body = node.child_by_field_name(_HEADED[node.type])
        if body is None or not first <= row <= body.start_point.row:
            return code  # an ``else`` or ``}`` line of the statement: its own text if any
        last = body.start_point.row
    if last - first >= _MAX_ROWS:
        return code
    return _join(lines[first - offset:last - offset + 1])


def _frame_method_matches(node, method: str) -> bool:
    """Whether the frame's method (``check``, ``lambda$check$0``, ``<init>``) can be the one enclosing ``node``."""
    if method.startswith(("<", "access$")):
        return True
    while node is not None and node.type not in ("method_declaration", "constructor_declaration"):
        node = node.parent
    name = node.child_by_field_name("name") if node is not None else None
    if name is None or name.text is None:
        return False
    found = name.text.decode("utf-8", "replace")
    return found == method or (method.startswith("lambda$") and found in method.split("$"))


def _join(rows: Sequence[str]) -> str:
    """Source rows as one line: ``Calc`` + ``.parse(s)`` -> ``Calc.parse(s)``, otherwise one space between."""
    out = ""
    for x in (r.strip() for r in rows):
        if x:
            out += ("" if not out or x[0] in ".,;)]" or out[-1] in "([" else " ") + x
    return out


def _method_statement(ctx: FeedbackContext, k: int) -> str:
    """The statement at line ``k`` of the shown method (its own line's text when it is not one)."""
    lines = ctx.method_lines
    return _statement(lines, k, "class _X {\n" + "\n".join(lines) + "\n}", 1) or lines[k - 1].strip()


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...] | None:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").split("\n"))
    except OSError:
        return None


def _source_path(frame: str, ctx: FeedbackContext, roots: Sequence[str]) -> str | None:
    """The file under ``ctx.root/<one of roots>`` that holds ``frame``'s line, if there is one."""
    fl = _frame_file_line(frame)
    if not ctx.root or not fl:
        return None
    cls = frame_class(frame).split("$", 1)[0]
    pkg_path = cls.rsplit(".", 1)[0].replace(".", "/") if "." in cls else ""
    for r in roots:
        path = str(Path(ctx.root) / r / pkg_path / fl[0])
        if _lines(path) is not None:
            return path
    return None


def _quote(frame: str, ctx: FeedbackContext, roots: Sequence[str]) -> str:
    """The statement at ``frame``'s line, read from the sources under ``roots`` ('' when not found)."""
    path = _source_path(frame, ctx, roots)
    fl = _frame_file_line(frame)
    lines = _lines(path) if path else None
    method = frame.split("(", 1)[0].rsplit(".", 1)[-1]
    return _clip(_statement(lines, fl[1], method=method), 200) if lines and fl else ""


def _test_frames(f: TestFailure, frames: Sequence[str], ctx: FeedbackContext) -> list[str]:
    """The frames in the test sources: the first (where the assertion failed, perhaps in a helper or an inherited
    method) and, when that is another frame, the test method's own."""
    if not ctx.root:
        return []
    test_cls = f.test.split("::", 1)[0]
    side = [fr for fr in frames if _frame_file_line(fr) and (frame_class(fr).split("$", 1)[0] == test_cls
                                                              or _source_path(fr, ctx, ctx.test_roots))]
    if not side:
        return []
    meth = f.test.split("::", 1)[-1].split("[", 1)[0]
    own = next((fr for fr in side if fr.split("(", 1)[0].rsplit(".", 1)[-1] == meth), None)
    return [side[0]] + ([own] if own is not None and own != side[0] else [])


def _in_method(frame: str, ctx: FeedbackContext) -> int:
    fl = _frame_file_line(frame)
    if not fl or not ctx.method_file or fl[0] != ctx.method_file.replace("\\", "/").rsplit("/", 1)[-1]:
        return 0
    return ctx.in_method(ctx.method_file, fl[1])


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
    frames = list(f.frames or ((f.frame,) if f.frame else ()))
    frame = project_frame(frames, ctx.packages) if frames else None
    tests = _test_frames(f, frames, ctx)
    roots = ctx.test_roots + ctx.source_roots
    if frame:
        k = _in_method(frame, ctx)
        if k:
            text.append(f"  at line {k} of the method: {_clip(_method_statement(ctx, k), 200)}")
        else:
            quote = _quote(frame, ctx, roots)
            text.append(f"  at {frame}" + (f": {quote}" if quote else ""))
            # the line of the shown method that led there (the frame is in code it calls)
            caller = next((fr for fr in frames[frames.index(frame) + 1:] if _in_method(fr, ctx)), None)
            if caller is not None:
                k = _in_method(caller, ctx)
                text.append(f"  called from line {k} of the method: {_clip(_method_statement(ctx, k), 200)}")
    for fr in (t for t in tests if t != frame):
        quote = _quote(fr, ctx, roots)
        fl = _frame_file_line(fr)
        if quote and fl:
            where = "in the test at" if fr == tests[0] else "called from the test at"
            text.append(f"  {where} {fl[0]}:{fl[1]}: {quote}")
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
