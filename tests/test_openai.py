"""The OpenAI-compatible client against real HTTP servers on 127.0.0.1, and `repairchat run` through it."""

import json
import threading

import pytest

from agent.cli import main
from agent.errors import UserError
from agent.models import Usage, load_model
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


def post(url, body: bytes):
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url + "/chat/completions", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Failing:
    def complete(self, messages, n=1):
        raise RuntimeError("CUDA out of memory")


@pytest.mark.parametrize("body, code, message", [
    (b"not json", 400, "not JSON"),
    (b"\xff\xfe", 400, "not JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b'{"messages": "fix it"}', 400, "messages must be"),
    (b'{"messages": [{"role": "user"}]}', 400, "messages must be"),
    (b'{"messages": [{"role": "user", "content": "x"}], "n": "abc"}', 400, "n must be a number"),
    (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', 400, "max_tokens must be between"),
    (b'{"messages": [{"role": "user", "content": "x"}], "temperature": -1}', 400, "temperature must be between"),
    (b'{"model": "other", "messages": [{"role": "user", "content": "x"}]}', 404, "not served"),
])
def test_serve_answers_malformed_requests_with_an_error(serve, body, code, message):
    url = serve(OneAtATime())
    status, answer = post(url, body)
    assert status == code and message in answer["error"]["message"]


def test_serve_reports_a_failing_model_as_500(serve):
    status, answer = post(serve(Failing()), b'{"messages": [{"role": "user", "content": "x"}]}')
    assert status == 500 and "CUDA out of memory" in answer["error"]["message"]


def test_serve_applies_temperature_and_max_tokens_to_a_real_model(serve):
    from finetune.testing import tiny_base
    hf = load_model(f"hf:{tiny_base()}?max_new_tokens=24")
    url = serve(hf)
    messages = [{"role": "user", "content": "public int f() {\n    return 1 - 1;\n}"}]
    long, = OpenAIModel("tiny", url, max_tokens=24).complete(messages)
    short, = OpenAIModel("tiny", url, max_tokens=2).complete(messages)
    # greedy: the 2-token answer is the start of the 24-token one (a cut multi-byte character aside)
    assert len(short) < len(long) and long.startswith(short.rstrip("\ufffd"))
    sampled = OpenAIModel("tiny", url, temperature=1.5, max_tokens=24).complete(messages, n=4)
    assert len(set(sampled)) > 1  # sampling at temperature 1.5 (greedy gives one answer four times)
    assert (hf.temperature, hf.max_new_tokens) == (0.0, 24)  # the request's settings were for that request only


class Priced:
    """A backend that knows its tokens (as vLLM reports them)."""

    def complete_usage(self, messages, n=1):
        return ["```java\nint f() { return 0; }\n```"] * n, Usage(120, 30)

    def complete(self, messages, n=1):
        return self.complete_usage(messages, n)[0]


def test_usage_and_cost_reach_the_transcript_and_the_summary(serve, sample_bugs, tmp_path, capsys):
    url = serve(Priced())
    client = load_model(f"openai:tiny@{url}?price_in=2&price_out=10")
    texts, usage = client.complete_usage([{"role": "user", "content": "x"}], n=2)
    assert len(texts) == 2 and usage == Usage(120, 30, (120 * 2 + 30 * 10) / 1e6)
    out = tmp_path / "results.jsonl"
    rc = main(["run", "--ids", "WrongReturn-1", "--model", f"openai:tiny@{url}?price_in=2&price_out=10",
               "--rounds", "2", "--no-show-original-failure", "--out", str(out), "--sessions-dir", str(tmp_path / "s")])
    assert rc == 0
    [path] = (tmp_path / "s").glob("*.jsonl")
    replies = [json.loads(x) for x in path.read_text().splitlines() if '"type": "reply"' in x]
    assert [r["usage"] for r in replies] == [{"prompt_tokens": 120, "completion_tokens": 30, "cost": 0.00054}] * 2
    assert all(r["timings"]["model_s"] > 0 for r in replies)
    done = [json.loads(x) for x in out.read_text().splitlines() if '"done": true' in x]
    assert done[0]["usage"]["prompt_tokens"] == 240 and done[0]["usage"]["cost"] == pytest.approx(0.00108)
    text = " ".join(capsys.readouterr().out.split())
    assert "240+60 tokens, $0.0011" in text


@pytest.mark.parametrize("spec, message", [
    ("openai:tiny@http://127.0.0.1:9/v1?max_tokens=abc", "max_tokens='abc' must be a number"),
    ("openai:tiny@http://127.0.0.1:9/v1?temperature=-1", "temperature=-1 must be at least 0"),
    ("openai:tiny@http://127.0.0.1:9/v1?top_k=3", "unknown openai option(s) top_k"),
])
def test_bad_openai_options_are_one_line(spec, message):
    with pytest.raises(UserError) as e:
        load_model(spec)
    assert message in str(e.value) and "\n" not in str(e.value)
