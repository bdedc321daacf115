"""A minimal OpenAI-compatible chat server over any repairchat Model (``repairchat serve --model SPEC``).

Serves POST /v1/chat/completions and GET /v1/models on 127.0.0.1, one request at a time (the model is not
thread-safe). Enough for a local fine-tuned model to be used by remote batch workers or other tools.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                messages, n = req["messages"], int(req.get("n", 1) or 1)
            except (ValueError, KeyError, TypeError) as e:
                return self._send(400, {"error": {"message": f"bad request: {e}"}})
            if req.get("model") not in (None, name):
                return self._send(404, {"error": {"message": f"model {req.get('model')!r} not served; "
                                                             f"this server has {name!r}"}})
            with lock:
                replies = model.complete(messages, n)
            self._send(200, {"id": "chatcmpl-" + uuid.uuid4().hex[:12], "object": "chat.completion",
                             "created": int(time.time()), "model": name,
                             "choices": [{"index": i, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": r}}
                                         for i, r in enumerate(replies)]})

    return ThreadingHTTPServer((host, port), Handler)
