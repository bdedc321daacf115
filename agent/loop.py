"""The repair loop: ask, extract, validate, feed the failure back; until plausible or out of budget.

A tiny exception family ends the loop (mini-swe-agent style): ``Plausible``, ``Exhausted`` and ``OutOfBudget``.
Everything that decides the conversation lives here, in one place:

- budgets: ``rounds`` model turns per conversation, ``tries`` model samples per bug over conversations that are
  restarted (from the first prompt) until the tries are spent, as ChatRepair does, ``bug_seconds`` of wall time;
- the plausible-patch phase: after the first plausible patch, ``variants`` more turns asking for different
  fixes, the prompt listing the distinct plausible patches so far (``same_as`` names an earlier equal one);
- which reply continues the chat (``continuation``): the first plausible reply of a turn, else the most
  informative failing one (a test failure beats a timeout, a timeout a compile error, that an extract or apply
  failure), the first of equals.
  That reply always becomes the assistant turn (a plausible one too, so a follow-up question has it in the chat);
  unless it was plausible or the rounds are spent, the rendered failure becomes the next user turn;
- what the model sees (``chat``): consecutive user messages (the feedback, a REPL user's note, code the user
  applied) are sent as one user turn, so every chat alternates user/assistant;
- an interrupted turn (Ctrl-C) changes nothing: the session rolls back to where the turn began.

The REPL and ``replay --continue`` drive this same session (``say``, ``step``, ``state``/``restore``); batch runs
call ``run``. Hooks (``on_attempt``) see every validated reply as it happens.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Callable

from agent import styles
from agent.bugs import Bug
from agent.models import ask
from agent.validation.validate import Candidate, Outcome, Validator


class LoopEnd(Exception):
    """Ends a repair session; ``result`` is what the transcript's end event records."""
    result = "ended"


class Plausible(LoopEnd):
    result = "plausible"


class Exhausted(LoopEnd):
    result = "exhausted"


class OutOfBudget(LoopEnd):
    """The bug used its ``bug_seconds``."""
    result = "budget"


@dataclass
class LoopConfig:
    rounds: int = field(default=3, metadata={"help": "model turns per bug (the first + feedback turns)"})
    samples: int = field(default=1, metadata={"help": "replies asked for in each turn"})
    style: str = field(default="chat", metadata={"help": "prompt style: chat (whole method) or fill (IR4xOR2 chunk)"})
    feedback_chars: int = field(default=1200, metadata={"help": "bound on the failure text sent back each turn"})
    reply_chars: int = field(default=6000, metadata={"help": "bound on a reply sent back as the assistant turn "
                                                             "(a longer one is cut to its code)"})
    show_original_failure: bool = field(default=True, metadata={"help": "validate the buggy method first and put "
                                                                        "its failure in the first prompt"})
    bug_seconds: float = field(default=0.0, metadata={"help": "time budget per bug in seconds, 0 = none"})
    tries: int = field(default=0, metadata={"help": "model samples per bug, over conversations of at most --rounds "
                                                    "turns restarted until spent (ChatRepair: 200 with --rounds 3); "
                                                    "0 = one conversation"})
    variants: int = field(default=0, metadata={"help": "after the first plausible patch, this many more turns asking "
                                                       "for different fixes (ChatRepair's plausible-patch phase)"})

    def __post_init__(self):
        if self.rounds < 1 or self.samples < 1:
            raise ValueError("rounds and samples must be at least 1")
        styles.get(self.style)
        if self.feedback_chars < 100 or self.reply_chars < 100:
            raise ValueError("feedback-chars and reply-chars must be at least 100")
        if self.bug_seconds < 0 or self.tries < 0 or self.variants < 0:
            raise ValueError("bug-seconds, tries and variants must not be negative")
        if self.variants and self.style == "fill":
            raise ValueError("variants need the chat style (a fill prompt has no place for earlier fixes)")


@dataclass(frozen=True)
class Attempt:
    round: int
    sample: int
    reply: str
    outcome: Outcome
    conversation: int = 1  # restarted conversations count from 1
    phase: str = "repair"  # repair | variant (the plausible-patch phase)
    same_as: str = ""  # a plausible patch: the label of an earlier one with the same normalised form

    @property
    def label(self) -> str:
        """``r2s0``: round 2, sample 0 (``c3r2s0`` in the third conversation)."""
        return (f"c{self.conversation}" if self.conversation > 1 else "") + f"r{self.round}s{self.sample}"


@dataclass
class State:
    """Everything a session's conversation is: the chat, the attempts, the round, the current code."""
    messages: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    round: int = 0
    code: str | None = None  # the current method as plain text (None: the buggy one)
    outcome: Outcome | None = None  # the last validation of ``code``
    conversation: int = 1
    start: int = 0  # where the current conversation begins in ``messages`` (earlier ones stay, as in transcripts)
    patches: dict = field(default_factory=dict)  # normalised form -> the first plausible Attempt with it

    def copy(self) -> "State":
        return State(list(self.messages), list(self.attempts), self.round, self.code, self.outcome,
                     self.conversation, self.start, dict(self.patches))


INFORMATIVE = {"plausible": 5, "test-failure": 4, "timeout": 3, "compile-error": 2}  # else 0


def continuation(turn: list[Attempt]) -> Attempt:
    """The reply of a turn that continues the chat: the first plausible one, else the most informative failing
    one (test failure > timeout > compile error > extract or apply failure), the first of equals."""
    return max(turn, key=lambda a: INFORMATIVE.get(a.outcome.kind, 0))  # max keeps the first of equals


def chat(messages: list[dict]) -> list[dict]:
    """The messages as sent to the model: consecutive user messages joined into one turn."""
    out: list[dict] = []
    for m in messages:
        if out and m["role"] == "user" and out[-1]["role"] == "user":
            out[-1] = {"role": "user", "content": out[-1]["content"] + "\n\n" + m["content"]}
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def assistant_text(attempt: Attempt, limit: int) -> str:
    """The reply as the assistant turn: whole when short, else its extracted code (or its head)."""
    if len(attempt.reply) <= limit:
        return attempt.reply
    code = method_text(attempt.outcome.code)
    if code and len(code) <= limit:
        return f"```java\n{code}\n```"
    return attempt.reply[:limit] + f"\n[... {len(attempt.reply) - limit} more characters cut]"


def feedback_message(outcome: Outcome, limit: int, style: "styles.Style | None" = None, bug: Bug | None = None) -> dict:
    """The user turn about a failed reply (in ``style``, default chat). Why extraction abstained (``prose``,
    ``no-match``) is repairchat's internal reason code, for transcripts and tables, not for the model."""
    if outcome.kind == "extract-failed":
        outcome = Outcome(outcome.kind, outcome.failures, outcome.code, outcome.seconds)
    return (style or styles.STYLES["chat"]).feedback_message(outcome, limit, bug)


def method_text(code: str | None) -> str | None:
    """A method as applied in the file (continuation lines carry the file's indent) back to plain text."""
    import textwrap
    if not code or "\n" not in code:
        return code
    first, rest = code.split("\n", 1)
    return first + "\n" + textwrap.dedent(rest)


class RepairSession:
    """One conversation about one bug. ``run()`` returns every attempt; ``state`` is the conversation so far."""

    def __init__(self, bug: Bug, model, validator: Validator, config: LoopConfig | None = None,
                 transcript=None, on_attempt: Callable[[Bug, Attempt], None] | None = None):
        self.bug, self.model, self.validator = bug, model, validator
        self.config = config or LoopConfig()
        self.style = styles.get(self.config.style)
        styles.check_model(model, self.style)
        self.transcript, self.on_attempt = transcript, on_attempt
        self.state = State()
        self.started = time.monotonic()
        self.result = ""  # how the session ended (the end event's result), once it has
        self.last_usage: dict = {}  # the last turn's model_s and, when reported, tokens and cost
        self.total_usage: dict = {}  # summed over the session's turns (interrupted ones too: they were paid)
        self._first: list[dict] | None = None  # the first prompt, built once

    # the conversation so far (views of ``state``)
    @property
    def messages(self) -> list[dict]:
        return self.state.messages

    @property
    def attempts(self) -> list[Attempt]:
        return self.state.attempts

    @property
    def round(self) -> int:
        return self.state.round

    def restore(self, state: State) -> None:
        self.state = state.copy()

    def start(self) -> None:
        """The first prompt (of every conversation: a restart sends the same one again)."""
        if self._first is None:
            failures: tuple = ()
            if self.config.show_original_failure and self.config.style == "chat":
                failures = self.validator.validate(self.bug,
                                                   Candidate(styles.method_context(self.bug)[0])).failures
            self._first = self.style.first_messages(self.bug, failures)
        for m in self._first:
            self.add(dict(m))

    def add(self, message: dict) -> None:
        self.state.messages.append(message)
        if self.transcript:
            self.transcript.message(message["role"], message["content"], self.round, self.state.conversation)

    def say(self, text: str) -> None:
        """A user message for the next turn (joined with any other pending user text when sent)."""
        self.add({"role": "user", "content": text})

    def run(self) -> list[Attempt]:
        """Turns until the loop ends; the end event is written here (and only here for a loop run)."""
        if not self.messages:
            self.start()
        try:
            while True:
                try:
                    self.step()
                except Exhausted:
                    if not self.restart():
                        raise
                except Plausible:
                    self.variants()
        except LoopEnd as end:
            self.end(end.result)
        except KeyboardInterrupt:
            self.end("interrupted")
            raise
        except Exception as e:
            self.end("error", f"{type(e).__name__}: {e}")
            raise
        return self.attempts

    def end(self, result: str, error: str = "") -> None:
        self.result = result
        if self.transcript:
            self.transcript.end(result, self.round, error)

    def tries_left(self) -> int | None:
        """Model samples left of ``tries`` (None: no such budget)."""
        if not self.config.tries:
            return None
        return self.config.tries - sum(1 for a in self.attempts if a.phase == "repair")

    def out_of_time(self) -> bool:
        return bool(self.config.bug_seconds and time.monotonic() - self.started >= self.config.bug_seconds)

    def restart(self) -> bool:
        """A new conversation from the first prompt while tries are left (False: the budget is spent)."""
        left, st = self.tries_left(), self.state
        if not left or left <= 0 or self.out_of_time() \
                or not any(a.conversation == st.conversation for a in self.attempts):  # a model with no replies
            return False
        st.conversation, st.round, st.start, st.code, st.outcome = st.conversation + 1, 0, len(st.messages), None, None
        self.start()
        return True

    def step(self) -> list[Attempt]:
        """One model turn: n replies, each validated; raises Plausible, Exhausted or OutOfBudget, else adds the
        reply that continues the chat and the feedback on it. Returns the turn's attempts."""
        left = self.tries_left()
        if self.round >= self.config.rounds or (left is not None and left <= 0):
            raise Exhausted()
        if self.out_of_time():
            raise OutOfBudget()
        before = self.state.copy()
        try:
            return self._turn(self.round + 1)
        except KeyboardInterrupt:
            self.state = before  # an interrupted turn uses up nothing (its replies stay in the transcript)
            raise

    def _ask(self, number: int, n: int, phase: str) -> list[Attempt]:
        """Turn ``number``: ``n`` replies, each validated and recorded; the chosen one becomes the assistant turn."""
        completion = ask(self.model, chat(self.messages[self.state.start:]), n)
        self.count_usage(completion)
        self.state.round = number
        turn: list[Attempt] = []
        for i, reply in enumerate(completion.texts[:n]):
            outcome = self.validator.validate(self.bug, self.style.candidate(reply))
            attempt = self.known(Attempt(number, i, reply, outcome, self.state.conversation, phase))
            turn.append(attempt)
            self.record(attempt, completion, first=i == 0)
            if self.out_of_time():
                break
        if not turn:
            raise Exhausted()
        chosen = continuation(turn)
        self.state.code = method_text(chosen.outcome.code) or self.state.code
        self.state.outcome = chosen.outcome
        self.add({"role": "assistant", "content": assistant_text(chosen, self.config.reply_chars)})
        return turn

    def _turn(self, number: int) -> list[Attempt]:
        left = self.tries_left()
        turn = self._ask(number, self.config.samples if left is None else min(self.config.samples, left), "repair")
        chosen = continuation(turn)
        if chosen.outcome.plausible:
            raise Plausible()
        if self.out_of_time():
            raise OutOfBudget()
        left = self.tries_left()
        if self.round >= self.config.rounds or (left is not None and left <= 0):
            raise Exhausted()
        self.add(feedback_message(chosen.outcome, self.config.feedback_chars, self.style, self.bug))
        return turn

    def known(self, attempt: Attempt) -> Attempt:
        """A plausible attempt, registered as a distinct patch or marked ``same_as`` the first equal one."""
        if not attempt.outcome.plausible or attempt.outcome.code is None:
            return attempt
        from extractors.java import normalize
        key = normalize(attempt.outcome.code)
        first = self.state.patches.setdefault(key, attempt)
        return attempt if first is attempt else replace(attempt, same_as=first.label)

    @property
    def patches(self) -> list[Attempt]:
        """The distinct plausible patches found so far, in order."""
        return list(self.state.patches.values())

    def variants(self) -> None:
        """The plausible-patch phase: ``variants`` more turns, each asking for a fix other than the plausible
        ones so far; every plausible reply is kept. Ends the session with Plausible (OutOfBudget on time)."""
        for _ in range(self.config.variants):
            if self.out_of_time():
                raise OutOfBudget()
            last = self.state.outcome
            feedback = feedback_message(last, self.config.feedback_chars, self.style, self.bug) \
                if last is not None and not last.plausible else None
            self.add(self.style.variants_message([method_text(a.outcome.code) or "" for a in self.patches], feedback))
            self._ask(self.round + 1, self.config.samples, "variant")
        raise Plausible()

    def feedback(self) -> None:
        """Answer a turn that ended the loop (out of rounds) with its feedback, so the chat can go on."""
        if self.messages and self.messages[-1]["role"] == "assistant" and self.state.outcome is not None \
                and not self.state.outcome.plausible:
            self.add(feedback_message(self.state.outcome, self.config.feedback_chars, self.style, self.bug))

    def count_usage(self, completion) -> None:
        self.last_usage = {"model_s": round(completion.seconds, 3),
                           **(completion.usage.to_dict() if completion.usage else {})}
        for k, v in self.last_usage.items():
            self.total_usage[k] = round(self.total_usage.get(k, 0) + v, 8)

    def record(self, attempt: Attempt, completion, first: bool) -> None:
        self.state.attempts.append(attempt)
        if self.transcript:
            from sessions.transcript import ReplyEvent
            self.transcript.reply(ReplyEvent(
                attempt.round, attempt.sample, attempt.reply, attempt.outcome.to_dict(), attempt.outcome.code,
                {"model_s": round(completion.seconds, 3) if first else 0.0,
                 "validate_s": round(attempt.outcome.seconds, 3)},
                completion.usage.to_dict() if first and completion.usage else {},
                attempt.conversation, attempt.phase, attempt.same_as))
        if self.on_attempt:
            self.on_attempt(self.bug, attempt)


def config_dict(config) -> dict:
    return asdict(config)


@lru_cache(maxsize=1)
def java_version() -> str:
    """``javac -version`` of the JDK that validates ("" when there is none)."""
    from agent.errors import UserError
    from agent.validation.javatools import java_env, run_process
    try:
        return run_process([java_env().javac, "-version"], timeout=30).output.strip()
    except (UserError, OSError):
        return ""


def versions() -> dict:
    """What produced a session: repairchat, Python and Java versions (the session event records them)."""
    import platform

    import agent
    return {"repairchat": agent.__version__, "python": platform.python_version(), "java": java_version()}


def open_transcript(directory, bug: Bug, model_spec: str, config: LoopConfig, validation=None):
    """A new transcript whose session event records the model, loop and validation settings and versions."""
    from sessions.transcript import Transcript
    return Transcript.create(directory, bug.to_dict(), model_spec, config_dict(config),
                             asdict(validation) if validation is not None else {}, versions())
