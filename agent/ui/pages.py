"""``repairchat report RESULTS``: a Markdown page per bug for a person to judge the plausible patches.

APR papers judge correctness by hand: a plausible patch passes the tests but may still be wrong. Each bug's
page shows every distinct plausible patch (deduplicated by normalised form) as a unified diff of the buggy file,
its evidence against the developer's fix (``agent.evidence``) and the turns of the conversation that produced
it (read from the transcript the results row points to). ``index.md`` lists the bugs with their counts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

from agent.errors import UserError
from agent.evidence import Evidence


@dataclass(frozen=True)
class Patch:
    """A distinct plausible patch of one bug: the first row that produced it and the labels of its copies."""
    row: dict
    method: str | None  # the whole patched method (None when the bug's sources are not available)
    diff: str
    evidence: Evidence | None
    turns: tuple[dict, ...]  # the chat messages that led to the reply, then the reply itself
    copies: tuple[str, ...] = ()


@dataclass
class BugPage:
    bug_id: str
    result: str
    tries: int
    patches: list[Patch] = field(default_factory=list)
    note: str = ""

    @property
    def best(self) -> str:
        labels = [p.evidence.label for p in self.patches if p.evidence is not None]
        for label in ("exact", "ast", "differs", "unknown"):
            if label in labels:
                return label
        return "-" if not self.patches else "unknown"


def fence(text: str, lang: str = "") -> str:
    """A Markdown code block around ``text`` with a backtick fence longer than any run inside it."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def label(row: dict) -> str:
    """A candidate's label as the results name it (``r2s0``; ``c3r1s0`` in a third conversation)."""
    return str(row.get("candidate", "?"))


def transcript_events(session: str | None, sessions_dir: Path | None, results: Path) -> list[dict] | None:
    """The transcript a results row points to: in ``sessions_dir``, else beside the results file."""
    from sessions import transcript

    if not session:
        return None
    for folder in ([sessions_dir] if sessions_dir else []) + [transcript.sessions_dir(), results.parent,
                                                              results.parent / "sessions"]:
        path = Path(folder) / session
        if path.is_file():
            return transcript.read(path)
    return None


def turns_for(events: list[dict] | None, row: dict) -> tuple[dict, ...]:
    """The messages of the row's conversation before its reply, then the reply (as role ``reply``)."""
    if not events:
        return ()
    key = (row.get("conversation", 1), row.get("round"), row.get("sample"))
    out: list[dict] = []
    for e in events:
        if e["type"] not in ("message", "reply"):
            continue
        t = e.get("conversation", 1)  # restarted conversations (--tries) each have their own turns
        if t != key[0]:
            continue
        if e["type"] == "message" and e.get("round", 0) < (key[1] or 0):
            out.append({"role": e["role"], "content": e["content"], "round": e.get("round", 0)})
        elif e["type"] == "reply" and (t, e.get("round"), e.get("sample")) == key:
            out.append({"role": "reply", "content": e.get("raw", ""), "round": e.get("round")})
            return tuple(out)
    return tuple(out)


def unified(before: str, after: str, path: str) -> str:
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{path}", f"b/{path}",
                                          lineterm=""))


def build(results: str | Path, sessions_dir: str | Path | None = None, bugs: dict | None = None) -> list[BugPage]:
    """A page per bug of the results file (finished bugs only, in file order)."""
    from agent import evidence
    from agent.batch import finished, read_rows
    from agent.replay import session_bug
    from agent.validation.workspace import ApplyError
    from extractors.java import normalize

    results = Path(results)
    done, rows = finished(read_rows(results))
    if not done:  # `repairchat validate` results: no sessions, every row counts
        rows = [r for r in read_rows(results) if not r.get("done")]
        done = {r["bug"]: {"bug": r["bug"], "result": "validated"} for r in rows}
    sdir = Path(sessions_dir) if sessions_dir else None
    pages = []
    for bug_id, d in done.items():
        bug_rows = [r for r in rows if r["bug"] == bug_id]
        page = BugPage(bug_id, str(d.get("result", "")), len(bug_rows))
        events = transcript_events(d.get("session"), sdir, results)
        bug = (bugs or {}).get(bug_id)
        seen: dict[str, int] = {}
        if bug is None and events:
            try:
                bug = session_bug(events, d.get("session"))
            except UserError as e:
                page.note = f"bug sources not available ({e}); diffs and evidence left out"
        if d.get("session") and events is None:
            page.note = (f"transcript {d.get('session')} not found (pass --sessions-dir); turns left out. "
                         + page.note).strip()
        for r in bug_rows:
            if r.get("outcome") != "plausible" or not isinstance(r.get("code"), str):
                continue
            method, diff, ev = None, "", None
            if bug is not None:
                try:
                    method = evidence.patched_method(bug, r["code"])
                    diff = unified(bug.read_source(), evidence.patched_source(bug, r["code"]), bug.location.file)
                    ev = evidence.compare(method, evidence.buggy_text(bug), bug.fixed_method)
                except (ApplyError, OSError) as e:
                    page.note = f"{label(r)} cannot be put back into {bug.location.file}: {e}"
            key = normalize(method if method is not None else r["code"])
            if key in seen:
                first = seen[key]
                page.patches[first] = replace(page.patches[first], copies=page.patches[first].copies + (label(r),))
                continue
            seen[key] = len(page.patches)
            page.patches.append(Patch(r, method, diff, ev, turns_for(events, r)))
        pages.append(page)
    return pages


def evidence_line(ev: Evidence | None) -> str:
    if ev is None:
        return "evidence: not available"
    if ev.exact is None:
        match = "developer fix unknown"
    else:
        match = f"exact match: {'yes' if ev.exact else 'no'}, AST match: {'yes' if ev.ast else 'no'}"
    size = f"{ev.lines_changed} line(s), {ev.tokens_changed} token(s) changed"
    if ev.fix_lines_changed is not None:
        size += (f" (developer fix: {ev.fix_lines_changed} line(s), {ev.fix_tokens_changed} token(s); "
                 f"{ev.fix_distance} token(s) from it)")
    return f"**{ev.label}** — {match}; {size}"


def bug_markdown(page: BugPage) -> str:
    out = [f"# {page.bug_id}", "",
           f"Session result: **{page.result}**, {page.tries} candidate(s) validated, "
           f"{len(page.patches)} distinct plausible patch(es). [All bugs](index.md)", ""]
    if page.note:
        out += [f"> {page.note}", ""]
    if not page.patches:
        out += ["No plausible patch.", ""]
    for i, p in enumerate(page.patches, 1):
        copies = f" (also produced by {', '.join(p.copies)})" if p.copies else ""
        out += [f"## Patch {i}: {label(p.row)}{copies}", "", evidence_line(p.evidence), "",
                "Judgement (by hand): correct / incorrect / unsure", ""]
        out += [fence(p.diff, "diff") if p.diff else fence(p.row["code"], "java"), ""]
        if p.turns:
            out += [f"<details><summary>The {len(p.turns)} turn(s) that produced it</summary>", ""]
            for t in p.turns:
                who = "model reply (this patch)" if t["role"] == "reply" else t["role"]
                out += [f"**{who}** (round {t['round']})", "", fence(t["content"]), ""]
            out += ["</details>", ""]
    return "\n".join(out)


def index_markdown(pages: list[BugPage], results: Path) -> str:
    out = [f"# Plausible patches in {results.name}", "",
           "Each page shows the distinct plausible patches of a bug as diffs with their evidence against the "
           "developer's fix (exact: equal up to whitespace; AST: equal syntax trees, comments and formatting "
           "ignored) and the turns that produced them, for a person to judge correctness.", "",
           "| bug | result | candidates | plausible patches | AST match | exact | best |", "|---|---|---|---|---|---|---|"]
    for p in pages:
        ast = sum(1 for x in p.patches if x.evidence is not None and x.evidence.ast)
        exact = sum(1 for x in p.patches if x.evidence is not None and x.evidence.exact)
        out.append(f"| [{p.bug_id}]({page_name(p.bug_id)}) | {p.result} | {p.tries} | {len(p.patches)} | {ast} | "
                   f"{exact} | {p.best} |")
    fixed = [p for p in pages if p.patches]
    ast_bugs = sum(1 for p in fixed if p.best in ("exact", "ast"))
    exact_bugs = sum(1 for p in fixed if p.best == "exact")
    out += ["", f"Bugs: {len(pages)}; plausible / AST match / exact: {len(fixed)} / {ast_bugs} / {exact_bugs}", ""]
    return "\n".join(out)


def page_name(bug_id: str) -> str:
    from agent.validation.workspace import safe_name
    return safe_name(bug_id) + ".md"


def write(pages: list[BugPage], results: Path, out_dir: str | Path) -> Path:
    """Write ``index.md`` and one page per bug into ``out_dir``; returns the index."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for p in pages:
            (out / page_name(p.bug_id)).write_text(bug_markdown(p), encoding="utf-8")
        index = out / "index.md"
        index.write_text(index_markdown(pages, results), encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot write the report to {out}: {e.strerror}; pass --out DIR") from None
    return index
