"""Batch runs over the real sample bugs with real javac/JUnit: parallel workers, shards + merge, resume after
SIGKILL (a real subprocess against a real OpenAI-compatible server), the validation cache, budgets, CSV/PNG."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.batch import BatchConfig, finished, read_rows, run_bugs
from agent.cli import main
from agent.loop import LoopConfig
from agent.validation.validate import FreshValidator

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
PAIR = ["WrongOperator-1", "OffByOne-1"]
EXPECTED = {"WrongOperator-1": ["compile-error", "plausible"],
            "OffByOne-1": ["test-failure", "test-failure", "plausible"],
            "NullCheck-1": ["plausible"]}


def fenced(code):
    return f"Here is the fixed method:\n```java\n{code}\n```"


def scripts(bugs):
    """Per bug, the reply for each turn. OffByOne-1's second reply is its first with other whitespace."""
    from agent.styles import method_context
    out = {}
    for bug_id, bug in bugs.items():
        fixed = bug.fixed_method
        if bug_id == "WrongOperator-1":
            i = fixed.rfind(";")
            out[bug_id] = [fenced(fixed[:i] + fixed[i + 1:]), fenced(fixed)]
        elif bug_id == "OffByOne-1":
            buggy = method_context(bug)[0]
            out[bug_id] = [fenced(buggy), fenced(buggy.replace("(", "(  ").replace("\n", "\n\n")), fenced(fixed)]
        else:
            out[bug_id] = [fenced(fixed)]
    return out


class Oracle:
    """A deterministic model: answers by bug (named in the first prompt) and turn, whatever the call order."""
    thread_safe = True

    def __init__(self, bugs, delay=0.0):
        self.bugs, self.script, self.delay = bugs, scripts(bugs), delay

    def complete(self, messages, n=1):
        time.sleep(self.delay)
        first = next(m["content"] for m in messages if m["role"] == "user")
        bug = next(b for b in self.bugs.values() if f"`{b.location.method}` from `{b.location.file}`" in first)
        turn = sum(m["role"] == "assistant" for m in messages)
        replies = self.script[bug.id]
        return [replies[min(turn, len(replies) - 1)]] * n


def serve(port_file, delay):
    """Run in a subprocess: the oracle behind repairchat's own OpenAI-compatible server."""
    from agent.bugs import SAMPLES, load_manifest
    from agent.models.serve import make_server
    server = make_server(Oracle({b.id: b for b in load_manifest(SAMPLES)}, delay), "oracle", "127.0.0.1", 0)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


class Counting:
    """A real (warm) validator that counts the candidates it really validated."""

    def __init__(self, calls):
        from agent.validation.warm import WarmValidator
        self.inner, self.calls = WarmValidator(), calls

    def validate(self, bug, candidate):
        self.calls.append((bug.id, threading.get_ident()))
        return self.inner.validate(bug, candidate)

    def close(self):
        self.inner.close()


def outcomes(path):
    done, rows = finished(read_rows(path))
    return {b: [r["outcome"] for r in rows if r["bug"] == b] for b in done}, done, rows


def key(rows):
    return sorted((r["bug"], r["candidate"], r["outcome"], r["cached"]) for r in rows)


CONFIG = LoopConfig(rounds=3, show_original_failure=False)


def run(bugs, out, tmp_path, **batch):
    calls = []
    result = run_bugs([bugs[i] for i in PAIR], Oracle(bugs), "oracle", lambda: Counting(calls), CONFIG,
                      sessions_dir=tmp_path / "sessions", results=out, batch=BatchConfig(**batch))
    return result.per_bug, calls


def test_jobs_shards_merge_cache_and_reports(sample_bugs, tmp_path, capsys):
    full = tmp_path / "full.jsonl"
    per_bug, calls = run(sample_bugs, full, tmp_path, jobs=1)
    got, done, rows = outcomes(full)
    assert got == {b: EXPECTED[b] for b in PAIR}
    assert {b: sum(c.values()) for b, c in per_bug.items()} == {b: len(EXPECTED[b]) for b in PAIR}
    # OffByOne-1's second reply has the same tokens as its first: not validated again, the outcome reused
    cached = [(r["bug"], r["candidate"]) for r in rows if r["cached"]]
    assert cached == [("OffByOne-1", "r2s0")]
    assert [r["seconds"] for r in rows if r["cached"]] == [0.0]
    assert len(calls) == 4  # 5 candidates, 1 cache hit
    assert len(full.with_suffix(".cache.jsonl").read_text().splitlines()) == 4
    assert {b: d["result"] for b, d in done.items()} == {"WrongOperator-1": "plausible", "OffByOne-1": "plausible"}

    csv_lines = full.with_suffix(".csv").read_text().splitlines()
    assert csv_lines[0].startswith("bug,candidate,round,sample,outcome") and len(csv_lines) == 1 + 5
    assert "OffByOne-1,r2s0,2,0,test-failure,0.0,True" in "\n".join(csv_lines)
    png = full.with_suffix(".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000

    # two workers: same outcomes, each worker with its own validator (thread)
    par = tmp_path / "par.jsonl"
    _, calls2 = run(sample_bugs, par, tmp_path, jobs=2)
    assert key(outcomes(par)[2]) == key(rows)
    assert len(calls2) == 4 and len({t for _, t in calls2}) == 2

    # shard 1/2 + shard 2/2, then `repairchat merge`, equals the full run
    s1, s2, merged = tmp_path / "s1.jsonl", tmp_path / "s2.jsonl", tmp_path / "merged.jsonl"
    run(sample_bugs, s1, tmp_path, shard="1/2")
    run(sample_bugs, s2, tmp_path, shard="2/2")
    assert set(outcomes(s1)[0]) | set(outcomes(s2)[0]) == set(PAIR)
    assert not set(outcomes(s1)[0]) & set(outcomes(s2)[0])
    capsys.readouterr()
    assert main(["merge", str(s1), str(s2), "--out", str(merged)]) == 0
    assert key(outcomes(merged)[2]) == key(rows)
    text = " ".join(capsys.readouterr().out.split())
    # columns: fixed, plausible, test failure, compile error, timeout
    assert "WrongOperator-1 yes 1 0 1 0" in text and "OffByOne-1 yes 1 2 0 0" in text
    assert "total (2 bugs) 2/2 2 2 1 0" in text
    assert merged.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"

    # a resumed run must not mix models: the kept rows were made by "oracle"
    from agent.errors import UserError
    with pytest.raises(UserError, match="--fresh"):
        run_bugs([sample_bugs["OffByOne-1"]], Oracle(sample_bugs), "other-model", FreshValidator, CONFIG,
                 results=full)
    # and running it again with the same model does nothing: every bug is done
    per_bug, calls = run(sample_bugs, full, tmp_path, jobs=1)
    assert calls == [] and {b: sum(c.values()) for b, c in per_bug.items()} == {"WrongOperator-1": 2,
                                                                                 "OffByOne-1": 3}


def repairchat(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "agent.cli", *args], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


@pytest.fixture
def oracle_server(tmp_path):
    port_file = tmp_path / "port"
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_batch; test_batch.serve({str(port_file)!r}, 0.4)"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True,
                            stderr=subprocess.DEVNULL)  # (the killed client's broken pipe)
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        yield f"openai:oracle@http://127.0.0.1:{port_file.read_text()}/v1"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_resume_after_sigkill_loses_and_duplicates_nothing(tmp_path, oracle_server):
    ids = ["WrongOperator-1", "OffByOne-1", "NullCheck-1"]
    out = tmp_path / "results.jsonl"
    args = ["run", "--ids", *ids, "--model", oracle_server, "--rounds", "3", "--no-show-original-failure",
            "--validator", "warm",
            "--out", str(out), "--sessions-dir", str(tmp_path / "sessions")]
    proc = repairchat(*args)
    partial = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        rows = [json.loads(x) for x in out.read_text().splitlines() if x.endswith("}")] if out.exists() else []
        done = {r["bug"] for r in rows if r.get("done")}
        started = [r for r in rows if "candidate" in r and r["bug"] not in done]
        if done and started:  # one bug finished, the next one cut mid-way
            os.killpg(proc.pid, signal.SIGKILL)
            partial = (done, started)
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert partial is not None, proc.stdout.read()
    assert proc.returncode == -signal.SIGKILL
    first_done = {json.loads(x)["bug"]: json.loads(x)["session"] for x in out.read_text().splitlines()
                  if '"done": true' in x}

    again = repairchat(*args)
    log, _ = again.communicate(timeout=180)
    assert again.returncode == 0, log
    log = " ".join(log.split())  # rich wraps lines at 80 columns when not on a terminal
    assert f"{len(first_done)} bug(s) already done" in log

    rows = read_rows(out)
    done_rows = [r for r in rows if r.get("done")]
    assert sorted(r["bug"] for r in done_rows) == sorted(ids)  # nothing lost, nothing twice
    cands = [r for r in rows if not r.get("done")]
    assert len({(r["bug"], r["candidate"]) for r in cands}) == len(cands)  # no duplicate candidate row
    sessions = {r["bug"]: r["session"] for r in done_rows}
    assert all(r["session"] == sessions[r["bug"]] for r in cands)  # the cut session's rows were dropped
    assert {b: sessions[b] for b in first_done} == first_done  # finished bugs were not run again
    assert {b: [r["outcome"] for r in cands if r["bug"] == b] for b in ids} == {b: EXPECTED[b] for b in ids}
    assert "Outcomes per bug" in log and "total (3 bugs)" in log and "3/3" in log


def test_tries_budget_and_bad_options(sample_bugs, tmp_path, capsys):
    from sessions.transcript import Transcript
    bug = sample_bugs["WrongOperator-1"]
    with Transcript.create(tmp_path, bug.to_dict(), "x", {}) as tr:
        for r in (1, 2):
            tr.log("reply", round=r, sample=0, raw=scripts({bug.id: bug})[bug.id][0], outcome={"kind": "x"})
        transcript = tr.path
    out = tmp_path / "b.jsonl"
    assert main(["run", "--ids", bug.id, "--model", f"replay:{transcript}", "--tries", "1", "--rounds", "3",
                 "--no-show-original-failure", "--out", str(out), "--sessions-dir", str(tmp_path / "s")]) == 0
    rows = read_rows(out)
    assert [r["outcome"] for r in rows if not r.get("done")] == ["compile-error"]
    assert [(r["result"], r["tries"]) for r in rows if r.get("done")] == [("exhausted", 1)]
    capsys.readouterr()
    for argv, message in ((["run", "--model", "x", "--shard", "3/2"], "--shard '3/2': need 1 <= I <= N"),
                          (["run", "--model", "x", "--jobs", "0"], "jobs must be at least 1"),
                          (["merge", str(tmp_path / "none.jsonl"), "--out", str(out)], "not found"),
                          (["merge", str(out), "--out", str(out)], "is one of the inputs")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("repairchat: error: ") and message in err and err.count("\n") == 1, err


def wait_rows(out, proc, ready, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        rows = [json.loads(x) for x in out.read_text().splitlines() if x.endswith("}")] if out.exists() else []
        if ready(rows):
            return rows
        time.sleep(0.02)
    raise AssertionError(f"rows never ready: {proc.stdout.read() if proc.poll() is not None else 'running'}")


def test_interrupt_and_sigterm_stop_workers_keep_reports_and_clean_scratch(tmp_path, oracle_server):
    ids = ["WrongOperator-1", "OffByOne-1", "NullCheck-1", "WrongReturn-1", "WrongVariable-1", "MissingBreak-1"]
    out, scratch = tmp_path / "results.jsonl", tmp_path / "scratch"
    stale = scratch / "repairchat-run-999999999-dead"  # left by a run that was killed with -9
    (stale / "repairchat-x").mkdir(parents=True)
    args = ["run", "--ids", *ids, "--model", oracle_server, "--rounds", "3", "--no-show-original-failure",
            "--jobs", "2", "--out", str(out), "--sessions-dir", str(tmp_path / "sessions")]
    env = {**os.environ, "REPAIRCHAT_SCRATCH": str(scratch), "COLUMNS": "200"}
    proc = repairchat(*args, env=env)
    wait_rows(out, proc, lambda rows: any(r.get("done") for r in rows))
    assert not stale.exists()  # removed when the run started: its process is gone
    assert len(list(scratch.glob("repairchat-run-*"))) == 1
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    log, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - t0 < 20, log
    done = {r["bug"] for r in read_rows(out) if r.get("done")}
    assert 1 <= len(done) < len(ids), log  # the remaining bugs were not run first
    assert out.with_suffix(".csv").exists() and out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert "run the same command again to resume" in " ".join(log.split())
    assert list(scratch.iterdir()) == []  # no scratch copies left behind
    # the two workers each have a progress row (what they are on) besides the overall bar
    bars = [x.split()[0] for x in log.splitlines() if "━" in x]
    assert bars[0] == "repairing" and len(bars) == 3, log

    # a resume with other validation settings would mix results: refused
    changed = repairchat(*args, "--test-timeout", "9", env=env)
    text, _ = changed.communicate(timeout=60)
    assert changed.returncode == 2 and "other validation settings" in text and "--fresh" in text

    proc = repairchat(*args, env=env)
    wait_rows(out, proc, lambda rows: len({r["bug"] for r in rows if r.get("done")}) > len(done))
    proc.send_signal(signal.SIGTERM)
    log, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, log
    assert list(scratch.iterdir()) == []


class Crashing(Oracle):
    """The oracle, except that asking about NullCheck-1 breaks (a backend bug)."""

    def complete(self, messages, n=1):
        if "sample/Names.java" in messages[1]["content"]:
            raise RuntimeError("backend exploded")
        return super().complete(messages, n)


def test_a_bug_that_errors_is_shown_and_fails_the_run(sample_bugs, tmp_path):
    import io

    from rich.console import Console

    from agent.cli import report_batch
    bugs = [sample_bugs[i] for i in ("WrongOperator-1", "NullCheck-1")]
    out = tmp_path / "r.jsonl"
    result = run_bugs(bugs, Crashing(sample_bugs), "oracle", FreshValidator(), CONFIG, results=out,
                      sessions_dir=tmp_path / "s")
    assert result.results == {"WrongOperator-1": "plausible", "NullCheck-1": "error"}
    text = io.StringIO()
    assert report_batch(Console(file=text, width=120), result, out, "results") == 1
    line = next(x for x in text.getvalue().splitlines() if x.strip().startswith("NullCheck-1"))
    assert line.split()[:2] == ["NullCheck-1", "error"]
    assert "1 bug(s) ended in an error: NullCheck-1" in " ".join(text.getvalue().split())
