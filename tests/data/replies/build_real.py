"""Build real.jsonl: real model replies from public repositories, one JSONL row per reply.

Run with the repositories fetched as bare git mirrors (the search tool's ``fetch``) under MIRRORS:
    python tests/data/replies/build_real.py [MIRRORS]        (default /work/.mirror)

Sources (each row names repo, path, commit and licence):
  * YangsenChen/Prompt4SE (no licence stated): ChatGPT (gpt-3.5-turbo, spring 2023) conversations on Java methods
    taken from CodeSearchNet. ``milestone3/java/chat_history/task2``: "Is this code buggy?" on a class whose
    method was mutated (repair replies; the original method is the dataset row's ``original_string``);
    ``milestone3/java/chat_history/task1``: "change the data flow and control flow of the following java code";
    ``milestone2/java/chat_history``: questions about a method, then "generate a Main class wrapping this code ...
    do not change the content of <method>" (whole-class replies holding the target method).

Labels. ``name``/``params`` (the target's name and parameter types) come from the dataset method the prompt
shows; ``original`` is the method as the prompt shows it. ``expected`` is labelled by a rule that does not use
repairchat's extractor: the first method in a fenced block of the reply whose name and parameter types equal the
target's, else the first with the same name and arity, else the first whose name differs only in case and
underscores and whose parameter types are the target's; methods of nested classes only when no member of a
top-level type has the name; ``None`` (abstain) when no fenced block holds one.
Rows whose label was corrected by reading the reply are listed in OVERRIDES with the reason.
"""
from __future__ import annotations

import json
import re
import subprocess
import textwrap
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from extractors import java  # noqa: E402

OUT = Path(__file__).with_name("real.jsonl")
P4SE = "YangsenChen/Prompt4SE"
LICENCE = {P4SE: "none stated"}
OVERRIDES: dict[str, str | None] = {}


def git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8", "replace").replace("\r\n", "\n")


def turns(md: str) -> list[tuple[str, str]]:
    """(role, text) of each ``## user:`` / ``## chatgpt:`` section."""
    parts = re.split(r"^## (user|chatgpt): *\n", md, flags=re.M)
    return [(parts[i], parts[i + 1].strip("\n")) for i in range(1, len(parts) - 1, 2)]


_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)


def label(reply: str, name: str, params: tuple[str, ...]) -> str | None:
    """The labelling rule of the module docstring."""
    found: list[tuple[str, java.MethodSpan]] = []
    for m in _FENCE.finditer(reply):
        body = m.group(2)
        for src in (body, "class _X {\n" + body + "\n}"):
            if java.has_errors(src):
                continue
            found += [(src, s) for s in java.methods(src) if key(s.name) == key(name)]
            break
    if any(s.depth == 1 for _src, s in found):  # nested classes' methods only when no top-level one
        found = [(src, s) for src, s in found if s.depth == 1]
    for test in (lambda s: s.name == name and s.params == params, lambda s: s.name == name and s.arity == len(params),
                 lambda s: s.params == params):
        for src, s in found:
            if test(s):
                return _member(src, s)
    return None


def key(name: str) -> str:
    return name.replace("_", "").lower()


def _member(src: str, s: java.MethodSpan) -> str:
    """The declaration with its first line's indentation, dedented, trailing spaces dropped."""
    data = src.encode("utf-8")
    start = len(data[:s.start_byte].decode("utf-8"))
    line_start = src.rfind("\n", 0, start) + 1
    return _dedent(src[line_start:start + len(s.text)])


def _dedent(text: str) -> str:
    text = textwrap.dedent(text.expandtabs(4) if text.startswith("\t") else text)
    return "\n".join(ln.rstrip() for ln in text.strip("\n").split("\n"))


def target(dataset_row: dict, prompt: str) -> tuple[str, tuple[str, ...], str]:
    """The method the first prompt shows (name, parameter types, text): the dataset's method looked up by name
    in the prompt's code (by parameter types too when the prompt holds overloads)."""
    want = dataset_row["func_name"].rsplit(".", 1)[-1]
    ds = [s for s in java.methods("class _X {\n" + dataset_row["original_string"] + "\n}") if s.name == want]
    m = _FENCE.search(prompt)
    code = m.group(2) if m else prompt[prompt.find("\n") + 1:]
    found: list[java.MethodSpan] = []
    for src in (code, "class _X {\n" + code + "\n}"):
        found = [s for s in java.methods(src) if s.name == want]
        if found:
            break
    s = next((f for f in found if ds and f.params == ds[0].params), found[0] if found else ds[0])
    return s.name, s.params, _dedent(s.text)


def prompt4se(mirror: Path) -> list[dict]:
    commit = git(mirror, "rev-parse", "HEAD").strip()
    files = git(mirror, "ls-tree", "-r", "--name-only", "HEAD", "milestone2/java/chat_history",
                "milestone3/java/chat_history").split()
    rows = []
    for path in sorted(files):
        if not path.endswith(".md") or "/2_code_reasoning/" in path:  # line-numbered echoes, no code asked for
            continue
        if "/milestone2/" in "/" + path:
            num, style = Path(path).stem, "questions-then-main-class"
            ds = f"milestone2/java/dataset/{num}.json"
        else:
            m = re.search(r"code(\d+)_mut\d+|/(\d+)\.md$", path) or re.search(r"(\d+)", Path(path).stem)
            num = next(g for g in m.groups() if g)
            style = "is-this-buggy" if "/task2/" in path else "change-data-and-control-flow"
            ds = f"milestone3/java/dataset/{num}.json"
        chat = turns(git(mirror, "show", f"HEAD:{path}"))
        try:
            name, params, code = target(json.loads(git(mirror, "show", f"HEAD:{ds}")), chat[0][1])
        except (subprocess.CalledProcessError, IndexError, KeyError):
            continue
        for k, (role, text) in enumerate(chat):
            if role != "chatgpt" or not text.strip():
                continue
            rid = f"p4se:{path.split('chat_history/')[1]}#{k}"
            exp = OVERRIDES[rid] if rid in OVERRIDES else label(text, name, params)
            rows.append({"id": rid, "source": {"repo": P4SE, "path": path, "commit": commit,
                                               "licence": LICENCE[P4SE], "turn": k},
                         "model": "gpt-3.5-turbo (ChatGPT, 2023)", "prompt_style": style,
                         "reply": text, "name": name, "params": list(params), "arity": len(params),
                         "original": code, "expected": exp, "kind": "method"})
    return rows


def main(argv: list[str]) -> int:
    mirrors = Path(argv[0] if argv else "/work/.mirror")
    rows = prompt4se(mirrors / "YangsenChen+Prompt4SE" / "repo")
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows, {sum(r['expected'] is not None for r in rows)} with code -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
