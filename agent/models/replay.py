"""Replay backend: answers with the replies recorded in a transcript, round by round.

Any transcript becomes a deterministic model, so a recorded session is a golden test of the loop.
"""

from __future__ import annotations

from agent.errors import UserError
from agent.models import Usage
from sessions import transcript


class ReplayModel:
    def __init__(self, events: list[dict], source: str = "transcript"):
        self.rounds: list[list[str]] = []  # the replies of each recorded model turn, in order
        self.usage: list[Usage | None] = []
        prev: dict | None = None
        for e in events:
            if e["type"] == "reply":
                if prev is None or prev["type"] != "reply" or prev["round"] != e["round"] \
                        or prev.get("conversation", 1) != e.get("conversation", 1):
                    self.rounds.append([])
                    self.usage.append(Usage.from_dict(e.get("usage")))
                self.rounds[-1].append(e["raw"])
            prev = e
        self.source = source
        self.calls = 0

    def complete(self, messages: list[dict], n: int = 1) -> list[str]:
        return self.complete_usage(messages, n)[0]

    def complete_usage(self, messages: list[dict], n: int = 1) -> tuple[list[str], Usage | None]:
        """The next recorded turn's replies, with the usage recorded for it."""
        if self.calls >= len(self.rounds):
            raise UserError(f"{self.source} has no more recorded replies ({len(self.rounds)} rounds); "
                            "continue with a live model: --model SPEC")
        replies, usage = self.rounds[self.calls], self.usage[self.calls]
        self.calls += 1
        return replies[:n], usage


def from_spec(rest: str, options: dict[str, str]) -> ReplayModel:
    return ReplayModel(transcript.read(rest), rest)
