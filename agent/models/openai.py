"""Client for any OpenAI-compatible chat server (vLLM, Ollama, transformers serve, repairchat serve)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from agent.errors import UserError


class OpenAIModel:
    thread_safe = True  # one stateless HTTP request per call: batch workers may call it at once

    def __init__(self, model: str, base_url: str, *, temperature: float = 0.0, max_tokens: int = 512,
                 timeout: float = 300.0, api_key: str | None = None):
        self.model, self.base_url = model, base_url.rstrip("/")
        self.temperature, self.max_tokens, self.timeout = temperature, max_tokens, timeout
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
        """``n`` replies; servers that ignore ``n`` (Ollama) are asked again until there are enough."""
        out: list[str] = []
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
        return out[:n]


def from_spec(rest: str, options: dict[str, str]) -> OpenAIModel:
    model, sep, url = rest.partition("@")
    if not sep or not model or not url.startswith(("http://", "https://")):
        raise UserError(f"openai spec must look like openai:MODEL@http://HOST:PORT/v1 (got openai:{rest})")
    return OpenAIModel(model, url, temperature=float(options.get("temperature", 0.0)),
                       max_tokens=int(options.get("max_tokens", 512)))
