"""Parse compiler / test-runner output into failures and render the concise next chat turn.

Inputs handled (all pure text -> frozen dataclasses):
  * javac (any locale: keyed on ``File.java:12: <word>: message`` + source line + caret, incl. -Xdiags:verbose),
    Maven ``[ERROR] /p/Foo.java:[12,5] msg``, Gradle/Kotlin ``e: file.kt:12:5 msg``;
  * JUnit 4 JUnitCore text, RepairRunner ``REPAIRCHAT-TIMEOUT`` lines, JUnit 5 console launcher (failures
    section, flat details, tree), Maven Surefire (2.x and 3.x, detail blocks and summaries), Gradle test logs,
    Defects4J ``failing_tests`` files.
Trace parsing (exception, message, expected/actual, project frame) lives in :mod:`extractors._trace`.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from typing import Sequence, Union, cast

from extractors._trace import Trace, frame_class, parse_trace, strip_ansi

__all__ = ["CompileError", "TestFailure", "TestTimeout", "Failure", "parse_javac", "parse_junit",
           "parse_failing_tests", "render_feedback", "failure_to_dict", "failure_from_dict"]


@dataclass(frozen=True)
class CompileError:
    file: str
    line: int
    column: int | None
    message: str
    source_line: str = ""
    kind = "compile"


@dataclass(frozen=True)
class TestFailure:
    __test__ = False  # not a pytest class
    test: str
    exception: str
    message: str
    expected: str | None = None
    actual: str | None = None
    frame: str | None = None
    frames: tuple[str, ...] = ()    # the whole trace; the frame to show is chosen at render time
    kind = "test"


@dataclass(frozen=True)
class TestTimeout:
    __test__ = False
    test: str
    seconds: float
    kind = "timeout"


Failure = Union[CompileError, TestFailure, TestTimeout]

# ----------------------------------------------------------------------------------------------- javac
_JAVAC_HEAD = re.compile(r"^(?P<file>\S.*?\.java):(?P<line>\d+): (?:(?P<kw>[^\s:]{1,20}): )?(?P<msg>.*)$")
_JAVAC_BARE = re.compile(r"^(?P<kw>error|エラー|错误|錯誤|Fehler|erreur|errore|오류): (?P<msg>.+)$")
_MAVEN_HEAD = re.compile(r"^\[(?P<lvl>ERROR|WARNING|WARN)\]\s+(?P<file>\S.*?\.(?:java|kt|groovy|scala)):"
                         r"\[(?P<line>\d+),(?P<col>\d+)\]\s*(?P<msg>.*)$")
_KOTLIN_HEAD = re.compile(r"^(?P<lvl>[ew]): (?:file://)?(?P<file>\S.*?\.(?:kt|kts|java)):"
                          r"(?:(?P<line>\d+):(?P<col>\d+):?| \((?P<line2>\d+), (?P<col2>\d+)\):) (?P<msg>.*)$")
# Gradle 4 prints the task path right before the compiler's first line: ":compileJava/home/u/p/Foo.java:3: error"
_GLUED_TASK = re.compile(r"^:[\w.:-]*?(?=/|[A-Za-z]:[\\/])")
_CARET = re.compile(r"^[ \t]*\^\s*$")
_WARN_WORDS = {"warning", "warnung", "警告", "avertissement", "avviso", "advertencia", "aviso", "경고",
               "note", "hinweis", "注", "注意", "remarque"}
_SUMMARY = re.compile(r"^(\d+ (errors?|warnings?)|エラー\d+個|警告\d+個|\d+ 个(错误|警告)|\d+ (Fehler|Warnung(en)?)"
                      r"|Note: |注: |注意: |Hinweis: |\d+ erreurs?|\d+ errori)")


def _column(caret_line: str) -> int:
    return caret_line.index("^") + 1


# CI log decorations: a GitHub Actions / Azure timestamp before every line, and GitHub's "Error:  " for "[ERROR] "
_CI_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_CI_LEVEL = re.compile(r"^(Error|Warning):  ")


def _log_lines(output: str) -> list[str]:
    """The log's lines without colours, carriage returns or CI decorations (timestamps, ``Error:  `` levels)."""
    lines = strip_ansi(output).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(_CI_STAMP.match(x) for x in lines[:50]):
        lines = [_CI_STAMP.sub("", x, count=1) for x in lines]
    return [_CI_LEVEL.sub(lambda m: f"[{m.group(1).upper()}] ", x, count=1) for x in lines]


def parse_javac(output: str) -> list[CompileError]:
    """Compile errors (warnings dropped) from javac / Maven / Gradle / kotlinc output, deduplicated, in order."""
    lines = _log_lines(output)
    out: list[CompileError] = []
    seen: set[tuple] = set()

    def add(err: CompileError) -> None:
        key = (err.file, err.line, err.column, err.message.split("\n")[0])
        if key not in seen:
            seen.add(key)
            out.append(err)
            return
        for k, old in enumerate(out):  # a later copy with more detail (Maven prints errors twice) wins
            if (old.file, old.line, old.column, old.message.split("\n")[0]) == key \
                    and len(err.message) + len(err.source_line) > len(old.message) + len(old.source_line):
                out[k] = err

    i = 0
    while i < len(lines):
        line = lines[i]
        m = _JAVAC_HEAD.match(line)
        if m:
            kw = (m.group("kw") or "").lower()
            i += 1
            src, col, details = "", None, []
            if i + 1 < len(lines) and _CARET.match(lines[i + 1]):
                src, col = lines[i].rstrip(), _column(lines[i + 1])
                i += 2
            elif i < len(lines) and _CARET.match(lines[i]):
                col = _column(lines[i])
                i += 1
            while i < len(lines) and lines[i][:1] in (" ", "\t") and lines[i].strip() \
                    and not _JAVAC_HEAD.match(lines[i]):
                details.append(lines[i].strip())
                i += 1
            if kw not in _WARN_WORDS:
                msg = "\n".join([m.group("msg").strip()] + details)
                add(CompileError(_GLUED_TASK.sub("", m.group("file")), int(m.group("line")), col, msg, src))
            continue
        m = _MAVEN_HEAD.match(line)
        if m:
            i += 1
            details = []
            while i < len(lines) and re.match(r"^(\[(ERROR|WARNING)\])?\s{2,}\S", lines[i]) \
                    and not _MAVEN_HEAD.match(lines[i]):
                details.append(re.sub(r"^\[\w+\]\s+", "", lines[i]).strip())
                i += 1
            if m.group("lvl") == "ERROR":
                msg = "\n".join([m.group("msg").strip()] + details)
                add(CompileError(m.group("file"), int(m.group("line")), int(m.group("col")), msg))
            continue
        m = _KOTLIN_HEAD.match(line)
        if m:
            i += 1
            if m.group("lvl") == "e":
                ln = int(m.group("line") or m.group("line2"))
                col = int(m.group("col") or m.group("col2"))
                add(CompileError(m.group("file"), ln, col, m.group("msg").strip()))
            continue
        m = _JAVAC_BARE.match(line)
        if m:
            add(CompileError("", 0, None, m.group("msg").strip()))
        i += 1
    return out


# ----------------------------------------------------------------------------------------------- tests
_TIMEOUT_LINE = re.compile(r"^\s*REPAIRCHAT-TIMEOUT\s+(\S+::\S+)\s+([\d.]+)")
_HEADERS: list[tuple[str, re.Pattern]] = [
    ("d4j", re.compile(r"^--- (?P<cls>[\w$.]+)::(?P<meth>\S+)\s*$")),
    ("d4j-class", re.compile(r"^--- (?P<cls>[\w$]+(?:\.[\w$]+)+)\s*$")),  # class-level (e.g. @BeforeClass) failure
    ("junit4", re.compile(r"^\d+\) (?P<meth>[^\s(][^(]*?)\((?P<cls>[\w$.]+)\)\s*$")),
    ("junit4-class", re.compile(r"^\d+\) (?P<cls>[\w$]+(?:\.[\w$]+)+)\s*$")),  # a failing @BeforeClass (JUnitCore)
    # Surefire detail headers; before 2.20 without a ``[LEVEL]``. 2.x: ``meth(pkg.Cls)`` (JUnit 4 runner) or, with the
    # JUnit Platform, ``meth{int}[1]`` with the class only in the ``Running`` line; 3.x: ``pkg.Cls.meth(int)[1] --``.
    # A parameterised invocation keeps its index (``meth[1]``): each invocation is its own failure.
    ("surefire", re.compile(r"^(?:\[(?:ERROR|INFO|WARNING)\]\s+)?(?P<meth>[^\s(]+)\((?P<cls>[\w$.]+)\)\s+"
                            r"Time elapsed:.*<<<\s*(?:FAILURE|ERROR)!")),
    ("surefire3", re.compile(r"^(?:\[(?:ERROR|INFO|WARNING)\]\s+)?(?P<cls>[\w$]+(?:\.[\w$]+)*)\.(?P<meth>[\w$]+)"
                             r"(?:\([^()]*\))?(?P<idx>\[[^\]]*\])?\s+--?\s*Time elapsed:.*<<<\s*(?:FAILURE|ERROR)!")),
    # 2.x's class-level failure (@BeforeClass/@BeforeAll): ``[ERROR] pkg.Cls  Time elapsed: 0 s  <<< ERROR!``
    ("surefire-dotted", re.compile(r"^(?:\[(?:ERROR|INFO|WARNING)\]\s+)?(?P<cls>[\w$]+(?:\.[\w$]+)*)\.(?P<meth>[\w$]+)"
                                   r"\s+Time elapsed:.*<<<\s*(?:FAILURE|ERROR)!")),
    ("surefire-nocls", re.compile(r"^(?:\[(?:ERROR|INFO|WARNING)\]\s+)?(?P<meth>[\w$]+)(?:\([^()]*\))?(?:\{[^{}]*\})?"
                                  r"(?P<idx>\[[^\]]*\])?\s+Time elapsed:.*<<<\s*(?:FAILURE|ERROR)!")),
    ("gradle", re.compile(r"^(?P<cls>[\w$]+(?:\.[\w$]+)*) > (?P<meth>.+?) FAILED\s*$")),
    ("bare4", re.compile(r"^(?P<meth>[A-Za-z_$][\w$]*(?:\[[^\]]*\])?)\((?P<cls>[\w$]+(?:\.[\w$]+)+)\)\s*$")),
]
# the failures section's header line (``--details=tree``/``summary``); ``--details=verbose`` prints the same text
# after ``source:`` for every test, passing ones too: those lines are read by _j5_verbose instead
_J5_SOURCE = re.compile(r"^\s*MethodSource \[className = '(?P<cls>[^']+)', methodName = '(?P<meth>[^']+)'")
_J5_FLAT = re.compile(r"^(?:Finished|Failed):\s+.*(?:\[class:(?P<cls>[\w$.]+)\]/\[(?:method|test-template)"
                      r":(?P<meth>[\w$]+)\(|\[runner:(?P<vcls>[\w$.]+)\]/\[test:(?P<vmeth>[\w$]+)[(\]])")
_END = re.compile(r"^(FAILURES!!!|Tests run: \d|OK \(\d+ tests?\)|REPAIRCHAT-RESULT|Time: [\d.,]+\s*$|"
                  r"\[INFO\]|\[WARNING\]|BUILD (SUCCESS|FAILURE|FAILED)|Test run finished after|"
                  r"Failures \(\d+\):|\d+ tests? completed|> Task |There (was|were) \d+ failures?:|"
                  r"\[ERROR\] (Tests run:|Failures:|Errors:|Failed to execute)|Results :|Failed tests:|"
                  r"Tests in error:)")
_RUNNING = re.compile(r"^(?:\[INFO\]\s+)?Running (?P<cls>[\w$.]+)\s*$|"
                      r"^(?:\[\w+\]\s+)?Tests run: .*<<< (?:FAILURE|ERROR)! --? in (?P<cls2>[\w$.]+)\s*$")


def _test_id(cls: str, meth: str) -> str:
    meth = meth.strip()
    if meth.endswith("()"):
        meth = meth[:-2]
    return f"{cls}::{meth}"


def _class_level(cls: str, meth: str, running: str) -> bool:
    """Whether Surefire 3's ``pkg.Cls -- Time elapsed`` header names a class (its ``cls.meth`` split is wrong)."""
    return f"{cls}.{meth}" == running or (meth[:1].isupper() and cls.rsplit(".", 1)[-1][:1].islower())


def _nested(test: str, frames: tuple[str, ...]) -> str:
    """A JUnit Platform test in a ``@Nested`` class: Surefire 2.x names only the outer class (its ``Running``
    line); the trace's frame of the test method names the nested one."""
    cls, _sep, meth = test.partition("::")
    base = meth.split("[", 1)[0]
    for fr in frames:
        c = frame_class(fr)
        if c.startswith(cls + "$") and fr.split("(", 1)[0].rsplit(".", 1)[-1] == base:
            return f"{c}::{meth}"
    return test


def _blocks(lines: list[str]) -> list[tuple[str, str, list[str]]]:
    """(style, test id, body lines) for every failure block header found."""
    blocks: list[tuple[str, str, list[str]]] = []
    cur: list[str] | None = None
    running = ""
    in_j5 = False
    for line in lines:
        m = _RUNNING.match(line)
        if m:
            running = m.group("cls") or m.group("cls2")
        m = _J5_SOURCE.search(line)
        if m:
            # JUnit 5 failures section: replace the display-name header line already captured (if any)
            cur = []
            blocks.append(("junit5", _test_id(m.group("cls"), m.group("meth")), cur))
            in_j5 = True
            continue
        m = _J5_FLAT.match(line)
        if m:
            cur = []
            blocks.append(("junit5", _test_id(m.group("cls") or m.group("vcls"), m.group("meth") or m.group("vmeth")),
                           cur))
            in_j5 = True
            continue
        style = None
        for name, pat in _HEADERS:
            m = pat.match(line)
            if m:
                style = name
                break
        if style:
            assert m is not None  # the header pattern that named the style matched
            cls = m.groupdict().get("cls") or running
            if not cls:
                cur = None
                continue
            cur = []
            meth = (m.groupdict().get("meth") or "") + (m.groupdict().get("idx") or "")
            test = cls if style in ("d4j-class", "junit4-class") else _test_id(cls, meth)
            if style == "gradle" and meth == "classMethod":  # Gradle's name for a class-level failure
                test = cls
            if style in ("surefire3", "surefire-dotted") and _class_level(cls, meth, running):
                test = f"{cls}.{meth}"  # a failure outside any test method (@BeforeClass, @BeforeAll)
            blocks.append((style, test, cur))
            in_j5 = False
            continue
        if cur is None:
            continue
        if _END.match(line) or _TIMEOUT_LINE.match(line):
            cur = None
            continue
        if in_j5:
            if re.match(r"^\s*(JUnit \w+|\S.*):\S.*$", line) and not line.startswith(" " * 4):
                cur = None  # next failure's display-name line
                continue
            if not line.strip() and cur and not re.match(r"^\s*=>", cur[0]):
                cur = None
                continue
            cur.append(re.sub(r"^(\s*)=> (?:Exception: )?", r"\1", line))
            continue
        if blocks[-1][0] == "gradle" and line.strip() and not line[:1].isspace():
            cur = None
            continue
        cur.append(line)
    return blocks


def _failure(test: str, tr: Trace) -> TestFailure | TestTimeout:
    if tr.exception.endswith("TestTimedOutException"):
        m = re.search(r"after (\d+(?:\.\d+)?) (milli)?sec", tr.message)  # "milliseco..." when Surefire cut it
        secs = float(m.group(1)) / (1000 if m.group(2) else 1) if m else 0.0
        return TestTimeout(test, secs)
    return TestFailure(test, tr.exception, tr.message, tr.expected, tr.actual, tr.frame, tr.frames)


_LEVEL = re.compile(r"^\[(ERROR|INFO|WARNING)\]")
_TREE = re.compile(r"^[\s│├└─╷┌┬┼]*[├└]─ (?P<name>.+?) (?P<mark>[✔✘↷■])(?: (?P<msg>.*))?$")


def _unwrap(lines: list[str]) -> list[str]:
    """Join the continuation lines (no ``[LEVEL]`` prefix) of a summary entry back onto it: a terminal's hard wrap
    (the entry's line is 80 or more wide and the continuation goes on mid-word) without a break, the further lines
    of a multi-line message (hamcrest's ``Expected:``/``but:``, ``assertAll``'s list) with a newline."""
    out: list[str] = []
    for line in lines:
        if out and line.strip() and not _LEVEL.match(line) and _LEVEL.match(out[-1]) \
                and re.match(r"^\[ERROR\]\s{2,}\S", out[-1]):
            last = out[-1].rsplit("\n", 1)[-1]
            wrapped = len(last) >= 80 and not line[:1].isspace() and not last.endswith(" ")
            out[-1] += line if wrapped else "\n" + line
        else:
            out.append(line)
    return out


def _tree(lines: list[str]) -> list[TestFailure]:
    """JUnit 5 console-launcher tree lines (``├─ popEmpty() ✘ expected: <0> but was: <-1>``), used only for tests
    that have no detailed block; the class is the nearest enclosing container node."""
    out: list[TestFailure] = []
    containers: list[tuple[int, str]] = []
    for line in lines:
        m = _TREE.match(line)
        if not m:
            continue
        depth = m.start("name")
        name = m.group("name")
        containers = [(d, n) for d, n in containers if d < depth]
        if not name.endswith(")"):
            if not name.startswith("JUnit "):
                containers.append((depth, name))
            continue
        if m.group("mark") == "✘" and containers:
            tr = parse_trace([m.group("msg") or ""])
            out.append(TestFailure(_test_id(containers[-1][1], name.split("(")[0]), tr.exception, tr.message,
                                   tr.expected, tr.actual, None))
    return out


_J5_TREE_PREFIX = re.compile(r"^[\s│├└─╷┌┬┼]*")
_J5_FIELD = re.compile(r"^\s*(tags|uniqueId|parent|source|caught|duration|status|reason|reports?):\s?(.*)$")


def _j5_verbose(lines: list[str]) -> list[Failure]:
    """JUnit 5 console launcher ``--details=verbose``: per test node ``source: MethodSource [...]``, an optional
    ``caught:`` trace and ``status: ✘ FAILED``; passing nodes (``✔ SUCCESSFUL``) are skipped."""
    out: list[Failure] = []
    body: list[str] = []
    test, in_caught = "", False
    for raw in lines:
        line = _J5_TREE_PREFIX.sub("", raw, count=1) if raw[:1] in "│├└ ╷" else raw
        f = _J5_FIELD.match(line)
        if f:
            key, val = f.group(1), f.group(2)
            in_caught = key == "caught"
            if key == "source":
                m = re.search(r"MethodSource \[className = '([^']+)', methodName = '([^']+)'", val)
                test, body = (_test_id(m.group(1), m.group(2)) if m else ""), []
            elif key == "caught":
                body = [val]
            elif key == "status" and test:
                if "FAILED" in val or "ABORTED" in val:
                    out.append(_failure(test, parse_trace(body)))
                test, body = "", []
            continue
        if in_caught and test:
            body.append(line)
    return out


def _summaries(lines: list[str]) -> list[TestFailure | TestTimeout]:
    """Surefire summary lines (used only for tests that have no detailed block)."""
    out = []
    section = False
    for line in _unwrap(lines):
        s = re.sub(r"^\[(ERROR|INFO|WARNING)\]\s?", "", line)
        h = re.match(r"^\s*(Failed tests:|Tests in error:|Failures:|Errors:)\s*(.*)$", s)
        if h:
            section = True
            if not h.group(2).strip():
                continue
            s = "  " + h.group(2)
        if not section:
            continue
        # ``» Name msg``: the exception's simple name without "Exception" (empty for java.lang.Error: ``»  msg``)
        m = re.match(r"^\s+(?P<meth>[\w$]+)\((?P<cls>[\w$.]+)\)(?::\s*(?P<msg>.*))?$", s, re.S) or \
            re.match(r"^\s+(?P<cls>[\w$]+(?:\.[\w$]+)*)\.(?P<meth>[\w$]+)(?::\d+)*(?:\s+(?:»\s(?P<exc>\w*))?"
                     r"\s*(?P<msg>.*))?$", s, re.S)
        if m and s.startswith("  "):
            tr = parse_trace((m.group("msg") or "").split("\n"))
            exc = tr.exception or (m.groupdict().get("exc") or "")
            if exc and "." not in exc and not exc.endswith(("Error", "Exception", "Throwable", "Failure")):
                exc += "Exception"  # Surefire's short name: StringIndexOutOfBounds, TestTimedOut
            test = _test_id(m.group("cls"), m.group("meth"))
            out.append(_failure(test, Trace(exc, tr.message, tr.expected, tr.actual)))
        elif s.strip() and not s.startswith(" "):
            section = False
    return out


def _no_index(test: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", test)


def parse_junit(output: str) -> list[Failure]:
    """Test failures/timeouts from JUnit 4/5, Surefire, Gradle or Defects4J text, one per test, in order."""
    lines = _log_lines(output)
    found: dict[str, Failure] = {}
    timeouts: dict[str, TestTimeout] = {}
    for line in lines:
        m = _TIMEOUT_LINE.match(line)
        if m:
            timeouts[m.group(1)] = TestTimeout(m.group(1), float(m.group(2)))
    for style, test, body in _blocks(lines):
        if not any(b.strip() for b in body):
            continue  # e.g. a JUnit 5 "Finished:" line of a passing test
        tr = parse_trace(body)
        if style == "surefire-nocls":
            test = _nested(test, tr.frames)
        f = _failure(test, tr)
        prev = found.get(test)
        if prev is None or (isinstance(prev, TestFailure) and not prev.exception and not prev.frame):
            found[test] = f
    for v in _j5_verbose(lines):
        found.setdefault(cast(Union[TestFailure, TestTimeout], v).test, v)
    for s in [*_summaries(lines), *_tree(lines)]:
        # a summary line names no invocation (``VowelsTest.count`` for ``count[sky]``) and no package; a class-level
        # failure's line names the @BeforeClass method as if it were a test
        cls_part, _sep, meth = s.test.partition("::")
        simple = cls_part.rsplit(".", 1)[-1] + "::" + meth
        cls_simple = cls_part.rsplit(".", 1)[-1]
        if not any(u == s.test or u.endswith("." + simple) or u == simple
                   or ("::" not in u and (u == cls_part or u.endswith("." + cls_simple)))
                   for u in map(_no_index, found)):
            found[s.test] = s
    for test, t in timeouts.items():
        found[test] = t  # the runner's own timeout verdict wins over the failure it caused
    return list(found.values())


def parse_failing_tests(text: str) -> list[TestFailure]:
    """Defects4J ``failing_tests`` file: ``--- pkg.Class::method`` headers, each followed by a stack trace."""
    out = []
    for f in parse_junit(text):
        if isinstance(f, TestTimeout):
            f = TestFailure(f.test, "TestTimedOutException", f"timed out after {f.seconds:g} s")
        out.append(cast(TestFailure, f))
    return out


# ----------------------------------------------------------------------------------------------- render
def render_feedback(failures: Sequence[Failure], limit: int = 1200, context=None) -> str:
    """The next chat turn's failure text; see :func:`extractors.feedback.render_feedback` (the one rendering)."""
    from extractors.feedback import render_feedback as render
    return render(failures, context, limit)


# ----------------------------------------------------------------------------------------------- serialise
_KINDS = {"compile": CompileError, "test": TestFailure, "timeout": TestTimeout}


def failure_to_dict(f: Failure) -> dict:
    d = asdict(f)
    d["kind"] = f.kind
    return d


def failure_from_dict(d: dict) -> Failure:
    cls = _KINDS.get(d.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown failure kind {d.get('kind')!r}; expected one of {sorted(_KINDS)}")
    fields = {k: v for k, v in d.items() if k != "kind"}
    if cls is CompileError and fields.get("column") is not None:
        fields["column"] = int(fields["column"])
    if cls is TestFailure:  # transcripts written before ``frames`` existed load as well
        fields["frames"] = tuple(fields.get("frames") or ())
    known = {f.name for f in dataclass_fields(cls)}
    return cls(**{k: v for k, v in fields.items() if k in known})
