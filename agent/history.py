"""Conversation state shared by the REPL and ``replay --continue``: snapshots, undo/redo, rebuild from a transcript.

The REPL logs one ``action`` event per command *before* it changes anything; actions named in ``CHECKPOINTS``
snapshot the state first, so ``/undo`` and ``/redo`` can be replayed from the transcript alone: ``rebuild``
walks the events with the same ``History`` and ends in the state the REPL was in.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, fields

from agent.errors import UserError
from agent.loop import Attempt, LoopConfig
from agent.validation.validate import Outcome

CHECKPOINTS = ("run", "say", "apply")  # actions that change code or chat (undoable)


def method_text(code: str | None) -> str | None:
    """A method as applied in the file (continuation lines carry the file's indent) back to plain text."""
    if not code or "\n" not in code:
        return code
    first, rest = code.split("\n", 1)
    return first + "\n" + textwrap.dedent(rest)


@dataclass
class State:
    messages: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    round: int = 0
    code: str | None = None  # the current method (None: the buggy one)
    outcome: Outcome | None = None  # the last validation of ``code``
    pending: bool = False  # the last round's replies are not yet answered in ``messages`` (loop ended there)

    def copy(self) -> "State":
        return State(list(self.messages), list(self.attempts), self.round, self.code, self.outcome, self.pending)


class History:
    """Undo/redo stacks of States."""

    def __init__(self):
        self.undos: list[State] = []
        self.redos: list[State] = []

    def checkpoint(self, state: State) -> None:
        self.undos.append(state.copy())
        self.redos.clear()

    def undo(self, current: State) -> State | None:
        if not self.undos:
            return None
        self.redos.append(current.copy())
        return self.undos.pop()

    def redo(self, current: State) -> State | None:
        if not self.redos:
            return None
        self.undos.append(current.copy())
        return self.redos.pop()


def rebuild(events: list[dict], where: str = "transcript") -> tuple[State, History]:
    """The state at the end of a transcript (messages, attempts, round, code), honouring undo/redo actions."""
    state, history = State(), History()
    prev = None
    for n, e in enumerate(events[1:], 2):
        try:
            kind = e["type"]
            if kind == "message":
                state.messages.append({"role": e["role"], "content": e["content"]})
                state.pending = False
            elif kind == "reply":
                outcome = Outcome.from_dict(e["outcome"])
                state.attempts.append(Attempt(int(e["round"]), int(e.get("sample", 0)), e["raw"], outcome))
                state.round = max(state.round, int(e["round"]))
                first = prev != "reply"  # one model turn's replies are consecutive events
                best = state.outcome is not None and state.outcome.plausible
                if first or (outcome.plausible and not best):  # the REPL keeps the turn's first plausible reply
                    state.code, state.outcome = method_text(outcome.code) or state.code, outcome
                state.pending = True
            elif kind == "action":
                name = e["name"]
                if name in CHECKPOINTS:
                    history.checkpoint(state)
                if name == "apply":
                    state.code, state.outcome = e["code"], None
                elif name == "test" and e.get("outcome"):
                    state.outcome = Outcome.from_dict(e["outcome"])
                elif name in ("undo", "redo"):
                    state = (history.undo if name == "undo" else history.redo)(state) or state
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"{where}: event {n} is malformed ({type(err).__name__}: {err})") from None
        prev = e.get("type")
    return state, history


def loop_config(events: list[dict], **overrides) -> LoopConfig:
    """The LoopConfig recorded in the session event (unknown keys ignored), with ``overrides``."""
    recorded = events[0].get("config") or {}
    known = {f.name for f in fields(LoopConfig)}
    try:
        return LoopConfig(**{**{k: v for k, v in recorded.items() if k in known}, **overrides})
    except (TypeError, ValueError) as e:
        raise UserError(f"recorded loop config is invalid ({e})") from None
