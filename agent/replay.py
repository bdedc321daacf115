"""Saved sessions: list, show; replay a transcript through the loop (golden test), re-validate its patches,
or continue it with a live model."""

from __future__ import annotations

import time
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from agent.bugs import Bug, bug_from_dict
from agent.errors import UserError
from agent.ui.report import console, first_failure, kind_text
from agent.options import from_args
from agent.validation.validate import Candidate, Outcome, ValidationConfig, make_validator
from sessions import transcript


def session_bug(events: list[dict], path) -> Bug:
    """The bug a transcript is about, as recorded in its session event."""
    try:
        return bug_from_dict(events[0]["bug"], Path("/"), f"{path} (session bug)")
    except KeyError:
        raise UserError(f"{path}: session event has no 'bug'") from None


def candidate_kind(events: list[dict]) -> str:
    from agent import styles
    return styles.get((events[0].get("loop") or {}).get("style") or "chat").candidate_kind


def revalidate(events: list[dict], path, validator) -> list[tuple[dict, Outcome]]:
    """(recorded reply event, fresh outcome) for every reply in the transcript."""
    bug, kind = session_bug(events, path), candidate_kind(events)
    return [(e, validator.validate(bug, Candidate(e["raw"], kind))) for e in events if e["type"] == "reply"]



def checked(events: list[dict], path) -> list[dict]:
    """The transcript's reply events (``transcript.read`` checked their fields); the bug must load too."""
    session_bug(events, path)
    return [e for e in events if e["type"] == "reply"]


def settings_note(events: list[dict], vconfig) -> str:
    """A note when this replay validates with other settings than the recorded session did."""
    from dataclasses import asdict
    recorded = events[0].get("validation") or {}
    now = asdict(vconfig)
    changed = [f"{k} {recorded[k]!r} -> {now.get(k)!r}" for k in recorded if recorded[k] != now.get(k)]
    return ("validation settings differ from the recorded session's: " + ", ".join(changed)) if changed else ""


def replay(args) -> int:
    """``repairchat replay FILE``: golden rerun (default), ``--revalidate``, or ``--continue --model SPEC``."""
    events = transcript.read(args.file)
    checked(events, args.file)
    if getattr(args, "cont", False):
        return continue_session(args, events)
    if getattr(args, "model", None):
        raise UserError("--model is only used with --continue (resume the conversation with a live model)")
    vconfig = from_args(ValidationConfig, args)
    note = settings_note(events, vconfig)
    if note:
        console().print(f"note: {note}", markup=False)
    validator = make_validator(vconfig)
    try:
        if getattr(args, "revalidate", False):
            return revalidate_report(events, args.file, validator)
        return golden_report(events, args.file, validator)
    finally:
        close = getattr(validator, "close", None)
        if close is not None:
            close()


def revalidate_report(events, path, validator) -> int:
    con = console()
    results = revalidate(events, path, validator)
    t = Table(title=f"re-validation of {path}", title_justify="left")
    for col in ("round", "sample", "recorded", "now", "same", "first failure now"):
        t.add_column(col)
    differ = 0
    for e, now in results:
        same = e["outcome"]["kind"] == now.kind
        differ += not same
        t.add_row(str(e.get("round")), str(e.get("sample")), kind_text(e["outcome"]["kind"]), kind_text(now.kind),
                  "[green]yes[/]" if same else "[bold red]DIFFERS[/]", escape(first_failure(now)))
    con.print(t)
    con.print(f"{len(results)} recorded patches re-validated, {differ} outcome(s) differ")
    return 1 if differ else 0


class Recorder:
    """What a rerun writes, collected through the transcript's writer interface (nothing is written)."""

    def __init__(self):
        self.messages: list[tuple[str, str]] = []
        self.replies: list[tuple[int, int, str]] = []

    def message(self, role: str, content: str, round: int = 0, conversation: int = 1) -> None:
        self.messages.append((role, content))

    def reply(self, event) -> None:
        self.replies.append((event.round, event.sample, event.outcome["kind"]))

    def action(self, name: str, **fields) -> None:
        pass

    def end(self, result: str, rounds: int = 0, error: str = "") -> None:
        pass


REPL_ACTIONS = ("run", "say", "apply", "test", "undo", "redo")


def drive_repl(events: list[dict], session_args: tuple) -> None:
    """Rerun a REPL session: its recorded commands (/run, messages, /apply, /test, /undo, /redo) against the
    REPL's own ``Commands`` with the recorded replies as the model."""
    import io

    from rich.console import Console

    from agent.ui.repl import Commands, ReplIO
    bug, model, validator, config, recorder = session_args
    cmds = Commands(bug, model, "replay", validator, ReplIO(Console(file=io.StringIO())), config, recorder)
    cmds.session.start()
    for e in events:
        if e["type"] != "action" or e["name"] not in REPL_ACTIONS:
            continue
        name = e["name"]
        if name == "run":
            cmds.cmd_run()
        elif name == "say":
            cmds.say(str(e.get("text", "")))
        elif name == "apply":
            cmds.checkpoint("apply")
            cmds.session.state.code, cmds.session.state.outcome = e.get("code"), None
        elif name == "test":
            cmds.cmd_test()
        else:
            getattr(cmds, "cmd_" + name)()


def golden(events: list[dict], path, validator):
    """Rerun the conversation with the recorded replies as the model: through the loop, or, for a REPL session,
    through the REPL's commands as recorded.

    Returns (rows of (round, sample, recorded kind | None, new kind | None), messages that differ, note)."""
    from itertools import zip_longest

    from agent.history import loop_config
    from agent.loop import RepairSession
    from agent.models.replay import ReplayModel

    bug = session_bug(events, path)
    config = loop_config(events)
    config.rounds = max([config.rounds] + [e["round"] for e in events  # --continue'd (variant turns aside)
                                           if e["type"] == "reply" and e.get("phase", "repair") == "repair"])
    model, recorder = ReplayModel(events, str(path)), Recorder()
    note = ""
    try:
        if any(e["type"] == "action" and e["name"] in REPL_ACTIONS for e in events):
            drive_repl(events, (bug, model, validator, config, recorder))
        else:
            RepairSession(bug, model, validator, config, recorder).run()
    except UserError as e:
        note = str(e)
    recorded = [(e["round"], e["sample"], e["outcome"]["kind"]) for e in events if e["type"] == "reply"]
    rows = [((old or new)[0], (old or new)[1], old[2] if old else None, new[2] if new else None)
            for old, new in zip_longest(recorded, recorder.replies) if old or new]
    old_msgs = [(e["role"], e["content"]) for e in events if e["type"] == "message"]
    new_msgs = recorder.messages
    differ_msgs = sum(a != b for a, b in zip(old_msgs, new_msgs)) + abs(len(old_msgs) - len(new_msgs))
    return rows, differ_msgs, note


def golden_report(events, path, validator) -> int:
    con = console()
    rows, differ_msgs, note = golden(events, path, validator)
    t = Table(title=f"replay of {path} through the loop", title_justify="left")
    for col in ("round", "sample", "recorded", "now", "same"):
        t.add_column(col)
    differ = 0
    for r, s, old, new in rows:
        same = old == new
        differ += not same
        t.add_row(str(r), str(s), kind_text(old) if old else "[dim]-[/]", kind_text(new) if new else "[dim]-[/]",
                  "[green]yes[/]" if same else "[bold red]DIFFERS[/]")
    con.print(t)
    if note:
        con.print(f"note: {note}", markup=False)
    con.print(f"{len(rows)} turn outcome(s) replayed, {differ} differ; {differ_msgs} chat message(s) differ")
    return 1 if differ or differ_msgs else 0


def continue_session(args, events: list[dict]) -> int:
    """Resume a saved conversation at its last turn with a live model, appending to the same transcript."""
    from agent.history import loop_config, rebuild
    from agent.loop import RepairSession
    from agent.models import load_model
    from sessions.transcript import Transcript

    if not getattr(args, "model", None):
        raise UserError("--continue needs --model SPEC (the live model that takes over the conversation)")
    path = Path(args.file)
    bug = session_bug(events, path)
    state, _ = rebuild(events, str(path))
    con = console()
    if not state.messages:
        raise UserError(f"{path}: the transcript has no chat messages to continue")
    if state.outcome is not None and state.outcome.plausible:
        con.print(f"{path}: the session already ended with a plausible patch; nothing to continue", markup=False)
        return 0
    extra = {"rounds": state.round + args.rounds}
    if getattr(args, "samples", None):
        extra["samples"] = args.samples
    config = loop_config(events, **extra)
    model = load_model(args.model)
    vconfig = from_args(ValidationConfig, args)
    note = settings_note(events, vconfig)
    if note:
        con.print(f"note: {note}", markup=False)
    validator = make_validator(vconfig)
    try:
        with Transcript(path) as tr:
            tr.action("continue", model=args.model, rounds=args.rounds)
            session = RepairSession(bug, model, validator, config, tr)
            session.restore(state)
            session.feedback()  # the turn the recording ended on is answered first
            before = len(session.attempts)
            session.run()
    finally:
        close = getattr(validator, "close", None)
        if close is not None:
            close()
    new = session.attempts[before:]
    for a in new:
        con.print(f"  reply r{a.round}s{a.sample}: {kind_text(a.outcome.kind)} {escape(first_failure(a.outcome))}")
    fixed = any(a.outcome.plausible for a in new)
    con.print(f"continued {escape(str(path))} with {escape(args.model)}: {len(new)} new attempt(s), "
              f"{'[green]plausible patch found[/]' if fixed else 'no plausible patch'}; transcript appended")
    return 0


def sessions_command(args) -> int:
    con = console()
    if args.action == "list":
        rows = transcript.list_sessions(args.sessions_dir)
        t = Table(title=escape(f"sessions in {transcript.sessions_dir(args.sessions_dir)}"), title_justify="left")
        for col in ("file", "bug", "model", "started", "result", "rounds"):
            t.add_column(col, overflow="fold")
        for path, start, end, problem in rows:
            if problem:
                t.add_row(escape(path.name), "", "", "", "[red]unreadable[/]", "")
                continue
            t.add_row(escape(path.name), escape(str(start["bug"].get("id"))), escape(str(start.get("model"))),
                      time.strftime("%Y-%m-%d %H:%M", time.localtime(start["t"])),
                      kind_text(end["result"]) if end else "[dim]unfinished[/]", str(end.get("rounds", ""))
                      if end else "")
        con.print(t)
        for path, _, _, problem in rows:
            if problem:
                con.print(f"unreadable: {problem}", markup=False)
        return 0
    if not args.file:
        raise UserError("sessions show needs a transcript FILE (see: repairchat sessions list)")
    path = Path(args.file)
    if not path.exists() and not path.is_absolute():
        path = transcript.sessions_dir(args.sessions_dir) / args.file
    show(transcript.read(path), con, str(path))
    return 0


def outcome_of(e: dict, where: str) -> Outcome:
    try:
        return Outcome.from_dict(e["outcome"])
    except (KeyError, TypeError, ValueError) as err:
        raise UserError(f"{where}: a reply event's outcome is damaged ({type(err).__name__}: {err})") from None


def show(events: list[dict], con, where: str = "transcript") -> None:
    """The conversation, replies with outcomes, actions, the end, and the final code (the fix, when found)."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.syntax import Syntax

    from agent.history import rebuild

    start = events[0]
    con.print(f"{start['bug'].get('id')} with {start.get('model')} ({start.get('session')})", markup=False)
    for e in events[1:]:
        if e["type"] == "message":
            con.print(Panel(Markdown(e["content"]), title=escape(f"{e['role']} (round {e.get('round')})"),
                            border_style="cyan" if e["role"] == "user" else "green", title_align="left"))
        elif e["type"] == "reply":
            o = outcome_of(e, where)
            con.print(f"  reply r{e['round']}s{e['sample']}: {kind_text(o.kind)} {escape(first_failure(o))}")
        elif e["type"] == "action":
            con.print(f"  action {e['name']}", markup=False, style="dim")
        elif e["type"] == "end":
            con.print(f"end: {kind_text(e['result'])} after {e.get('rounds')} round(s)")
    state, _ = rebuild(events, where)
    if state.code is None:
        con.print("final code: the buggy method (no patch was made)", markup=False)
        return
    label = state.outcome.kind if state.outcome is not None else "not validated"
    con.print(f"final code ({kind_text(label)}):")
    con.print(Syntax(state.code, "java", theme="ansi_dark", background_color="default"))
