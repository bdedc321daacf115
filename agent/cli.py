"""The ``repairchat`` command line. Flags map onto the config dataclasses; bad input is one line, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from agent.errors import UserError
from agent.options import add_bug_flags, add_dataclass_flags, from_args, load_bugs


def cmd_run(args) -> int:
    from agent.batch import BatchConfig, run_bugs
    from agent.loop import LoopConfig
    from agent.models import load_model
    from agent.ui.report import console
    from agent.validation.validate import ValidationConfig, make_validator

    config, vconfig = from_args(LoopConfig, args), from_args(ValidationConfig, args)
    batch = from_args(BatchConfig, args)
    con = console()
    bugs = load_bugs(args)
    model = load_model(args.model)
    result = run_bugs(bugs, model, args.model, lambda: make_validator(vconfig), config,
                      sessions_dir=args.sessions_dir, results=args.out, console=con, batch=batch, validation=vconfig,
                      admit=lambda todo: preflight(todo, vconfig, con))
    return report_batch(con, result, Path(args.out), "per-candidate results")


def report_batch(con, result, out: Path, what: str, title: str = "Outcomes per bug") -> int:
    """The summary table, model usage, where the files are; exit 1 when a bug's session ended in an error."""
    from collections import Counter as Sum

    from agent.ui.report import summary_table, usage_text

    con.print(summary_table(result.per_bug, title, result.results, result.usage, result.evidence))
    total: Sum = Sum()
    for u in result.usage.values():
        total.update({k: v for k, v in u.items() if isinstance(v, (int, float))})
    if total:
        con.print(f"model: {usage_text(dict(total))}", markup=False)
    con.print(f"{what}: {out} (CSV {out.with_suffix('.csv')}, chart {out.with_suffix('.png')})", markup=False)
    if result.errors:
        con.print(f"{len(result.errors)} bug(s) ended in an error: {', '.join(result.errors)} (see their "
                  "transcripts' end events)", markup=False)
        return 1
    return 0


def preflight(bugs: list, vconfig, con) -> list:
    """The bugs that pass the pre-flight (``agent.validation.preflight``); the others are reported and dropped."""
    from agent.validation.preflight import check_bugs
    kept, _ = check_bugs(bugs, vconfig, lambda line: con.print(line, markup=False, highlight=False))
    if not kept:
        raise UserError("no bug passed the pre-flight check (reasons above); fix the manifest or use --no-preflight")
    return kept


def cmd_check(args) -> int:
    """``repairchat check``: the pre-flight of every bug, as a table; exit 1 when a bug fails it."""
    from rich.table import Table

    from agent.ui.report import console
    from agent.validation.preflight import cached_check
    from agent.validation.validate import ValidationConfig

    vconfig, con = from_args(ValidationConfig, args), console()
    table = Table(title="pre-flight")
    for col in ("bug", "result", "test classes", "selected", "broken tests", "seconds", "reason"):
        table.add_column(col)
    failed = 0
    for bug in load_bugs(args):
        r = cached_check(bug, vconfig)
        failed += not r.ok
        table.add_row(bug.id, "ok" if r.ok else "FAILED", str(len(r.test_classes)),
                      "all" if r.selected is None else str(len(r.selected)),
                      ", ".join(r.broken) or ("-" if r.fixed_checked else "(no fix known)"),
                      f"{r.seconds:.1f}", r.reason)
    con.print(table)
    return 1 if failed else 0


def cmd_merge(args) -> int:
    from agent.batch import merge
    from agent.ui.report import console, summary_table

    result, warnings = merge(args.files, args.out)
    con = console()
    for w in warnings:
        con.print(f"warning: {w}", markup=False)
    return report_batch(con, result, Path(args.out), "merged results",
                        f"Outcomes per bug ({len(args.files)} file(s) merged)")


def cmd_repl(args) -> int:
    from agent.ui.repl import repl
    return repl(args)


def cmd_demo(args) -> int:
    from agent.ui.report import console
    con = console()
    con.print("[bold]repairchat demo[/]: the repair loop on the built-in sample bugs with a tiny model that is "
              "trained once on this machine (on the samples' own fixes, so it has seen the answers) and cached. "
              "It shows the machinery, not a model's skill; use --model for a real one.")
    args.model = args.model or "demo"
    return cmd_run(args)


def read_candidates(path: str) -> list[dict]:
    from agent.validation.validate import CANDIDATE_KINDS
    from agent.jsonl import read_jsonl
    rows: list[dict] = []
    for where, row in read_jsonl(path, "candidates file {path} not found"):
        if not isinstance(row.get("bug"), str) or not isinstance(row.get("text"), str):
            raise UserError(f"{where}: a candidate needs string fields 'bug' and 'text'")
        row.setdefault("kind", "method")
        if row["kind"] not in CANDIDATE_KINDS:
            raise UserError(f"{where}: kind {row['kind']!r} must be one of {', '.join(CANDIDATE_KINDS)}")
        if row["kind"] == "method" and not row["text"].strip():
            raise UserError(f"{where}: the candidate method is empty (it would delete the method); give its text")
        row.setdefault("candidate", str(len(rows)))
        rows.append(row)
    if not rows:
        raise UserError(f"candidates file {path} has no candidates; one JSON object per line: "
                        '{"bug": ID, "text": CODE, "kind": "method"}')
    return rows


def cmd_validate(args) -> int:
    from rich.progress import track

    from agent.batch import ResultsFile, result_row
    from agent.bugs.d4j import local_id
    from agent.evidence import row_columns
    from agent.ui.report import candidates_table, console, summary_table
    from agent.validation.cache import CachingValidator
    from agent.validation.validate import Candidate, ValidationConfig, make_validator

    rows = read_candidates(args.candidates)
    args.ids = sorted({r["bug"] for r in rows})
    vconfig, con = from_args(ValidationConfig, args), console()
    bugs = {b.id: b for b in preflight(load_bugs(args), vconfig, con)}
    skipped = [r for r in rows if local_id(r["bug"]) not in bugs]
    if skipped:
        con.print(f"{len(skipped)} candidate(s) of bugs that failed the pre-flight are not validated")
    out = ResultsFile(args.out)
    per_bug: dict[str, list] = defaultdict(list)
    # the normalised-patch cache, as `run` uses it (token-equal patches validated once); closed with the validator
    with CachingValidator(make_validator(vconfig)) as validator:
        try:
            for row in track([r for r in rows if local_id(r["bug"]) in bugs], description="validating", console=con):
                bug = bugs[local_id(row["bug"])]  # d4j:Lang-1 is the bug Lang-1
                outcome = validator.validate(bug, Candidate(row["text"], row["kind"]))
                per_bug[bug.id].append((str(row["candidate"]), outcome))
                out.write(result_row(bug.id, str(row["candidate"]), outcome, kind=row["kind"],
                                     **row_columns(bug, outcome)))
        finally:
            out.close()
    if validator.hits:
        con.print(f"{validator.hits} candidate(s) were token-equal to an earlier one and not validated again")
    for bug_id, results in per_bug.items():
        con.print(candidates_table(bug_id, results))
    con.print(summary_table({b: Counter(o.kind for _, o in r) for b, r in per_bug.items()}))
    con.print(f"results: {args.out}")
    return 0


def cmd_replay(args) -> int:
    from agent.replay import replay
    return replay(args)


def cmd_sessions(args) -> int:
    from agent.replay import sessions_command
    return sessions_command(args)


def cmd_report(args) -> int:
    from agent.ui import pages
    from agent.ui.report import console

    results = Path(args.results)
    bugs = {b.id: b for b in load_bugs(args)} if args.bugs else None
    built = pages.build(results, args.sessions_dir, bugs)
    out = Path(args.out) if args.out else results.with_name(results.stem + "-report")
    index = pages.write(built, results, out)
    fixed = [p for p in built if p.patches]
    con = console()
    con.print(f"{len(built)} bug page(s), {sum(len(p.patches) for p in built)} distinct plausible patch(es); bugs "
              f"plausible / AST match / exact: {len(fixed)} / {sum(p.best in ('exact', 'ast') for p in fixed)} / "
              f"{sum(p.best == 'exact' for p in fixed)}", soft_wrap=True)
    con.print(f"report: {index}", soft_wrap=True)
    return 0


def cmd_serve(args) -> int:
    from agent.models import load_model
    from agent.models.serve import make_server
    server = make_server(load_model(args.model), args.name, args.host, args.port)
    print(f"serving {args.model} as {args.name!r} on http://{args.host}:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    from agent.batch import BatchConfig
    from agent.loop import LoopConfig
    from agent.validation.validate import ValidationConfig

    parser = argparse.ArgumentParser(prog="repairchat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    for name, func, help_text in (("run", cmd_run, "run the repair loop over bugs"),
                                  ("demo", cmd_demo, "run the loop on the built-in samples with the demo model")):
        p = sub.add_parser(name, help=help_text)
        add_bug_flags(p)
        p.add_argument("--model", required=name == "run", help="model spec: hf:PATH, openai:MODEL@URL, "
                                                               "replay:FILE, demo")
        p.add_argument("--sessions-dir", help="where transcripts go (default .repairchat/sessions)")
        p.add_argument("--out", default=".repairchat/results.jsonl", help="per-candidate results JSONL")
        add_dataclass_flags(p, LoopConfig)
        add_dataclass_flags(p, ValidationConfig)
        add_dataclass_flags(p, BatchConfig)
        p.set_defaults(func=func)
        if name == "demo":
            p.set_defaults(fresh=True)  # the demo starts over each time (run resumes by default)

    p = sub.add_parser("merge", help="merge the results JSONL of shards (--shard I/N) into one")
    p.add_argument("files", nargs="+", help="results JSONL files of the shards")
    p.add_argument("--out", required=True, help="merged results JSONL (CSV and PNG chart beside it)")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("repl", help="interactive repair of one bug (slash commands; /help)")
    p.add_argument("bug", help="bug id (of --bugs, default the samples) or d4j:Project-N")
    add_bug_flags(p, ids=False)
    p.add_argument("--model", default="demo", help="model spec (default demo); /model switches it")
    p.add_argument("--samples", type=int, default=1, help="replies asked for per /run (default: 1)")
    p.add_argument("--feedback-chars", type=int, default=1200, help="bound on the failure text sent back")
    p.add_argument("--sessions-dir", help="where the transcript goes (default .repairchat/sessions)")
    p.add_argument("--history", default=".repairchat/repl-history", help="input history file")
    add_dataclass_flags(p, ValidationConfig)
    p.set_defaults(func=cmd_repl)

    p = sub.add_parser("validate", help="validate given candidates (JSONL: bug, candidate, text, kind)")
    add_bug_flags(p, ids=False)
    p.add_argument("--candidates", required=True)
    p.add_argument("--out", default=".repairchat/validate-results.jsonl", help="results JSONL")
    add_dataclass_flags(p, ValidationConfig)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("check", help="pre-flight of bugs: the buggy version compiles and fails its failing tests, "
                                     "the fix (when known) passes; broken tests found")
    add_bug_flags(p)
    add_dataclass_flags(p, ValidationConfig)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("replay", help="rerun a transcript through the loop (golden test), re-validate its patches, "
                                      "or continue it with a live model")
    p.add_argument("file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--revalidate", action="store_true", help="re-validate every recorded patch; compare outcomes")
    mode.add_argument("--continue", dest="cont", action="store_true",
                      help="resume the conversation at its last turn with --model (appends to FILE)")
    p.add_argument("--model", help="live model spec for --continue")
    p.add_argument("--rounds", type=int, default=3, help="--continue: further model turns (default: 3)")
    p.add_argument("--samples", type=int, help="--continue: replies per turn (default: as recorded)")
    add_dataclass_flags(p, ValidationConfig)
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("sessions", help="list or show saved sessions")
    p.add_argument("action", choices=["list", "show"])
    p.add_argument("file", nargs="?")
    p.add_argument("--sessions-dir")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("report", help="a Markdown page per bug with each plausible patch as a diff, its evidence "
                                      "against the developer's fix and the turns that produced it")
    p.add_argument("results", help="results JSONL of run, merge or validate")
    p.add_argument("--out", help="folder for index.md and the bug pages (default: RESULTS without .jsonl + -report)")
    p.add_argument("--sessions-dir", help="where the transcripts are (default .repairchat/sessions, then beside "
                                          "RESULTS)")
    add_bug_flags(p, ids=False)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("serve", help="serve a model over an OpenAI-compatible HTTP API on 127.0.0.1")
    p.add_argument("--model", required=True)
    p.add_argument("--name", default="repairchat")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    try:
        from finetune.cli import add_parser as add_finetune
    except ImportError:  # an install without the fine-tuning package
        pass
    else:
        add_finetune(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except UserError as e:
        print(f"repairchat: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("repairchat: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a path that cannot be written or read (read-only folder, full disk, ...)
        where = f" {e.filename}" if e.filename else ""
        print(f"repairchat: error: cannot use{where} ({e.strerror or e}); check the path and its permissions",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
