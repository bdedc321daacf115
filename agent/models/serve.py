"""A minimal OpenAI-compatible chat server over any repairchat Model (``repairchat serve --model SPEC``).

Serves POST /v1/chat/completions and GET /v1/models on 127.0.0.1, one request at a time (the model is not
thread-safe). Enough for a local fine-tuned model to be used by remote batch workers or other tools. A malformed
request gets a 400 with the reason, a failing model a 500; ``temperature`` and ``max_tokens`` apply to that
request; ``usage`` is reported when the backend knows its tokens.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agent.errors import UserError
from agent.models import ask


class BadRequest(Exception):
    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ChatRequest:
    messages: list
    n: int = 1
    temperature: float | None = None
    max_tokens: int | None = None


def parse_request(body: bytes, name: str) -> ChatRequest:
    """A chat completion request, checked field by field (``BadRequest`` says what is wrong)."""
    try:
        req = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest(f"the body is not JSON ({e})") from None
    if not isinstance(req, dict):
        raise BadRequest("the body must be a JSON object")
    if req.get("model") not in (None, name):
        raise BadRequest(f"model {req.get('model')!r} not served; this server has {name!r}", 404)
    messages = req.get("messages")
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in messages):
        raise BadRequest("messages must be a non-empty list of {role, content} objects with string values")

    def number(key: str, cast, low: float, high: float):
        value = req.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (cast is int and value != int(value)):
            raise BadRequest(f"{key} must be a number")
        if not low <= value <= high:
            raise BadRequest(f"{key} must be between {low:g} and {high:g}")
        return cast(value)
    return ChatRequest([{"role": m["role"], "content": m["content"]} for m in messages],
                       number("n", int, 1, 64) or 1, number("temperature", float, 0, 2),
                       number("max_tokens", int, 1, 1_000_000))


@contextmanager
def generation(model, temperature: float | None, max_tokens: int | None):
    """The request's ``temperature`` and ``max_tokens`` for one call, on a backend that has such settings
    (``temperature``, ``max_new_tokens`` or ``max_tokens`` attributes: hf, openai); restored afterwards."""
    saved = {}
    for attr, value in (("temperature", temperature), ("max_new_tokens", max_tokens), ("max_tokens", max_tokens)):
        if value is not None and hasattr(model, attr):
            saved[attr] = getattr(model, attr)
            setattr(model, attr, value)
    try:
        yield
    finally:
        for attr, value in saved.items():
            setattr(model, attr, value)


def make_server(model, name: str, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, code: int, obj: dict) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                return self._send(200, {"object": "list", "data": [{"id": name, "object": "model"}]})
            self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            try:
                req = parse_request(self.rfile.read(int(self.headers.get("Content-Length") or 0)), name)
            except BadRequest as e:
                return self._send(e.code, {"error": {"message": str(e), "type": "invalid_request_error"}})
            except ValueError:
                return self._send(400, {"error": {"message": "bad Content-Length", "type": "invalid_request_error"}})
            try:
                with lock, generation(model, req.temperature, req.max_tokens):
                    completion = ask(model, req.messages, req.n)
            except UserError as e:
                return self._send(400, {"error": {"message": str(e), "type": "invalid_request_error"}})
            except Exception as e:  # the model failed: answer 500 rather than dropping the connection
                return self._send(500, {"error": {"message": f"{type(e).__name__}: {e}"[:300],
                                                  "type": "server_error"}})
            usage = completion.usage
            self._send(200, {"id": "chatcmpl-" + uuid.uuid4().hex[:12], "object": "chat.completion",
                             "created": int(time.time()), "model": name,
                             "choices": [{"index": i, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": r}}
                                         for i, r in enumerate(completion.texts)],
                             **({"usage": {**usage.to_dict(),
                                           "total_tokens": usage.prompt_tokens + usage.completion_tokens}}
                                if usage else {})})

    return ThreadingHTTPServer((host, port), Handler)
