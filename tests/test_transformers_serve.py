"""The OpenAI-compatible backend against a real `transformers serve` (FastAPI + uvicorn) on 127.0.0.1, serving
the tiny local demo model: the whole loop, including the compile-error feedback turn, over real HTTP."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agent.cli import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    from agent.demo import ensure_demo_model
    model = ensure_demo_model()
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which("transformers")
    assert exe, "the transformers CLI is installed with the test extra"
    port = free_port()
    log = open(Path(os.environ["REPAIRCHAT_CACHE"]) / "transformers-serve.log", "w")
    proc = subprocess.Popen([exe, "serve", str(model), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()[-2000:]
                time.sleep(0.5)
        yield model, f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def test_loop_against_transformers_serve(served, tmp_path):
    model, url = served
    out = tmp_path / "results.jsonl"
    rc = main(["run", "--ids", "WrongOperator-1", "OffByOne-1", "--model", f"openai:{model}@{url}?max_tokens=400",
               "--out", str(out), "--sessions-dir", str(tmp_path / "s"), "--rounds", "3"])
    assert rc == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    outcomes = {b: [r["outcome"] for r in rows if r.get("bug") == b and "outcome" in r]
                for b in ("WrongOperator-1", "OffByOne-1")}
    assert outcomes == {"WrongOperator-1": ["compile-error", "plausible"], "OffByOne-1": ["plausible"]}
    # transformers serve reports the tokens of each request: they reach the transcripts and the results
    replies = [json.loads(x) for p in (tmp_path / "s").glob("*.jsonl") for x in p.read_text().splitlines()
               if '"type": "reply"' in x]
    assert len(replies) == 3 and all(r["usage"]["prompt_tokens"] > 100 and r["usage"]["completion_tokens"] > 10
                                     for r in replies)
    done = [r for r in rows if r.get("done")]
    assert all(d["usage"]["prompt_tokens"] > 100 and d["usage"]["model_s"] > 0 for d in done)
