"""Low-level reply text helpers for code extraction: cleaning, fences, inline code, brace scanning, patches."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from extractors.java import scrub

# end-of-turn tokens: everything after the first one (with content before it) is dropped
_END_TOKENS = ("<|endoftext|>", "</s>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|EOT|>",
               "<｜end▁of▁sentence｜>", "<|end_of_text|>", "<|file_separator|>", "<|return|>")
# end-of-prompt markers: an echoed prompt ends here, so the answer is what follows the last one
_PROMPT_END = ("[/INST]", "### Response:")
_START_TOKENS = re.compile(r"<\|im_start\|>\s*assistant\s*|<\|start_header_id\|>\s*assistant\s*<\|end_header_id\|>"
                           r"|<\|assistant\|>|<start_of_turn>\s*model|<s>|<\|begin_of_text\|>|\[INST\]|"
                           r"<｜Assistant｜>|<\|im_start\|>|<\|start_header_id\|>\w*<\|end_header_id\|>")
_THINK = re.compile(r"<think>.*?</think>", re.S)


def clean_reply(reply: str) -> str:
    text = scrub(reply).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _THINK.sub("", text)
    for tok in _PROMPT_END:
        after = text.rsplit(tok, 1)[-1]
        if tok in text and after.strip():
            text = after
    for tok in _END_TOKENS:
        if tok in text:
            parts = [p for p in text.split(tok)]
            keep = next((p for p in parts if p.strip()), "")
            text = keep
    return _START_TOKENS.sub("", text)


@dataclass(frozen=True)
class Block:
    text: str
    start: int          # offset in the cleaned reply
    lang: str           # fence info string, lower-cased ("" when none); "inline" / "unfenced" for others
    closed: bool = True


_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$", re.M)


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def fenced_blocks(text: str) -> tuple[list[Block], list[tuple[int, int]]]:
    """Fenced code blocks as CommonMark reads them, with the container indentation models produce: an opening
    fence may be indented (inside a list item or a quote), a backtick fence's info string has no backtick, the
    closing fence uses the same character, is at least as long, has nothing after it but spaces and may be
    indented any amount (CommonMark allows 3 columns past the container; models indent the closer to match the
    code, 4 columns or more, and mean it to close). The
    opener's indentation is removed from the content lines. An unclosed fence runs to the end of the text
    (truncated replies)."""
    blocks, spans = [], []
    pos = 0
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if not m:
            break
        fence, info = m.group("fence"), m.group("info").strip()
        if fence[0] == "`" and "`" in info:  # inline code such as ```x``` on one line, not a fence
            pos = m.end()
            continue
        ind = _width(m.group("indent"))
        body_start = min(m.end() + 1, len(text))
        close = re.compile(r"^(?P<indent>[ \t]*)" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
        c = close.search(text, body_start)
        end = c.start() if c else len(text)
        body = text[body_start:end]
        body = _unindent(body, ind)
        blocks.append(Block(body, body_start, info.lower(), c is not None))
        spans.append((m.start(), c.end() if c else len(text)))
        if not c:
            break
        pos = c.end()
    return blocks, spans


_NESTED_OPEN = re.compile(r"^(?P<lead>[^\n`~]*?)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[A-Za-z][^\n`]*)$", re.M)


def nested_fences(block: Block) -> list[Block]:
    """Fences a model nested inside another fenced block: an answer template in ```json (or ```markdown) whose
    string value holds a ```java block. CommonMark ends the outer block at the inner block's closer, so the inner
    opener needs an info string to be told from a closer; it may follow the JSON key on its line
    (``"Fixed Code": ```java``). The inner block ends at a line holding the same fence run followed by nothing
    but JSON punctuation (```, or ```;), else at the end of the outer block."""
    out = []
    pos = 0
    while True:
        m = _NESTED_OPEN.search(block.text, pos)
        if not m:
            break
        fence = m.group("fence")
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*[,;:\]}]*[ \t]*$",
                           re.M)
        body_start = min(m.end() + 1, len(block.text))
        c = close.search(block.text, body_start)
        end = c.start() if c else len(block.text)
        lead = m.group("lead")
        ind = _width(lead) if not lead.strip() else 0
        body = block.text[body_start:end]
        body = _unindent(body, ind)
        out.append(Block(body, block.start + body_start, m.group("info").strip().lower(), c is not None))
        pos = c.end() if c else len(block.text)
    return out


def _unindent(body: str, ind: int) -> str:
    """Remove the opener's indentation from the content lines (CommonMark), but only when every non-blank line
    has it: a model that indents the fence and not the code (a fence after a JSON key, in a list item) means
    the code as written, and stripping would flatten its nesting."""
    lines = body.split("\n")
    if not ind or any(ln.strip() and _width(ln[: len(ln) - len(ln.lstrip())]) < ind for ln in lines):
        return body
    return "\n".join(_strip_indent(ln, ind) for ln in lines)


def _strip_indent(line: str, n: int) -> str:
    """``line`` without up to ``n`` columns of leading blanks (a tab reaches the next multiple of 4)."""
    i = col = 0
    while i < len(line) and line[i] in " \t":
        nxt = col + 1 if line[i] == " " else (col // 4 + 1) * 4
        if nxt > n:
            break
        col, i = nxt, i + 1
    return line[i:]


def outside(text: str, spans: list[tuple[int, int]]) -> list[Block]:
    """The text between fenced spans (unfenced regions), with offsets."""
    out, pos = [], 0
    for a, b in spans:
        if text[pos:a].strip():
            out.append(Block(text[pos:a], pos, "unfenced"))
        pos = b
    if text[pos:].strip():
        out.append(Block(text[pos:], pos, "unfenced"))
    return out


def inline_code(block: Block) -> list[Block]:
    out = []
    for m in re.finditer(r"(?<!`)`([^`\n]{8,})`(?!`)", block.text):
        out.append(Block(m.group(1), block.start + m.start(1), "inline"))
    return out


# ------------------------------------------------------------------------------------------ brace scanning
def match_brace(text: str, i: int) -> int:
    """Index of the brace closing ``text[i]`` (``{`` or ``(``), skipping strings, chars, comments; -1 if none."""
    open_c = text[i]
    close_c = "}" if open_c == "{" else ")"
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                return -1
            i = j + 2
            continue
        if text.startswith('"""', i):
            j = text.find('"""', i + 3)
            if j < 0:
                return -1
            i = j + 3
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_DECL_PREFIX = re.compile(r"((?:@[\w.]+(?:\([^()]*\))?\s+)*(?:(?:public|protected|private|static|final|abstract|"
                          r"synchronized|native|strictfp|default)\s+)*(?:<[^(){};]*>\s+)?"
                          r"(?:[\w$.]+(?:<[^(){};]*>)?(?:\[\])*\s+)?)$")
_BETWEEN = re.compile(r"^\s*(?:\[\]\s*)*(?:throws\s+[\w$.<>, ]+?)?\s*(?://[^\n]*\n\s*)*$")


@dataclass(frozen=True)
class Scanned:
    text: str
    start: int
    complete: bool      # False: the body's closing brace is missing (truncated)


def scan_methods(text: str, name: str | None) -> list[Scanned]:
    """Method-declaration-looking regions found by regex + brace matching (works amid prose)."""
    ident = re.escape(name) if name else r"[A-Za-z_$][\w$]*"
    out: list[Scanned] = []
    seen_end = -1
    for m in re.finditer(r"(?<![\w$.])(" + ident + r")\s*\(", text):
        if m.start() < seen_end:
            continue
        if m.group(1) in ("if", "for", "while", "switch", "catch", "synchronized", "return", "new", "else"):
            continue
        p = m.end() - 1
        q = match_brace(text, p)
        if q < 0:
            continue
        brace = text.find("{", q)
        semi = text.find(";", q)
        if brace < 0 or (0 <= semi < brace) or not _BETWEEN.match(text[q + 1:brace]):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        prefix = text[line_start:m.start()]
        pm = _DECL_PREFIX.search(prefix)
        decl_start = m.start() - len(pm.group(1)) if pm else m.start()
        if prefix.strip() and not prefix[: decl_start - line_start].strip():
            decl_start = line_start
        # include annotation lines just above
        while True:
            prev_end = text.rfind("\n", 0, decl_start if text[decl_start - 1:decl_start] == "\n" else line_start)
            if prev_end <= 0:
                break
            prev_start = text.rfind("\n", 0, prev_end) + 1
            if re.match(r"^\s*@[\w.]+(\(.*\))?\s*$", text[prev_start:prev_end]):
                decl_start = line_start = prev_start
                continue
            break
        if decl_start == line_start or not text[line_start:decl_start].strip():
            decl_start = line_start
        end = match_brace(text, brace)
        if end < 0:
            out.append(Scanned(text[decl_start:], decl_start, False))
            break
        out.append(Scanned(text[decl_start:end + 1], decl_start, True))
        seen_end = end + 1 if name else brace + 1
    return out


def dedent(code: str) -> str:
    lines = [ln.rstrip() for ln in code.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(lines))


def member_text(src: str, start: int, end: int) -> str:
    """Declaration text from char offsets, taking the leading indentation of its first line for a clean dedent."""
    line_start = src.rfind("\n", 0, start) + 1
    if not src[line_start:start].strip():
        start = line_start
    return dedent(src[start:end])


# ------------------------------------------------------------------------------------------ patches
_SR = re.compile(r"^<{5,9} ?SEARCH\s*\n(?P<search>.*?)^={5,9}\s*\n(?P<replace>.*?)^>{5,9} ?REPLACE\s*$", re.M | re.S)


def search_replace_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group("search"), m.group("replace")) for m in _SR.finditer(text)]


def _indent(s: str) -> str:
    return s[: len(s) - len(s.lstrip())]


def replace_lines(original: str, old: list[str], new: list[str]) -> str | None:
    """Replace the run of ``old`` lines in ``original`` (exact, then whitespace-insensitive), re-indenting."""
    old = [ln for ln in old]
    while old and not old[-1].strip():
        old.pop()
    while old and not old[0].strip():
        old.pop(0)
    src = original.split("\n")
    if not old:
        return None
    key = [ln.strip() for ln in old]
    skey = [ln.strip() for ln in src]
    for i in range(len(src) - len(old) + 1):
        if skey[i:i + len(old)] == key:
            first_old = next(ln for ln in old if ln.strip())
            delta_src, delta_old = _indent(src[i]), _indent(first_old)
            fixed = []
            for ln in new:
                if ln.startswith(delta_old):
                    ln = delta_src + ln[len(delta_old):]
                elif ln.strip():
                    ln = delta_src + ln.lstrip()
                fixed.append(ln)
            return "\n".join(src[:i] + fixed + src[i + len(old):])
    return None


def apply_search_replace(original: str, blocks: list[tuple[str, str]]) -> str | None:
    out = original
    for search, replace in blocks:
        if not search.strip():
            return None
        res = replace_lines(out, search.rstrip("\n").split("\n"), replace.rstrip("\n").split("\n"))
        if res is None:
            return None
        out = res
    return out


def diff_hunks(text: str) -> list[tuple[list[str], list[str]]]:
    """(pre-image, post-image) line lists of each hunk of a unified diff (``@@`` headers; a header-less
    ```diff block counts as one hunk)."""
    hunks: list[tuple[list[str], list[str]]] = []
    pre: list[str] | None = None if re.search(r"^@@", text, re.M) else []
    post: list[str] = []
    for line in text.split("\n"):
        if line.startswith("@@"):
            if pre is not None:
                hunks.append((pre, post))
            pre, post = [], []
            continue
        if line.startswith(("--- ", "+++ ", "diff --git", "index ")):
            continue
        if pre is None:
            continue
        if line.startswith("-"):
            pre.append(line[1:])
        elif line.startswith("+"):
            post.append(line[1:])
        elif line.startswith(" ") or line == "":
            pre.append(line[1:])
            post.append(line[1:])
        elif line.startswith("\\"):
            continue
        else:
            hunks.append((pre, post))
            pre = None
    if pre is not None:
        hunks.append((pre, post))
    return [(a, b) for a, b in hunks if a != b or any(x.strip() for x in b)]


def looks_like_diff(text: str) -> bool:
    return bool(re.search(r"^@@ .*@@", text, re.M)) or (
        bool(re.search(r"^-\s*\S", text, re.M)) and bool(re.search(r"^\+\s*\S", text, re.M))
        and all(not ln or ln[0] in "+- @\\" for ln in text.split("\n")))


def apply_hunks(original: str, hunks: list[tuple[list[str], list[str]]]) -> str | None:
    out = original
    for pre, post in hunks:
        while pre and post and not pre[-1].strip() and not post[-1].strip():
            pre, post = pre[:-1], post[:-1]
        res = replace_lines(out, pre, post)
        if res is None:
            return None
        out = res
    return out
