"""The interactive REPL: ``repairchat repl BUG``.

A prompt-toolkit session (history in ``.repairchat/repl-history``, slash-command completion, multi-line input
with Esc-Enter) over one ``agent.loop.RepairSession``. Slash commands are the ``cmd_*`` methods of
``Commands``; their docstrings are the ``/help``. Plain text is added as a user message and sent (``/run``).
All output goes through one ``ReplIO``, which also logs every action to the session's transcript (messages and
replies are logged by the loop itself), failed commands included. When stdin is not a terminal the lines are read
plainly (``printf '/run\n/diff\n' | repairchat repl BUG``).

The user's files are never written: /test validates in a scratch copy, /apply only reads FILE, /save writes a
patch file.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax

from rich.markup import escape
from rich.text import Text

from agent.errors import UserError
from agent.history import History
from agent.loop import Attempt, LoopConfig, LoopEnd, RepairSession, chat, continuation, feedback_message, method_text
from agent.ui.report import candidates_table
from agent.validation.validate import Candidate, Outcome


class ReplIO:
    """All REPL output (a rich Console) plus the transcript's ``action`` events.

    Text that comes from outside (failure messages, diffs, replies, file names) is printed literally: rich markup
    is only used for repairchat's own words (``markup=True``), so ``S[atur]day`` or ``a[i]`` stay as they are."""

    def __init__(self, console: Console, transcript=None, read_input=None):
        self.console, self.transcript = console, transcript
        self.read_input = read_input  # (prompt, multiline) -> str, for /apply paste

    def action(self, name: str, **fields) -> None:
        if self.transcript:
            self.transcript.action(name, **fields)

    def info(self, text: str, markup: bool = False) -> None:
        self.console.print(text, markup=markup, highlight=False)

    def error(self, text: str) -> None:
        self.console.print(Text.assemble(("error:", "bold red"), " ", text), highlight=False)

    def reply(self, label: str, text: str) -> None:
        self.console.print(Panel(Markdown(text), title=escape(label), title_align="left", border_style="green"))

    def message(self, role: str, text: str) -> None:
        self.console.print(Panel(Markdown(text), title=escape(role), title_align="left", border_style="cyan"))

    def diff(self, text: str) -> None:
        if not text:
            self.info("[dim]no changes: the current code is the buggy method[/]", markup=True)
        else:
            self.console.print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))

    def outcomes(self, title: str, rows: list[tuple[str, Outcome]]) -> None:
        self.console.print(candidates_table(title, rows))


def usage_line(turn: list[Attempt], usage: dict, total: dict) -> str:
    """The status line after a turn: model latency, tokens and cost (when the server reports them), and totals."""
    def tokens(u: dict) -> str:
        if not u.get("prompt_tokens") and not u.get("completion_tokens"):
            return "tokens n/a"
        text = f"{u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)} tokens"
        return text + (f", ${u['cost']:.4f}" if u.get("cost") is not None else "")
    model_s = usage.get("model_s", 0.0)
    validate_s = sum(a.outcome.seconds for a in turn)
    return (f"model {model_s:.2f} s, validation {validate_s:.2f} s, {tokens(usage)} | session: "
            f"{total.get('model_s', 0.0):.1f} s model, {tokens(total)}")


class Commands:
    """The REPL's state and its slash commands (``cmd_<name>``; the docstring is the help line).

    The conversation is the loop's ``RepairSession``: a /run is ``session.step()``, a message ``session.say``;
    undo/redo snapshot and restore ``session.state``."""

    def __init__(self, bug, model, model_spec: str, validator, io: ReplIO, config: LoopConfig | None = None,
                 transcript=None, new_validator=None):
        from agent.styles import method_context

        self.new_validator = new_validator  # makes a fresh validator after Ctrl-C stopped one mid-run

        self.bug, self.model_spec, self.io = bug, model_spec, io
        self.config = config or LoopConfig(rounds=1000)
        self.session = RepairSession(bug, model, validator, self.config, transcript, self.on_attempt)
        self.buggy = method_context(bug)[0]
        self.history = History()
        self.done = False
        self.checkpointed = False  # the running command took a checkpoint (Ctrl-C rolls back to it)

    # -- state ---------------------------------------------------------------------------------------------
    @property
    def code(self) -> str | None:
        return self.session.state.code

    @property
    def outcome(self) -> Outcome | None:
        return self.session.state.outcome

    @property
    def current(self) -> str:
        return self.code if self.code is not None else self.buggy

    def checkpoint(self, name: str, **fields) -> None:
        self.io.action(name, **fields)
        self.history.checkpoint(self.session.state)
        self.checkpointed = True

    def start(self) -> None:
        if not self.session.messages:
            self.session.start()
        self.io.info(f"[bold]{escape(self.bug.id)}[/]: method [bold]{escape(self.bug.location.method)}[/] in "
                     f"{escape(self.bug.location.file)}; model {escape(self.model_spec)}. /help lists the commands.",
                     markup=True)

    def on_attempt(self, bug, attempt: Attempt) -> None:
        self.io.reply(f"reply r{attempt.round}s{attempt.sample}: {attempt.outcome.kind}", attempt.reply)

    # -- dispatch -------------------------------------------------------------------------------------------
    def commands(self) -> list[str]:
        return sorted(n[4:] for n in dir(self) if n.startswith("cmd_"))

    def handle(self, line: str) -> None:
        """Run one input line: a /command or a user message; errors are one line, never a traceback; Ctrl-C
        stops the command and rolls back what it had begun (code and chat)."""
        text = line.strip()
        if not text:
            return
        self.checkpointed = False
        try:
            if text.startswith("/"):
                name, _, arg = text[1:].partition(" ")
                matches = [c for c in self.commands() if c.startswith(name.lower())]
                exact = name.lower() in matches
                if not matches or (len(matches) > 1 and not exact):
                    raise UserError(f"unknown command /{name}" + (f" (did you mean {', '.join('/' + m for m in matches)}?)"
                                                                  if matches else "; /help lists the commands"))
                getattr(self, "cmd_" + (name.lower() if exact else matches[0]))(arg.strip())
            else:
                self.say(line.rstrip())
        except UserError as e:
            self.io.action("error", input=text, message=str(e))
            self.io.error(str(e))
        except KeyboardInterrupt:
            rolled_back = self.checkpointed and self.history.undos != []
            if rolled_back:
                self.session.restore(self.history.rollback() or self.session.state)
            self.stop_validation()
            self.io.action("interrupted", input=text, rolled_back=rolled_back)
            self.io.error("interrupted" + ("; nothing of it was kept (the round is not used up)" if rolled_back
                                           else ""))
        except Exception as e:  # a broken command must not end the session (nor print a traceback)
            message = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            self.io.action("error", input=text, message=message)
            self.io.error(message)

    def stop_validation(self) -> None:
        """After Ctrl-C: a warm validator's server may still be running the interrupted tests; close it and go on
        with a new one. (A fresh validator's JVM process group is killed as the interrupt passes through.)"""
        close = getattr(self.session.validator, "close", None)
        if close is not None and self.new_validator is not None:
            close()
            self.session.validator = self.new_validator()

    def say(self, text: str) -> None:
        self.checkpoint("say", text=text)
        self.session.say(text)
        self.turn()

    # -- the model turn ----------------------------------------------------------------------------------------
    def last_reply_code(self) -> str | None:
        s = self.session
        turn = [a for a in s.attempts if a.round == s.round]
        return method_text(continuation(turn).outcome.code) if turn else None

    def applied_note(self) -> str | None:
        """The user text describing code the user applied since the model's last reply (sent before /run)."""
        if self.code is None or self.code == self.last_reply_code():
            return None
        text = f"I changed the method to:\n\n```java\n{self.code}\n```\n"
        if self.outcome is not None:
            text += ("It passes all tests." if self.outcome.plausible
                     else feedback_message(self.outcome, self.config.feedback_chars, bug=self.bug)["content"])
        return text

    def turn(self) -> None:
        s = self.session
        note = self.applied_note()
        if note:
            s.say(note)
        s.config.rounds = max(s.config.rounds, s.round + 1)  # the REPL has no round budget
        try:
            with self.io.console.status("asking the model and validating ..."):
                new = s.step()
        except LoopEnd:  # Plausible (Exhausted cannot happen: rounds grow with each turn)
            new = [a for a in s.attempts if a.round == s.round]
        self.show_turn(new)

    def show_turn(self, new: list[Attempt]) -> None:
        if not new:
            return
        s = self.session
        self.io.outcomes(f"round {s.round}", [(f"r{a.round}s{a.sample}", a.outcome) for a in new])
        self.io.info(usage_line(new, s.last_usage, s.total_usage))
        if self.outcome is not None and self.outcome.plausible:
            self.io.info("[bold green]plausible patch[/]: all tests pass. /diff shows it, /save writes it.",
                         markup=True)
    # -- commands ------------------------------------------------------------------------------------------------
    def cmd_run(self, arg: str = "") -> None:
        """/run: ask the model for the next turn (sends the pending feedback) and validate its replies."""
        self.checkpoint("run")
        self.turn()

    def cmd_test(self, arg: str = "") -> None:
        """/test: compile and test the current code (the buggy method until a reply or /apply changes it)."""
        with self.io.console.status("validating ..."):
            outcome = self.session.validator.validate(self.bug, Candidate(self.current, "method"))
        self.io.action("test", outcome=outcome.to_dict())
        self.session.state.outcome = outcome
        self.io.outcomes("current code", [("current", outcome)])
        if outcome.failures or outcome.detail:
            self.io.info(self.failure_text(outcome) if outcome.failures else outcome.detail[:600])

    def failure_text(self, outcome) -> str:
        """The failures as the model would see them (``agent.styles.failure_text``, against the bug: the file of each
        compile error, lines of the current method, the failing test's own line), with the renderer's header."""
        from agent.styles import failure_text
        return failure_text(outcome, self.config.feedback_chars, self.bug, header=True)

    def diff_text(self) -> str:
        """Unified diff of the buggy file against the file with the current code in place ('' when unchanged)."""
        from agent.validation.workspace import ApplyError, apply
        if self.code is None:
            return ""
        source = self.bug.read_source()
        try:
            patched = apply(source, self.bug.location, self.code, "method").source
        except ApplyError as e:
            raise UserError(f"the current code cannot be put into {self.bug.location.file}: {e}") from None
        f = self.bug.location.file
        return "".join(difflib.unified_diff(source.splitlines(keepends=True), patched.splitlines(keepends=True),
                                            f"a/{f}", f"b/{f}"))

    def cmd_diff(self, arg: str = "") -> None:
        """/diff: unified diff of the buggy file against the file with the current code."""
        text = self.diff_text()
        self.io.action("diff", diff=text)
        self.io.diff(text)

    def cmd_apply(self, arg: str = "") -> None:
        """/apply FILE|paste: make a method from FILE (or pasted text, ended with Esc-Enter) the current code."""
        if not arg:
            raise UserError("/apply needs FILE or 'paste'")
        if arg == "paste":
            if not self.io.read_input:
                raise UserError("/apply paste needs an interactive terminal; use /apply FILE")
            text = self.io.read_input(PASTE_PROMPT, True)
        else:
            p = Path(arg).expanduser()
            if not p.is_file():
                raise UserError(f"/apply: file {p} not found")
            try:
                text = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UserError(f"/apply: {p} is not UTF-8 text; save it as UTF-8") from None
        if not text.strip():
            raise UserError("/apply: the text is empty; nothing was applied")
        from agent.validation.validate import resolve
        resolved = resolve(self.bug, Candidate(text, "reply"))
        if isinstance(resolved, Outcome):
            raise UserError(f"/apply: no method {self.bug.location.method} found in the text ({resolved.detail})")
        code = method_text(resolved[0]) or resolved[0]
        self.checkpoint("apply", code=code, source=arg)
        self.session.state.code, self.session.state.outcome = code, None
        self.io.info(f"applied {len(code.splitlines())} line(s) as the current code; /test validates it")

    def pending_messages(self) -> list[dict]:
        msgs = self.session.messages
        last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=-1)
        out = msgs[last + 1:]
        note = self.applied_note()
        return chat(out + [{"role": "user", "content": note}] if note else out)

    def cmd_feedback(self, arg: str = "") -> None:
        """/feedback: show what will be sent to the model with the next /run."""
        self.io.action("feedback")
        pending = self.pending_messages()
        if not pending:
            self.io.info("[dim]nothing new since the model's last reply; /run asks again with the same chat[/]",
                         markup=True)
        for m in pending:
            self.io.message(m["role"], m["content"])

    def cmd_undo(self, arg: str = "") -> None:
        """/undo: rewind the code and the chat to before the last /run, message or /apply."""
        st = self.history.undo(self.session.state)
        if st is None:
            raise UserError("nothing to undo")
        self.io.action("undo")
        self.session.restore(st)
        self.io.info(f"undone: {len(self.session.messages)} message(s), round {self.session.round}")

    def cmd_redo(self, arg: str = "") -> None:
        """/redo: redo what /undo rewound."""
        st = self.history.redo(self.session.state)
        if st is None:
            raise UserError("nothing to redo")
        self.io.action("redo")
        self.session.restore(st)
        self.io.info(f"redone: {len(self.session.messages)} message(s), round {self.session.round}")

    def cmd_model(self, arg: str = "") -> None:
        """/model SPEC: switch the model (hf:PATH, openai:MODEL@URL, replay:FILE, demo); no SPEC shows it."""
        if not arg:
            self.io.action("model", show=self.model_spec)
            self.io.info(f"model: {self.model_spec}")
            return
        from agent.models import load_model
        self.session.model = load_model(arg)
        self.io.action("model", spec=arg)
        self.model_spec = arg
        self.io.info(f"model is now {arg}")

    def cmd_save(self, arg: str = "") -> None:
        """/save [FILE]: write the current code as a patch of the buggy file (default .repairchat/<bug>.patch)."""
        text = self.diff_text()
        if not text:
            raise UserError("nothing to save: the current code is the buggy method (/run or /apply first)")
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.bug.id)
        path = Path(arg or f".repairchat/{name}.patch").expanduser()
        if path.resolve() == self.bug.source_file.resolve():
            raise UserError(f"/save writes a patch file, not the buggy source {path}; pick another FILE")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UserError(f"/save: cannot write {path} ({e.strerror}); pick another FILE") from None
        self.io.action("save", path=str(path))
        where = f"; transcript {self.session.transcript.path}" if self.session.transcript else ""
        self.io.info(f"saved the patch to {path}{where}")

    def cmd_quit(self, arg: str = "") -> None:
        """/quit: end the session (the transcript is already saved)."""
        self.io.action("quit")
        self.done = True

    def cmd_help(self, arg: str = "") -> None:
        """/help: list the commands; plain text is sent to the model as your message."""
        self.io.action("help")
        for name in self.commands():
            doc = (getattr(self, "cmd_" + name).__doc__ or "").strip().splitlines()[0]
            self.io.info(doc)
        self.io.info("Plain text is added as your message and sent (/run). Esc-Enter (Alt-Enter) inserts a "
                     "newline; Ctrl-C stops a running command, Ctrl-D quits.")

    def end(self) -> None:
        result = "plausible" if self.outcome is not None and self.outcome.plausible else "ended"
        self.session.end(result)


def completer(commands: list[str]):
    from prompt_toolkit.completion import Completer, Completion

    class SlashCompleter(Completer):
        def get_completions(self, document, complete_event):
            text = document.text_before_cursor
            if text.startswith("/") and " " not in text:
                for c in commands:
                    if c.startswith(text[1:]):
                        yield Completion("/" + c, start_position=-len(text))
    return SlashCompleter()


PASTE_PROMPT = "paste the method; Esc-Enter (Alt-Enter) ends it, or a line with only '.'> "


def prompt_session(commands: list[str], history_path: Path | None = None, input=None, output=None):
    """A PromptSession with slash-command completion. At the main prompt Enter submits and Esc-Enter (Alt-Enter)
    inserts a newline (a bracketed paste keeps its newlines); in the multi-line paste prompt Enter inserts a
    newline and Esc-Enter submits (prompt_toolkit's own binding)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    kb = KeyBindings()

    @kb.add("escape", "enter")
    def _(event):
        if session.multiline:  # the paste prompt: Esc-Enter ends the text
            event.current_buffer.validate_and_handle()
        else:
            event.current_buffer.insert_text("\n")

    if history_path:
        history_path.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession = PromptSession(
        history=FileHistory(str(history_path)) if history_path else InMemoryHistory(),
        completer=completer(commands), key_bindings=kb, input=input, output=output)
    return session


class PlainSession:
    """Line input when stdin is not a terminal (piped commands); same ``prompt`` interface as PromptSession."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin

    def prompt(self, message: str = "", multiline: bool = False) -> str:
        """One line; ``multiline`` (a paste) reads lines up to one with only ``.`` or the end of input."""
        line = self.stream.readline()
        if not line:
            raise EOFError
        if not multiline:
            return line.rstrip("\n")
        lines = []
        while line and line.rstrip("\r\n") != ".":
            lines.append(line.rstrip("\r\n"))
            line = self.stream.readline()
        return "\n".join(lines)


def loop(cmds: Commands, session) -> None:
    """Read lines until /quit or EOF (Ctrl-D); Ctrl-C clears the line or stops the running command."""
    if cmds.io.read_input is None:  # /apply paste reads from the same session
        cmds.io.read_input = lambda prompt, multiline: session.prompt(prompt, multiline=multiline)
    cmds.start()
    while not cmds.done:
        try:
            line = session.prompt(f"{cmds.bug.id}> ", multiline=False)  # (prompt_toolkit keeps the last setting)
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        cmds.handle(line)


def repl(args) -> int:
    """``repairchat repl BUG``."""
    from agent.loop import open_transcript
    from agent.models import load_model
    from agent.options import from_args, load_bugs
    from agent.validation.validate import ValidationConfig, make_validator

    args.ids = [args.bug]
    bug = load_bugs(args)[0]
    model = load_model(args.model)
    try:
        config = LoopConfig(rounds=1000, samples=args.samples, feedback_chars=args.feedback_chars)
    except ValueError as e:
        raise UserError(f"bad option: {e}") from None
    vconfig = from_args(ValidationConfig, args)
    validator = make_validator(vconfig)
    console = Console(highlight=False)
    with open_transcript(args.sessions_dir, bug, args.model, config, vconfig) as tr:
        if sys.stdin.isatty():
            ps = prompt_session([], Path(args.history) if args.history else None)
        else:
            ps = PlainSession()
        io = ReplIO(console, tr)
        cmds = Commands(bug, model, args.model, validator, io, config, tr, lambda: make_validator(vconfig))
        if hasattr(ps, "completer"):
            ps.completer = completer(cmds.commands())
        try:
            loop(cmds, ps)
        finally:
            cmds.end()
            close = getattr(cmds.session.validator, "close", None)
            if close is not None:
                close()
        console.print(f"transcript: {tr.path}", markup=False)
    return 0
