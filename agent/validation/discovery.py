"""Test discovery: which test classes a project has, by its build's conventions and JUnit's own rules.

Two steps, shared by every validator. Here, the build's file patterns pick candidate classes from the test roots
(Surefire's defaults ``**/Test*.java``, ``**/*Test.java``, ``**/*Tests.java``, ``**/*TestCase.java``, nested
classes excluded; a bug's ``test_include`` / ``test_exclude`` replace or extend them, as a project's pom or
Defects4J's selection does). Then, in the test JVM, ``RepairRunner --tests-only`` keeps the classes JUnit itself
would run (``@RunWith`` and suites, JUnit 3 ``TestCase`` subclasses, ``@org.junit.Test`` methods in any spelling
and in superclasses; abstract classes, interfaces and helpers skipped) and names them in
``REPAIRCHAT-TESTCLASS`` lines.
"""

from __future__ import annotations

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
    """The test classes a RepairRunner (or warm server) run actually ran."""
    return TESTCLASS.findall(runner_output)
