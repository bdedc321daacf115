"""The reference outcomes of the test projects in tests/projects/ (shared by test_projects.py and test_d4j.py):
plain javac + JUnitCore over the hand-listed test classes (Jupiter-1: the JUnit Platform console launcher), each
project copy run once per session (``project_references`` in conftest.py)."""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from agent.bugs import load_manifest
from agent.validation.javatools import java_env
from agent.validation.validate import Candidate
from agent.validation.workspace import buggy_method

MANIFEST = Path(__file__).parent / "projects" / "bugs.jsonl"
PROJECT_BUGS = {b.id: b for b in load_manifest(MANIFEST)}
BROKEN = {"EnvDependent-1": {"p.FlagsEnvTest::fromTheEnvironment"}}  # fails whatever the code: environment


CONSOLE = "/usr/share/java/junit-platform-console-standalone.jar"  # Debian's junit5: the JUnit Platform's own


def reference(bug, source: str, tmp: Path) -> tuple[str, set[str]]:
    """Plain javac + JUnitCore (Jupiter-1: the JUnit Platform console launcher) over the hand-listed test classes,
    in a copy of the project (its root as the working directory): ("compile-error" | "test-failure" |
    "plausible", failing tests)."""
    root = tmp / "ref"
    shutil.copytree(bug.root, root)
    (root / bug.location.file).write_text(source, encoding=bug.encoding)
    env = java_env()
    jupiter = bug.id == "Jupiter-1"
    junit = os.pathsep.join(env.junit_classpath + (env.jupiter_classpath if jupiter else ()))
    files = [str(p) for r in ("src/main/java", "src/test/java") for p in sorted((root / r).rglob("*.java"))]
    comp = subprocess.run([env.javac, "-nowarn", *bug.javac_options, "-d", str(tmp / "out"), "-cp", junit, *files],
                          capture_output=True, text=True, timeout=300)
    if comp.returncode:
        return "compile-error", set()
    if jupiter:
        return console_launcher(bug, root, tmp)
    run = subprocess.run([env.java, *bug.jvm_options, "-cp", f"{tmp / 'out'}{os.pathsep}{junit}",
                          "org.junit.runner.JUnitCore", *bug.extra["junit_classes"]],
                         cwd=root, capture_output=True, text=True, timeout=300)
    failed = set()
    for line in run.stdout.splitlines():  # "1) method(pkg.Class)"
        head = line.split(") ", 1)
        if len(head) == 2 and head[0].isdigit() and head[1].endswith(")"):
            method, cls = head[1][:-1].split("(", 1)
            failed.add(f"{cls}::{method}")
    failed -= BROKEN.get(bug.id, set())
    return ("plausible" if not failed else "test-failure"), failed


def console_launcher(bug, root: Path, tmp: Path) -> tuple[str, set[str]]:
    """The JUnit Platform console launcher (Jupiter and vintage engines) over the hand-listed classes; the failing
    tests from its XML report, named as JUnit 4 names them ("pairs(int, int, int)[2]" -> "pairs[2]")."""
    env = java_env()
    cp = os.pathsep.join([str(tmp / "out"), *env.junit_classpath])
    run = subprocess.run([env.java, "-jar", CONSOLE, "--disable-banner", "--details=none", "--class-path", cp,
                          "--reports-dir", str(tmp / "reports"),
                          *(f"--select-class={c}" for c in bug.extra["junit_classes"])],
                         cwd=root, capture_output=True, text=True, timeout=300)
    failed = set()
    for report in (tmp / "reports").glob("TEST-*.xml"):
        for case in ET.parse(report).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.add(f"{case.get('classname')}::{re.sub(r'[(][^)]*[)]', '', case.get('name'))}")
    assert run.returncode == (1 if failed else 0), run.stdout[-2000:]
    return ("plausible" if not failed else "test-failure"), failed


def candidates(bug) -> dict[str, Candidate]:
    out = {"fixed": Candidate(bug.fixed_method),
           "buggy": Candidate(buggy_method(bug.read_source(), bug.location).text)}
    if bug.id == "FqnAnnotation-1":  # passes the failing test, breaks a test that only JUnit's rules find
        out["regression"] = Candidate("public static int abs(int x) {\n    return x < 0 ? -x : x + 1;\n}")
    if bug.id == "JUnit3-1":  # breaks ClampHighTest (JUnit 3, through an abstract base)
        out["regression"] = Candidate("public static int clamp(int x, int lo, int hi) {\n    return x < lo ? lo : x;\n}")
    if bug.id == "Jupiter-1":  # passes the failing tests, breaks a parameterised and a @org.junit.jupiter.api.Test
        out["regression"] = Candidate(bug.fixed_method.replace("{\n", "{\n    if (values.length == 2) {\n"
                                                               "        return values[1];\n    }\n", 1))
    return out


CASES = [(b, name, c) for b in PROJECT_BUGS.values() for name, c in candidates(b).items()]
