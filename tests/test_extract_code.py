"""Table tests for extractors.code over the reply corpus (tests/data/replies/replies.jsonl) plus inline rows."""
import json
from pathlib import Path

import pytest

from extractors import java
from extractors.code import Extraction, extract_chunk, extract_method, is_placeholder

CORPUS = Path(__file__).parent / "data" / "replies" / "replies.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_row(row: dict) -> Extraction:
    if row.get("kind") == "chunk":
        return extract_chunk(row["reply"])
    return extract_method(row["reply"], row["name"], row["arity"], original=row.get("original"))


@pytest.mark.parametrize("row", ROWS, ids=[r["note"] for r in ROWS])
def test_reply_corpus(row):
    got = run_row(row)
    if row["expected"] is None:
        assert got.code is None and got.kind == "none", got
        assert got.reason
        return
    assert got.code is not None, got
    assert java.normalize(got.code) == java.normalize(row["expected"]), got.code
    assert got.code == row["expected"], "same tokens but layout differs:\n" + got.code
    assert got.code == got.code.rstrip() and not got.code[:1].isspace()
    assert all(line == line.rstrip() for line in got.code.split("\n"))


def test_corpus_size():
    assert sum(r.get("kind") != "chunk" for r in ROWS) >= 60


ADD = "public int add(int a, int b) {\n    return a + b;\n}"


@pytest.mark.parametrize("reply,reason", [
    ("```java\n" + ADD + "\n```", "fenced-java"),
    ("```\n" + ADD + "\n```", "fenced"),
    ("```kotlin\n" + ADD + "\n```", "fenced-other"),
    ("Fix:\n" + ADD + "\nok", "unfenced"),
    ("```java\nclass C {\n" + ADD + "\n}\n```", "class-member"),
    ("Use `" + ADD.replace("\n", " ") + "`.", "inline"),
    ("```java\npublic int add(int a, int b) {\n    // ...\n}\n```", "placeholder"),
    ("```java\npublic int add(int a, int b) {\n    if (a) {\n", "truncated"),
    ("No idea, sorry.", "prose"),
    ("```java\nint sub(int a, int b) { return a - b; }\n```", "no-match"),
    ("", "empty"),
    ("<|endoftext|>", "empty"),
])
def test_reasons(reply, reason):
    assert extract_method(reply, "add", 2).reason == reason


@pytest.mark.parametrize("code,expected", [
    ("int f() {\n    // ...\n}", True),
    ("int f() {\n    /* ... */\n}", True),
    ("int f() {\n    // rest of the method\n}", True),
    ("int f() {\n    // existing code\n}", True),
    ("int f() {\n    // 省略\n}", True),
    ("int f() {\n    // compute the sum\n    return 1;\n}", False),
    ("int f() {\n    String s = \"...\";\n    return 1;\n}", False),
    ("int f(int... xs) {\n    return xs.length;\n}", False),
])
def test_is_placeholder(code, expected):
    assert is_placeholder(code) is expected


def test_extraction_is_frozen():
    e = extract_method("```java\n" + ADD + "\n```", "add", 2)
    with pytest.raises(Exception):
        e.code = "x"  # type: ignore[misc]


def test_original_prefers_changed_copy_whatever_the_order():
    bug = ADD.replace("a + b", "a - b")
    answer_first = f"```java\n{ADD}\n```\nOriginal:\n```java\n{bug}\n```"
    assert extract_method(answer_first, "add", 2, original=bug).code == ADD
    # without original the last block wins (the echo convention)
    assert extract_method(answer_first, "add", 2).code == bug
