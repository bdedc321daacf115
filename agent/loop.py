"""The repair loop: ask, extract, validate, feed the failure back; until plausible or out of rounds.

A tiny exception family ends the loop (mini-swe-agent style): ``Plausible`` and ``Exhausted``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from agent import styles
from agent.bugs import Bug
from agent.validation.validate import Candidate, Outcome, Validator


class LoopEnd(Exception):
    """Ends a repair session; ``result`` is what the transcript's end event records."""
    result = "ended"


class Plausible(LoopEnd):
    result = "plausible"


class Exhausted(LoopEnd):
    result = "exhausted"


@dataclass
class LoopConfig:
    rounds: int = field(default=3, metadata={"help": "model turns per bug (the first + feedback turns)"})
    samples: int = field(default=1, metadata={"help": "replies asked for in each turn"})
    style: str = field(default="chat", metadata={"help": "prompt style: chat (whole method) or fill (IR4xOR2 chunk)"})
    feedback_chars: int = field(default=1200, metadata={"help": "bound on the failure text sent back each turn"})
    show_original_failure: bool = field(default=True, metadata={"help": "validate the buggy method first and put "
                                                                        "its failure in the first prompt"})

    def __post_init__(self):
        if self.rounds < 1 or self.samples < 1:
            raise ValueError("rounds and samples must be at least 1")
        styles.get(self.style)


@dataclass(frozen=True)
class Attempt:
    round: int
    sample: int
    reply: str
    outcome: Outcome


class RepairSession:
    """One conversation about one bug. ``run()`` returns every attempt; ``messages`` is the chat so far."""

    def __init__(self, bug: Bug, model, validator: Validator, config: LoopConfig | None = None,
                 transcript=None, on_attempt=None):
        self.bug, self.model, self.validator = bug, model, validator
        self.config = config or LoopConfig()
        self.style = styles.get(self.config.style)
        styles.check_model(model, self.style)
        self.transcript, self.on_attempt = transcript, on_attempt
        self.messages: list[dict] = []
        self.attempts: list[Attempt] = []
        self.round = 0

    def start(self) -> None:
        failures = ()
        if self.config.show_original_failure and self.config.style == "chat":
            failures = self.validator.validate(self.bug, Candidate(styles.method_context(self.bug)[0])).failures
        for m in self.style.first_messages(self.bug, failures):
            self.add(m)

    def add(self, message: dict) -> None:
        self.messages.append(message)
        if self.transcript:
            self.transcript.log("message", round=self.round, **message)

    def run(self) -> list[Attempt]:
        if not self.messages:
            self.start()
        try:
            while True:
                self.step()
        except LoopEnd as end:
            if self.transcript:
                self.transcript.log("end", result=end.result, rounds=self.round)
        return self.attempts

    def step(self) -> None:
        """One model turn: n replies, each validated; raises Plausible or Exhausted, else adds the feedback."""
        if self.round >= self.config.rounds:
            raise Exhausted()
        self.round += 1
        t0 = time.monotonic()
        replies = self.model.complete(self.messages, self.config.samples)
        model_s = (time.monotonic() - t0) / max(1, len(replies))
        for i, reply in enumerate(replies):
            outcome = self.validator.validate(self.bug, self.style.candidate(reply))
            self.record(Attempt(self.round, i, reply, outcome), model_s)
        first = self.attempts[-len(replies)] if replies else None
        if any(a.outcome.plausible for a in self.attempts[-len(replies):]):
            raise Plausible()
        if first is None or self.round >= self.config.rounds:
            raise Exhausted()
        self.add({"role": "assistant", "content": first.reply})
        self.add(self.style.feedback_message(first.outcome, self.config.feedback_chars, self.bug))

    def record(self, attempt: Attempt, model_s: float = 0.0) -> None:
        self.attempts.append(attempt)
        if self.transcript:
            self.transcript.log("reply", round=attempt.round, sample=attempt.sample, raw=attempt.reply,
                                code=attempt.outcome.code, outcome=attempt.outcome.to_dict(),
                                timings={"model_s": round(model_s, 3), "validate_s": round(attempt.outcome.seconds, 3)})
        if self.on_attempt:
            self.on_attempt(self.bug, attempt)


def config_dict(config) -> dict:
    return asdict(config)
