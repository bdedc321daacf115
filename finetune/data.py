"""RepairLLaMA IR4xOR2 fine-tuning data.

IR4 (input): the buggy function with the buggy chunk commented out (``// `` after the line's indentation) and a
``<FILL_ME>`` line right after it. OR2 (output): the fixed chunk. The chunk spans the first to the last *changed*
line of a single-hunk change: the buggy chunk is the removed lines (plus context lines between them), the fixed
chunk the added lines (plus context between). Blank and comment-only lines are dropped from the changes and
from inside the chunk; context outside the chunk is kept verbatim.

Sources: Megadiff-style single-function unified diffs (``{"id", "diff"}`` or ``{"id", "before", "after"}``,
JSONL or parquet), Defects4J-style manifest bugs (file + ``location.lines`` + ``fixed_chunk``), and Juliet-style
CWE bad/good method pairs (comments and telltale names such as ``bad``, ``goodG2B``, ``CWE190_...`` scrubbed).
Records are ``{"id", "input", "output", "source"}``; chats are ``{"id", "messages"}``.
"""
from __future__ import annotations

import difflib
import json
import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from finetune import FILL_ME
from finetune.config import UserError

Op = tuple[str, str]  # (" " | "-" | "+", line text without newline)


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


def is_noise(line: str) -> bool:
    """Blank or comment-only Java line (``//``, ``/*``, `` * ``, ``*/``)."""
    s = line.strip()
    return not s or s.startswith(("//", "/*", "*/", "* ")) or s == "*"


def parse_unified_diff(diff: str) -> list[Op] | None:
    """Ops of a single-hunk unified diff; None when it has more than one hunk (not single-chunk)."""
    ops: list[Op] = []
    hunks = 0
    for raw in diff.splitlines():
        if hunks == 0 and not raw.startswith("@@"):
            if raw.startswith(("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file", "similarity",
                               "old mode", "new mode", "rename ")):
                continue  # file headers (inside a hunk "--- x" is a removed "-- x" line)
        if raw.startswith("@@"):
            hunks += 1
            if hunks > 1:
                return None
            continue
        if raw.startswith("\\"):  # "\ No newline at end of file"
            continue
        tag, text = (raw[:1], raw[1:]) if raw[:1] in (" ", "-", "+") else (" ", raw)
        ops.append((tag, text))
    return ops


def ops_from_pair(before: str, after: str) -> list[Op]:
    """Line ops turning ``before`` into ``after`` (difflib, full context)."""
    a, b = before.splitlines(), after.splitlines()
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops += [(" ", t) for t in a[i1:i2]]
        else:
            ops += [("-", t) for t in a[i1:i2]] + [("+", t) for t in b[j1:j2]]
    return ops


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def comment_out(lines: Sequence[str]) -> list[str]:
    """``    x = 1;`` -> ``    // x = 1;`` (indentation kept)."""
    return [f"{_indent(l)}// {l.strip()}" for l in lines]


def ir4xor2_from_ops(ops: Sequence[Op]) -> tuple[str, str] | None:
    """(input, output) of a change; None when nothing but blank/comment lines changed."""
    ops = [(t, l) for t, l in ops if t == " " or not is_noise(l)]
    changed = [i for i, (t, _) in enumerate(ops) if t != " "]
    if not changed:
        return None
    first, last = changed[0], changed[-1]
    region = [(t, l) for t, l in ops[first:last + 1] if not is_noise(l)]
    buggy = [l for t, l in region if t != "+"]
    fixed = [l for t, l in region if t != "-"]
    prefix = [l for t, l in ops[:first] if t != "+"]
    suffix = [l for t, l in ops[last + 1:] if t != "+"]
    indent = _indent((buggy or fixed)[0])
    lines = prefix + comment_out(buggy) + [indent + FILL_ME] + suffix
    return "\n".join(lines), "\n".join(fixed)


def ir_from_diff(diff: str) -> tuple[str, str] | str:
    """IR4xOR2 of a single-function unified diff, or the skip reason."""
    ops = parse_unified_diff(diff)
    if ops is None:
        return "multi-hunk"
    return ir4xor2_from_ops(ops) or "no-code-change"


def ir_from_pair(before: str, after: str) -> tuple[str, str] | str:
    """IR4xOR2 of a before/after function pair, or the skip reason."""
    return ir4xor2_from_ops(ops_from_pair(before, after)) or "no-code-change"


def ir_from_source(source: str, lines: tuple[int, int], fixed_chunk: str,
                   span: tuple[int, int] | None = None) -> tuple[str, str]:
    """Defects4J-style: prefix + commented buggy chunk (1-based inclusive ``lines``) + ``<FILL_ME>`` + suffix,
    limited to the method ``span`` (1-based inclusive lines) when given; output = ``fixed_chunk``."""
    src = source.splitlines()
    start, end = lines
    lo, hi = span if span else (1, len(src))
    if not (lo <= start <= end <= hi <= len(src)):
        raise UserError(f"chunk lines {start}-{end} fall outside the method/file lines {lo}-{hi}; "
                        f"fix location.lines in the manifest")
    chunk = [l for l in src[start - 1:end] if not is_noise(l)]
    indent = _indent(chunk[0] if chunk else src[start - 1])
    body = src[lo - 1:start - 1] + comment_out(chunk) + [indent + FILL_ME] + src[end:hi]
    fixed = [l for l in fixed_chunk.rstrip("\n").splitlines() if not is_noise(l)]
    return "\n".join(body), "\n".join(fixed)


# --- Juliet-style CWE pairs ---------------------------------------------------------------------------------

_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.S)
_TELLTALE = re.compile(r"\b(?:good|bad)(?:G2B|B2G)?\d*(\w*)\b|\b(?:G2B|B2G)\d*(\w*)\b")
_CWE = re.compile(r"\bCWE\d+\w*\b")
_ACCESS = re.compile(r"\b(?:public|private|protected)\s+")


def strip_java_comments(src: str) -> str:
    """Drop ``//`` and ``/* */`` comments (string/char literals respected) and then-blank lines."""
    out = _STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else "", src)
    return "\n".join(l.rstrip() for l in out.splitlines() if l.strip())


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

def read_records(path: str | Path) -> list[dict]:
    """JSONL (one object a line) or parquet (pyarrow) records."""
    from agent.jsonl import read_jsonl
    path = Path(path)
    missing = "data file {path} not found; pass an existing .jsonl or .parquet file"
    if path.suffix == ".parquet" and path.is_file():
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    return [obj for _where, obj in read_jsonl(path, missing)]


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


def megadiff_samples(path: str | Path, skipped: Counter | None = None) -> list[Sample]:
    """Records ``{"id", "diff"}`` or ``{"id", "before", "after"}`` -> samples (skips counted in ``skipped``)."""
    skipped = skipped if skipped is not None else Counter()

    def gen():
        for i, r in enumerate(read_records(path)):
            sid = str(r.get("id", f"{Path(path).stem}-{i}"))
            if "diff" in r:
                yield sid, ir_from_diff(r["diff"]), "megadiff", {}
            elif "before" in r and "after" in r:
                yield sid, ir_from_pair(r["before"], r["after"]), "megadiff", {}
            else:
                yield sid, "no-diff-field", "megadiff", {}
    return _collect(gen(), skipped)


def juliet_samples(path: str | Path, skipped: Counter | None = None) -> list[Sample]:
    """Records ``{"id", "cwe", "bad", "good"}`` -> samples with ``meta={"cwe": ...}``."""
    skipped = skipped if skipped is not None else Counter()

    def gen():
        for i, r in enumerate(read_records(path)):
            sid = str(r.get("id", f"{Path(path).stem}-{i}"))
            if "bad" not in r or "good" not in r:
                yield sid, "no-bad-good", "juliet", {}
                continue
            yield sid, ir_from_juliet(r["bad"], r["good"]), "juliet", {"cwe": r.get("cwe", "")}
    return _collect(gen(), skipped)


def _method_span(source: str, name: str, line: int) -> tuple[int, int] | None:
    try:
        from extractors.java import find_method
    except Exception:  # extractors unavailable: use the whole file
        return None
    m = find_method(source, name, line)
    return (m.start_line, m.end_line) if m else None


def manifest_samples(path: str | Path, skipped: Counter | None = None) -> list[Sample]:
    """Defects4J-style bugs from an ``agent.bugs`` manifest: needs ``location.lines`` and ``fixed_chunk``."""
    from agent.bugs import load_manifest
    skipped = skipped if skipped is not None else Counter()
    out = []
    for bug in load_manifest(path):
        chunk = getattr(bug, "fixed_chunk", None)
        if bug.location.lines is None or chunk is None:
            skipped["defects4j:no-lines-or-fixed-chunk"] += 1
            continue
        src = bug.read_source()
        span = _method_span(src, bug.location.method, bug.location.lines[0])
        inp, outp = ir_from_source(src, bug.location.lines, chunk, span)
        out.append(Sample(bug.id, inp, outp, "defects4j", {"file": bug.location.file}))
    return out


# --- length filter, split, chats ----------------------------------------------------------------------------

def count_tokens(text: str, tokenizer=None) -> int:
    """Tokens of ``text`` under ``tokenizer``; without one a rough estimate (chars / 3)."""
    if tokenizer is None:
        return max(1, -(-len(text) // 3))
    return len(tokenizer.encode(text, add_special_tokens=False))


def filter_by_length(samples: Sequence[Sample], tokenizer=None, max_tokens: int = 1024) -> tuple[list, list]:
    """(kept, dropped): kept samples have input and output each within ``max_tokens``."""
    kept, dropped = [], []
    for s in samples:
        ok = count_tokens(s.input, tokenizer) <= max_tokens and count_tokens(s.output, tokenizer) <= max_tokens
        (kept if ok else dropped).append(s)
    return kept, dropped


def split(samples: Sequence, dev_fraction: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """Seeded shuffle then (train, dev); dev gets round(n * fraction) items, at least 1 when fraction > 0
    and n >= 2."""
    items = list(samples)
    random.Random(seed).shuffle(items)
    n_dev = round(len(items) * dev_fraction)
    if dev_fraction > 0 and n_dev == 0 and len(items) >= 2:
        n_dev = 1
    return items[n_dev:], items[:n_dev]


SYSTEM = "You repair Java bugs. Reply with the code that replaces <FILL_ME>."


def chat_record(sample: Sample, feedback: Sequence[tuple[str, str]] = (), system: str | None = SYSTEM) -> dict:
    """Multi-turn chat from an IR sample: user = the IR4 input; then for each ``(attempt, feedback)`` an assistant
    attempt and a user feedback turn; the last assistant turn is the fix. Loss falls on assistant turns only
    (``finetune.collate.encode_chat``)."""
    msgs = [{"role": "system", "content": system}] if system else []
    msgs.append({"role": "user", "content": sample.input})
    for attempt, fb in feedback:
        msgs += [{"role": "assistant", "content": attempt}, {"role": "user", "content": fb}]
    msgs.append({"role": "assistant", "content": sample.output})
    return {"id": sample.id, "messages": msgs}


def chats_from_transcript(path: str | Path) -> list[dict]:
    """Multi-turn training chats from a repairchat transcript (``sessions/``): for every plausible reply, the
    messages the model had seen (system, task, earlier attempts, feedback turns) plus that reply as the last
    assistant turn. Sessions without a plausible reply give nothing."""
    from sessions.transcript import read
    events = read(path)
    session = str(events[0].get("session") or Path(path).stem)
    msgs: list[dict] = []
    out: list[dict] = []
    for e in events:
        if e["type"] == "message" and e.get("role") in ("system", "user", "assistant"):
            msgs.append({"role": e["role"], "content": e.get("content", "")})
        elif e["type"] == "reply" and (e.get("outcome") or {}).get("kind") == "plausible" and msgs:
            out.append({"id": f"{session}-r{e.get('round', 0)}s{e.get('sample', 0)}",
                        "messages": msgs + [{"role": "assistant", "content": e.get("raw", "")}],
                        "source": "transcript"})
    return out


def shipped(name: str) -> Path:
    """Path of a dataset shipped in finetune/data/ (``megadiff_sample.jsonl``, ``juliet_sample.jsonl``)."""
    return Path(__file__).with_name("data") / name


def transcript_chats(paths: Sequence, skipped: Counter | None = None) -> list[dict]:
    """Chats from transcript files or folders of them (``*.jsonl``)."""
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
                  chat: bool = False) -> dict:
    """All sources -> ``{"train", "dev", "dropped", "skipped", "all" (IR samples), "chats" (transcript chats)}``.

    ``chat``: emit IR samples as single-turn chats (system + IR4 user turn, fix as the assistant turn).
    Transcript chats are length-filtered on their longest message."""
    skipped: Counter = Counter()
    samples: list[Sample] = []
    for p in megadiff:
        samples += megadiff_samples(p, skipped)
    for p in juliet:
        samples += juliet_samples(p, skipped)
    for p in manifests:
        samples += manifest_samples(p, skipped)
    kept, dropped = filter_by_length(samples, tokenizer, max_tokens)
    items: list = [dict(chat_record(s), source=s.source) for s in kept] if chat else list(kept)
    chats = transcript_chats(transcripts, skipped)
    for c in chats:
        fits = max(count_tokens(m["content"], tokenizer) for m in c["messages"]) <= max_tokens
        (items if fits else dropped).append(c)
    train, dev = split(items, dev_fraction, seed)
    return {"train": train, "dev": dev, "dropped": dropped, "skipped": skipped, "all": samples, "chats": chats}


def as_record(item) -> dict:
    """A Sample or a chat dict as a JSON-ready dict."""
    return item.to_dict() if isinstance(item, Sample) else dict(item)
