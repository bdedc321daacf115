"""IR4xOR2 data construction, Juliet scrubbing, length filter, splits, statistics, configs, ``finetune data``."""

import json
import sys

import pytest

from agent.errors import UserError
from agent.styles import FILL_ME, STYLES, strip_comments
from finetune.config import CANDIDATE_KINDS, DataConfig, GenerateConfig, TrainConfig
from finetune.data import (Sample, build_dataset, chats_from_transcript, dedup, filter_by_length, ir_from_juliet,
                           ir_from_pair, manifest_samples, megadiff_samples, read_records, scrub_telltales, split,
                           strip_java_comments)

# a Megadiff-like pair: file indentation, a javadoc, a comment that looks like a commented-out buggy line
BUGGY = """\
    /** Withdraws. */
    public boolean withdraw(long amount) {
        // old comment
        long fee = 1;
        // balance -= fee;
        if (amount >= balance) {
            return false;
        }

        balance += amount; /* add */
        return true;
    }"""
FIXED = BUGGY.replace("// old comment", "// new comment explaining the fix").replace(
    "if (amount >= balance)", "if (amount + fee > balance)").replace("balance += amount; /* add */",
                                                                      "balance -= amount + fee;\n")


def test_ir4xor2_from_a_function_pair_strips_comments_then_comments_out_the_chunk():
    inp, out = ir_from_pair(BUGGY, FIXED)
    # as RepairLLaMA: comments and blank lines go first (so no real comment can pass for a commented-out buggy
    # line), then the span from the first to the last changed line is commented out and <FILL_ME> follows it;
    # the function is dedented by its first line as the loop's fill prompt is
    assert inp.splitlines() == [
        "public boolean withdraw(long amount) {",
        "    long fee = 1;",
        "    // if (amount >= balance) {",
        "        // return false;",
        "    // }",
        "    // balance += amount;",
        f"    {FILL_ME}",
        "    return true;",
        "}",
    ]
    assert out.splitlines() == ["    if (amount + fee > balance) {", "        return false;", "    }",
                                "    balance -= amount + fee;"]


def test_comment_only_changes_and_pure_additions():
    assert ir_from_pair("int f() {\n    // a\n    return 1;\n}", "int f() {\n    // b\n\n    return 1;\n}") \
        == "comment-only-change"
    inp, out = ir_from_pair("int avg(int[] v) {\n    return sum(v) / v.length;\n}",
                            "int avg(int[] v) {\n    if (v.length == 0) {\n        return 0;\n    }\n"
                            "    return sum(v) / v.length;\n}")
    assert inp == f"int avg(int[] v) {{\n    {FILL_ME}\n    return sum(v) / v.length;\n}}"
    assert out == "    if (v.length == 0) {\n        return 0;\n    }"
    assert strip_comments('a(); // x\n/* y\n z */ b("//z", \'/\');\ns = """\n// kept\n""";') == \
        'a(); \n\n b("//z", \'/\');\ns = """\n// kept\n""";'


def test_manifest_samples_are_the_loops_fill_prompts(sample_bugs):
    fill = STYLES["fill"]
    samples = manifest_samples(next(iter(sample_bugs.values())).root.parent / "bugs.jsonl")
    assert len(samples) == len(sample_bugs) >= 10
    for s in samples:
        bug = sample_bugs[s.id]
        assert [{"role": "user", "content": s.input}] == fill.first_messages(bug)
        assert s.input.count(FILL_ME) == 1 and "/*" not in s.input
        assert [ln.strip() for ln in s.output.splitlines()] == \
            [ln.strip() for ln in strip_comments(bug.fixed_chunk).splitlines() if ln.strip()]


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
    assert inp.splitlines()[0] == "public void process(int data) throws Throwable {"  # dedented
    assert "sink(r);" in out and FILL_ME in inp


def test_pair_length_filter_dedup_and_split_determinism():
    samples = [Sample(f"s{i}", "x" * (i * 30), "y" * 3) for i in range(1, 21)]
    kept, dropped = filter_by_length(samples, None, max_tokens=100)  # chars/3 estimate of input + output
    assert [s.id for s in kept] == [f"s{i}" for i in range(1, 10)] and len(dropped) == 11
    # input and output each fit, the pair does not: dropped (RepairLLaMA filters the pair)
    assert filter_by_length([Sample("o", "a" * 240, "z" * 240)], None, max_tokens=100)[0] == []
    from collections import Counter
    skipped = Counter()
    a, b = Sample("a", "int f() {\n  <FILL_ME>\n}", "return 1;"), Sample("b", "int g() {}", "x;")
    out = dedup([a, Sample("a2", a.input, a.output), Sample("a3", a.input.replace("  ", "\t"), a.output), b],
                skipped)
    assert [s.id for s in out] == ["a", "b"] and skipped == {"dedup:exact": 1, "dedup:whitespace": 1}
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
    n = len(STYLES["fill"].prompt_ids(tok, [{"role": "user", "content": s.input}])) + \
        len(tok.encode(s.output, add_special_tokens=False)) + 1  # bos + prompt | answer + eos
    assert filter_by_length([s], tok, n)[0] == [s] and filter_by_length([s], tok, n - 1)[0] == []


def _megadiff_shards(folder, rows_per_shard):
    """Parquet shards with Megadiff's published columns (diff, is_single_chunk, is_single_function,
    buggy_function, fixed_function) and layout (data/train-0000K-of-0000N-*.parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder.mkdir(parents=True)
    for k, rows in enumerate(rows_per_shard):
        table = pa.Table.from_pylist([{"diff": "@@ -1 +1 @@\n-x\n+y\n", "is_single_chunk": True,
                                       "is_single_function": True, **r} for r in rows])
        pq.write_table(table, folder / f"train-{k:05d}-of-{len(rows_per_shard):05d}-abc.parquet")
    return folder


def test_megadiff_parquet_shards_with_the_real_columns(tmp_path):
    from collections import Counter
    md = _megadiff_shards(tmp_path / "data", [
        [{"buggy_function": BUGGY, "fixed_function": FIXED},
         {"buggy_function": "int f() {\n  // a\n  return 1;\n}", "fixed_function": "int f() {\n  // b\n  return 1;\n}"}],
        [{"buggy_function": BUGGY, "fixed_function": FIXED},  # a duplicate across shards
         {"buggy_function": "void g() {\n}", "fixed_function": ""}]])
    skipped = Counter()
    out = megadiff_samples(md, skipped, cache_dir=tmp_path / "cache")
    assert [s.input for s in out] == [ir_from_pair(BUGGY, FIXED)[0]] * 2  # the whole function, not a hunk
    assert skipped == {"megadiff:comment-only-change": 1, "megadiff:empty-fixed-function": 1}
    ds = build_dataset([md], dev_fraction=0.0, cache_dir=tmp_path / "cache")
    assert len(ds["train"]) == 1 and ds["skipped"]["dedup:exact"] == 1
    # only the diff column (what repairchat used to read): a one-line error, no empty train/dev files
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.Table.from_pylist([{"diff": "@@ -1 +1 @@\n-a();\n+b();\n"}]), tmp_path / "diff.parquet")
    with pytest.raises(UserError, match="no usable training record.*no-function-columns 1") as e:
        build_dataset([tmp_path / "diff.parquet"], cache_dir=tmp_path / "cache")
    assert "\n" not in str(e.value)


def test_malformed_jsonl_is_one_line(tmp_path):
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
    assert chat["messages"][-1]["content"] == "try 2" and chat["bug"] == "B-1"  # the bug id is kept
    with Transcript.create(tmp_path, {"id": "F-1"}, "demo", loop={"style": "fill"}) as t:
        t.log("message", round=0, role="user", content="f() {\n<FILL_ME>\n}")
        t.log("reply", round=1, sample=0, raw="x();", code=None, outcome={"kind": "compile-error"})
        t.log("message", round=1, role="assistant", content="x();")
        t.log("message", round=1, role="user", content="// failed\nf() {\n<FILL_ME>\n}")
        t.log("reply", round=2, sample=0, raw="```java\ny();\n```", code="y();", outcome={"kind": "plausible"})
    # a fill session gives the self-contained fill turn that led to the fix, answered with the applied chunk
    assert chats_from_transcript(t.path) == [{"id": chats_from_transcript(t.path)[0]["id"], "bug": "F-1",
                                              "input": "// failed\nf() {\n<FILL_ME>\n}", "output": "y();",
                                              "source": "transcript"}]


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
