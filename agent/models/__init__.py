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
from typing import Protocol
from urllib.parse import parse_qsl

from agent.errors import UserError


class Model(Protocol):
    def complete(self, messages: list[dict], n: int = 1) -> list[str]: ...


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
