"""`repairchat report`: per-bug pages from a real batch run (real javac and JUnit, real transcripts)."""

import json

from agent.batch import BatchConfig, run_bugs
from agent.cli import main
from agent.loop import LoopConfig
from agent.ui import pages
from agent.validation.validate import FreshValidator


def fenced(code):
    return f"Here you go.\n```java\n{code}\n```"


def test_report_pages_from_a_batch_run(sample_bugs, scripted, tmp_path, capsys):
    bug = sample_bugs["OffByOne-1"]
    other_fix = bug.fixed_method.replace("i <= to", "i < to + 1")
    commented = bug.fixed_method.replace("total += a[i];", "total += a[i]; // inclusive")
    model = scripted([[fenced(bug.fixed_method.replace("i <= to", "i <= to - 1"))],
                      [fenced(other_fix), fenced(commented), fenced(other_fix.replace("    ", "  "))]])
    results = tmp_path / "res.jsonl"
    run_bugs([bug], model, "scripted", FreshValidator(), LoopConfig(rounds=2, samples=3, show_original_failure=False),
             sessions_dir=tmp_path / "sessions", results=results, batch=BatchConfig())

    built = pages.build(results, tmp_path / "sessions")
    assert len(built) == 1
    page = built[0]
    assert page.result == "plausible" and page.tries == 4
    # three plausible replies, two distinct patches: the re-indented copy of the first is folded into it
    assert [pages.label(p.row) for p in page.patches] == ["r2s0", "r2s1"]
    assert page.patches[0].copies == ("r2s2",)
    assert [p.evidence.label for p in page.patches] == ["differs", "ast"]
    assert page.best == "ast"
    first = page.patches[0]
    assert "-        for (int i = from; i < to; i++) {" in first.diff
    assert "+        for (int i = from; i < to + 1; i++) {" in first.diff
    assert first.diff.startswith("--- a/src/main/java/sample/RangeSum.java")
    # the turns: the first prompt, the failed reply, its feedback, then this reply
    roles = [t["role"] for t in first.turns]
    assert roles == ["system", "user", "assistant", "user", "reply"]
    assert "still fails tests" in first.turns[3]["content"] and "i < to + 1" in first.turns[4]["content"]

    # the command writes the index and the page, and prints the totals
    out = tmp_path / "report"
    assert main(["report", str(results), "--sessions-dir", str(tmp_path / "sessions"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "plausible / AST match / exact: 1 / 1 / 0" in printed
    index = (out / "index.md").read_text()
    assert "| [OffByOne-1](OffByOne-1.md) | plausible | 4 | 2 | 1 | 0 | ast |" in index
    md = (out / "OffByOne-1.md").read_text()
    assert "## Patch 1: r2s0 (also produced by r2s2)" in md and "## Patch 2: r2s1" in md
    assert "**differs** — exact match: no, AST match: no; 2 line(s), 2 token(s) changed (developer fix: 2 line(s), 2 token(s); 4 token(s) from it)" in md
    assert "**ast** — exact match: no, AST match: yes" in md
    assert "```diff\n--- a/src/main/java/sample/RangeSum.java" in md
    assert md.count("<details>") == 2 and "// inclusive" in md


def test_report_of_validate_results_and_missing_transcripts(sample_bugs, tmp_path, capsys):
    bug = sample_bugs["WrongOperator-1"]
    cands = tmp_path / "c.jsonl"
    cands.write_text(json.dumps({"bug": bug.id, "text": bug.fixed_method}) + "\n"
                     + json.dumps({"bug": bug.id, "text": "return celsius * 9.0 / 5.0 + 32.0;", "kind": "chunk"})
                     + "\n")
    results = tmp_path / "v.jsonl"
    assert main(["validate", "--candidates", str(cands), "--out", str(results)]) == 0
    # validate rows have no transcript: the bug comes from --bugs (the samples by default need --bugs here)
    assert main(["report", str(results), "--bugs", str(pages_samples())]) == 0
    md = (tmp_path / "v-report" / f"{bug.id}.md").read_text()
    assert "1 distinct plausible patch(es)" in md and "(also produced by 1)" in md and "**exact**" in md
    # without the bug's sources: the patch is still shown, with a note
    assert main(["report", str(results), "--out", str(tmp_path / "r2")]) == 0
    md = (tmp_path / "r2" / f"{bug.id}.md").read_text()
    assert "evidence: not available" in md and "```java" in md
    # a results row pointing at a transcript that is gone: the page says so
    rows = [json.loads(x) for x in results.read_text().splitlines()]
    done = tmp_path / "d.jsonl"
    done.write_text("".join(json.dumps({**r, "session": "gone.jsonl"}) + "\n" for r in rows)
                    + json.dumps({"bug": bug.id, "done": True, "result": "plausible", "session": "gone.jsonl"}) + "\n")
    capsys.readouterr()
    assert main(["report", str(done), "--out", str(tmp_path / "r3")]) == 0
    assert "transcript gone.jsonl not found" in (tmp_path / "r3" / f"{bug.id}.md").read_text()


def test_report_bad_input_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"bug": "X", "done": True, "result": "exhausted"}) + "\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(results), "--out", str(blocker / "sub")]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def pages_samples():
    from agent.bugs import SAMPLES
    return SAMPLES


def test_fence_outgrows_backticks_inside():
    assert pages.fence("a ``` b", "java").startswith("````java\n")
    assert pages.fence("plain") == "```\nplain\n```"
