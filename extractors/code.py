"""Extract the Java code to apply from a model reply (noisy markdown, prose, echoes, diffs, truncation).

``extract_method`` runs an explicit ordered chain:
  1. SEARCH/REPLACE blocks applied to ``original`` (reason ``search-replace``)
  2. unified diffs applied to ``original`` (reason ``diff``)
  3. method candidates from fenced blocks (CommonMark fences, see ``_text.fenced_blocks``; a fence whose info
     string names another language, e.g. ``python`` or ``kotlin``, is never read as Java, but a ```java block
     nested in it, as in a ```json answer template, is a block of its own: ``_text.nested_fences``), inline code
     and unfenced text, parsed with tree-sitter, then chosen by signature against the buggy method:
       a. same name and parameter types (types compared with generics and package names erased);
       b. same name and arity;
       c. the rename rule: a name equal to the target's once underscores are dropped and case is ignored
          (``bit_count`` / ``bitCount`` / ``BitCount``), with the same parameter types (same arity when the types
          are unknown).
     Methods of nested or inner classes count only when no member of a top-level type carries the name.
     A same-name method with another arity is not taken (reason ``signature-mismatch``).
     Within the best tier: not a placeholder, parses cleanly, differs from ``original`` once comments and
     whitespace are dropped (so an echoed prompt is skipped), then the FIRST in the reply (``pick="first"``,
     the default: prompts that ask for several ranked answers get the most likely one) or the last
     (``pick="last"``).
  4. abstain with the reason: ``placeholder`` | ``truncated`` | ``no-match`` | ``signature-mismatch`` |
     ``non-java`` | ``prose`` | ``empty``
"""
from __future__ import annotations

import re
from typing import cast
from dataclasses import dataclass

from extractors import java
from extractors._text import (Block, apply_hunks, apply_search_replace, clean_reply, dedent, diff_hunks,
                              fenced_blocks, inline_code, looks_like_diff, member_text, nested_fences, outside,
                              scan_methods, search_replace_blocks)

__all__ = ["Extraction", "extract_method", "extract_chunk", "is_placeholder"]


@dataclass(frozen=True)
class Extraction:
    code: str | None
    kind: str
    reason: str


@dataclass(frozen=True)
class _Cand:
    code: str
    name: str
    arity: int
    pos: int
    reason: str
    clean: bool
    complete: bool = True
    params: tuple[str, ...] | None = None
    depth: int = 1


# fence info strings read as Java: java*, none, or a generic "text/code" label; any other language is not Java
_NEUTRAL_TAGS = {"", "text", "txt", "plaintext", "plain", "code", "none", "jshell", "jsp", "output"}


def java_fence(info: str) -> bool:
    """Whether a fenced block with this info string may hold Java (``java``, ``Java 17``, ``Foo.java``, none)."""
    word = info.split()[0].lower().strip("{}.:") if info.split() else ""
    return word in _NEUTRAL_TAGS or word.startswith("java") or word.endswith(".java") or word == "jav"
_PLACEHOLDER = re.compile(
    r"(//|/\*|#)\s*(\.\.\.|…)|(\.\.\.|…)\s*\*/|^\s*(\.\.\.|…)\s*$|"
    r"(//|/\*).*?\b(rest of (the )?(code|method|implementation|class|body|logic)|remaining (code|logic)|"
    r"(remains?|stays?|is|are|keep|left)\s+(unchanged|the same)\s*(\*/)?\s*$|^\s*(//|/\*)\s*unchanged|"
    r"same as (before|original|above)|\b(rest|remainder)\b.{0,20}\b(unchanged|the same|as before)|"
    r"existing (code|logic|implementation)|other (code|methods|logic)|omitted|truncated for brevity|"
    r"your (code|logic) here|TODO: implement)|"
    r"(//|/\*).*?(其余|其他代码|省略|保持不变|不变|同上|略)|"
    r"(//|/\*).*?\b(resto do código|restante do código|código existente|inalterado|sem alteraç)",
    re.M | re.I)
_WRAP = "class _X {\n"


_MARKS = ("//", "/*", "*/", "#", "...", "\u2026")


def is_placeholder(code: str) -> bool:
    """True when the code elides part of itself (``// ...``, ``/* rest unchanged */``): it cannot be applied."""
    marked = [ln for ln in code.split("\n") if any(m in ln for m in _MARKS)]  # every alternative needs one
    return bool(marked) and bool(_PLACEHOLDER.search("\n".join(marked)))


def _clean_member(code: str) -> bool:
    return not java.has_errors(_WRAP + code + "\n}")


def _char_offsets(src: str, span: java.MethodSpan) -> tuple[int, int]:
    data = src.encode("utf-8")
    a = len(data[:span.start_byte].decode("utf-8", "replace"))
    return a, a + len(span.text)


def _top_level(spans: list[java.MethodSpan]) -> list[java.MethodSpan]:
    return [s for s in spans if not any(o is not s and o.start_byte <= s.start_byte and s.end_byte <= o.end_byte
                                        and (o.start_byte, o.end_byte) != (s.start_byte, s.end_byte)
                                        for o in spans)]


def _reason_for(block: Block) -> str:
    if block.lang in ("inline", "unfenced", "search-replace", "diff"):
        return block.lang
    if block.lang.split()[0:1] == ["java"] or block.lang.startswith("java"):
        return "fenced-java"
    return "fenced" if not block.lang else "fenced-other"


def _with_helpers(target: java.MethodSpan, code: str, src: str, spans: list[java.MethodSpan],
                  name: str | None) -> str:
    """A snippet of loose methods: keep helpers the target calls (they are new code the fix needs)."""
    helpers = [s for s in spans if s is not target and s.name not in ("main", name or target.name)
               and re.search(r"(?<![\w$.])" + re.escape(s.name) + r"\s*\(", target.text)]
    if not helpers:
        return code
    parts = sorted([target] + helpers, key=lambda s: s.start_byte)
    return "\n\n".join(code if s is target else member_text(src, *_char_offsets(src, s)) for s in parts)


def _strip_line_numbers(text: str) -> str:
    """``1 int f() {`` / ``2:     return 1;``: listings with line numbers on every non-empty line."""
    lines = text.split("\n")
    body = [ln for ln in lines if ln.strip()]
    if len(body) < 2 or not all(re.match(r"^\s*\d+(?:[:|.]\s?|\s)", ln) for ln in body):
        return text
    nums = [int(cast(re.Match, re.match(r"^\s*(\d+)", ln)).group(1)) for ln in body]
    if nums != sorted(nums):
        return text
    return "\n".join(re.sub(r"^\s*\d+(?:[:|.] ?| ?)", "", ln, count=1) for ln in lines)


def _candidates(block: Block, name: str | None) -> list[_Cand]:
    if block.lang not in ("inline", "unfenced", "search-replace", "diff") and not java_fence(block.lang):
        return []
    text = _strip_line_numbers(block.text)
    if not text.strip() or "{" not in text:  # no body, no method
        return []
    reason = _reason_for(block)
    out: list[_Cand] = []
    # (a) the whole block parses: as a compilation unit (classes) or as a class body (loose methods)
    for src, off, is_class in ((text, 0, True), (_WRAP + text + "\n}", len(_WRAP), False)):
        if java.has_errors(src):
            continue
        tree_has_class = is_class and bool(re.search(r"\b(class|interface|enum|record)\s+\w", text))
        spans = _top_level(java.methods(src))
        if is_class and not tree_has_class and not spans:
            continue
        for s in spans:
            a, b = _char_offsets(src, s)
            code = member_text(src, a, b)
            if not tree_has_class:
                code = _with_helpers(s, code, src, spans, name)
            out.append(_Cand(code, s.name, s.arity, block.start + max(0, a - off),
                             "class-member" if tree_has_class else reason, True,
                             params=s.params, depth=s.depth))
        if out or spans or tree_has_class:
            return out
    # (b) regex + brace matching (prose inside the block, broken code, truncation); any name when the target's
    # is not there (the rename rule may still match)
    for sc in scan_methods(text, name) or (scan_methods(text, None) if name else []):
        code = dedent(sc.text)
        if not sc.complete:
            out.append(_Cand(code, name or "", -1, block.start + sc.start, "truncated", False, False))
            continue
        clean = _clean_member(code)
        spans = _top_level(java.methods(_WRAP + code + "\n}"))
        if not spans:
            continue
        s = spans[0]
        out.append(_Cand(code, s.name, s.arity, block.start + sc.start, reason, clean,
                         params=s.params, depth=s.depth))
    return out


def _patched(text: str, blocks: list[Block], original: str | None) -> tuple[Extraction | None, list[Block]]:
    """SEARCH/REPLACE and unified-diff replies. With ``original`` the edit is applied; without it, the new
    side is returned as extra blocks for the ordinary candidate search."""
    extra: list[Block] = []
    srs = search_replace_blocks(text)
    if srs:
        if original:
            res = apply_search_replace(original, srs)
            if res is not None:
                return Extraction(dedent(res), "method", "search-replace"), []
        pos = text.find(srs[-1][1])
        extra += [Block(rep, max(pos, 0), "search-replace") for _s, rep in srs]
    diffs = [b for b in blocks if b.lang in ("diff", "patch", "udiff") or
             (b.lang in ("", "java") and looks_like_diff(b.text))]
    if not diffs and re.search(r"^@@ .*@@", text, re.M):
        diffs = [Block(text, 0, "diff")]
    for d in reversed(diffs):
        hunks = diff_hunks(d.text)
        if not hunks:
            continue
        if original:
            res = apply_hunks(original, hunks)
            if res is not None:
                return Extraction(dedent(res), "method", "diff"), []
        extra.append(Block("\n".join("\n".join(post) for _pre, post in hunks), d.start, "diff"))
    return None, extra


def rename_key(name: str) -> str:
    """The rename rule's key: ``bit_count``, ``bitCount`` and ``BitCount`` are one name."""
    return name.replace("_", "").replace("$", "").lower()


def _tier(c: _Cand, name: str | None, arity: int | None, params: tuple[str, ...] | None) -> int:
    """3: same name and parameter types; 2: same name and arity; 1: renamed, same types (or arity); 0: none."""
    if name is None:
        return 2 if c.name != "main" else 1
    if not c.complete:  # truncated: its parameters may be complete, its arity is not known
        return 3 if c.name == name else 0
    if params is not None and c.params is not None:
        same_types, same_arity = c.params == params, c.arity == len(params)
    else:
        same_types, same_arity = False, arity is None or c.arity == arity
    if c.name == name:
        return 3 if same_types else (2 if same_arity else 0)
    if rename_key(c.name) == rename_key(name) and (same_types or (params is None and same_arity)):
        return 1
    return 0


_COMMENT_OR_LITERAL = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def _echo_key(code: str) -> str:
    """What tells an echoed copy of the buggy method from a changed one: the text without comments and
    whitespace (string and char literals kept whole). A regex pass, not a parse: long replies hold many copies
    and a tree-sitter token walk per copy was the largest cost per KB."""
    kept = _COMMENT_OR_LITERAL.sub(lambda m: "" if m.group(0)[0] == "/" else m.group(0), code)
    return "".join(kept.split())


def _choose(cands: list[_Cand], name: str | None, arity: int | None, params: tuple[str, ...] | None,
            original: str | None, pick: str) -> Extraction:
    norm_orig = _echo_key(original) if original else None
    if name is not None:
        named = [c for c in cands if c.name == name or rename_key(c.name) == rename_key(name)]
        if any(c.depth == 1 for c in named):
            cands = [c for c in cands if c.depth == 1]
    tiers = {id(c): _tier(c, name, arity, params) for c in cands}
    pool = [c for c in cands if tiers[id(c)] > 0]
    if not pool:
        if name is not None and any(c.name == name and c.complete for c in cands):
            return Extraction(None, "none", "signature-mismatch")
        return Extraction(None, "none", "no-match" if cands else "prose")
    complete = [c for c in pool if c.complete]
    if not complete:
        return Extraction(None, "none", "truncated")
    order = 1 if pick == "last" else -1
    marks: dict[int, bool] = {}

    def elided(c: _Cand) -> bool:  # is_placeholder only for the candidates in the running (its regex is costly)
        if id(c) not in marks:
            marks[id(c)] = is_placeholder(c.code)
        return marks[id(c)]

    def key(c: _Cand):
        return (tiers[id(c)], not elided(c), c.clean,
                norm_orig is None or _echo_key(c.code) != norm_orig, order * c.pos)

    best = max(complete, key=key)
    if elided(best):
        return Extraction(None, "none", "placeholder")
    if any(not c.complete and c.pos > best.pos for c in pool) and (
            norm_orig is None or _echo_key(best.code) == norm_orig or not best.clean):
        return Extraction(None, "none", "truncated")
    if not best.clean:
        return Extraction(best.code, "method", "syntax-error")
    return Extraction(best.code, "method", best.reason + ("-renamed" if tiers[id(best)] == 1 else ""))


def _blocks(text: str) -> tuple[list[Block], list[Block]]:
    fenced, spans = fenced_blocks(text)
    # a ```java block nested in a non-Java one (a JSON answer template) is a block of its own
    fenced = [x for b in fenced for x in ([b] + (nested_fences(b) if not java_fence(b.lang) else []))]
    loose = outside(text, spans)
    inline = [b for lb in loose for b in inline_code(lb)]
    return fenced, inline + loose  # inline first: same code at the same offset keeps the 'inline' reason


def _signature(original: str | None, name: str | None,
               arity: int | None) -> tuple[tuple[str, ...] | None, int | None]:
    """Parameter types (and arity) of the buggy method, read from its text."""
    if not original:
        return None, arity
    spans = [s for s in java.methods(_WRAP + original + "\n}") if name is None or s.name == name]
    spans = [s for s in spans if arity is None or s.arity == arity] or spans
    if not spans:
        return None, arity
    return spans[0].params, spans[0].arity if arity is None else arity


def extract_method(reply: str, name: str | None = None, arity: int | None = None, *,
                   original: str | None = None, params: tuple[str, ...] | None = None,
                   pick: str = "first") -> Extraction:
    """The method declaration a reply proposes for the buggy method ``name`` (see the module docstring for the
    choice). ``original`` (the buggy method text) gives the parameter types when ``params`` is not given, lets
    SEARCH/REPLACE and diff replies be applied and echoed copies be told apart from the answer; ``pick`` says
    which of several answers to take ("first", the default, or "last")."""
    if pick not in ("first", "last"):
        raise ValueError(f"pick must be 'first' or 'last', not {pick!r}")
    if params is None:
        params, arity = _signature(original, name, arity)
    text = clean_reply(reply or "")
    if not text.strip():
        return Extraction(None, "none", "empty")
    fenced, loose = _blocks(text)
    done, extra = _patched(text, fenced, original)
    if done is not None:
        if name is None or any(m.name == name for m in java.methods(_WRAP + (done.code or "") + "\n}")):
            return done
    diff_like = {id(b) for b in fenced if b.lang in ("diff", "patch", "udiff") or
                 (java_fence(b.lang) and looks_like_diff(b.text))}
    cands: list[_Cand] = []
    for block in [b for b in fenced if id(b) not in diff_like] + extra:
        cands += _candidates(block, name)
    if not any(c.complete for c in cands) or not extra:
        for block in loose:
            if block.lang == "unfenced" and (search_replace_blocks(block.text) or
                                             re.search(r"^@@ .*@@", block.text, re.M)):
                continue
            cands += _candidates(block, name)
    seen: set = set()
    uniq = []
    for c in sorted(cands, key=lambda c: c.pos):
        k = (c.code, c.pos)
        if k not in seen:
            seen.add(k)
            uniq.append(c)
    if not uniq and fenced and not any(java_fence(b.lang) for b in fenced) and not extra:
        return Extraction(None, "none", "non-java")
    return _choose(uniq, name, arity, tuple(params) if params is not None else None, original, pick)


# ------------------------------------------------------------------------------------------ chunks
_PROSE = re.compile(r"^\s*(#{1,6}\s|[-*+]\s+\w|\d+[.)]\s+\w|\*\*|>\s)|[\u3000-\u9fff\uff00-\uffef]|"
                    r"^[A-Z][a-z]+(\s+[\w',()/-]+){3,}[.:!?]?\s*$|[.:!?。：]\s*$")


def _prose_line(line: str) -> bool:
    s = line.strip()
    if not s or s.startswith(("//", "/*", "*", "@")) or s.endswith((";", "{", "}", "{}", ")")):
        return False
    if '"' in s and not re.search(r"[\u3000-\u9fff]", s.split('"')[0]):
        return bool(re.match(r"^[A-Z][a-z]+(\s+\w+){3,}", s)) and not re.search(r"[=;(){}]", s)
    return bool(_PROSE.search(s)) and not re.search(r"[;{}=]|\w\(.*\)", s)


# the contexts a fill-in chunk may come from, tried in order: statements (in a block, closing or opening
# enclosing blocks, an if, a try), the body of a switch (``case`` groups, arrow cases), an expression, members
_CONTEXTS = (
    ("statement", "{\n", "\n}"), ("statement", "{\n", "\n}}"), ("statement", "{{\n", "\n}"),
    ("statement", "{\n", "\n}}}"), ("statement", "{{{\n", "\n}"), ("statement", "{ if (_c) {\n", "\n} }"),
    ("statement", "{ if (_c) {\n", "\n}} }"), ("statement", "{ try {\n", "\n} }"),
    ("switch-body", "{ switch (_x) {\n", "\n} }"), ("switch-body", "{ switch (_x) {\n", "\n}}} }"),
    ("switch-body", "{ switch (_x) { case 0: {\n", "\n} }"),
    ("expression", "{ Object _e = (\n", "\n); }"),
)


def chunk_context(chunk: str) -> str | None:
    """The first context (``statement``, ``switch-body``, ``expression``, ``member``) in which ``chunk`` parses."""
    for ctx, pre, post in _CONTEXTS:
        if not java.has_errors("class _X { void _m() " + pre + chunk + post + " }"):
            return ctx
    if _clean_member(chunk) and not java.methods(_WRAP + chunk + "\n}"):
        return "member"
    return None


def extract_chunk(reply: str) -> Extraction:
    """Statements replacing a ``<FILL_ME>`` chunk: last fenced block without the FILL_ME marker, else the code
    lines of the reply. A reply that is a whole method comes back as ``kind="method"``."""
    text = clean_reply(reply or "")
    if not text.strip():
        return Extraction(None, "none", "empty")
    fenced, loose = _blocks(text)
    cands: list[tuple[str, str]] = []
    for b in reversed(fenced):
        if "<FILL_ME>" not in b.text and b.text.strip():
            cands.append((b.text, _reason_for(b)))
    for b in reversed([lb for lb in loose if lb.lang == "inline"]):
        cands.append((b.text, "inline"))
    for b in reversed([lb for lb in loose if lb.lang == "unfenced"]):
        lines = [ln for ln in b.text.split("\n") if "<FILL_ME>" not in ln]
        run: list[str] = []
        runs: list[list[str]] = []
        for ln in lines:
            if _prose_line(ln) or (not ln.strip() and not run):
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(ln)
        if run:
            runs.append(run)
        for r in reversed(runs):
            cands.append(("\n".join(r), "unfenced"))
    for code, reason in cands:
        code = dedent(code)
        if not code or is_placeholder(code):
            continue
        if chunk_context(code):
            return Extraction(code, "chunk", reason)
        if _clean_member(code) and java.methods(_WRAP + code + "\n}"):
            return Extraction(code, "method", reason + "-method")
    if any(is_placeholder(dedent(c)) for c, _r in cands):
        return Extraction(None, "none", "placeholder")
    return Extraction(None, "none", "prose" if not cands else "unparsable")
