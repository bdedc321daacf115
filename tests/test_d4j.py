"""Defects4J adapter. Defects4J itself (perl, the project repositories) cannot run here, so a small stand-in
``defects4j`` script on PATH implements checkout/export/compile/test over copies of the sample bugs with real
javac and JUnit; the adapter's own work (patch parsing, tree-sitter location, filters, validation) is real.
A missing ``defects4j`` is a one-line error with the install hint."""

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.bugs import d4j, d4jpatch
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


def test_classes(w):
    return [".".join(p.relative_to(w / "src/test/java").with_suffix("").parts)
            for p in sorted((w / "src/test/java").rglob("*Test.java"))]


cmd = sys.argv[1]
with open(HOME / "calls.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
# like the real one: Java 11 or nothing
version = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60).stderr
if not re.search(r'version "(1\.)?11[."]', version):
    sys.exit("Java 11 is required!\n")
if cmd == "checkout":
    bug = opt("-p") + "-" + opt("-v").rstrip("b")
    if bug in CONF["deprecated"]:
        sys.exit("Error: %s is a deprecated bug\n at /d4j/framework/core/Utils.pm line 636.\n"
                 "\tUtils::ensure_valid_bid(\"Sample\", 9) called at /d4j/framework/core/Utils.pm line 657" % bug)
    shutil.copytree(CONF["bugs"][bug]["root"], opt("-w"))
    for rel, text in CONF["bugs"][bug].get("files", {}).items():
        (Path(opt("-w")) / rel).write_text(text)
    (Path(opt("-w")) / ".defects4j.config").write_text(json.dumps({"bug": bug}))
elif cmd == "export":
    w = Path(opt("-w"))
    values = {"dir.src.classes": "src/main/java", "dir.src.tests": "src/test/java",
              "cp.test": os.pathsep.join([str(w / "build/classes"), str(w / "build/tests"), *CONF["junit"]]),
              "tests.trigger": "\n".join(CONF["bugs"][bug_of(w)]["trigger"]),
              "tests.all": "\n".join(test_classes(w))}
    sys.stderr.write("Running ant (export.%s)........ OK\n" % opt("-p"))
    if "-o" in sys.argv:
        Path(opt("-o")).write_text(values[opt("-p")])
    else:
        print(values[opt("-p")], end="")
elif cmd == "compile":
    w = Path(opt("-w"))
    javac(str(w / "build/classes"), CONF["junit"], [w / "src/main/java", w / "src/test/java"])  # one javac: fast
elif cmd == "test":
    w = Path(opt("-w"))
    tests = test_classes(w)
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


ANT_BUILD = {  # what an old Ant project declares: Java 1.6 source in ISO-8859-1 (Lang 3.x's own build)
    "build.xml": '<project><property file="default.properties"/><target name="compile"><javac srcdir="src" '
                 'source="${compile.source}" target="${compile.target}" encoding="${compile.encoding}"/>'
                 '</target></project>\n',
    "default.properties": "# the project's settings\ncompile.source = 1.6\ncompile.target = 1.6\n"
                          "compile.encoding = ISO-8859-1\n"}


def fake_jdk(path):
    """A JDK 11 as far as `java -version` can tell (Defects4J's check); it runs this machine's java."""
    (path / "bin").mkdir(parents=True)
    java = path / "bin" / "java"
    java.write_text('#!/bin/sh\nif [ "$1" = -version ]; then echo \'openjdk version "11.0.13" 2021-10-19\' >&2; '
                    'exit 0; fi\nexec "$REAL_JAVA" "$@"\n')
    java.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def d4j_tree(tmp_path_factory, sample_bugs):
    """$D4J_HOME-like tree with the stand-in, a 'Java 11' and a work folder, shared by this module's tests (a
    checkout is cached with its exports, so each bug is checked out once). The bugs are the sample OffByOne-1
    with other recorded fixes: Sample-1 the real one (one chunk; the checkout has an Ant build for Java 1.6 in
    ISO-8859-1); Sample-2 also touches average() (two methods); Sample-3 two hunks in sum(); Sample-4 adds an
    overload sum/4 that sum/3 calls; Sample-5 the fix plus a comment change outside the method; Sample-6 only adds
    a method; Sample-9 deprecated."""
    tmp_path = tmp_path_factory.mktemp("d4j")
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
    overload = buggy.replace(
        "    public static int sum(int[] a, int from, int to) {\n",
        "    public static int sum(int[] a, int from, int to) {\n        return sum(a, from, to, true);\n    }\n\n"
        "    static int sum(int[] a, int from, int to, boolean inclusive) {\n").replace(
        "i < to;", "inclusive ? i <= to : i < to;")
    comment = fixed.replace("/** Sum of a[from..to], both ends inclusive. */", "/** Sum of a[from..to] (inclusive). */")
    adds_only = buggy.replace("    public static double average(",
                              "    public static int size(int from, int to) {\n        return to - from + 1;\n    }\n\n"
                              "    public static double average(")
    patches = home / "framework" / "projects" / "Sample" / "patches"
    patches.mkdir(parents=True)
    trigger = list(bug.failing_tests)
    versions = {1: fixed, 2: two_methods, 3: two_hunks, 4: overload, 5: comment, 6: adds_only, 9: fixed}
    for n, fixed_version in versions.items():
        (patches / f"{n}.src.patch").write_text(src_patch(bug.location.file, fixed_version, buggy))
    (home / "standin.json").write_text(json.dumps({
        "junit": [j for j in os.environ.get("REPAIRCHAT_JUNIT_CP", "").split(os.pathsep) if j]
        or ["/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"],
        "deprecated": ["Sample-9"],
        "bugs": {f"Sample-{n}": {"root": str(bug.root), "trigger": trigger, "files": ANT_BUILD if n == 1 else {}}
                 for n in versions}}))
    fake_jdk(tmp_path / "jdk11")
    return home


@pytest.fixture
def standin(d4j_tree, monkeypatch):
    """The stand-in on PATH, its 'Java 11' in D4J_JAVA_HOME, checkouts in the shared work folder."""
    monkeypatch.setenv("PATH", f"{d4j_tree / 'framework' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("REAL_JAVA", shutil.which("java"))
    monkeypatch.setenv("D4J_JAVA_HOME", str(d4j_tree.parent / "jdk11"))
    monkeypatch.delenv("D4J_HOME", raising=False)
    monkeypatch.setenv("REPAIRCHAT_D4J_WORK", str(d4j_tree.parent / "work"))
    return d4j_tree


def calls(home):
    log = home / "calls.log"
    return [c.split()[0] + (" " + c.split()[2] if c.startswith("export") else "")
            for c in (log.read_text().splitlines() if log.exists() else [])]


def test_patch_parsing_on_the_real_lang1_shape():
    text = ("diff --git a/src/main/java/N.java b/src/main/java/N.java\n--- a/src/main/java/N.java\n"
            "+++ b/src/main/java/N.java\n@@ -3,7 +3,4 @@ class N {\n   void f() {\n-    a();\n-    b();\n"
            "-    c();\n     int x = 1;\n-    if (x > 2 || y) {\n+    if (x > 2) {\n       g();\n")
    [h] = d4jpatch.parse_patch(text)
    assert h.file == "src/main/java/N.java" and h.buggy_start == 3
    assert h.changed == (3, 5)  # the line before the deleted block, and the changed condition
    assert d4jpatch.blocks(h.changed) == 2
    assert d4jpatch.fixed_source("\n".join(["x", "y", "  void f() {", "    int x = 1;", "    if (x > 2) {", "      g();"]),
                            [h]).split("\n")[2:6] == ["  void f() {", "    a();", "    b();", "    c();"]
    with pytest.raises(d4j.UserError, match="bad Defects4J bug id"):
        d4j.parse_id("lang1")
    assert d4j.requested_ids("d4j:Lang-1,Chart-3", ["d4j:Math-2"]) == ["Lang-1", "Chart-3", "Math-2"]


def test_d4j_bug_located_loaded_and_validated(standin, sample_bugs, monkeypatch):
    sample = sample_bugs["OffByOne-1"]
    shutil.rmtree(standin.parent / "work" / "Sample-1b", ignore_errors=True)
    start = len(calls(standin))
    [bug] = d4j.load_bugs("d4j", ["Sample-1"])
    assert bug.id == "Sample-1" and bug.location.method == "sum" and bug.location.lines == (13, 13)
    assert bug.location.file == sample.location.file and bug.failing_tests == sample.failing_tests
    assert bug.fixed_method == sample.fixed_method  # the fix, recovered from the patch
    assert bug.source_roots == ("src/main/java",) and bug.test_roots == ("src/test/java",)
    assert any(p.endswith("build/classes") for p in bug.classpath)
    assert bug.extra["d4j"] == {"single_function": True, "hunks": 1, "files": 1}
    assert calls(standin)[start:] == ["checkout", "compile", "export dir.src.classes", "export dir.src.tests",
                                      "export cp.test", "export tests.trigger", "export tests.all"]
    # build settings from the project's own Ant build: Java 1.6 in ISO-8859-1 -> what JDK 17 needs for it
    settings = {k: getattr(bug, k, None) or bug.extra.get(k) for k in ("javac_options", "jvm_options", "test_classes")}
    assert settings["javac_options"] == ["--release", "8", "-encoding", "ISO-8859-1"]
    assert "--add-opens=java.base/java.lang=ALL-UNNAMED" in settings["jvm_options"]
    assert list(settings["test_classes"]) == ["sample.RangeSumTest"]  # the classes Defects4J runs

    # the exports are cached with the checkout: loading it again runs no defects4j at all (none on PATH even)
    before, path = calls(standin), os.environ["PATH"]
    monkeypatch.setenv("PATH", path.split(os.pathsep, 1)[1])
    [again] = d4j.load_bugs("d4j:Sample-1", None)
    assert again == bug and again.extra == bug.extra and calls(standin) == before
    monkeypatch.setenv("PATH", path)

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


ALL = ["Sample-1", "Sample-2", "Sample-3", "Sample-4", "Sample-5", "Sample-6", "Sample-9"]


def test_single_function_means_the_method_alone_is_the_fix_and_bad_bugs_are_skipped(standin, sample_bugs, capsys):
    skipped = []
    bugs = {b.id: b for b in d4j.load_bugs("d4j", ALL, skipped=lambda i, why: skipped.append((i, why)))}
    assert {i: b.extra["d4j"] for i, b in bugs.items()} == {
        "Sample-1": {"single_function": True, "hunks": 1, "files": 1},
        "Sample-2": {"single_function": False, "hunks": 2, "files": 1,
                     "why": "the fix changes 2 methods (sum, average)"},
        "Sample-3": {"single_function": True, "hunks": 2, "files": 1},
        # an added overload that the changed method calls: the method alone is no fix (nor calls itself)
        "Sample-4": {"single_function": False, "hunks": 2, "files": 1, "why": "the fix adds method sum/4"},
        "Sample-5": {"single_function": True, "hunks": 2, "files": 1}}  # a comment outside does not count
    assert bugs["Sample-2"].fixed_method is None and bugs["Sample-4"].fixed_method is None
    assert bugs["Sample-3"].fixed_method and bugs["Sample-5"].fixed_method == sample_bugs["OffByOne-1"].fixed_method
    # a bug that cannot be located or checked out is skipped with its reason; the others go on
    assert skipped == [("Sample-6", "Sample-6: no existing method to repair: the fix adds size/2"),
                       ("Sample-9", "defects4j checkout failed: Error: Sample-9 is a deprecated bug")]

    ids = ["d4j:Sample-1", "d4j:Sample-2", "d4j:Sample-3", "d4j:Sample-4"]
    capsys.readouterr()
    assert [b.id for b in d4j.load_bugs(None, ids, single_function=True)] == ["Sample-1", "Sample-3"]
    assert capsys.readouterr().err.splitlines() == [
        "repairchat: skipped d4j:Sample-2: not single-function: the fix changes 2 methods (sum, average)",
        "repairchat: skipped d4j:Sample-4: not single-function: the fix adds method sum/4"]
    assert [b.id for b in d4j.load_bugs(None, ids, single_hunk=True)] == ["Sample-1"]
    with pytest.raises(d4j.UserError, match=r"^no Defects4J bug left to run \(Sample-9: defects4j checkout failed: "
                                            r"Error: Sample-9 is a deprecated bug\)$"):
        d4j.load_bugs(None, ["d4j:Sample-9"])


def test_defects4j_gets_java_11_for_its_own_calls_only(standin, tmp_path, monkeypatch):
    monkeypatch.setenv("REPAIRCHAT_D4J_WORK", str(tmp_path / "work"))  # nothing checked out yet
    monkeypatch.delenv("D4J_JAVA_HOME")
    monkeypatch.setattr(d4j, "JVM_GLOB", str(tmp_path / "jvm" / "*"))
    # no Java 11 anywhere: Defects4J refuses, and that stops the run instead of skipping every bug
    with pytest.raises(d4j.SetupError, match="^defects4j needs Java 11 and found another java; set D4J_JAVA_HOME"):
        d4j.load_bugs(None, ["d4j:Sample-1", "d4j:Sample-3"])
    monkeypatch.setenv("D4J_JAVA_HOME", str(tmp_path))
    with pytest.raises(d4j.SetupError, match="has no bin/java; point it at a JDK 11"):
        d4j.load_bugs(None, ["d4j:Sample-1"])
    monkeypatch.delenv("D4J_JAVA_HOME")
    fake_jdk(tmp_path / "jvm" / "java-11-openjdk-amd64")  # an installed JDK 11 is found by itself
    [bug] = d4j.load_bugs(None, ["d4j:Sample-1"])
    assert bug.id == "Sample-1"
    # repairchat's own validation keeps this machine's java: JAVA_HOME/PATH were changed for defects4j only
    assert "JAVA_HOME" not in os.environ or "jdk11" not in os.environ["JAVA_HOME"]
    assert FreshValidator().validate(bug, Candidate(bug.fixed_method)).kind == "plausible"


def test_run_and_validate_commands_take_d4j_ids(standin, sample_bugs, tmp_path):
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

    # `repairchat validate`: candidates may name the bug d4j:Sample-1 or, with --bugs d4j, Sample-1
    cands = tmp_path / "c.jsonl"
    cands.write_text(json.dumps({"bug": "d4j:Sample-1", "text": fix}) + "\n" +
                     json.dumps({"bug": "Sample-3", "text": fix.replace("i <= to", "i < to")}) + "\n")
    out = tmp_path / "v.jsonl"
    assert main(["validate", "--bugs", "d4j", "--candidates", str(cands), "--out", str(out)]) == 0
    assert [(r["bug"], r["outcome"]) for r in map(json.loads, out.read_text().splitlines())] == [
        ("Sample-1", "plausible"), ("Sample-3", "test-failure")]


@pytest.mark.parametrize("argv", [["run", "--model", "demo", "--bugs", "d4j", "--ids", "Lang-1"],
                                  ["repl", "d4j:Lang-1"]])
def test_missing_defects4j_is_one_line_with_install_hint(tmp_path, argv):
    env = {**os.environ, "PATH": str(tmp_path)}  # no defects4j (nor anything else) on PATH
    res = subprocess.run([sys.executable, "-m", "agent.cli", *argv], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60)
    assert res.returncode == 2
    assert res.stderr == f"repairchat: error: {d4j.INSTALL}\n" and "Traceback" not in res.stderr
    assert "git clone https://github.com/rjust/defects4j" in res.stderr
