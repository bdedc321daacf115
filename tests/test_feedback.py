"""extractors.feedback: failure feedback rendered against the bug (real javac + JUnit on a sample bug, and tables)."""
import pytest

from agent.bugs import SAMPLES, load_manifest
from agent.styles import STYLES, feedback_context, method_context
from agent.validation.validate import Candidate, FreshValidator, ValidationConfig
from extractors.failures import CompileError, TestFailure, TestTimeout, parse_javac
from extractors.feedback import FeedbackContext, project_packages, render_feedback


@pytest.fixture(scope="module")
def bug():
    return {b.id: b for b in load_manifest(SAMPLES)}["OffByOne-1"]


@pytest.fixture(scope="module")
def runs(bug):
    """Three real validations of OffByOne-1 (RangeSum.sum starts at line 8 of its file)."""
    v = FreshValidator(ValidationConfig())
    method, _start = method_context(bug)
    return {
        "buggy": v.validate(bug, Candidate(method)),
        "signature": v.validate(bug, Candidate(method.replace("int to)", "int to, int step)"))),
        "throws": v.validate(bug, Candidate(method.replace("total += a[i];", "total += a[i + a.length];"))),
    }


def test_context_from_bug(bug):
    ctx = feedback_context(bug)
    assert ctx.method_file == "src/main/java/sample/RangeSum.java" and ctx.method_start == 8
    assert ctx.method_lines[0].startswith("public static int sum(") and ctx.packages == ("sample",)
    assert ctx.in_method("/tmp/x/src/main/java/sample/RangeSum.java", 13) == 6
    assert ctx.in_method("src/main/java/sample/RangeSum.java", 20) == 0


def test_test_failure_quotes_the_tests_assertion(bug, runs):
    text = render_feedback(runs["buggy"].failures, feedback_context(bug))
    assert "sample.RangeSumTest::testSumInclusive failed: AssertionError: sum of a[1..3] expected:<9> but was:<5>" \
        in text
    assert 'RangeSumTest.java:11): assertEquals("sum of a[1..3]", 9, RangeSum.sum(a, 1, 3));' in text


def test_exception_in_the_method_names_the_methods_line(bug, runs):
    text = render_feedback(runs["throws"].failures, feedback_context(bug).for_code(runs["throws"].code))
    assert "ArrayIndexOutOfBoundsException" in text
    assert "at line 7 of the method: total += a[i + a.length];" in text
    assert "in the test at RangeSumTest.java:" in text  # and the test line that called it


def test_compile_errors_name_their_files(bug, runs):
    """A changed signature breaks callers in the method's file and in the test: each error says where."""
    text = render_feedback(runs["signature"].failures, feedback_context(bug))
    assert text.startswith("The code does not compile:\nRangeSum.java line 20 (outside the method): method sum")
    assert "RangeSumTest.java line 11" in text and "more like it" in text
    assert "(these call the method you are fixing: keep the parameters of sum)" in text


def test_callers_of_a_changed_signature_grouped_with_their_cause():
    """A Lang-like cascade: a new parameter breaks 79 calls in the test file (seen on Lang-1's createNumber)."""
    errs = [CompileError("/w/test/p/ATest.java", 100 + 3 * i, 20, "method f in class A cannot be applied to given "
                         "types;\nrequired: int,boolean\nfound:    int\nreason: actual and formal argument lists "
                         "differ in length", f"        assertEquals({i}, A.f({i}));") for i in range(79)]
    text = render_feedback(errs, CTX)
    assert text.count("cannot be applied") == 1 and "(and 78 more like it: ATest.java line 103," in text
    assert text.endswith("(these call the method you are fixing: keep the parameters of f)")
    other = [CompileError("/w/test/p/ATest.java", 5, 1, "method g in class A cannot be applied to given types;")]
    assert "fixing" not in render_feedback(other, CTX)  # another method's callers: no such note


def test_prompts_use_the_shared_rendering(bug, runs):
    ctx = feedback_context(bug)
    msg = STYLES["chat"].feedback_message(runs["throws"], 1200, bug)["content"]
    assert render_feedback(runs["throws"].failures, ctx.for_code(runs["throws"].code), 1200) in msg
    assert "total += a[i + a.length];" in msg  # the line of the code that ran, not of the buggy method
    first = STYLES["chat"].first_messages(bug, runs["buggy"].failures)[-1]["content"]
    assert render_feedback(runs["buggy"].failures, ctx) in first
    fill = STYLES["fill"].feedback_message(runs["throws"], 1200, bug)["content"]
    assert "//   at line 7 of the method: total += a[i + a.length];" in fill  # the same rendering, as // lines


CTX = FeedbackContext(method_file="src/p/A.java", method_start=10,
                      method_lines=("int f(int x) {", "    int y = x", "    return y;", "}"), packages=("org.mockito",))


def test_compile_line_relative_to_the_method_with_its_text():
    text = render_feedback([CompileError("/abs/src/p/A.java", 11, None, "';' expected")], CTX)
    assert "line 2 of the method: ';' expected\n    int y = x" in text


def test_cascade_root_cause_first():
    """100 errors, most of them javac's cascade after the real one: the error in the method comes first."""
    cascade = [CompileError(f"src/p/B.java", 100 + i, 1, "class, interface, enum, or record expected")
               for i in range(60)]
    cascade += [CompileError("src/p/A.java", 40 + i, 5, "illegal start of type") for i in range(39)]
    cascade.insert(70, CompileError("src/p/A.java", 12, 9, "reached end of file while parsing"))
    text = render_feedback(cascade, CTX, 600)
    assert text.split("\n")[1].startswith("line 3 of the method: reached end of file while parsing")
    assert "(and 59 more like it" in text and "(and 38 more like it" in text


def test_same_failure_with_different_frames_grouped_and_project_frame_by_packages():
    fs = [TestFailure(f"org.mockito.T::t{i}", "java.lang.IllegalStateException", "not mocked",
                      frames=(f"org.mockito.internal.Impl.run{i}(Impl.java:{i})", f"org.mockito.T.t{i}(T.java:3)"))
          for i in range(13)]
    text = render_feedback(fs, CTX)
    assert text.count("IllegalStateException") == 1 and "12 more tests failing the same way" in text
    # org.mockito.internal is the project here, not a library
    assert "at org.mockito.internal.Impl.run0(Impl.java:0)" in text
    assert "at org.mockito.T.t0(T.java:3)" in render_feedback(fs[:1])  # without context: the library list


def test_timeouts_and_limit():
    fs = [TestTimeout("p.T::slow", 5.0)] + [CompileError("src/p/A.java", 11, 2, f"error {i}") for i in range(50)]
    text = render_feedback(fs, CTX, 300)
    assert len(text) <= 300 and "more failures omitted" in text


def test_project_packages(tmp_path):
    (tmp_path / "src" / "a").mkdir(parents=True)
    (tmp_path / "src" / "a" / "X.java").write_text("/* x */\npackage org.x.a;\nclass X {}\n")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "Y.java").write_text("package org.x.test;\n")
    assert project_packages(str(tmp_path), ("src", "test", "missing")) == ("org.x.a", "org.x.test")


def test_javac_real_output_renders_with_file(bug, runs):
    comp = [f for f in runs["signature"].failures if isinstance(f, CompileError)]
    assert comp and all(f.file.endswith(".java") for f in comp) and parse_javac("") == []


# --------------------------------------------------------------------------- a Lang-like layout (issue 13 item 5)
CALC = """package p;

public class Calc {
    public static int parse(String s) {
        if (s == null
                || s.isEmpty()) {
            return 0;
        }
        return
            digits(s)
            * sign(s);
    }

    static int digits(String s) {
        return Integer.parseInt(s.substring(1));
    }

    static int sign(String s) {
        return 1;
    }
}
"""
BASE_TEST = """package p;

import static org.junit.Assert.assertEquals;

public abstract class BaseTest {
    protected void check(String s, int want) {
        try {
            assertEquals("parse(" + s + ")",
                    want, Calc.parse(s));
        } finally {
            s = null;
        }
    }
}
"""
CALC_TEST = """package p;

import org.junit.Test;

public class CalcTest extends BaseTest {
    @Test
    public void negative() {
        check("-12", -12);
    }

    @Test
    public void chained() {
        assertEquals(3, Calc
                .parse(
                "+3"));
    }
}
"""


@pytest.fixture()
def layout(tmp_path):
    (tmp_path / "src" / "p").mkdir(parents=True)
    (tmp_path / "test" / "p").mkdir(parents=True)
    (tmp_path / "src" / "p" / "Calc.java").write_text(CALC)
    (tmp_path / "test" / "p" / "BaseTest.java").write_text(BASE_TEST)
    (tmp_path / "test" / "p" / "CalcTest.java").write_text(CALC_TEST)
    lines = CALC.split("\n")[3:12]  # parse(), file lines 4-12, as the model was shown it
    return FeedbackContext(method_file="src/p/Calc.java", method_start=4, method_lines=tuple(x[4:] for x in lines),
                           packages=("p",), root=str(tmp_path), test_roots=("test",), source_roots=("src",))


JUNIT = ("org.junit.Assert.fail(Assert.java:89)", "org.junit.Assert.assertEquals(Assert.java:647)")


@pytest.mark.parametrize("frames,want", [
    # the assertion spans two lines and the frame is on the second; it lies in a helper of a superclass: the helper's
    # statement whole, then the test method's own line
    (JUNIT + ("p.BaseTest.check(BaseTest.java:9)", "p.CalcTest.negative(CalcTest.java:8)"),
     ['  at p.BaseTest.check(BaseTest.java:9): assertEquals("parse(" + s + ")", want, Calc.parse(s));',
      '  called from the test at CalcTest.java:8: check("-12", -12);']),
    # thrown in code the method calls: that line, then the method's line that called it (a 3-line return, the
    # frame on its middle line), then the test's
    (("java.lang.Integer.parseInt(Integer.java:614)", "p.Calc.digits(Calc.java:15)", "p.Calc.parse(Calc.java:10)",
      "p.BaseTest.check(BaseTest.java:8)", "p.CalcTest.negative(CalcTest.java:8)"),
     ["  at p.Calc.digits(Calc.java:15): return Integer.parseInt(s.substring(1));",
      "  called from line 7 of the method: return digits(s) * sign(s);",
      '  in the test at BaseTest.java:8: assertEquals("parse(" + s + ")", want, Calc.parse(s));',
      '  called from the test at CalcTest.java:8: check("-12", -12);']),
    # thrown in the method on the second line of an if's condition: the header, not the whole if
    (("p.Calc.parse(Calc.java:6)", "p.CalcTest.negative(CalcTest.java:8)"),
     ["  at line 3 of the method: if (s == null || s.isEmpty()) {",
      '  in the test at CalcTest.java:8: check("-12", -12);']),
    # a frame on a line with no code (the end of a finally block): no quote rather than "}"
    (JUNIT + ("p.BaseTest.check(BaseTest.java:12)", "p.CalcTest.negative(CalcTest.java:8)"),
     ["  at p.BaseTest.check(BaseTest.java:12)", '  called from the test at CalcTest.java:8: check("-12", -12);']),
])
def test_frames_quote_whole_statements_and_the_tests_own_line(layout, frames, want):
    f = TestFailure("p.CalcTest::negative", "java.lang.AssertionError", "boom", frames=frames)
    assert render_feedback([f], layout).split("\n")[1:] == want


def test_statement_rows_joined_as_written(layout):
    f = TestFailure("p.CalcTest::chained", "java.lang.AssertionError", "expected:<3> but was:<0>",
                    frames=JUNIT + ("p.CalcTest.chained(CalcTest.java:14)",))
    assert render_feedback([f], layout).split("\n")[1] == \
        '  at p.CalcTest.chained(CalcTest.java:14): assertEquals(3, Calc.parse("+3"));'


def test_no_quote_when_the_line_is_in_another_method(layout):
    """A log whose line numbers are of other sources (Defects4J's stored trigger tests against a checkout whose
    broken tests were removed): a line outside the frame's method is not quoted (it was '*/' or 'cal.clear();')."""
    f = TestFailure("p.CalcTest::negative", "java.lang.AssertionError", "boom",
                    frames=JUNIT + ("p.BaseTest.check(BaseTest.java:3)", "p.CalcTest.negative(CalcTest.java:13)"))
    assert render_feedback([f], layout).split("\n")[1:] == ["  at p.BaseTest.check(BaseTest.java:3)"]
