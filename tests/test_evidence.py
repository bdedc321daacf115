"""Evidence of correctness: exact and AST match with the developer's fix, and the size of the change."""

import pytest

from agent import evidence
from agent.evidence import compare

BUGGY = """public static int sum(int[] a, int from, int to) {
    int total = 0;
    for (int i = from; i < to; i++) {
        total += a[i];
    }
    return total;
}"""
FIXED = BUGGY.replace("i < to", "i <= to")

# (case, patch, exact, ast, fix_distance): hand-written patches of BUGGY compared with FIXED
CASES = [
    ("identical", FIXED, True, True, 0),
    ("re-indented", "\n".join("\t\t" + ln for ln in FIXED.splitlines()), True, True, 0),
    ("re-wrapped lines", FIXED.replace("{\n    int total", "{ int total").replace("total;\n}", "total; }"),
     True, True, 0),
    ("spaces inside a line", FIXED.replace("i <= to", "i<=to"), False, True, 0),
    ("comment added", FIXED.replace("total += a[i];", "total += a[i]; // inclusive end"), False, True, 0),
    ("block comment added", FIXED.replace("return total;", "/* done */ return total;"), False, True, 0),
    ("other bound", FIXED.replace("i <= to", "i < to + 1"), False, False, 4),
    ("redundant parentheses", FIXED.replace("i <= to", "(i <= to)"), False, False, 2),
    ("i++ as i += 1", FIXED.replace("i++", "i += 1"), False, False, 3),
    ("string with spaces differs", FIXED.replace("return total;", 'String s = "a  b"; return total;'),
     False, False, 5),
]


@pytest.mark.parametrize("case,patch,exact,ast,distance", CASES, ids=[c[0] for c in CASES])
def test_evidence_table(case, patch, exact, ast, distance):
    ev = compare(patch, BUGGY, FIXED)
    assert (ev.exact, ev.ast, ev.fix_distance) == (exact, ast, distance)
    assert ev.fix_lines_changed == 2 and ev.fix_tokens_changed == 2  # "<" out, "<=" in
    assert ev.label == ("exact" if exact else "ast" if ast else "differs")


def test_string_literals_keep_their_spaces():
    a = FIXED.replace("return total;", 'String s = "a b"; return total;')
    b = FIXED.replace("return total;", 'String s = "a  b"; return total;')
    ev = compare(a, BUGGY, b)  # whitespace inside a literal is not formatting: neither exact nor AST match
    assert (ev.exact, ev.ast, ev.fix_distance) == (False, False, 2)


def test_size_of_the_change():
    patch = BUGGY.replace("i < to", "i <= to").replace("return total;", "if (total < 0) {\n        return 0;\n"
                                                                          "    }\n    return total;")
    ev = compare(patch, BUGGY, FIXED)
    assert ev.lines_changed == 5  # one line changed (1 out + 1 in) and three added
    assert ev.tokens_changed == 2 + 11  # "<" -> "<=", then `if ( total < 0 ) { return 0 ; }`
    assert ev.fix_distance == 11
    assert (ev.exact, ev.ast) == (False, False)
    unchanged = compare(BUGGY, BUGGY, FIXED)
    assert (unchanged.lines_changed, unchanged.tokens_changed, unchanged.fix_distance) == (0, 0, 2)


def test_no_developer_fix_gives_sizes_only():
    ev = compare(FIXED, BUGGY, None)
    assert (ev.exact, ev.ast, ev.fix_distance, ev.label) == (None, None, None, "unknown")
    assert (ev.lines_changed, ev.tokens_changed) == (2, 2)
    assert evidence.columns(ev)["exact"] is None and evidence.columns(None) == {}


def test_unparsable_code_is_no_ast_match():
    assert evidence.ast_equal(FIXED, FIXED.replace("return total;", "return total")) is None
    assert compare(FIXED.replace("return total;", "return total"), BUGGY, FIXED).ast is False


def test_is_method_tells_methods_from_chunks():
    assert evidence.is_method(FIXED, "sum")
    assert evidence.is_method("/** Sums. */\n@Deprecated\n" + FIXED, "sum")
    assert not evidence.is_method(FIXED, "total")
    assert not evidence.is_method("for (int i = from; i <= to; i++) {", "sum")
    assert not evidence.is_method("int total = 0;", "sum")  # parses as a field, still a chunk
    assert not evidence.is_method(FIXED + "\n" + FIXED.replace("sum(", "sum2("), "sum")


def test_evidence_for_a_sample_bug_method_and_chunk(sample_bugs):
    bug = sample_bugs["OffByOne-1"]
    method = evidence.evidence(bug, bug.fixed_method)
    assert (method.exact, method.ast, method.fix_distance) == (True, True, 0)
    # the chunk as the loop applies it (Outcome.code: the re-indented chunk line) is put back into the method
    chunk = evidence.evidence(bug, bug.fixed_chunk + "\n")
    assert (chunk.exact, chunk.ast, chunk.lines_changed, chunk.tokens_changed) == (True, True, 2, 2)
    other = evidence.evidence(bug, bug.fixed_chunk.replace("i <= to", "i < to + 1"))
    assert (other.exact, other.ast, other.fix_distance) == (False, False, 4)
    assert evidence.evidence(bug, None) is None


def test_every_sample_fix_matches_itself_and_differs_from_the_bug(sample_bugs):
    for bug in sample_bugs.values():
        ev = evidence.evidence(bug, bug.fixed_method)
        assert ev.label == "exact", bug.id
        buggy = evidence.evidence(bug, evidence.buggy_text(bug))
        assert buggy.ast is False and buggy.fix_distance > 0 and buggy.tokens_changed == 0, bug.id


def test_applied_code_is_put_back_as_it_stood(sample_bugs):
    """Outcome.code is the method as it stands in the file; applying it again must give that same file."""
    from agent.validation.workspace import apply
    for bug in sample_bugs.values():
        for code, kind in ((bug.fixed_method, "method"), (bug.fixed_chunk, "chunk")):
            patched = apply(bug.read_source(), bug.location, code, kind)
            assert evidence.patched_source(bug, patched.code) == patched.source, (bug.id, kind)


def test_oddly_indented_file_round_trips(tmp_path):
    """Lang-6 and Lang-17 (Defects4J): a body indented past its signature, the closing brace too, a comment
    further left; the applied method must go back into the file verbatim."""
    from agent.bugs import Bug, Location
    from agent.validation.workspace import apply
    src = ("class T {\n    /** doc */\n    public int f(int x) {\n            int y = x;\n    //      // old note\n"
           "            return y;\n        }\n}\n")
    (tmp_path / "T.java").write_text(src)
    bug = Bug("odd", tmp_path, (".",), (".",), (), (), Location("T.java", "f", (4, 4)),
              "public int f(int x) {\n    int y = x + 1;\n    return y;\n}")
    patched = apply(src, bug.location, src.split("    public ")[1].split("\n}\n")[0].replace("= x;", "= x + 1;")
                    .join(["public ", ""]), "method")
    assert evidence.patched_source(bug, patched.code) == patched.source
    assert evidence.evidence(bug, patched.code).label == "ast"  # the comment differs, so not exact


# The original method of Prompt4SE's milestone3/java/dataset/14.json (YangsenChen/Prompt4SE, from CodeSearchNet;
# licence none stated), which the reply below was asked to repair after a mutation (i-1 -> i+1).
P4SE_ORIGINAL = """public static Profile forInt(int i) {
\t\tProfile p;
\t\tif(i<=0||i>ALL.length) p = UNKNOWN;
\t\telse p = ALL[i-1];
\t\treturn p;
\t}"""


def test_real_chatgpt_repair_is_an_ast_match_but_not_exact():
    """A real ChatGPT reply (tests/data/replies/real.jsonl) restores the original method token for token, in
    another layout: exact match misses it, AST match sees it."""
    import json
    from pathlib import Path
    rows = [json.loads(x) for x in (Path(__file__).parent / "data" / "replies" / "real.jsonl").open()]
    row = next(r for r in rows if r["id"] == "p4se:task2/code14_mut2.md#1")
    ev = compare(row["expected"], row["original"], P4SE_ORIGINAL)  # "original": the mutated method it was shown
    assert (ev.exact, ev.ast, ev.fix_distance, ev.tokens_changed) == (False, True, 0, 2)
