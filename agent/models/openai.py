"""Client for any OpenAI-compatible chat server (vLLM, Ollama, transformers serve, repairchat serve)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from agent.errors import UserError
from agent.models import Usage


class OpenAIModel:
    thread_safe = True  # one stateless HTTP request per call: batch workers may call it at once

    def __init__(self, model: str, base_url: str, *, temperature: float = 0.0, max_tokens: int = 512,
                 timeout: float = 300.0, api_key: str | None = None, price_in: float | None = None,
                 price_out: float | None = None):
        self.model, self.base_url = model, base_url.rstrip("/")
        self.temperature, self.max_tokens, self.timeout = temperature, max_tokens, timeout
        self.price_in, self.price_out = price_in, price_out  # per million prompt / completion tokens
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")

    def _post(self, body: dict) -> dict:
        req = urllib.request.Request(self.base_url + "/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:200].replace("\n", " ")
            raise UserError(f"server {self.base_url} answered HTTP {e.code}: {detail}; check the model name "
                            f"{self.model!r} and the URL") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise UserError(f"cannot reach the OpenAI-compatible server at {self.base_url} ({reason}); start it "
                            "(vllm serve, ollama serve, repairchat serve) or fix the URL") from None
        except json.JSONDecodeError:
            raise UserError(f"server {self.base_url} did not answer JSON; is it OpenAI-compatible?") from None

    def complete(self, messages: list[dict], n: int = 1) -> list[str]:
        return self.complete_usage(messages, n)[0]

    def complete_usage(self, messages: list[dict], n: int = 1) -> tuple[list[str], Usage | None]:
        """``n`` replies and the tokens (and cost) the server reported for them, summed over requests; servers
        that ignore ``n`` (Ollama) are asked again until there are enough."""
        out: list[str] = []
        usages: list[Usage] = []
        while len(out) < n:
            data = self._post({"model": self.model, "messages": messages, "n": n - len(out),
                               "temperature": self.temperature, "max_tokens": self.max_tokens})
            try:
                got = [c["message"]["content"] or "" for c in data["choices"]]
            except (KeyError, TypeError):
                raise UserError(f"server {self.base_url} answered without choices[].message.content") from None
            if not got:
                raise UserError(f"server {self.base_url} answered no choices")
            out.extend(got)
            usage = self.usage(data.get("usage"))
            if usage is not None:
                usages.append(usage)
        if not usages:
            return out[:n], None
        costs = [u.cost for u in usages]
        cost = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
        return out[:n], Usage(sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages), cost)

    def usage(self, reported) -> Usage | None:
        """The server's ``usage`` object; cost as reported (``usage.cost``) or from the given prices."""
        if not isinstance(reported, dict):
            return None
        try:
            prompt, completion = int(reported.get("prompt_tokens") or 0), int(reported.get("completion_tokens") or 0)
            cost = float(reported["cost"]) if reported.get("cost") is not None else None
        except (TypeError, ValueError):
            return None
        if cost is None and self.price_in is not None and self.price_out is not None:
            cost = (prompt * self.price_in + completion * self.price_out) / 1e6
        return Usage(prompt, completion, cost)


def from_spec(rest: str, options: dict[str, str]) -> OpenAIModel:
    model, sep, url = rest.partition("@")
    if not sep or not model or not url.startswith(("http://", "https://")):
        raise UserError(f"openai spec must look like openai:MODEL@http://HOST:PORT/v1 (got openai:{rest})")
    known = {"temperature", "max_tokens", "timeout", "price_in", "price_out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UserError(f"unknown openai option(s) {', '.join(unknown)}; use: {', '.join(sorted(known))}")

    def number(name: str, default, cast, low: float):
        text = options.get(name)
        if text is None:
            return default
        try:
            value = cast(text)
        except ValueError:
            raise UserError(f"openai option {name}={text!r} must be a number (e.g. ?{name}={default or 1})") \
                from None
        if value < low:
            raise UserError(f"openai option {name}={text} must be at least {low:g}")
        return value
    return OpenAIModel(model, url, temperature=number("temperature", 0.0, float, 0),
                       max_tokens=number("max_tokens", 512, int, 1), timeout=number("timeout", 300.0, float, 1),
                       price_in=number("price_in", None, float, 0), price_out=number("price_out", None, float, 0))
