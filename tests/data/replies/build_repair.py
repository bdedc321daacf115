"""Build repair.jsonl: real LLM *repair* replies from a public repository, with that repository's own reference.

Run with the repository fetched as a bare git mirror (the search tool's ``fetch``) under MIRRORS:
    python tests/data/replies/build_repair.py [MIRRORS]        (default /work/.mirror)

Source (each row names repo, branch, path, commit, row and licence):
  * MRaeesD/Bug-Busters (no licence stated; the QuixBugs programs it prompts with are MIT): QuixBugs-Java repair
    with ChatGPT (gpt-3.5-turbo, gpt-4o, gpt-4o-mini; branch ``ChatGPT``) and Gemini (1.0 Pro, 1.5 Flash, 1.5 Pro;
    branch ``Gemini``), autumn 2024. Each response CSV holds per QuixBugs program the prompt, the model's full
    response and the code the study extracted from it with its own parser and then compiled and tested
    (``Proposed Code Fix`` / ``Fixed Code`` / ``fixed code``); the study's analysis sheets add whether that code
    passed (``Correct Response``, TRUE/FALSE). The same study's EvalGPTFix runs (AtCoder Java submissions copied
    from iSEngLab/EvalGPTFix; gpt-4o with the JSON template and with "Reason/Fix", Gemini 1.5 Pro with the JSON
    template; verdicts from ``Tests/EvalGPTFix_GPT/*/Results/analysis_results_*.csv``) are read the same way; the
    target there is the method holding the line the dataset marks ``//bug``. Prompt styles:
      - ``apr-zero-shot`` / ``apr-one-shot``: the buggy class and its bug line ("Line of Code with bug: ..."),
        one-shot adds the program's description; asks for "Reason: ... Fix: <entire corrected code>";
      - ``unguided-json`` (gpt-4o): the buggy class, asks for a JSON object whose "Fixed Code" holds a ```java
        block (fences inside JSON);
      - ``fl-apr-json`` (Gemini 1.5 Pro): fault localisation and repair in one JSON answer (indented fences);
      - ``fault-localisation-only`` (abstention rows): the prompt asks where the bug is "without providing a fix"
        (gpt-4o answers in JSON, Gemini 1.5 Pro in "Line Number/Line of Code/Reason"); replies that write a fix
        anyway are left out;
      - ``python-apr`` (abstention rows): the same study's *Python* QuixBugs replies, scored against the Java
        program's method: a Python answer holds nothing to apply to Java, so the expected result is no code.

Reference and expected code (mechanical, never by repairchat's extractor):
  * the target is the method of the buggy program (as the prompt shows it) that contains the program's bug line
    (``QuixBugs_Extracted/ExtractedJavaQuixBugs-APR.csv``, column ``Expected Line with Bug``), else (the bug is
    an omission described in words) the method named after the program (``WRAP.wrap``); ``name``, ``params`` and
    ``original`` come from it;
  * ``expected`` is that method as it stands in the study's own extracted code: tree-sitter methods of that code
    (parsed as a compilation unit, else as a class body) with the target's name and parameter types, else name
    and arity; of several, a member of a top-level type, then the first. When the study's code holds no such
    method (its parser kept only prose, or the model answered without the method) there is nothing to apply:
    ``expected`` is None (the extractor should abstain), and ``reference.note`` says why. Rows where the study's
    parser extracted nothing at all have no reference and are left out (the build prints how many).
    The study's parser applied ``.strip()`` to its code: when that code starts with the declaration, the first
    line gets back the indentation of the closing brace's line before dedenting. It also deleted every
    ``Fix: `` (``.replace('Fix: ', '')``), in comments too: ``exact`` recovery misses those comment-only
    differences, token-level recovery (comments dropped) does not.
  * ``reference`` keeps the study's extracted code, the column it came from and ``validated`` (the study's
    ``Correct Response``: true, false, or null when its sheet has no verdict for the row).
Rows whose derived label was corrected by reading the reply are listed in OVERRIDES with the reason.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extractors import java  # noqa: E402
from build_real import _dedent  # noqa: E402

OUT = Path(__file__).with_name("repair.jsonl")
BB = "MRaeesD/Bug-Busters"
LICENCE = {BB: "none stated (QuixBugs programs: MIT)"}
OVERRIDES: dict[str, tuple[str | None, str]] = {}
LEFT_OUT: list[str] = []
csv.field_size_limit(1 << 26)

# (branch, response CSV, model, prompt style, code column, analysis sheet with "Correct Response" or None)
_GPT, _GEM = "ChatGPT", "Gemini"
SOURCES = [
    *[(_GPT, f"Responses/QuixBugs_GPT/APR/APR_{shot}_shot_ChatGPT_{m}_Java.csv", model, f"apr-{shot}-shot",
       "Proposed Code Fix", f"Analysis/QuixBugs_GPT_APR/APR_{shot}_shot_ChatGPT_{m}_Java.xlsx")
      for m, model in (("3.5_turbo", "gpt-3.5-turbo"), ("4o", "gpt-4o"), ("4o_Mini", "gpt-4o-mini"))
      for shot in ("zero", "one")],
    *[(_GEM, f"Responses/QuixBugs_Gemini/APR/APR_{shot}_shot_Gemini_{m}_Java.csv", model, f"apr-{shot}-shot",
       "Proposed Code Fix", f"Analysis/QuixBugs_Gemini-APR/APR_{shot}_shot_Gemini_{m}_Java.csv")
      for m, model in (("1.0_Pro", "gemini-1.0-pro"), ("1.5_Flash", "gemini-1.5-flash"),
                       ("1.5_Pro", "gemini-1.5-pro"))
      for shot in ("zero", "one")],
    (_GPT, "Responses/QuixBugs_GPT/Unguided/ChatGPT_4o_Java.csv", "gpt-4o", "unguided-json", "Fixed Code",
     "Analysis/QuixBugs_GPT_Unguided/ChatGPT_4o_Java.xlsx"),
    (_GEM, "Responses/QuixBugs_Gemini/FL_APR_Combined/FL_APR_Combined_Gemini_1.5_Pro_Java.csv", "gemini-1.5-pro",
     "fl-apr-json", "fixed code", None),
    (_GPT, "Responses/QuixBugs_GPT/APR/APR_zero_shot_ChatGPT_4o_Python.csv", "gpt-4o", "python-apr", None, None),
    (_GPT, "Responses/QuixBugs_GPT/FL/zero_shot_ChatGPT_4o_Java.csv", "gpt-4o", "fault-localisation-only", None,
     None),
    ("main", "Responses/Gemini_QuixBugs/zero_shot_Gemini_1.5_QuixBugs_Java.csv", "gemini-1.5-pro",
     "fault-localisation-only", None, None),
    (_GEM, "Responses/QuixBugs_Gemini/APR/APR_zero_shot_Gemini_1.5_Flash_Python.csv", "gemini-1.5-flash",
     "python-apr", None, None),
]


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True, check=True,
                          timeout=60).stdout


def read_csv(mirror: Path, ref: str, path: str) -> list[dict]:
    text = git(mirror, "show", f"{ref}:{path}").decode("utf-8", "replace").replace("\r\n", "\n")
    return list(csv.DictReader(io.StringIO(text)))


def read_xlsx(mirror: Path, ref: str, path: str) -> list[dict]:
    """First sheet of an .xlsx as dicts keyed by the header row (shared and inline strings, numbers)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(io.BytesIO(git(mirror, "show", f"{ref}:{path}")))
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
    table: list[dict[int, str]] = []
    for row in ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml")).iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        for c in row.findall("m:c", ns):
            col = 0
            for ch in re.match(r"[A-Z]+", c.get("r", "A")).group(0):  # type: ignore[union-attr]
                col = col * 26 + ord(ch) - 64
            v, t = c.find("m:v", ns), c.get("t")
            if t == "s" and v is not None:
                cells[col] = shared[int(v.text or 0)]
            elif t == "inlineStr":
                cells[col] = "".join(x.text or "" for x in c.iter(f"{{{ns['m']}}}t"))
            elif t == "b" and v is not None:
                cells[col] = "TRUE" if v.text == "1" else "FALSE"
            elif v is not None:
                cells[col] = v.text or ""
        table.append(cells)
    if not table:
        return []
    head = {k: v for k, v in table[0].items()}
    return [{head[k]: v for k, v in r.items() if k in head} for r in table[1:]]


def verdicts(mirror: Path, ref: str, path: str | None) -> dict[str, bool]:
    if path is None:
        return {}
    rows = read_xlsx(mirror, ref, path) if path.endswith(".xlsx") else read_csv(mirror, ref, path)
    out = {}
    for r in rows:
        v = str(r.get("Correct Response", "")).strip().upper()
        if r.get("File Name") and v in ("TRUE", "FALSE"):
            out[r["File Name"].strip()] = v == "TRUE"
    return out


def target(program: str, bug_line: str, stem: str) -> java.MethodSpan | None:
    """The method of the buggy program that holds its bug line (innermost when nested), else (the bug is an
    omission described in words) the method named after the program (QuixBugs: ``BITCOUNT.bitcount``)."""
    want = re.sub(r"\s+", "", bug_line)
    spans = [s for s in java.methods(program) if want and want in re.sub(r"\s+", "", s.text)]
    if spans:
        return min(spans, key=lambda s: len(s.text))
    return next((s for s in java.methods(program) if s.name == stem.lower()), None)


def expected_from(code: str, name: str, params: tuple[str, ...]) -> tuple[str | None, str]:
    """The module docstring's rule: the target method in the study's own extracted code."""
    src = code
    spans = []
    for cand in (code, "class _X {\n" + code + "\n}"):
        spans = [s for s in java.methods(cand) if s.name == name]
        if spans:
            src = cand
            break
    if not spans:
        return None, f"the study's code holds no method {name}"
    for test in (lambda s: s.params == params, lambda s: s.arity == len(params)):
        hits = [s for s in spans if test(s)]
        if hits:
            hits.sort(key=lambda s: (s.depth, s.start_byte))
            return _undo_strip(src, hits[0]), "target method of the study's extracted code"
    return None, f"the study's code holds {name} with other parameters only"


def _undo_strip(src: str, span: java.MethodSpan) -> str:
    """The member from the start of its first line (modifiers a broken parse left outside the node included),
    dedented as a whole (tabs kept, trailing spaces dropped), undoing the study parser's ``strip()``: when the
    code starts with the declaration, its first line lost the indentation the closing brace's line still has."""
    data = java.utf8(src)
    start = len(data[:span.start_byte].decode("utf-8", "replace"))
    end = len(data[:span.end_byte].decode("utf-8", "replace"))
    line_start = src.rfind("\n", 0, start) + 1
    text = src[line_start:end]
    if line_start == 0 and not text[:1].isspace() and "\n" in text:
        last = text.rsplit("\n", 1)[1]
        text = last[: len(last) - len(last.lstrip())] + text
    return textwrap.dedent("\n".join(ln.rstrip() for ln in text.split("\n"))).strip("\n")


def prompt_program(prompt: str) -> str:
    """The buggy class as the prompt shows it (after 'Code:', before the bug line or the instructions)."""
    i = prompt.find("Code:")
    body = prompt[i + 5:] if i >= 0 else prompt
    return re.split(r"\nLine of Code with bug:|\nThe code is expected to function as follows:", body)[0].strip()


def _row(rid: str, branch: str, path: str, commit: str, i: int, model: str, style: str, bug: str, bug_line: str,
         t: java.MethodSpan, reply: str, col: str | None, code: str, validated: bool | None) -> dict | None:
    if style == "python-apr":
        exp, why = None, "a Python answer holds no Java method to apply"
    elif style == "fault-localisation-only":
        exp, why = None, "the prompt asks only where the bug is, without a fix: nothing to apply"
        if re.search(r"(?<![\w$.])" + re.escape(t.name) + r"\s*\([^)]*\)\s*(throws[^{;]*)?\{", reply):
            LEFT_OUT.append(rid + ": the model wrote a fix anyway, no reference says which")
            return None
    elif not code.strip():
        LEFT_OUT.append(rid + ": the study's parser extracted no code, no reference")
        return None
    else:
        exp, why = expected_from(code, t.name, t.params)
    if rid in OVERRIDES:
        exp, why = OVERRIDES[rid]
    return {
        "id": rid, "source": {"repo": BB, "branch": branch, "path": path, "commit": commit, "row": i,
                              "licence": LICENCE[BB]},
        "model": model, "prompt_style": style, "bug": bug, "bug_line": bug_line,
        "name": t.name, "params": list(t.params), "arity": t.arity, "original": _dedent(t.text),
        "reply": reply, "expected": exp, "kind": "method",
        "reference": {"kind": "study's extracted code" if col else "none (abstention row)",
                      "column": col, "validated": validated, "note": why,
                      **({"code": code} if col and exp is None else {})},
    }


def quixbugs(mirror: Path) -> list[dict]:
    extracted = read_csv(mirror, _GPT, "QuixBugs_Extracted/ExtractedJavaQuixBugs-APR.csv")
    bug_lines = {r["Filename"].strip(): r["Expected Line with Bug"].strip() for r in extracted}
    programs = {r["Filename"].strip(): r["Code"] for r in extracted}
    rows = []
    for branch, path, model, style, col, analysis in SOURCES:
        commit = git(mirror, "rev-parse", branch).decode().strip()
        ok = verdicts(mirror, branch, analysis)
        for i, r in enumerate(read_csv(mirror, branch, path)):
            fname = (r.get("File Name") or "").strip()
            jname = fname[:-3] + ".java" if fname.endswith(".py") else fname
            jname = next((k for k in bug_lines if k.lower() == jname.lower()), jname)
            if jname not in bug_lines:
                continue  # Node.java / WeightedEdge.java: helper classes, no bug
            program = programs[jname] if style == "python-apr" else prompt_program(r.get("Prompt", ""))
            stem = jname[:-5]
            t = target(program, bug_lines[jname], stem) or target(programs[jname], bug_lines[jname], stem)
            if t is None:
                continue
            row = _row(f"bb:{branch}/{Path(path).stem}#{i}", branch, path, commit, i, model, style,
                       f"QuixBugs/{jname}", bug_lines[jname], t, r.get("Full Response") or "", col,
                       (r.get(col) or "") if col else "", ok.get(fname))
            if row:
                rows.append(row)
    return rows


# EvalGPTFix (AtCoder Java submissions, iSEngLab/EvalGPTFix, as the study copied them): gpt-4o, two prompts
EVAL_SOURCES = [
    (_GPT, "Responses/EvalGPTFix_GPT/ChatGPT_4o_EvalGPTFix.csv", "gpt-4o", "unguided-json", "Fixed Code",
     "Tests/EvalGPTFix_GPT/Unguided/Results/analysis_results_GPT.csv"),
    (_GPT, "Responses/EvalGPTFix_GPT/ChatGPT_4o_EvalGPTFix_Guided.csv", "gpt-4o", "guided-reason-fix", "Fixed Code",
     "Tests/EvalGPTFix_GPT/Guided/GPT_Guided/Results/analysis_results_GPT_Guided.csv"),
    (_GEM, "Responses/EvalGPTFix_Gemini/40Samples_Gemini_1.5_Pro_EvalGPTFix.csv", "gemini-1.5-pro", "fl-apr-json",
     "fixed code", None),
    ("main", "Responses/Gemini_EvalGPTFix/zero_shot_Gemini1.5_EvalGPTFix.csv", "gemini-1.5-pro",
     "fault-localisation-only", None, None),
]


def evalgptfix(mirror: Path) -> list[dict]:
    """The target is the method holding the line the dataset marks ``//bug`` (column ``buggy_code with
    identiifier``); ``original`` is that method in ``buggy_code``."""
    progs = {r["file_name"].strip(): r for r in read_csv(mirror, _GPT, "EvalGPTFix_Extracted/ExtractedEvalGPTFix.csv")}
    rows = []
    for branch, path, model, style, col, analysis in EVAL_SOURCES:
        commit = git(mirror, "rev-parse", branch).decode().strip()
        ok = {r["Filename"].replace("_test_results.txt", "").strip(): r["IsTrue"].strip() == "True"
              for r in (read_csv(mirror, branch, analysis) if analysis else [])}
        for i, r in enumerate(read_csv(mirror, branch, path)):
            fname = (r.get("File Name") or "").strip()
            prog = progs.get(fname)
            if prog is None:
                continue
            marked = [ln for ln in prog["buggy_code with identiifier"].split("\n") if re.search(r"//\s*bug\b", ln)]
            bug_line = re.sub(r"//\s*bug\b.*$", "", marked[0]).strip() if marked else ""
            t = target(prog["buggy_code"], bug_line, "main") if bug_line else None
            if t is None:
                continue
            row = _row(f"bb:{branch}/{Path(path).stem}#{i}", branch, path, commit, i, model, style,
                       f"EvalGPTFix/{fname}", bug_line, t, r.get("Full Response") or "", col,
                       (r.get(col) or "") if col else "", ok.get(fname))
            if row:
                rows.append(row)
    return rows


def main(argv: list[str]) -> int:
    mirrors = Path(argv[0] if argv else "/work/.mirror")
    mirror = mirrors / "MRaeesD+Bug-Busters" / "repo"
    rows = quixbugs(mirror) + evalgptfix(mirror)
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows, {sum(r['expected'] is not None for r in rows)} with code -> {OUT}; "
          f"{len(LEFT_OUT)} left out:", *LEFT_OUT, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
