"""Where a Defects4J fix is: the bug's source patch, the buggy method it changes and the developer's version of it.

A Defects4J source patch (``framework/projects/<P>/patches/<id>.src.patch``) is a unified diff from the fixed to
the buggy version, so ``+`` lines are buggy lines. The buggy method is the innermost method (tree-sitter) holding
the changed lines. A fix is *single-function* only when putting the developer's version of that one method into
the buggy file gives the fixed file, comments and layout aside: a fix that also adds or removes a method, changes
another method, a field or an import, or touches a second file is not (its recovered method alone would not be the
fix; an added overload could even make it call itself).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from agent.bugs.manifest import Location
from agent.errors import UserError
from extractors import java


@dataclass(frozen=True)
class Hunk:
    file: str
    fixed_start: int
    fixed_lines: tuple[str, ...]  # the hunk's lines as in the fixed version (' ' and '-')
    buggy_start: int
    buggy_lines: tuple[str, ...]  # as in the buggy version (' ' and '+')
    changed: tuple[int, ...]  # buggy line numbers of '+' lines; for a pure deletion, the line before it


@dataclass(frozen=True)
class Located:
    location: Location
    fixed_method: str | None  # the developer's version of the method; None unless the fix is single-function
    facts: dict  # single_function, hunks, files, and why not single-function


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


def fixed_line(n: int, hunks: list[Hunk]) -> int:
    """Where buggy line ``n`` is (about) in the fixed version."""
    shift = 0
    for h in sorted(hunks, key=lambda h: h.buggy_start):
        if n < h.buggy_start:
            break
        if n < h.buggy_start + len(h.buggy_lines):
            return h.fixed_start + min(n - h.buggy_start, max(len(h.fixed_lines) - 1, 0))
        shift = (h.fixed_start + len(h.fixed_lines)) - (h.buggy_start + len(h.buggy_lines))
    return n + shift


def blocks(lines: tuple[int, ...]) -> int:
    """How many contiguous runs of line numbers."""
    return sum(1 for k, n in enumerate(lines) if k == 0 or n != lines[k - 1] + 1)


def counterpart(method: java.MethodSpan, fixed_src: str, hunks: list[Hunk]) -> java.MethodSpan | None:
    """The fixed version's method with the same name and arity nearest to where ``method`` moved."""
    line = fixed_line(method.start_line, hunks)
    same = [m for m in java.methods(fixed_src) if m.name == method.name and m.arity == method.arity]
    if not same:
        return None
    return min(same, key=lambda m: (0 if m.start_line <= line <= m.end_line else 1, abs(m.start_line - line)))


def splice(src: str, span: java.MethodSpan, text: str) -> str:
    data = src.encode("utf-8")
    return (data[:span.start_byte] + text.encode("utf-8") + data[span.end_byte:]).decode("utf-8")


def signatures(spans: list[java.MethodSpan]) -> Counter:
    return Counter(f"{m.name}/{m.arity}" for m in spans)


def locate(buggy_src: str, hunks: list[Hunk], bug_id: str) -> Located:
    """The buggy method of one file's hunks, the developer's version of it and whether that alone is the fix."""
    file = hunks[0].file
    changed = tuple(sorted({n for h in hunks for n in h.changed}))
    spans = java.methods(buggy_src)
    fixed_src = fixed_source(buggy_src, hunks)

    def innermost(n):
        inside = [m for m in spans if m.start_line <= n <= m.end_line]
        return min(inside, key=lambda m: m.end_line - m.start_line) if inside else None

    owners = list(dict.fromkeys(m for m in (innermost(n) for n in changed) if m is not None))
    fixed_spans = java.methods(fixed_src)
    before, after = signatures(spans), signatures(fixed_spans)
    added, removed = sorted((after - before).elements()), sorted((before - after).elements())
    if not owners:
        what = f"adds {', '.join(added)}" if added else f"changes only lines outside methods ({file}:{changed[0]})"
        raise UserError(f"{bug_id}: no existing method to repair: the fix {what}")
    target = java.normalize(fixed_src)
    method, fixed, whole = owners[0], counterpart(owners[0], fixed_src, hunks), False
    for m in owners:  # the method whose developer version alone turns the buggy file into the fixed one
        fm = counterpart(m, fixed_src, hunks)
        if fm is not None and java.normalize(splice(buggy_src, m, fm.text)) == target:
            method, fixed, whole = m, fm, True
            break
    facts: dict = {"single_function": whole, "hunks": blocks(changed), "files": 1}
    if not whole:
        if added or removed:
            facts["why"] = "the fix " + " and ".join(
                f"{verb} method{'s' if len(names) > 1 else ''} {', '.join(names)}"
                for verb, names in (("adds", added), ("removes", removed)) if names)
        elif len(owners) > 1:
            facts["why"] = f"the fix changes {len(owners)} methods ({', '.join(m.name for m in owners)})"
        else:
            facts["why"] = f"the fix changes {file} outside method {method.name} (a field, an import, a signature)"
    in_method = [n for n in changed if method.start_line <= n <= method.end_line]
    location = Location(file, method.name, (min(in_method), max(in_method)))
    return Located(location, method_text(fixed.text) if whole and fixed else None, facts)


def method_text(text: str) -> str:
    """A method's declaration as cut from a file (continuation lines keep the file's indent) as plain text."""
    from agent.history import method_text as plain
    return plain(text) or text
