"""IR4xOR2 data construction, Juliet scrubbing, length filter, splits, statistics, configs, ``finetune data``."""

import json
import sys

import pytest

from agent.errors import UserError
from finetune import FILL_ME
from finetune.config import CANDIDATE_KINDS, DataConfig, GenerateConfig, TrainConfig
from finetune.data import (Sample, build_dataset, chats_from_transcript, filter_by_length, ir_from_diff, ir_from_juliet,
                           ir_from_pair, ir_from_source, megadiff_samples, parse_unified_diff, read_records,
                           scrub_telltales, split, strip_java_comments)

DIFF = """\
--- a/src/Account.java
+++ b/src/Account.java
@@ -1,10 +1,11 @@
     public boolean withdraw(long amount) {
-        // old comment
+        // new comment explaining the fix
         long fee = 1;
-        if (amount >= balance) {
+        if (amount + fee > balance) {
             return false;
         }
-
-        balance += amount;
+        balance -= amount + fee;
+
         return true;
     }
"""


def test_ir4xor2_from_diff_comments_span_and_outputs_fixed_chunk():
    inp, out = ir_from_diff(DIFF)
    # comment-only and blank changed lines are dropped; the span runs from the first to the last removed code
    # line (context lines inside it included) and is commented out, indentation kept, then <FILL_ME>
    assert inp.splitlines() == [
        "    public boolean withdraw(long amount) {",
        "        long fee = 1;",
        "        // if (amount >= balance) {",
        "            // return false;",
        "        // }",
        "        // balance += amount;",
        f"        {FILL_ME}",
        "        return true;",
        "    }",
    ]
    # the output runs from the first to the last added code line
    assert out.splitlines() == [
        "        if (amount + fee > balance) {",
        "            return false;",
        "        }",
        "        balance -= amount + fee;",
    ]


def test_comment_only_and_multi_hunk_diffs_are_skipped():
    assert ir_from_diff("@@ -1,3 +1,3 @@\n int f() {\n-    // a\n+    // b\n+\n     return 1;\n") == "no-code-change"
    assert ir_from_diff("@@ -1 +1 @@\n-a();\n+b();\n@@ -9 +9 @@\n-c();\n+d();\n") == "multi-hunk"
    # inside a hunk, "--- x" is a removed "-- x" line, not a file header
    assert parse_unified_diff("@@ -1,2 +1,2 @@\n--- x;\n+++ y;\n") == [("-", "-- x;"), ("+", "++ y;")]


def test_pure_addition_and_before_after_pair():
    inp, out = ir_from_diff("@@ -1,3 +1,6 @@\n int avg(int[] v) {\n+    if (v.length == 0) {\n+        return 0;\n"
                            "+    }\n     return sum(v) / v.length;\n }\n")
    assert inp == f"int avg(int[] v) {{\n    {FILL_ME}\n    return sum(v) / v.length;\n}}"
    assert out == "    if (v.length == 0) {\n        return 0;\n    }"
    before = "int max(int a, int b) {\n    if (a < b) {\n        return a;\n    }\n    return b;\n}"
    inp, out = ir_from_pair(before, before.replace("a < b", "a > b"))
    assert inp.splitlines()[1:3] == ["    // if (a < b) {", f"    {FILL_ME}"] and out == "    if (a > b) {"


def test_defects4j_style_source_prefix_commented_chunk_suffix(sample_bugs):
    bug = sample_bugs["OffByOne-1"]
    src = bug.read_source()
    lo, hi = 10, 20
    inp, out = ir_from_source(src, bug.location.lines, bug.fixed_chunk, span=(lo, hi))
    lines = src.splitlines()
    start, end = bug.location.lines
    expected = lines[lo - 1:start - 1] + ["        // " + lines[start - 1].strip(), "        " + FILL_ME] + lines[end:hi]
    assert inp.splitlines() == expected and out == bug.fixed_chunk
    with pytest.raises(UserError, match="outside"):
        ir_from_source(src, (5, 30), "x", span=(10, 20))


def test_juliet_pairs_lose_comments_and_telltale_names():
    bad = ('    /* bad: may overflow */\n    public void bad(int data) throws Throwable {\n'
           '        // POTENTIAL FLAW: overflow\n        int r = data + 1; badSink(r);\n'
           '        IO.writeLine("bad // not a comment");\n    }')
    good = ('    /* goodB2G: FIX */\n    private void goodB2G(int data) throws Throwable {\n'
            '        if (data < Integer.MAX_VALUE) {\n            int r = data + 1; goodB2GSink(r);\n        }\n'
            '        IO.writeLine("bad // not a comment");\n    }')
    assert strip_java_comments('a(); // x\n/* y */\nb("//z");') == 'a();\nb("//z");'
    assert scrub_telltales("CWE190_Integer_Overflow__int_01 o; bad(); goodG2B(); badSink(x);") == \
        "Target o; process(); process(); sink(x);"
    inp, out = ir_from_juliet(bad, good)
    code = (inp + out).replace('"bad // not a comment"', "")  # string literals are left alone
    for telltale in ("bad", "good", "G2B", "B2G", "FLAW", "FIX", "CWE", "/*", "POTENTIAL"):
        assert telltale not in code, telltale
    assert inp.splitlines()[0] == "    public void process(int data) throws Throwable {"
    assert "sink(r);" in out and FILL_ME in inp


def test_token_limit_filter_and_split_determinism():
    samples = [Sample(f"s{i}", "x" * (i * 30), "y" * 3) for i in range(1, 21)]
    kept, dropped = filter_by_length(samples, None, max_tokens=100)  # chars/3 estimate: inputs of 10..200 tokens
    assert [s.id for s in kept] == [f"s{i}" for i in range(1, 11)] and len(dropped) == 10
    kept2, _ = filter_by_length([Sample("o", "a", "z" * 400)], None, max_tokens=100)
    assert kept2 == []  # the output counts too
    train, dev = split(samples, 0.25, seed=3)
    assert (train, dev) == split(samples, 0.25, seed=3) and len(dev) == 5 and len(train) == 15
    assert sorted(s.id for s in train + dev) == sorted(s.id for s in samples)
    assert split(samples, 0.25, seed=4) != (train, dev)
    assert len(split(samples[:3], 0.01)[1]) == 1 and split(samples, 0.0)[1] == []


def test_token_limit_with_a_real_tokenizer():
    from finetune.models import load_tokenizer
    from finetune.testing import tiny_base
    tok = load_tokenizer(tiny_base())
    s = Sample("t", "int x = 1;\n" * 20, "return x;")
    n = len(tok.encode(s.input, add_special_tokens=False))
    assert filter_by_length([s], tok, n)[0] == [s] and filter_by_length([s], tok, n - 1)[0] == []


def test_readers_parquet_and_malformed_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = [{"id": "a", "diff": "@@ -1 +1 @@\n-x = 1;\n+x = 2;\n"}, {"id": "b", "diff": "@@ -1 +1 @@\n-//a\n+//b\n"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "md.parquet")
    from collections import Counter
    skipped = Counter()
    out = megadiff_samples(tmp_path / "md.parquet", skipped)
    assert [(s.id, s.input, s.output) for s in out] == [("a", f"// x = 1;\n{FILL_ME}", "x = 2;")]
    assert skipped == {"megadiff:no-code-change": 1}
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n{"id": \n')
    with pytest.raises(UserError, match=r"bad.jsonl:2: malformed JSON"):
        read_records(tmp_path / "bad.jsonl")


def test_transcript_chats_end_with_the_plausible_reply(tmp_path):
    from sessions.transcript import Transcript
    with Transcript.create(tmp_path, {"id": "B-1"}, "demo", {}) as t:
        t.log("message", round=0, role="system", content="sys")
        t.log("message", round=0, role="user", content="fix it")
        t.log("reply", round=1, sample=0, raw="try 1", code=None, outcome={"kind": "compile-error"})
        t.log("message", round=1, role="assistant", content="try 1")
        t.log("message", round=1, role="user", content="error: x")
        t.log("reply", round=2, sample=0, raw="try 2", code="c", outcome={"kind": "plausible"})
        t.log("end", result="plausible", rounds=2)
    (chat,) = chats_from_transcript(t.path)
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert chat["messages"][-1]["content"] == "try 2"


def test_build_dataset_and_stats_png(tmp_path, sample_bugs):
    from finetune.data import shipped
    from finetune.stats import report, summarize
    ds = build_dataset([shipped("megadiff_sample.jsonl")], [shipped("juliet_sample.jsonl")],
                       [str(next(iter(sample_bugs.values())).root.parent / "bugs.jsonl")], dev_fraction=0.2, seed=1)
    sources = {s.source for s in ds["all"]}
    assert sources == {"megadiff", "juliet", "defects4j"} and len(ds["train"]) + len(ds["dev"]) == len(ds["all"])
    assert all(FILL_ME in s.input for s in ds["all"])
    records = [s.to_dict() for s in ds["all"]]
    s = summarize(records, None, max_tokens=40)
    assert s["total"]["n"] == len(records) and s["under"][40] == s["total"]["fit"] <= s["under"][1024]
    png = tmp_path / "hist.png"
    report(records, None, 40, png=png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    chats = build_dataset([shipped("megadiff_sample.jsonl")], chat=True, dev_fraction=0)["train"]
    assert all(c["messages"][-1]["role"] == "assistant" for c in chats)


def test_finetune_data_command_writes_splits_and_stats(tmp_path, capsys):
    from agent.cli import main
    from finetune.data import shipped
    out = tmp_path / "data"
    assert main(["finetune", "data", "--megadiff", str(shipped("megadiff_sample.jsonl")), "--juliet",
                 str(shipped("juliet_sample.jsonl")), "--max-tokens", "60", "--dev-fraction", "0.25",
                 "--out-dir", str(out)]) == 0
    stats = json.loads((out / "stats.json").read_text())
    train, dev = read_records(out / "train.jsonl"), read_records(out / "dev.jsonl")
    assert len(train) == stats["train"] and len(dev) == stats["dev"] >= 1 and stats["dropped"] >= 1
    assert (out / "lengths.png").is_file() and "within" in capsys.readouterr().out


def test_configs_load_and_reject_bad_input(tmp_path):
    (tmp_path / "t.toml").write_text('[train]\nbase_model = "m"\ntrain_data = "d.jsonl"\nlr = 1e-3\n')
    assert TrainConfig.load(tmp_path / "t.toml").lr == 1e-3
    (tmp_path / "t.yaml").write_text("base_model: m\nbatch_size: 2\n")
    assert TrainConfig.load(tmp_path / "t.yaml").batch_size == 2
    (tmp_path / "bad.json").write_text('{"lr": ')
    (tmp_path / "unknown.json").write_text('{"learning_rate": 1}')
    for name, msg in (("bad.json", "malformed JSON"), ("unknown.json", "unknown setting"), ("none.json", "not found")):
        with pytest.raises(UserError, match=msg) as e:
            TrainConfig.load(tmp_path / name)
        assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="early_stopping"):
        GenerateConfig(early_stopping=True)
    with pytest.raises(UserError, match="num_return"):
        GenerateConfig(num_beams=2, num_return=3)
    with pytest.raises(UserError, match="qlora"):
        TrainConfig(qlora=True, lora_r=0)
    assert DataConfig(megadiff="x.jsonl").megadiff == ["x.jsonl"]
    from agent.validation.validate import CANDIDATE_KINDS as AGENT_KINDS
    assert CANDIDATE_KINDS == AGENT_KINDS


def test_importing_finetune_does_not_import_torch():
    import subprocess
    code = ("import sys, finetune, finetune.cli, finetune.collate, finetune.config, finetune.data, finetune.stats, "
            "finetune.models, finetune.tiny, finetune.train, finetune.merge, finetune.generate, finetune.demo, "
            "finetune.testing, agent.models.hf; "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'bitsandbytes', 'accelerate') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
