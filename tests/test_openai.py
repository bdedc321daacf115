"""The OpenAI-compatible client against real HTTP servers on 127.0.0.1, and `repairchat run` through it."""

import json
import threading

import pytest

from agent.cli import main
from agent.errors import UserError
from agent.models import load_model
from agent.models.openai import OpenAIModel
from agent.models.serve import make_server


@pytest.fixture
def serve():
    servers = []

    def start(model, name="tiny"):
        server = make_server(model, name, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


class OneAtATime:
    """Like Ollama: ignores n and answers one choice per request."""

    def __init__(self):
        self.calls = 0

    def complete(self, messages, n=1):
        self.calls += 1
        return [f"reply {self.calls} to {messages[-1]['content']}"]


def test_client_round_trip_and_n(serve, scripted):
    model = scripted([["a", "b"]])
    url = serve(model)
    client = load_model(f"openai:tiny@{url}")
    assert isinstance(client, OpenAIModel)
    assert client.complete([{"role": "user", "content": "fix it"}], n=2) == ["a", "b"]
    assert model.seen == [[{"role": "user", "content": "fix it"}]]


def test_server_ignoring_n_is_asked_again(serve):
    backend = OneAtATime()
    client = OpenAIModel("tiny", serve(backend))
    assert client.complete([{"role": "user", "content": "x"}], n=3) == ["reply 1 to x", "reply 2 to x", "reply 3 to x"]


@pytest.mark.parametrize("spec, message", [
    ("openai:other@{url}", "HTTP 404"),
    ("openai:tiny@http://127.0.0.1:9/v1", "cannot reach the OpenAI-compatible server"),
    ("openai:tiny", "openai spec must look like"),
    ("nosuch:thing", "unknown model backend"),
])
def test_client_errors_are_one_line(serve, spec, message):
    url = serve(OneAtATime())
    with pytest.raises(UserError) as e:
        load_model(spec.format(url=url)).complete([{"role": "user", "content": "x"}])
    assert message in str(e.value) and "\n" not in str(e.value)


def test_cli_run_against_a_server(serve, scripted, sample_bugs, tmp_path, capsys):
    bug = sample_bugs["WrongReturn-1"]
    url = serve(scripted([["```java\n" + bug.fixed_method.replace("return", "retur n", 1) + "\n```"],
                          ["```java\n" + bug.fixed_method + "\n```"]]))
    out = tmp_path / "results.jsonl"
    rc = main(["run", "--ids", bug.id, "--model", f"openai:tiny@{url}", "--rounds", "3", "--out", str(out),
               "--sessions-dir", str(tmp_path / "s")])
    assert rc == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["outcome"] for r in rows if r.get("candidate")] == ["compile-error", "plausible"]
    text = capsys.readouterr().out
    assert "WrongReturn-1" in text and "plausible" in text
    assert len(list((tmp_path / "s").glob("*.jsonl"))) == 1
