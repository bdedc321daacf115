"""Table tests for extractors.failures over real javac/JUnit output (tests/data/logs) and hand-made variants."""
from pathlib import Path

import pytest

from extractors.failures import (CompileError, TestFailure, TestTimeout, failure_from_dict, failure_to_dict,
                                 parse_failing_tests, parse_javac, parse_junit, render_feedback)

LOGS = Path(__file__).parent / "data" / "logs"


def log(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8")


# (log, expected [(file-suffix, line, column, message-first-line, source_line.strip())])
JAVAC_ROWS = [
    ("javac_en.txt", [("Calc.java", 5, 22, "';' expected", "int c = a + b")]),
    ("javac_ja.txt", [("Calc.java", 5, 22, "';'がありません", "int c = a + b")]),
    ("javac_zh_CN.txt", [("Calc.java", 5, 22, "需要';'", "int c = a + b")]),
    ("javac_zh2.txt", [("Calc.java", 9, 20, "找不到符号", "return a - d;"),
                       ("Calc.java", 12, 16, "不兼容的类型: int无法转换为String", "return 42;")]),
    ("javac_verbose.txt", [("Calc.java", 9, 20, "cannot find symbol", "return a - d;"),
                           ("Calc.java", 12, 16, "incompatible types: int cannot be converted to String",
                            "return 42;")]),
    ("javac_verbose_ja.txt", [("Calc.java", 9, 20, "シンボルを見つけられません", "return a - d;"),
                              ("Calc.java", 12, 16, "不適合な型: intをStringに変換できません:", "return 42;")]),
    ("javac_over.txt", [("Over.java", 8, 18, "incompatible types: String cannot be converted to int",
                         'return f("x", 1);'),
                        ("Over.java", 10, 16, "cannot find symbol", "void h() { undefinedMethod(3); }")]),
    ("javac_over_verbose.txt", [("Over.java", 8, 16, "method f in class Over cannot be applied to given types;",
                                 'return f("x", 1);'),
                                ("Over.java", 10, 16, "cannot find symbol", "void h() { undefinedMethod(3); }")]),
    ("maven_compile.txt", [("Calc.java", 12, 20, "cannot find symbol", ""),
                           ("Calc.java", 15, 16, "incompatible types: int cannot be converted to java.lang.String",
                            "")]),
    ("gradle_compile.txt", [("Calc.java", 5, 22, "';' expected", "int c = a + b"),
                            ("Util.kt", 7, 13, "Unresolved reference: foo", ""),
                            ("Old.kt", 4, 9, "Type mismatch: inferred type is String but Int was expected", "")]),
    ("ansi_crlf_javac.txt", [("Calc.java", 5, 20, "cannot find symbol", "return a - d;")]),
    ("junit4_calc.txt", []),
]


@pytest.mark.parametrize("name,expected", JAVAC_ROWS, ids=[r[0] for r in JAVAC_ROWS])
def test_parse_javac_logs(name, expected):
    got = parse_javac(log(name))
    assert [(e.file.rsplit("/", 1)[-1], e.line, e.column, e.message.split("\n")[0], e.source_line.strip())
            for e in got] == expected


@pytest.mark.parametrize("text,expected", [
    ("Foo.java:3: error: class, interface, enum, or record expected\n}\n^\n1 error\n",
     [("Foo.java", 3, 1, "class, interface, enum, or record expected")]),
    ("C:\\proj\\src\\Foo.java:7: error: missing return statement\n    }\n    ^\n",
     [("C:\\proj\\src\\Foo.java", 7, 5, "missing return statement")]),
    ("Foo.java:4: warning: [removal] Integer(int) in Integer has been deprecated\n  new Integer(3);\n  ^\n", []),
    ("Foo.java:4: 警告: [removal] Integer(int)\n  new Integer(3);\n  ^\n", []),
    ("Foo.java:9: Fehler: Symbol nicht gefunden\n    x = y;\n        ^\n", [("Foo.java", 9, 9, "Symbol nicht gefunden")]),
    ("error: Source option 5 is no longer supported. Use 7 or later.\n",
     [("", 0, None, "Source option 5 is no longer supported. Use 7 or later.")]),
    ("\tsrc/A.java:2: error: ';' expected\n", []),  # indented: not a javac header
    # Maven on GitHub Actions: a timestamp before each line, "Error:  " for "[ERROR] "
    ("2024-03-04T16:53:19.6293270Z Error:  /w/src/main/java/p/A.java:[12,5] cannot find symbol\n"
     "2024-03-04T16:53:19.6293780Z Error:    symbol:   variable x\n",
     [("/w/src/main/java/p/A.java", 12, 5, "cannot find symbol")]),
    ("", []),
])
def test_parse_javac_inline(text, expected):
    assert [(e.file, e.line, e.column, e.message.split("\n")[0]) for e in parse_javac(text)] == expected


def test_javac_details_kept():
    e = parse_javac(log("javac_over_verbose.txt"))[0]
    assert "required: int,String" in e.message and "reason: argument mismatch" in e.message


T = TestFailure
# (log, expected list of failures, compared on (test, exception, expected, actual, frame) / timeouts exactly)
JUNIT_ROWS = [
    ("junit4_calc.txt", {
        "pkg.CalcTest::testAdd": ("java.lang.AssertionError", "3", "4", "pkg.CalcTest.testAdd(CalcTest.java:7)"),
        "pkg.CalcTest::testArr": ("", "2", "3", "pkg.CalcTest.testArr(CalcTest.java:14)"),
        "pkg.CalcTest::testDiv": ("java.lang.ArithmeticException", None, None, "pkg.Calc.div(Calc.java:7)"),
        "pkg.CalcTest::testMsg": ("java.lang.AssertionError", "4", "5", "pkg.CalcTest.testMsg(CalcTest.java:12)"),
        "pkg.CalcTest::testFact": ("java.lang.StackOverflowError", None, None, "pkg.Calc.fact(Calc.java:6)"),
        "pkg.CalcTest::testLoop": 0.2,
        "pkg.CalcTest::testName": ("org.junit.ComparisonFailure", "[C]alc", "[c]alc",
                                   "pkg.CalcTest.testName(CalcTest.java:8)"),
        "pkg.CalcTest::testNull": ("java.lang.NullPointerException", None, None,
                                   "pkg.CalcTest.testNull(CalcTest.java:13)"),
        "pkg.CalcTest::testTrue": ("java.lang.AssertionError", None, None, "pkg.CalcTest.testTrue(CalcTest.java:11)"),
        "pkg.CalcTest::testMultiline": ("org.junit.ComparisonFailure", "a\n[b]", "a\n[c]",
                                        "pkg.CalcTest.testMultiline(CalcTest.java:18)"),
        "pkg.CalcTest::testDouble": ("java.lang.AssertionError", "1.0", "1.5",
                                     "pkg.CalcTest.testDouble(CalcTest.java:15)")}),
    ("repairrunner.txt", {
        "pkg.CalcTest::testLoop": 5.0,
        "pkg.CalcTest::testAdd": ("java.lang.AssertionError", "3", "4", "pkg.CalcTest.testAdd(CalcTest.java:7)")}),
    ("ansi_junit4.txt", {
        "pkg.CalcTest::testAdd": ("java.lang.AssertionError", "3", "4", "pkg.CalcTest.testAdd(CalcTest.java:7)")}),
    ("junit4_multiline_caused.txt", {
        "pkg.ParserTest::testParse": ("java.lang.IllegalStateException", None, None, "pkg.Parser.expect(Parser.java:40)"),
        "pkg.OtherTest::initializationError": ("java.lang.Exception", None, None, None)}),
    ("junit4_beforeclass.txt", {  # JUnitCore names a failing @BeforeClass by its class alone
        "p.SetupTest": ("java.lang.IllegalStateException", None, None, "p.SetupTest.connect(SetupTest.java:9)")}),
    ("hamcrest.txt", {
        "pkg.ListTest::testSize": ("java.lang.AssertionError", "is <3>", "was <2>", "pkg.ListTest.testSize(ListTest.java:14)"),
        "pkg.ListTest::testOther": ("java.lang.AssertionError", None, None, "pkg.ListTest.testOther(ListTest.java:20)")}),
    ("junit5_console.txt", {
        "org.example.StackTest::popEmpty": ("org.opentest4j.AssertionFailedError", "0", "-1",
                                            "org.example.StackTest.popEmpty(StackTest.java:21)"),
        "org.example.StackTest::peek": ("java.lang.IndexOutOfBoundsException", None, None,
                                        "org.example.Stack.peek(Stack.java:14)")}),
    ("junit5_flat.txt", {
        "org.example.StackTest::popEmpty": ("org.opentest4j.AssertionFailedError", "0", "-1",
                                            "org.example.StackTest.popEmpty(StackTest.java:21)")}),
    ("surefire2.txt", {
        "org.example.CalcTest::testAdd": ("java.lang.AssertionError", "3", "4",
                                          "org.example.CalcTest.testAdd(CalcTest.java:12)"),
        "org.example.CalcTest::testDiv": ("java.lang.ArithmeticException", None, None,
                                          "org.example.Calc.div(Calc.java:20)")}),
    ("surefire3_junit5.txt", {
        "org.example.StackTest::popEmpty": ("org.opentest4j.AssertionFailedError", "0", "-1",
                                            "org.example.StackTest.popEmpty(StackTest.java:21)")}),
    ("junit5_tree_only.txt", {
        "QueueTest::pollEmpty": ("", "null", "0", None),
        "QueueTest::sizeAfterClear": ("", "0", "2", None)}),
    ("surefire_wrapped.txt", {
        "RangeSumTest::testSumInclusiveOfBothEndsWhenTheRangeIsLong": ("", "15", "10", None),
        "RangeSumTest::testEmpty": ("", "0", "1", None)}),
    ("surefire_old_summary.txt", {
        "org.example.CalcTest::testAdd": ("", "3", "4", None),
        "org.example.CalcTest::testSub": ("", "1", "-1", None),
        "org.example.CalcTest::testDiv": ("", None, None, None)}),
    ("gradle_test.txt", {
        "org.example.CalcTest::testAdd": ("java.lang.AssertionError", "3", "4",
                                          "org.example.CalcTest.testAdd(CalcTest.java:12)"),
        "org.example.CalcTest::testNull": ("java.lang.NullPointerException", None, None, "CalcTest.java:30")}),
    ("d4j_failing_tests.txt", {
        "org.apache.commons.lang3.math.NumberUtilsTest::testCreateNumber": (
            "java.lang.NumberFormatException", None, None,
            "org.apache.commons.lang3.math.NumberUtils.createNumber(NumberUtils.java:545)"),
        "org.apache.commons.lang3.StringUtilsTest::testJoin": (
            "junit.framework.ComparisonFailure", "a[,b]", "a[;b]",
            "org.apache.commons.lang3.StringUtilsTest.testJoin(StringUtilsTest.java:88)"),
        "org.apache.commons.lang3.TimeoutTest::testSlow": (
            "junit.framework.AssertionFailedError", None, None,
            "org.apache.commons.lang3.TimeoutTest.testSlow(TimeoutTest.java:12)")}),
    ("javac_en.txt", {}),
]


def _shape(f):
    if isinstance(f, TestTimeout):
        return f.seconds
    return (f.exception, f.expected, f.actual, f.frame)


@pytest.mark.parametrize("name,expected", JUNIT_ROWS, ids=[r[0] for r in JUNIT_ROWS])
def test_parse_junit_logs(name, expected):
    got = parse_junit(log(name))
    assert {f.test: _shape(f) for f in got} == expected
    assert len(got) == len(expected)


@pytest.mark.parametrize("text,expected", [
    ("REPAIRCHAT-TIMEOUT pkg.A::slow 2.5\nREPAIRCHAT-RESULT run=1 failures=1\n", {"pkg.A::slow": 2.5}),
    ("1) test[0](pkg.ParamTest)\njava.lang.AssertionError: expected:<1> but was:<2>\n\tat pkg.ParamTest.test(ParamTest.java:9)\n",
     {"pkg.ParamTest::test[0]": ("java.lang.AssertionError", "1", "2", "pkg.ParamTest.test(ParamTest.java:9)")}),
    ("1) testX(pkg.T)\r\norg.opentest4j.AssertionFailedError: expected: <a> but was: <b>\r\n\tat pkg.T.testX(T.java:3)\r\n",
     {"pkg.T::testX": ("org.opentest4j.AssertionFailedError", "a", "b", "pkg.T.testX(T.java:3)")}),
    ("1) testX(pkg.T)\njava.lang.RuntimeException: boom\n\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)\n"
     "\tat app//pkg.Impl.run(Impl.java:44)\n\tat app//pkg.T.testX(T.java:3)\n",
     {"pkg.T::testX": ("java.lang.RuntimeException", None, None, "pkg.Impl.run(Impl.java:44)")}),
    ("OK (3 tests)\n", {}),
    ("", {}),
])
def test_parse_junit_inline(text, expected):
    assert {f.test: _shape(f) for f in parse_junit(text)} == expected


def test_stack_overflow_trimmed():
    f = [x for x in parse_junit(log("junit4_calc.txt")) if x.test.endswith("testFact")][0]
    assert "recursion" in f.message and len(f.message) < 200


def test_failing_tests_file():
    fs = parse_failing_tests(log("d4j_failing_tests.txt"))
    assert [f.test.rsplit("::", 1)[1] for f in fs] == ["testCreateNumber", "testJoin", "testSlow"]
    assert all(isinstance(f, TestFailure) for f in fs)
    assert fs[0].message == "2. is not a valid number."


def test_render_compile_caret():
    text = render_feedback(parse_javac(log("javac_verbose.txt")))
    assert "line 9: cannot find symbol" in text
    assert "return a - d;\n" in text
    lines = text.split("\n")
    src = lines.index("    return a - d;")
    assert lines[src + 1] == "               ^"  # under the d
    assert "symbol:   variable d" in text


def test_render_tests_and_timeout():
    text = render_feedback(parse_junit(log("repairrunner.txt")))
    assert "pkg.CalcTest::testLoop timed out after 5 s" in text
    assert "pkg.CalcTest::testAdd failed: AssertionError: expected:<3> but was:<4>" in text
    assert "at pkg.CalcTest.testAdd(CalcTest.java:7)" in text


@pytest.mark.parametrize("limit", [80, 200, 300, 600, 1200, 5000])
def test_render_bounded(limit):
    fs = parse_junit(log("junit4_calc.txt"))
    text = render_feedback(fs, limit)
    assert len(text) <= limit
    if "more failures omitted" in text:
        shown = text.count(" failed") + text.count(" timed out")
        n = int(text.rsplit("(", 1)[1].split()[0])
        assert shown + n == len(fs)
    elif limit >= 5000:
        assert text.count(" failed") + text.count(" timed out") == len(fs)


def test_render_dedupes_same_failure():
    same = [T(f"p.T::t{i}", "java.lang.NullPointerException", "x is null", frame="p.A.f(A.java:3)") for i in range(4)]
    text = render_feedback(same + [CompileError("A.java", 3, 5, "boom"), CompileError("A.java", 3, 5, "boom")])
    assert text.count("NullPointerException") == 1 and "3 more tests failing the same way" in text
    assert text.count("line 3: boom") == 1


def test_render_empty():
    assert render_feedback([]) == ""


@pytest.mark.parametrize("f", [
    CompileError("A.java", 3, None, "x"),
    CompileError("A.java", 3, 7, "cannot find symbol\nsymbol: x", "  int y = x;"),
    T("p.T::m", "java.lang.AssertionError", "expected:<1> but was:<2>", "1", "2", "p.T.m(T.java:4)"),
    TestTimeout("p.T::m", 5.0),
])
def test_dict_round_trip(f):
    d = failure_to_dict(f)
    assert d["kind"] == f.kind
    assert failure_from_dict(d) == f


def test_from_dict_unknown_kind():
    with pytest.raises(ValueError):
        failure_from_dict({"kind": "weird"})


# --------------------------------------------------------------------------- real logs, issue 13
J5_EXPECTED = {
    "org.mockito.internal.util.RangeTest::sumInclusive": (
        "org.opentest4j.AssertionFailedError", "org.mockito.internal.util.RangeTest.sumInclusive(RangeTest.java:10)"),
    "org.mockito.internal.util.RangeTest::checkedNegative": (
        "java.lang.IllegalArgumentException", "org.mockito.internal.util.Range.checked(Range.java:14)"),
    "org.mockito.internal.util.RangeVintageTest::sumInclusive": (
        "java.lang.AssertionError", "org.mockito.internal.util.RangeVintageTest.sumInclusive(RangeVintageTest.java:10)"),
    "org.mockito.internal.util.RangeVintageTest::checkedNegative": (
        "java.lang.IllegalArgumentException", "org.mockito.internal.util.Range.checked(Range.java:14)"),
}


@pytest.mark.parametrize("mode", ["verbose", "flat", "tree", "summary"])
def test_junit5_console_each_details_mode(mode):
    """Real console-launcher output (make_junit5_logs.sh): the 4 failures and no passing test, in every mode;
    the project's package looks like a library's (org.mockito.internal) and the frame is still the project's."""
    from extractors._trace import project_frame
    got = parse_junit(log(f"junit5_console_{mode}.txt"))
    assert {f.test: (f.exception, project_frame(f.frames, ("org.mockito.internal.util",))) for f in got} == J5_EXPECTED


def _lang_rows():
    import json
    return [json.loads(x) for x in (LOGS / "d4j_lang_trigger_tests.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("row", _lang_rows(), ids=lambda r: r["bug"])
def test_d4j_lang_trigger_tests(row):
    """Defects4J's own trigger_tests files (Lang): every ``---`` header is a failure; its project frame is the
    first frame in the project's packages (org.apache.commons.lang or .lang3 by version; read here without the
    parser), never Ant's runner."""
    from extractors._trace import project_frame
    blocks = row["text"].split("\n--- ")
    want = {}
    for b in blocks:
        lines = b.removeprefix("--- ").split("\n")
        frames = [ln.strip()[3:] for ln in lines[1:]
                  if ln.strip().startswith(("at org.apache.commons.lang.", "at org.apache.commons.lang3."))]
        want[lines[0].strip()] = frames[0] if frames else None
    got = parse_failing_tests(row["text"])
    pkgs = ("org.apache.commons.lang", "org.apache.commons.lang3")
    assert {f.test: project_frame(f.frames, pkgs) for f in got} == want


@pytest.mark.parametrize("text,expected", [
    # Defects4J class-level header (failure outside any test method)
    ("--- org.example.FooTest\njava.lang.ExceptionInInitializerError\n\tat org.example.Foo.<clinit>(Foo.java:5)\n"
     "--- org.example.FooTest::bar\njava.lang.AssertionError\n\tat org.example.FooTest.bar(FooTest.java:9)\n",
     {"org.example.FooTest": ("java.lang.ExceptionInInitializerError", None, None, "org.example.Foo.<clinit>(Foo.java:5)"),
      "org.example.FooTest::bar": ("java.lang.AssertionError", None, None, "org.example.FooTest.bar(FooTest.java:9)")}),
    # Gradle names a class-level (@BeforeClass) failure "classMethod"
    ("p.CalcTest > classMethod FAILED\n    java.lang.IllegalStateException: no db\n"
     "        at p.CalcTest.setUp(CalcTest.java:9)\np.CalcTest > other FAILED\n"
     "    java.lang.AssertionError at CalcTest.java:12\n",
     {"p.CalcTest": ("java.lang.IllegalStateException", None, None, "p.CalcTest.setUp(CalcTest.java:9)"),
      "p.CalcTest::other": ("java.lang.AssertionError", None, None, "CalcTest.java:12")}),
    # (<generated>) frames are frames, not message text
    ("1) t(p.T)\njava.lang.IllegalStateException: bad\n\tat p.Svc$$EnhancerByCGLIB$$1a2b.run(<generated>)\n"
     "\tat p.T.t(T.java:4)\n",
     {"p.T::t": ("java.lang.IllegalStateException", None, None, "p.Svc$$EnhancerByCGLIB$$1a2b.run(<generated>)")}),
])
def test_parse_junit_issue13(text, expected):
    got = parse_junit(text)
    assert {f.test: _shape(f) for f in got} == expected
    assert all("<generated>" not in f.message for f in got)


def test_gradle4_task_glued_to_the_path():
    out = (":compileJava/home/u/proj/src/main/java/p/Calc.java:5: error: ';' expected\n        int c = a + b\n"
           "                     ^\n1 error\n:compileJava FAILED\n")
    (e,) = parse_javac(out)
    assert (e.file, e.line, e.column) == ("/home/u/proj/src/main/java/p/Calc.java", 5, 22)


def test_frames_kept_and_old_transcripts_load():
    (f,) = parse_junit("1) t(p.T)\njava.lang.AssertionError\n\tat org.junit.Assert.fail(Assert.java:1)\n"
                       "\tat p.T.t(T.java:4)\n")
    assert f.frames == ("org.junit.Assert.fail(Assert.java:1)", "p.T.t(T.java:4)")
    d = failure_to_dict(f)
    assert failure_from_dict(d) == f
    old = {k: v for k, v in d.items() if k != "frames"}  # a transcript written before frames existed
    assert failure_from_dict(old).frames == () and failure_from_dict(old).frame == "p.T.t(T.java:4)"


def test_gradle4_real_logs():
    """Real Gradle 4.4.1 output (make_gradle4_logs.sh): the task name glued to the compile error's path, and a
    failing test in the plain console."""
    (e,) = parse_javac(log("gradle4_compile.txt"))
    assert (e.file.rsplit("/", 1)[-1], e.file[:1], e.line, e.column, e.message) == ("Calc.java", "/", 5, 22, "';' expected")
    (f,) = parse_junit(log("gradle4_test.txt"))
    assert (f.test, f.expected, f.actual, f.frame) == ("p.CalcTest::add", "5", "-1", "p.CalcTest.add(CalcTest.java:10)")


# --------------------------------------------------------------------------- real Maven logs (SOURCES.md)
MAVEN_JAVAC_ROWS = [
    ("maven_compile_real.txt", [("/home/u/p4/src/main/java/com/acme/text/Words.java", 13, 26,
                                 "cannot find symbol\nsymbol:   variable sep\nlocation: class com.acme.text.Words"),
                                ("/home/u/p4/src/main/java/com/acme/text/Words.java", 20, 17,
                                 "cannot find symbol\nsymbol:   variable zero\nlocation: class com.acme.text.Words")]),
    ("maven_testcompile_real.txt", [("/home/u/p4/src/test/java/com/acme/text/WordsTest.java", 33, 30,
                                     "method countVowels in class com.acme.text.Words cannot be applied to given "
                                     "types;\nrequired: java.lang.String\nfound:    java.lang.String,boolean\n"
                                     "reason: actual and formal argument lists differ in length")]),
]


@pytest.mark.parametrize("name,expected", MAVEN_JAVAC_ROWS, ids=[r[0] for r in MAVEN_JAVAC_ROWS])
def test_maven_compile_real(name, expected):
    """Real maven-compiler-plugin 3.10.1 output (make_surefire_logs.sh): each error once (Maven prints it twice),
    with its file, line, column and javac's detail lines."""
    assert [(e.file, e.line, e.column, e.message) for e in parse_javac(log(name))] == expected


W4, W5 = "com.acme.text.", "com.acme.stack."
_SIOOBE = "java.lang.StringIndexOutOfBoundsException"
# (log, {test id: (exception, message, project frame) or timeout seconds}); the frame judged by the project's packages
SUREFIRE222_JUNIT4 = {
    W4 + "WordsTest::capitalizeTwoWords": ("org.junit.ComparisonFailure",
                                           "expected:<Hello [W]orld> but was:<Hello [w]orld>",
                                           W4 + "WordsTest.capitalizeTwoWords(WordsTest.java:18)"),
    W4 + "WordsTest::capitalizeMatcher": ("java.lang.AssertionError", 'Expected: is "A B"\n     but: was "A b"',
                                          W4 + "WordsTest.capitalizeMatcher(WordsTest.java:23)"),
    W4 + "WordsTest::countVowelsEmpty": (_SIOOBE, "String index out of range: 0",
                                         W4 + "WordsTest.countVowelsEmpty(WordsTest.java:33)"),
    W4 + "WordsTest::drainTerminates": 0.2,
    W4 + "WordsTest::splitSpaces": ("org.junit.internal.ArrayComparisonFailure",
                                    "array lengths differed, expected.length=2 actual.length=3; arrays first "
                                    "differed at element [1]; expected:<[b]> but was:<[]>",
                                    W4 + "WordsTest.splitSpaces(WordsTest.java:38)"),
    W4 + "WordsTest::countVowels": (_SIOOBE, "String index out of range: 5",
                                    W4 + "WordsTest.countVowels(WordsTest.java:28)"),
    # Parameterized: one failure per invocation; the summary's two "VowelsTest.count" lines add none
    W4 + "VowelsTest::count[sky]": (_SIOOBE, "String index out of range: 3",
                                    W4 + "VowelsTest.count(VowelsTest.java:30)"),
    W4 + "VowelsTest::count[tree]": (_SIOOBE, "String index out of range: 4",
                                     W4 + "VowelsTest.count(VowelsTest.java:30)"),
    # @BeforeClass failed: "[ERROR] com.acme.text.SetupTest  Time elapsed", a class-level failure
    W4 + "SetupTest": (_SIOOBE, "String index out of range: 0", W4 + "SetupTest.countOnce(SetupTest.java:13)")}
MAVEN_JUNIT_ROWS = [
    ("surefire222_junit4.txt", SUREFIRE222_JUNIT4),
    ("surefire222_junit4_fulltrace.txt", {  # untrimmed traces: the frame in the code under test is found
        **SUREFIRE222_JUNIT4,
        **{W4 + t: (_SIOOBE, f"String index out of range: {n}", W4 + "Words.countVowels(Words.java:22)")
           for t, n in [("WordsTest::countVowelsEmpty", 0), ("WordsTest::countVowels", 5),
                        ("VowelsTest::count[sky]", 3), ("VowelsTest::count[tree]", 4), ("SetupTest", 0)]},
        # this Surefire prints ArrayComparisonFailure's message without its class
        W4 + "WordsTest::splitSpaces": ("", *SUREFIRE222_JUNIT4[W4 + "WordsTest::splitSpaces"][1:])}),
    ("surefire222_junit5.txt", {  # headers name the method only: the class is the "Running" line's
        W5 + "IntStackTest::peekTop": ("java.lang.IndexOutOfBoundsException", "Index 1 out of bounds for length 1",
                                       W5 + "IntStackTest.peekTop(IntStackTest.java:24)"),
        W5 + "IntStackTest::sizes": ("org.opentest4j.MultipleFailuresError", "Multiple Failures (1 failure)\n"
                                     "\torg.opentest4j.AssertionFailedError: expected: <1> but was: <2>",
                                     W5 + "IntStackTest.sizes(IntStackTest.java:36)"),
        W5 + "IntStackTest::sizeAfterPushes[1]": ("org.opentest4j.AssertionFailedError", "expected: <2> but was: <3>",
                                                  W5 + "IntStackTest.sizeAfterPushes(IntStackTest.java:54)"),
        W5 + "IntStackTest::sizeAfterPushes[2]": ("org.opentest4j.AssertionFailedError", "expected: <3> but was: <4>",
                                                  W5 + "IntStackTest.sizeAfterPushes(IntStackTest.java:54)"),
        W5 + "IntStackTest::popEmpty": ("org.opentest4j.AssertionFailedError", "expected: <-1> but was: <0>",
                                        W5 + "IntStackTest.popEmpty(IntStackTest.java:16)"),
        W5 + "IntStackTest::peekEmptyThrows": (
            "org.opentest4j.AssertionFailedError", "Unexpected exception type thrown, expected: "
            "<java.lang.IllegalStateException> but was: <java.lang.IndexOutOfBoundsException>",
            W5 + "IntStackTest.peekEmptyThrows(IntStackTest.java:29)"),
        # @Nested: the header says "sizeIsZero" under "Running ...IntStackTest"; the frame names the nested class
        W5 + "IntStackTest$WhenEmpty::sizeIsZero": ("org.opentest4j.AssertionFailedError",
                                                    "expected: <0> but was: <1>",
                                                    W5 + "IntStackTest$WhenEmpty.sizeIsZero(IntStackTest.java:61)"),
        W5 + "IntStackVintageTest::popEmpty": ("java.lang.AssertionError", "expected:<-1> but was:<0>",
                                               W5 + "IntStackVintageTest.popEmpty(IntStackVintageTest.java:10)"),
        W5 + "IntStackSetupTest": ("java.lang.IndexOutOfBoundsException", "Index 0 out of bounds for length 0",
                                   W5 + "IntStackSetupTest.peekOnce(IntStackSetupTest.java:13)")}),
    ("public/surefire3_benchmarkutils_83.txt", {
        "org.owasp.benchmarkutils.score.report.html.VulnerabilityStatsTableTest::showsSuccessColumns": (
            "org.opentest4j.AssertionFailedError", "expected: <true> but was: <false>",
            "org.owasp.benchmarkutils.score.report.html.VulnerabilityStatsTableTest.showsSuccessColumns"
            "(VulnerabilityStatsTableTest.java:154)")}),
    ("public/surefire_gha_error_prefix_jmri_14795.txt", {  # the project's own helper is its first frame
        "jmri.jmrit.ctc.CtcRunWithSignalMastsTest::testAction": (
            "org.opentest4j.AssertionFailedError", '"3/4 signal left indicator not active" did not occur in time',
            "jmri.util.JUnitUtil.waitFor(JUnitUtil.java:524)")}),
    ("public/surefire219_cda2fhir_12.txt", {
        f"tr.com.srdc.cda2fhir.DataTypesTransformerTest::{m}": (
            "org.junit.ComparisonFailure", "TS.value was not transformed expected:<2016-05-27T15:[4]0:00+08:00> but "
            "was:<2016-05-27T15:[1]0:00+08:00>", f"tr.com.srdc.cda2fhir.DataTypesTransformerTest.{m}"
            f"(DataTypesTransformerTest.java:{n})")
        for m, n in [("testString2DateTime", 654), ("testTS2DateTime", 789)]}),
    ("public/surefire2124_summary_qa_catalogue_457.txt", {  # a summary only: messages as Surefire cut them
        "de.gwdg.metadataqa.marc.cli.ClassificationAnalysisTest::pica": ("", "expected:<...t,percent(..)", None),
        "de.gwdg.metadataqa.marc.cli.utils.CollocationTest::formatRow": ("", "expected:<lcsh;udc,3416,68[.]32%(..)",
                                                                         None)}),
    ("public/surefire_gha_summary_maven_surefire_723.txt", {  # timestamped, a three-line summary entry
        "Surefire1144XmlRunTimeIT::testXmlRunTime": (
            "", "Expected: is a value equal to or greater than <1.6F>\n     but: <1.599F> was less than <1.6F>",
            None)}),
]


def _typed(f, packages):
    from extractors._trace import project_frame
    if isinstance(f, TestTimeout):
        return f.seconds
    return (f.exception, f.message, project_frame(f.frames, packages) if f.frames else f.frame)


@pytest.mark.parametrize("name,expected", MAVEN_JUNIT_ROWS, ids=[r[0] for r in MAVEN_JUNIT_ROWS])
def test_surefire_real(name, expected):
    """Real Surefire logs: Debian's 2.22.3 run offline (make_surefire_logs.sh) and public CI logs (SOURCES.md);
    every failure once, with its test id, exception, message and the project's frame."""
    got = parse_junit(log(name))
    pkgs = tuple({t.split("::")[0].rsplit(".", 1)[0].split("$")[0] for t in expected} | {"jmri"})
    assert {f.test: _typed(f, pkgs) for f in got} == expected
    assert len(got) == len(expected)


def test_surefire_real_summary_alone():
    """Only the "Results:" part of the real 2.22.3 logs (e.g. a log cut to its tail): multi-line messages keep their
    lines (hamcrest's expected/actual found), Surefire's short exception names are made whole again, and a cut
    timeout message still gives the timeout."""
    fs = {f.test: f for f in parse_junit(log("surefire222_junit4.txt").split("[INFO] Results:")[1])}
    # VowelsTest.count twice (one summary line per invocation, no invocation named); the class-level failure reads
    # as a test named after its @BeforeClass method (SetupTest::countOnce): the summary alone does not tell
    assert len(fs) == 8 and "SetupTest::countOnce" in fs
    m = fs["WordsTest::capitalizeMatcher"]
    assert (m.message, m.expected, m.actual) == ('Expected: is "A B"\n     but: was "A b"', 'is "A B"', 'was "A b"')
    assert fs["WordsTest::countVowels"].exception == "StringIndexOutOfBoundsException"
    assert fs["WordsTest::drainTerminates"] == TestTimeout("WordsTest::drainTerminates", 0.2)
    fs = {f.test: f for f in parse_junit(log("surefire222_junit5.txt").split("[INFO] Results:")[1])}
    assert fs["IntStackTest::sizes"].message == ("Multiple Failures (1 failure)\n"
                                                 "\torg.opentest4j.AssertionFailedError: expected: <1> but was: <2>")
    assert "IntStackTest$WhenEmpty::sizeIsZero" in fs and len(fs) == 8


@pytest.mark.parametrize("text,expected", [
    # Surefire 3: a class-level failure (@BeforeAll) names the class only
    ("[INFO] Running p.q.SetupTest\n[ERROR] Tests run: 1, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 1.2 s "
     "<<< FAILURE! -- in p.q.SetupTest\n[ERROR] p.q.SetupTest -- Time elapsed: 1.2 s <<< ERROR!\n"
     "java.lang.RuntimeException: login failed\n\tat p.q.SetupTest.setUpOnce(SetupTest.java:13)\n",
     {"p.q.SetupTest": ("java.lang.RuntimeException", "login failed", "p.q.SetupTest.setUpOnce(SetupTest.java:13)")}),
    # Surefire 3: a parameterised invocation, parameter types and index in the header
    ("[ERROR] p.RolesTest.reads(String)[2] -- Time elapsed: 0.01 s <<< FAILURE!\n"
     "java.lang.AssertionError: Status expected:<200> but was:<404>\n\tat p.RolesTest.reads(RolesTest.java:40)\n",
     {"p.RolesTest::reads[2]": ("java.lang.AssertionError", "Status expected:<200> but was:<404>",
                                "p.RolesTest.reads(RolesTest.java:40)")}),
    # Surefire 3's summary for a java.lang.Error: an empty short name ("»  msg"), message on the next lines
    ("[ERROR] Errors: \n[ERROR]   DeskTest.walkIn:23 »  Unresolved compilation problem:\n"
     "        The method book(Req) in the type Api is not applicable for the arguments (String)\n\n"
     "[INFO] \n[ERROR] Tests run: 1, Failures: 0, Errors: 1, Skipped: 0\n",
     {"DeskTest::walkIn": ("", "Unresolved compilation problem:\n        The method book(Req) in the type Api is not "
                               "applicable for the arguments (String)", None)}),
])
def test_surefire_formats_inline(text, expected):
    assert {f.test: _typed(f, ("p",)) for f in parse_junit(text)} == expected
