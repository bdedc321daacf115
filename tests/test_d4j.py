"""Defects4J adapter. Defects4J itself (perl, the project repositories) cannot run here, so a small stand-in
``defects4j`` script on PATH implements checkout/export/compile/test over copies of the sample bugs with real
javac and JUnit; the adapter's own work (patch parsing, tree-sitter location, filters, validation) is real.
A missing ``defects4j`` is a one-line error with the install hint."""

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.bugs import d4j
from agent.cli import main
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig
from agent.validation.workspace import apply
from sessions.transcript import Transcript

ROOT = Path(__file__).resolve().parents[1]

STANDIN = r'''#!PYTHON
"""Stand-in for the `defects4j` command (tests only): checkout/export/compile/test over sample bug copies."""
import json, os, re, shutil, subprocess, sys
from pathlib import Path

HOME = Path(__file__).resolve().parents[2]
CONF = json.loads((HOME / "standin.json").read_text())


def opt(flag):
    return sys.argv[sys.argv.index(flag) + 1]


def bug_of(w):
    return json.loads((Path(w) / ".defects4j.config").read_text())["bug"]


def javac(out, cp, roots):
    files = [str(p) for r in roots for p in sorted(Path(r).rglob("*.java"))]
    os.makedirs(out, exist_ok=True)
    res = subprocess.run(["javac", "-nowarn", "-d", out, "-cp", os.pathsep.join(cp), *files],
                         capture_output=True, text=True, timeout=120)
    if res.returncode:  # ant's format
        sys.stderr.write("".join("    [javac] " + ln + "\n" for ln in (res.stdout + res.stderr).splitlines()))
        sys.stderr.write("BUILD FAILED\n")
        sys.exit(1)


cmd = sys.argv[1]
with open(HOME / "calls.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
if cmd == "checkout":
    bug = opt("-p") + "-" + opt("-v").rstrip("b")
    shutil.copytree(CONF["bugs"][bug]["root"], opt("-w"))
    (Path(opt("-w")) / ".defects4j.config").write_text(json.dumps({"bug": bug}))
elif cmd == "export":
    w = Path(opt("-w"))
    values = {"dir.src.classes": "src/main/java", "dir.src.tests": "src/test/java",
              "cp.test": os.pathsep.join([str(w / "build/classes"), str(w / "build/tests"), *CONF["junit"]]),
              "tests.trigger": "\n".join(CONF["bugs"][bug_of(w)]["trigger"])}
    print(values[opt("-p")], end="")
elif cmd == "compile":
    w = Path(opt("-w"))
    javac(str(w / "build/classes"), [], [w / "src/main/java"])
    javac(str(w / "build/tests"), [str(w / "build/classes"), *CONF["junit"]], [w / "src/test/java"])
elif cmd == "test":
    w = Path(opt("-w"))
    tests = [".".join(p.relative_to(w / "src/test/java").with_suffix("").parts)
             for p in sorted((w / "src/test/java").rglob("*Test.java"))]
    cp = os.pathsep.join([str(w / "build/classes"), str(w / "build/tests"), *CONF["junit"]])
    res = subprocess.run(["java", "-cp", cp, "org.junit.runner.JUnitCore", *tests], capture_output=True,
                         text=True, timeout=120, cwd=w)
    out, block = [], False
    for line in res.stdout.splitlines():
        m = re.match(r"^\d+\) (\w+)\(([\w.$]+)\)$", line)
        if m:
            out.append(f"--- {m.group(2)}::{m.group(1)}")
            block = True
        elif line.startswith(("FAILURES!!!", "Tests run:")) or not line.strip():
            block = False
        elif block:
            out.append(line)
    (w / "failing_tests").write_text("\n".join(out) + "\n" if out else "")
    print("Failing tests: %d" % sum(1 for x in out if x.startswith("--- ")))
else:
    sys.exit("unknown command " + cmd)
'''


def src_patch(rel, fixed, buggy):
    """A Defects4J-style source patch: from the fixed to the buggy version (so '+' lines are buggy)."""
    body = "".join(difflib.unified_diff(fixed.splitlines(keepends=True), buggy.splitlines(keepends=True),
                                        f"a/{rel}", f"b/{rel}"))
    return f"diff --git a/{rel} b/{rel}\nindex 70b8d64..1e6ccdc 100644\n" + body


@pytest.fixture
def standin(tmp_path, monkeypatch, sample_bugs):
    """$D4J_HOME-like tree with the stand-in on PATH. Sample-1 is OffByOne-1 (one chunk); Sample-2 the same
    project whose recorded fix also touches average() (two methods); Sample-3 two hunks in sum()."""
    home = tmp_path / "defects4j"
    bin_dir = home / "framework" / "bin"
    bin_dir.mkdir(parents=True)
    exe = bin_dir / "defects4j"
    exe.write_text(STANDIN.replace("PYTHON", sys.executable))
    exe.chmod(0o755)
    bug = sample_bugs["OffByOne-1"]
    buggy = bug.read_source()
    fixed = apply(buggy, bug.location, bug.fixed_method, "method").source
    two_methods = fixed.replace("(to - from + 1)", "(double) (to - from + 1)")
    two_hunks = fixed.replace("int total = 0;", "long total = 0L;\n        int unused = 0;").replace(
        "        return total;", "        return (int) total;")
    patches = home / "framework" / "projects" / "Sample" / "patches"
    patches.mkdir(parents=True)
    trigger = list(bug.failing_tests)
    for n, fixed_version in ((1, fixed), (2, two_methods), (3, two_hunks)):
        (patches / f"{n}.src.patch").write_text(src_patch(bug.location.file, fixed_version, buggy))
    (home / "standin.json").write_text(json.dumps({
        "junit": [j for j in os.environ.get("REPAIRCHAT_JUNIT_CP", "").split(os.pathsep) if j]
        or ["/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"],
        "bugs": {f"Sample-{n}": {"root": str(bug.root), "trigger": trigger} for n in (1, 2, 3)}}))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("D4J_HOME", raising=False)
    monkeypatch.setenv("REPAIRCHAT_D4J_WORK", str(tmp_path / "work"))
    return home


def calls(home):
    return [c.split()[0] + (" " + c.split()[2] if c.startswith("export") else "")
            for c in (home / "calls.log").read_text().splitlines()]


def test_patch_parsing_on_the_real_lang1_shape():
    text = ("diff --git a/src/main/java/N.java b/src/main/java/N.java\n--- a/src/main/java/N.java\n"
            "+++ b/src/main/java/N.java\n@@ -3,7 +3,4 @@ class N {\n   void f() {\n-    a();\n-    b();\n"
            "-    c();\n     int x = 1;\n-    if (x > 2 || y) {\n+    if (x > 2) {\n       g();\n")
    [h] = d4j.parse_patch(text)
    assert h.file == "src/main/java/N.java" and h.buggy_start == 3
    assert h.changed == (3, 5)  # the line before the deleted block, and the changed condition
    assert d4j.blocks(h.changed) == 2
    assert d4j.fixed_source("\n".join(["x", "y", "  void f() {", "    int x = 1;", "    if (x > 2) {", "      g();"]),
                            [h]).split("\n")[2:6] == ["  void f() {", "    a();", "    b();", "    c();"]
    with pytest.raises(d4j.UserError, match="bad Defects4J bug id"):
        d4j.parse_id("lang1")
    assert d4j.requested_ids("d4j:Lang-1,Chart-3", ["d4j:Math-2"]) == ["Lang-1", "Chart-3", "Math-2"]


def test_d4j_bug_located_loaded_and_validated(standin, sample_bugs):
    sample = sample_bugs["OffByOne-1"]
    [bug] = d4j.load_bugs("d4j", ["Sample-1"])
    assert bug.id == "Sample-1" and bug.location.method == "sum" and bug.location.lines == (13, 13)
    assert bug.location.file == sample.location.file and bug.failing_tests == sample.failing_tests
    assert bug.fixed_method == sample.fixed_method  # the fix, recovered from the patch
    assert bug.source_roots == ("src/main/java",) and bug.test_roots == ("src/test/java",)
    assert any(p.endswith("build/classes") for p in bug.classpath)
    assert bug.extra["d4j"] == {"single_function": True, "hunks": 1, "files": 1}
    assert calls(standin) == ["checkout", "compile", "export dir.src.classes", "export dir.src.tests",
                              "export cp.test", "export tests.trigger"]
    d4j.load_bugs("d4j:Sample-1", None)  # checked out once: no second checkout
    assert calls(standin).count("checkout") == 1

    # repairchat's own validation on the exported layout, and `defects4j compile/test` (--validator d4j)
    assert FreshValidator().validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    v = d4j.D4JValidator(ValidationConfig())
    buggy = v.validate(bug, Candidate(sample.fixed_method.replace("i <= to", "i < to")))
    assert buggy.kind == "test-failure" and {f.test for f in buggy.failures} == set(sample.failing_tests)
    broken = v.validate(bug, Candidate(sample.fixed_method.replace("total += a[i];", "total += a[i]")))
    assert broken.kind == "compile-error" and broken.failures[0].line == 14 and "';' expected" in \
        broken.failures[0].message
    assert v.validate(bug, Candidate(bug.fixed_method)).kind == "plausible"
    with pytest.raises(d4j.UserError, match="Defects4J checkouts only"):
        v.validate(sample, Candidate(sample.fixed_method))


def test_filters_and_run_command(standin, sample_bugs, tmp_path):
    bugs = {b.id: b.extra["d4j"] for b in d4j.load_bugs("d4j", ["Sample-1", "Sample-2", "Sample-3"])}
    assert bugs == {"Sample-1": {"single_function": True, "hunks": 1, "files": 1},
                    "Sample-2": {"single_function": False, "hunks": 2, "files": 1},
                    "Sample-3": {"single_function": True, "hunks": 2, "files": 1}}
    ids = ["d4j:Sample-1", "d4j:Sample-2", "d4j:Sample-3"]
    assert [b.id for b in d4j.load_bugs(None, ids, single_function=True)] == ["Sample-1", "Sample-3"]
    assert [b.id for b in d4j.load_bugs(None, ids, single_hunk=True)] == ["Sample-1"]

    # `repairchat run` on a Defects4J id with --validator d4j, the model a recorded reply
    fix = sample_bugs["OffByOne-1"].fixed_method
    with Transcript.create(tmp_path, {"id": "x"}, "x", {}) as tr:
        tr.log("reply", round=1, sample=0, raw=f"```java\n{fix}\n```", outcome={"kind": "plausible"})
    out = tmp_path / "r.jsonl"
    assert main(["run", "--ids", "d4j:Sample-1", "--single-hunk", "--model", f"replay:{tr.path}", "--validator",
                 "d4j", "--no-show-original-failure", "--out", str(out), "--sessions-dir", str(tmp_path)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["bug"], r.get("outcome"), r.get("result")) for r in rows] == [
        ("Sample-1", "plausible", None), ("Sample-1", None, "plausible")]


@pytest.mark.parametrize("argv", [["run", "--model", "demo", "--bugs", "d4j", "--ids", "Lang-1"],
                                  ["repl", "d4j:Lang-1"]])
def test_missing_defects4j_is_one_line_with_install_hint(tmp_path, argv):
    env = {**os.environ, "PATH": str(tmp_path)}  # no defects4j (nor anything else) on PATH
    res = subprocess.run([sys.executable, "-m", "agent.cli", *argv], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60)
    assert res.returncode == 2
    assert res.stderr == f"repairchat: error: {d4j.INSTALL}\n" and "Traceback" not in res.stderr
    assert "git clone https://github.com/rjust/defects4j" in res.stderr
