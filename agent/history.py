"""Conversation state from a transcript, shared by the REPL and ``replay --continue``: undo/redo and rebuild.

The REPL logs one ``action`` event per command *before* it changes anything; actions named in ``CHECKPOINTS``
snapshot the state first, so ``/undo`` and ``/redo`` can be replayed from the transcript alone: ``rebuild``
walks the events with the same ``History`` and the loop's own rule for which reply continues the chat
(``agent.loop.continuation``), and ends in the state the REPL (or the loop) was in. A turn cut short (replies
recorded, but no assistant message after them: Ctrl-C, ``kill -9``) is rolled back, as the loop does.
"""

from __future__ import annotations

from dataclasses import fields

from agent.errors import UserError
from agent.loop import Attempt, LoopConfig, State, continuation, method_text
from agent.validation.validate import Outcome

CHECKPOINTS = ("run", "say", "apply")  # actions that change code or chat (undoable)

__all__ = ["CHECKPOINTS", "History", "State", "rebuild", "loop_config", "method_text"]


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

    def rollback(self) -> State | None:
        """The last checkpoint, dropped (an interrupted command never happened)."""
        return self.undos.pop() if self.undos else None


def rebuild(events: list[dict], where: str = "transcript") -> tuple[State, History]:
    """The state at the end of a transcript (messages, attempts, round, code), honouring undo/redo actions."""
    state, history = State(), History()
    turn: list[Attempt] = []
    turn_start: State | None = None  # the state before the current turn's replies, while it is incomplete
    for n, e in enumerate(events[1:], 2):
        try:
            kind = e["type"]
            if kind == "message":
                conversation = int(e.get("conversation", 1))
                if conversation != state.conversation:  # a restarted conversation (--tries) begins here
                    state.conversation, state.start, state.round = conversation, len(state.messages), 0
                    state.code = state.outcome = None
                state.messages.append({"role": e["role"], "content": e["content"]})
                if e["role"] == "assistant":
                    turn_start = None
            elif kind == "reply":
                attempt = Attempt(int(e["round"]), int(e["sample"]), e["raw"], Outcome.from_dict(e["outcome"]),
                                  int(e.get("conversation", 1)), str(e.get("phase", "repair")),
                                  str(e.get("same_as", "")))
                if attempt.outcome.plausible and attempt.outcome.code is not None and not attempt.same_as:
                    from extractors.java import normalize
                    state.patches.setdefault(normalize(attempt.outcome.code), attempt)
                if turn_start is None or attempt.round != state.round:
                    turn_start, turn = state.copy(), []
                turn.append(attempt)
                state.attempts.append(attempt)
                state.round = attempt.round
                chosen = continuation(turn)
                state.code = method_text(chosen.outcome.code) or turn_start.code
                state.outcome = chosen.outcome
            elif kind == "action":
                if turn_start is not None:  # a turn cut short before this command: the loop rolled it back
                    state, turn_start = turn_start, None
                name = e["name"]
                if name in CHECKPOINTS:
                    history.checkpoint(state)
                if name == "apply":
                    state.code, state.outcome = e["code"], None
                elif name == "test" and e.get("outcome"):
                    state.outcome = Outcome.from_dict(e["outcome"])
                elif name in ("undo", "redo"):
                    state = (history.undo if name == "undo" else history.redo)(state) or state
                elif name == "interrupted" and e.get("rolled_back"):
                    state = history.rollback() or state
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"{where}: event {n} is malformed ({type(err).__name__}: {err})") from None
    if turn_start is not None:
        state = turn_start
    return state, history


def loop_config(events: list[dict], **overrides) -> LoopConfig:
    """The LoopConfig recorded in the session event (unknown keys ignored), with ``overrides``."""
    recorded = events[0].get("loop") or {}
    known = {f.name for f in fields(LoopConfig)}
    try:
        return LoopConfig(**{**{k: v for k, v in recorded.items() if k in known}, **overrides})
    except (TypeError, ValueError) as e:
        raise UserError(f"recorded loop config is invalid ({e})") from None
