"""RepairLLaMA IR4xOR2 fine-tuning data, built with the fill prompt style of the loop (``agent.styles``).

IR4 (input): the buggy function, comments stripped and blank lines dropped (as RepairLLaMA does), dedented by its
first line's indentation, with the buggy chunk commented out (``// `` after the line's indentation) and a
``<FILL_ME>`` line right after it. OR2 (output): the fixed chunk. The chunk spans the first to the last changed
line of the (normalised) buggy/fixed pair; context lines between changed lines belong to both. A manifest bug's
input is exactly what ``repairchat run --style fill`` sends for it (``FillStyle.input_for``).

Sources: Megadiff's published parquet shards (columns ``diff``, ``is_single_chunk``, ``is_single_function``,
``buggy_function``, ``fixed_function``; a folder of shards or files, read through ``datasets`` as memory-mapped
Arrow) or JSONL with ``buggy_function``/``fixed_function`` (or ``before``/``after``); Defects4J-style manifest bugs
(``location.lines`` + ``fixed_chunk``); Juliet-style CWE bad/good method pairs (comments and telltale names such
as ``bad``, ``goodG2B``, ``CWE190_...`` scrubbed). Records are ``{"id", "input", "output", "source"}``;
multi-turn transcript chats ``{"id", "bug", "messages", "source"}``.
"""
from __future__ import annotations

import difflib
import json
import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from agent.styles import STYLES, cloze, code_lines, dedent_chunk, dedent_first, indent_of, strip_comments
from finetune.config import UserError

FILL = STYLES["fill"]


@dataclass(frozen=True)
class Sample:
    id: str
    input: str
    output: str
    source: str = "megadiff"
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["meta"]:
            d.pop("meta")
        return d


def normalise(function: str) -> list[str]:
    """A function's code lines as the fill input shows them: dedented by its first line, comments stripped,
    blank lines dropped, trailing blanks removed."""
    return [ln for _, ln in code_lines(dedent_first(function.strip("\n")))]


def ir_from_pair(before: str, after: str) -> tuple[str, str] | str:
    """IR4xOR2 of a buggy/fixed function pair, or the skip reason (``comment-only-change``: RepairLLaMA's
    "bug fixing by modifying comments")."""
    a, b = normalise(before), normalise(after)
    if a == b:
        return "comment-only-change"
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops += [(" ", t) for t in a[i1:i2]]
        else:
            ops += [("-", t) for t in a[i1:i2]] + [("+", t) for t in b[j1:j2]]
    changed = [i for i, (t, _) in enumerate(ops) if t != " "]
    first, last = changed[0], changed[-1]
    region = ops[first:last + 1]
    buggy = [l for t, l in region if t != "+"]
    fixed = [l for t, l in region if t != "-"]
    indent = indent_of((buggy or fixed)[0])
    prefix = [l for t, l in ops[:first]]
    suffix = [l for t, l in ops[last + 1:]]
    return cloze(prefix, buggy, suffix, indent), "\n".join(fixed)


# --- Juliet-style CWE pairs ---------------------------------------------------------------------------------

_TELLTALE = re.compile(r"\b(?:good|bad)(?:G2B|B2G)?\d*(\w*)\b|\b(?:G2B|B2G)\d*(\w*)\b")
_CWE = re.compile(r"\bCWE\d+\w*\b")
_ACCESS = re.compile(r"\b(?:public|private|protected)\s+")


def strip_java_comments(src: str) -> str:
    """Comments and then-blank lines removed (``agent.styles.strip_comments``)."""
    return "\n".join(l.rstrip() for l in strip_comments(src).splitlines() if l.strip())


def _rename(m: re.Match) -> str:
    rest = m.group(1) if m.group(1) is not None else (m.group(2) or "")
    rest = rest.lstrip("_")
    if not rest:
        return "process"
    return rest[0].lower() + rest[1:]


def scrub_telltales(src: str) -> str:
    """Rename Juliet giveaways: ``bad()``/``good()``/``goodG2B()`` -> ``process()``, ``badSink`` -> ``sink``,
    ``CWE190_Integer_Overflow__int_01`` -> ``Target``. Literals are left alone."""
    def fix(code: str) -> str:
        return _TELLTALE.sub(_rename, _CWE.sub("Target", code))
    parts, pos = [], 0
    for m in re.finditer(r'"(?:\\.|[^"\\\n])*"', src):
        parts += [fix(src[pos:m.start()]), m.group(0)]
        pos = m.end()
    return "".join(parts + [fix(src[pos:])])


def ir_from_juliet(bad: str, good: str) -> tuple[str, str] | str:
    """IR4xOR2 of a CWE bad (buggy) / good (fixed) method pair after scrubbing comments and telltales."""
    bad, good = (scrub_telltales(strip_java_comments(x)) for x in (bad, good))
    b, g = bad.splitlines(), good.splitlines()
    if b and g and _ACCESS.sub("", b[0]).strip() == _ACCESS.sub("", g[0]).strip():
        good = "\n".join([b[0]] + g[1:])  # Juliet's good variants are private helpers: keep bad's signature
    return ir_from_pair(bad, good)


# --- readers ------------------------------------------------------------------------------------------------

def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.parquet"))
    return [path] if path.suffix == ".parquet" and path.is_file() else []


def iter_records(path: str | Path, columns: Sequence[str] | None = None,
                 cache_dir: str | Path | None = None) -> Iterator[dict]:
    """Records of a JSONL file, a parquet file, or a folder of parquet shards (Megadiff's published layout).
    Parquet goes through ``datasets`` (memory-mapped Arrow: rows are read as they are iterated, so a 1.6 GB
    dataset need not fit in memory); ``columns`` limits what is read."""
    from agent.jsonl import read_jsonl
    path = Path(path)
    shards = _parquet_files(path)
    if shards:
        import pyarrow.parquet as pq
        from datasets import load_dataset
        from datasets.utils.logging import disable_progress_bar
        disable_progress_bar()
        names = set(pq.read_schema(shards[0]).names)
        cols = [c for c in columns if c in names] if columns else None
        ds = load_dataset("parquet", data_files=[str(p) for p in shards], split="train", columns=cols,
                          cache_dir=str(cache_dir) if cache_dir else None)
        yield from ds
        return
    if path.is_dir():
        raise UserError(f"{path} holds no .parquet files; pass a .jsonl or .parquet file or a folder of shards")
    missing = "data file {path} not found; pass an existing .jsonl or .parquet file"
    for _where, obj in read_jsonl(path, missing):
        yield obj


def read_records(path: str | Path) -> list[dict]:
    """All records of a JSONL or parquet file (small files: configs, dev sets, candidates)."""
    return list(iter_records(path))


def write_jsonl(path: str | Path, records: Iterable[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.to_dict() if isinstance(r, Sample) else r, ensure_ascii=False) + "\n")
    return path


def _collect(results: Iterable[tuple[str, tuple[str, str] | str, str, dict]], skipped: Counter) -> list[Sample]:
    out = []
    for sid, res, source, meta in results:
        if isinstance(res, str):
            skipped[f"{source}:{res}"] += 1
        else:
            out.append(Sample(sid, res[0], res[1], source, meta))
    return out


MEGADIFF_COLUMNS = ("id", "diff", "is_single_chunk", "is_single_function", "buggy_function", "fixed_function",
                    "before", "after")


def megadiff_samples(path: str | Path, skipped: Counter | None = None,
                     cache_dir: str | Path | None = None) -> list[Sample]:
    """Megadiff rows (``buggy_function``/``fixed_function``; ``before``/``after`` also read) -> samples. The
    ``diff`` column is not used for the input: its hunks hold a few context lines, not the whole function.
    Rows with an empty fixed function or no change are skipped (counted in ``skipped``)."""
    skipped = skipped if skipped is not None else Counter()
    stem = Path(path).stem

    def gen():
        for i, r in enumerate(iter_records(path, MEGADIFF_COLUMNS, cache_dir)):
            sid = str(r.get("id") or f"{stem}-{i}")
            before = r.get("buggy_function", r.get("before"))
            after = r.get("fixed_function", r.get("after"))
            if not isinstance(before, str) or not isinstance(after, str):
                yield sid, "no-function-columns", "megadiff", {}
            elif not after.strip():
                yield sid, "empty-fixed-function", "megadiff", {}
            elif before == after:
                yield sid, "no-change", "megadiff", {}
            else:
                yield sid, ir_from_pair(before, after), "megadiff", {}
    return _collect(gen(), skipped)


def juliet_samples(path: str | Path, skipped: Counter | None = None) -> list[Sample]:
    """Records ``{"id", "cwe", "bad", "good"}`` -> samples with ``meta={"cwe": ...}``."""
    skipped = skipped if skipped is not None else Counter()

    def gen():
        for i, r in enumerate(iter_records(path)):
            sid = str(r.get("id", f"{Path(path).stem}-{i}"))
            if "bad" not in r or "good" not in r:
                yield sid, "no-bad-good", "juliet", {}
                continue
            yield sid, ir_from_juliet(r["bad"], r["good"]), "juliet", {"cwe": r.get("cwe", "")}
    return _collect(gen(), skipped)


def manifest_sample(bug) -> Sample:
    """A manifest bug's sample: the input is the loop's fill prompt for it; the output its ``fixed_chunk``
    normalised the same way (comments and blank lines dropped, at the dedented method's indentation)."""
    from agent.validation.workspace import buggy_method
    inp = FILL.input_for(bug)
    source = bug.read_source()
    first = source.split("\n")[buggy_method(source, bug.location).start_line - 1]
    by = len(first) - len(first.lstrip())
    chunk = [ln for _, ln in code_lines(dedent_chunk(bug.fixed_chunk.rstrip("\n"), by))]
    return Sample(bug.id, inp, "\n".join(chunk), "defects4j", {"file": bug.location.file})


def manifest_samples(path: str | Path, skipped: Counter | None = None) -> list[Sample]:
    """Defects4J-style bugs from an ``agent.bugs`` manifest: needs ``location.lines`` and ``fixed_chunk``."""
    from agent.bugs import load_manifest
    skipped = skipped if skipped is not None else Counter()
    out = []
    for bug in load_manifest(path):
        if bug.location.lines is None or getattr(bug, "fixed_chunk", None) is None:
            skipped["defects4j:no-lines-or-fixed-chunk"] += 1
            continue
        out.append(manifest_sample(bug))
    return out


# --- dedup, length filter, split, chats ----------------------------------------------------------------------

def count_tokens(text: str, tokenizer=None) -> int:
    """Tokens of ``text`` under ``tokenizer``; without one a rough estimate (chars / 3)."""
    if tokenizer is None:
        return max(1, -(-len(text) // 3))
    return len(tokenizer.encode(text, add_special_tokens=False))


def pair_tokens(item, tokenizer=None) -> int:
    """Tokens of a training example as it will be encoded (prompt ids + answer + eos; chats: the whole chat);
    without a tokenizer a chars/3 estimate of all its text."""
    r = as_record(item)
    if tokenizer is None:
        text = "".join(m["content"] for m in r["messages"]) if "messages" in r else r["input"] + r["output"]
        return count_tokens(text)
    from finetune.collate import encode_record
    return len(encode_record(tokenizer, r)["input_ids"])


def filter_by_length(samples: Sequence, tokenizer=None, max_tokens: int = 1024) -> tuple[list, list]:
    """(kept, dropped): kept examples fit ``max_tokens`` as a pair (input and output together, as RepairLLaMA
    filters)."""
    kept, dropped = [], []
    for s in samples:
        (kept if pair_tokens(s, tokenizer) <= max_tokens else dropped).append(s)
    return kept, dropped


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def dedup(items: Sequence, skipped: Counter) -> list:
    """Drop exact duplicates, then whitespace-only variants (same tokens apart from spacing) of an earlier item;
    counted in ``skipped`` as ``dedup:exact`` and ``dedup:whitespace``. Run before the split, so no dev item
    has a copy in train."""
    exact: set = set()
    loose: set = set()
    out = []
    for it in items:
        r = as_record(it)
        parts = [m["content"] for m in r["messages"]] if "messages" in r else [r["input"], r["output"]]
        key = json.dumps(parts)
        squashed = json.dumps([_squash(p) for p in parts])
        if key in exact:
            skipped["dedup:exact"] += 1
        elif squashed in loose:
            skipped["dedup:whitespace"] += 1
        else:
            out.append(it)
        exact.add(key)
        loose.add(squashed)
    return out


def split(samples: Sequence, dev_fraction: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """Seeded shuffle then (train, dev); dev gets round(n * fraction) items, at least 1 when fraction > 0
    and n >= 2."""
    items = list(samples)
    random.Random(seed).shuffle(items)
    n_dev = round(len(items) * dev_fraction)
    if dev_fraction > 0 and n_dev == 0 and len(items) >= 2:
        n_dev = 1
    return items[n_dev:], items[:n_dev]


def chats_from_transcript(path: str | Path) -> list[dict]:
    """Training examples from a repairchat transcript (``sessions/``), one per plausible reply, keeping the
    session's bug id (``bug``) so generated candidates validate against it. Chat-style sessions give the chat
    the model had seen (system, task, earlier attempts, feedback turns) plus that reply as the last assistant
    turn (loss on it by default: ``TrainConfig.loss_on``); fill-style sessions give the fill turn that led to the
    reply as ``{input, output}`` (each fill turn is self-contained). No plausible reply: nothing."""
    from sessions.transcript import read
    events = read(path)
    start = events[0]
    session = str(start.get("session") or Path(path).stem)
    bug = str((start.get("bug") or {}).get("id") or session)
    style = (start.get("loop") or {}).get("style") or "chat"
    msgs: list[dict] = []
    out: list[dict] = []
    for e in events:
        if e["type"] == "message" and e.get("role") in ("system", "user", "assistant"):
            msgs.append({"role": e["role"], "content": e.get("content", "")})
        elif e["type"] == "reply" and (e.get("outcome") or {}).get("kind") == "plausible" and msgs:
            rid = f"{session}-r{e.get('round', 0)}s{e.get('sample', 0)}"
            if style == "fill":
                user = [m for m in msgs if m["role"] == "user"][-1]["content"]
                answer = e.get("code") or (e.get("outcome") or {}).get("code") or e.get("raw", "")
                out.append({"id": rid, "bug": bug, "input": user, "output": answer, "source": "transcript"})
            else:
                out.append({"id": rid, "bug": bug, "messages": msgs + [{"role": "assistant", "content": e.get("raw", "")}],
                            "source": "transcript"})
    return out


def shipped(name: str) -> Path:
    """Path of a dataset shipped in finetune/data/ (``megadiff_sample.jsonl``, ``juliet_sample.jsonl``)."""
    return Path(__file__).with_name("data") / name


def transcript_chats(paths: Sequence, skipped: Counter | None = None) -> list[dict]:
    """Examples from transcript files or folders of them (``*.jsonl``)."""
    skipped = skipped if skipped is not None else Counter()
    out: list[dict] = []
    for p in paths:
        p = Path(p)
        files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        for f in files:
            chats = chats_from_transcript(f)
            if not chats:
                skipped["transcript:no-plausible-reply"] += 1
            out += chats
    return out


def build_dataset(megadiff: Sequence = (), juliet: Sequence = (), manifests: Sequence = (), tokenizer=None,
                  max_tokens: int = 1024, dev_fraction: float = 0.1, seed: int = 0, transcripts: Sequence = (),
                  cache_dir: str | Path | None = None) -> dict:
    """All sources -> ``{"train", "dev", "dropped", "skipped", "all" (IR samples), "chats" (transcript
    examples)}``: read, deduplicate, filter the pairs by length, then split. No usable record: ``UserError``."""
    skipped: Counter = Counter()
    samples: list[Sample] = []
    for p in megadiff:
        samples += megadiff_samples(p, skipped, cache_dir)
    for p in juliet:
        samples += juliet_samples(p, skipped)
    for p in manifests:
        samples += manifest_samples(p, skipped)
    chats = transcript_chats(transcripts, skipped)
    items = dedup([*samples, *chats], skipped)
    kept, dropped = filter_by_length(items, tokenizer, max_tokens)
    if not kept:
        why = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "no records"
        over = f"; {len(dropped)} over --max-tokens {max_tokens}" if dropped else ""
        raise UserError(f"no usable training record ({why}{over}); Megadiff needs buggy_function and "
                        f"fixed_function columns, manifests location.lines and fixed_chunk")
    train, dev = split(kept, dev_fraction, seed)
    return {"train": train, "dev": dev, "dropped": dropped, "skipped": skipped, "all": samples, "chats": chats}


def as_record(item) -> dict:
    """A Sample or a chat dict as a JSON-ready dict."""
    return item.to_dict() if isinstance(item, Sample) else dict(item)
