"""Replay backend: answers with the replies recorded in a transcript, round by round.

Any transcript becomes a deterministic model, so a recorded session is a golden test of the loop.
"""

from __future__ import annotations

from agent.errors import UserError
from sessions import transcript


class ReplayModel:
    def __init__(self, events: list[dict], source: str = "transcript"):
        rounds: dict[int, list[str]] = {}
        for e in events:
            if e["type"] == "reply":
                rounds.setdefault(int(e.get("round", 0)), []).append(e["raw"])
        self.rounds = [rounds[k] for k in sorted(rounds)]
        self.source = source
        self.calls = 0

    def complete(self, messages: list[dict], n: int = 1) -> list[str]:
        if self.calls >= len(self.rounds):
            raise UserError(f"{self.source} has no more recorded replies ({len(self.rounds)} rounds); "
                            "continue with a live model: --model SPEC")
        replies = self.rounds[self.calls]
        self.calls += 1
        return replies[:n]


def from_spec(rest: str, options: dict[str, str]) -> ReplayModel:
    return ReplayModel(transcript.read(rest), rest)
