"""Test discovery: which test classes a project has, by its build's conventions and JUnit's own rules.

Two steps, shared by every validator. Here, the build's file patterns pick candidate classes from the test roots
(Surefire's defaults ``**/Test*.java``, ``**/*Test.java``, ``**/*Tests.java``, ``**/*TestCase.java``, nested
classes excluded; a bug's ``test_include`` / ``test_exclude`` replace or extend them, as a project's pom or
Defects4J's selection does). Then, in the test JVM, ``RepairRunner --tests-only`` keeps the classes JUnit itself
would run (``@RunWith`` and suites, JUnit 3 ``TestCase`` subclasses, ``@org.junit.Test`` methods in any spelling
and in superclasses; abstract classes, interfaces and helpers skipped) and names them in
``REPAIRCHAT-TESTCLASS`` lines. JUnit 5 (Jupiter) classes are kept the same way (``@Test``,
``@ParameterizedTest``, ``@TestFactory``, ``@RepeatedTest``, ``@TestTemplate`` in any spelling, meta-annotations,
``@Nested`` classes) and run through the JUnit Platform; ``uses_jupiter`` says whether a project needs its jars.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from agent.bugs import Bug

SUREFIRE_INCLUDES = ("**/Test*.java", "**/*Test.java", "**/*Tests.java", "**/*TestCase.java")
SUREFIRE_EXCLUDES = ("**/*$*",)
TESTCLASS = re.compile(r"^REPAIRCHAT-TESTCLASS (\S+)$", re.MULTILINE)


def _stem(pattern: str) -> str:
    return re.sub(r"\.(java|class)$", "", pattern.replace("\\", "/").lstrip("/"))


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern:
    """An Ant/Surefire path pattern (``**`` any folders, ``*`` and ``?`` within one name) as a regex over
    ``/``-separated paths without the ``.java`` / ``.class`` suffix."""
    out, i, p = [], 0, _stem(pattern)
    while i < len(p):
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif p[i] == "*":
            out.append("[^/]*")
            i += 1
        elif p[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(p[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(rel: str, patterns: tuple[str, ...]) -> bool:
    path = _stem(rel)
    return any(glob_regex(p).match(path) for p in patterns)


def candidate_classes(root: Path, bug: Bug) -> list[str]:
    """Top-level classes of the test roots' files that the build's patterns select (sorted, no duplicates)."""
    include = bug.test_include or SUREFIRE_INCLUDES
    exclude = (*SUREFIRE_EXCLUDES, *bug.test_exclude)
    names = []
    for r in bug.test_roots:
        base = root / r
        for p in sorted(base.rglob("*.java")):
            rel = p.relative_to(base).as_posix()
            if matches(rel, include) and not matches(rel, exclude):
                names.append(".".join(p.relative_to(base).with_suffix("").parts))
    return sorted(dict.fromkeys(names))


def ran_classes(runner_output: str) -> list[str]:
    """The test classes a RepairRunner (or warm server) run actually ran; a nested class (a failing test of a
    Jupiter ``@Nested`` class, run on its own) only when its top-level class did not run (which runs it too)."""
    ran = TESTCLASS.findall(runner_output)
    return [c for c in ran if "$" not in c or c.split("$", 1)[0] not in ran]


JUPITER_MARK = "org.junit.jupiter"  # every Jupiter test names its package (an import or a qualified annotation)


def uses_jupiter(bug: Bug) -> bool:
    """Whether the project has JUnit 5 (Jupiter) tests: a test file that names ``org.junit.jupiter``, or Jupiter
    jars on the bug's classpath. The JUnit Platform jars are added to its test classpath only then."""
    if any(os.path.basename(e).startswith(("junit-jupiter", "junit-platform")) for e in bug.classpath):
        return True
    for r in bug.test_roots:
        for p in (bug.root / r).rglob("*.java"):
            st = p.stat()
            if _mentions_jupiter(str(p), st.st_mtime_ns, st.st_size):
                return True
    return False


@lru_cache(maxsize=1 << 16)
def _mentions_jupiter(path: str, mtime_ns: int, size: int) -> bool:
    with open(path, encoding="utf-8", errors="replace") as f:
        return JUPITER_MARK in f.read()
