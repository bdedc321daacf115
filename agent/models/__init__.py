"""Model backends behind one small Protocol, registered explicitly and imported lazily.

Specs:
  hf:PATH[?adapter=DIR&4bit=1&max_new_tokens=256]   local transformers model (+ PEFT adapter, + 4-bit bitsandbytes)
  openai:MODEL@URL                                   any OpenAI-compatible server (vLLM, Ollama, transformers serve,
                                                     repairchat serve); key from OPENAI_API_KEY when set
  replay:TRANSCRIPT.jsonl                            the replies recorded in a transcript, in order
  demo                                               the tiny built-in demo model (trained once locally, cached)
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from agent.errors import UserError


class Model(Protocol):
    def complete(self, messages: list[dict], n: int = 1) -> list[str]: ...


@dataclass(frozen=True)
class Usage:
    """Tokens of one request as the server reports them; ``cost`` when it reports one or prices are given."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    def to_dict(self) -> dict:
        d: dict = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}
        if self.cost is not None:
            d["cost"] = round(self.cost, 8)
        return d

    @staticmethod
    def from_dict(d: dict | None) -> "Usage | None":
        if not d:
            return None
        cost = d.get("cost")
        return Usage(int(d.get("prompt_tokens") or 0), int(d.get("completion_tokens") or 0),
                     float(cost) if cost is not None else None)


@dataclass(frozen=True)
class Completion:
    texts: list[str]
    usage: Usage | None  # None: the backend does not report tokens
    seconds: float  # model latency (wall time of the request)


def ask(model, messages: list[dict], n: int = 1) -> Completion:
    """``n`` replies with the usage and latency; a backend with ``complete_usage`` reports its tokens."""
    t0 = time.monotonic()
    with_usage = getattr(model, "complete_usage", None)
    if with_usage is not None:
        texts, usage = with_usage(messages, n)
    else:
        texts, usage = model.complete(messages, n), None
    return Completion(list(texts), usage, time.monotonic() - t0)


# name -> "module:factory"; factory(rest_of_spec: str, options: dict[str, str]) -> Model
BACKENDS: dict[str, str] = {}


def register_backend(name: str, target: str) -> None:
    """Register a backend factory by import path, so heavy backends are imported only when used."""
    BACKENDS[name] = target


register_backend("hf", "agent.models.hf:from_spec")
register_backend("openai", "agent.models.openai:from_spec")
register_backend("replay", "agent.models.replay:from_spec")
register_backend("demo", "agent.demo:demo_model_from_spec")


def split_spec(spec: str) -> tuple[str, str, dict[str, str]]:
    name, _, rest = spec.partition(":")
    rest, _, query = rest.partition("?")
    return name, rest, dict(parse_qsl(query))


def load_model(spec: str) -> Model:
    name, rest, options = split_spec(spec)
    if name not in BACKENDS:
        raise UserError(f"unknown model backend {name!r} in {spec!r}; use one of: "
                        "hf:PATH, openai:MODEL@URL, replay:FILE, demo")
    module, _, factory = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), factory)(rest, options)
