"""Batch runs: the repair loop over many bugs, one transcript per bug, a results row per candidate.

Results are appended to a JSONL file and flushed as each candidate is validated. When a bug's session ends a
``done`` row is written for it. A run that is killed (even with SIGKILL) is resumed by running the same command
again: bugs with a ``done`` row are skipped, and the rows of a bug that was cut mid-way are dropped (the file is
rewritten atomically with only the rows of finished sessions) before that bug is run again from scratch. Readers
(`summary`, `merge`) likewise only count rows whose session has a ``done`` row, deduplicated by
(bug, session, candidate), so nothing is lost or counted twice. A resumed run must use the same model and loop
settings as the rows it keeps (checked; ``--fresh`` starts over).

Workers are threads; each has its own validator (its own scratch copies and, for ``warm``, its own JVM server).
They share one validation cache (``agent.validation.cache.CachingValidator``, keyed on the normalised patched file) that is
persisted next to the results (``<out>.cache.jsonl``), so a resumed run does not validate a patch twice either.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.errors import UserError
from agent.loop import LoopConfig, LoopEnd, RepairSession, config_dict, open_transcript
from agent.models import ask
from agent.ui.report import first_failure
from agent.validation.cache import CachingValidator
from sessions.transcript import open_append

CSV_COLUMNS = ("bug", "candidate", "round", "sample", "outcome", "seconds", "cached", "failure", "session",
               "conversation", "phase", "same_as", "exact", "ast_match", "lines_changed", "tokens_changed",
               "fix_distance")


class Stopped(LoopEnd):
    """The run was interrupted (Ctrl-C, SIGTERM): workers end their bug after the candidate at hand."""
    result = "interrupted"


@dataclass
class BatchConfig:
    jobs: int = field(default=1, metadata={"help": "parallel workers (threads, each with its own validator)"})
    shard: str = field(default="", metadata={"help": "I/N: run only shard I (1-based) of N, a deterministic "
                                                     "split of the sorted bug ids"})
    fresh: bool = field(default=False, metadata={"help": "start over instead of resuming from --out"})
    cache: bool = field(default=True, metadata={"help": "skip re-validating a patch seen before (same tokens)"})

    def __post_init__(self):
        if self.jobs < 1:
            raise ValueError("jobs must be at least 1")
        if self.shard:
            parse_shard(self.shard)


@dataclass(frozen=True)
class BatchResult:
    """What a run (or a merge) finished: outcome counts, session result and model usage per bug."""
    per_bug: dict
    results: dict  # bug -> plausible | exhausted | budget | error | ...
    usage: dict  # bug -> {model_s, prompt_tokens, completion_tokens, cost} (what was reported)
    evidence: dict = field(default_factory=dict)  # bug -> Counter of patches, evidence, ast-match, exact

    @property
    def errors(self) -> list[str]:
        return [b for b, r in self.results.items() if r == "error"]


def parse_shard(spec: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise UserError(f"--shard {spec!r} must look like I/N, e.g. 1/4") from None
    if n < 1 or not 1 <= i <= n:
        raise UserError(f"--shard {spec!r}: need 1 <= I <= N")
    return i, n


def shard(bugs: list, spec: str) -> list:
    """Shard I/N: the bugs whose position in the sorted id list is I-1 modulo N (same split on every machine)."""
    if not spec:
        return bugs
    i, n = parse_shard(spec)
    order = sorted(b.id for b in bugs)
    mine = {bid for k, bid in enumerate(order) if k % n == i - 1}
    return [b for b in bugs if b.id in mine]


class ResultsFile:
    """Append-only JSONL of per-candidate results, flushed row by row (thread-safe)."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._fh = None
        self._lock = threading.Lock()
        if self.path:
            self._fh = open_append(self.path, "results file")

    def write(self, row: dict) -> None:
        if self._fh:
            line = json.dumps(row, ensure_ascii=False) + "\n"
            with self._lock:
                self._fh.write(line)
                self._fh.flush()

    def close(self) -> None:
        if self._fh:
            self._fh.close()


def result_row(bug_id: str, candidate: str, outcome, **extra) -> dict:
    return {"bug": bug_id, "candidate": candidate, "outcome": outcome.kind, "seconds": round(outcome.seconds, 3),
            "failure": first_failure(outcome), "cached": outcome.cached, "code": outcome.code,
            **extra}


def read_rows(path: str | Path) -> list[dict]:
    """Every well-formed row; a cut last line (killed mid-write) is ignored, any other bad line is an error."""
    from agent.jsonl import read_jsonl
    rows = []
    for where, row in read_jsonl(path, "results file {path} not found",
                                 "malformed results line ({msg}); not a repairchat results JSONL", torn_tail=True):
        if not isinstance(row.get("bug"), str):
            raise UserError(f"{where}: a results row needs a string 'bug'")
        rows.append(row)
    return rows


def finished(rows: list[dict]) -> tuple[dict[str, dict], list[dict]]:
    """(done row per bug, candidate rows of finished sessions), deduplicated by (bug, session, candidate)."""
    done: dict[str, dict] = {}
    for r in rows:
        if r.get("done"):
            done.setdefault(r["bug"], r)
    seen, out = set(), []
    for r in rows:
        d = done.get(r["bug"])
        if r.get("done") or d is None or r.get("session") != d.get("session"):
            continue
        key = (r["bug"], r.get("session"), r.get("candidate"))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return done, out


def counts_per_bug(done: dict[str, dict], rows: list[dict]) -> dict[str, Counter]:
    per_bug: dict[str, Counter] = {b: Counter() for b in done}
    for r in rows:
        per_bug[r["bug"]][r["outcome"]] += 1
    return per_bug


def evidence_per_bug(done: dict[str, dict], rows: list[dict]) -> dict[str, Counter]:
    """Per bug, its distinct plausible patches (not ``same_as`` an earlier one): ``patches``, and of those
    ``evidence`` (compared with a developer fix), ``ast-match`` and ``exact``."""
    per_bug: dict[str, Counter] = {b: Counter() for b in done}
    for r in rows:
        c = per_bug[r["bug"]]
        if r["outcome"] == "plausible" and not r.get("same_as"):
            c["patches"] += 1
            if r.get("exact") is not None:
                c["evidence"] += 1
                c["ast-match"] += bool(r.get("ast_match"))
                c["exact"] += bool(r.get("exact"))
    return per_bug


def write_clean(path: Path, done: dict[str, dict], rows: list[dict]) -> None:
    """Rewrite ``path`` atomically with only the finished sessions' rows (then their done rows)."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        for d in done.values():
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, CSV_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def write_reports(out: Path, done: dict[str, dict], rows: list[dict]) -> dict[str, Path]:
    """The per-candidate CSV and the outcome chart next to the results JSONL."""
    from agent.ui.plots import outcome_chart

    paths = {"csv": out.with_suffix(".csv"), "png": out.with_suffix(".png")}
    write_csv(paths["csv"], rows)
    outcome_chart(counts_per_bug(done, rows), paths["png"], title=out.stem)
    return paths


class SerialModel:
    """Serialises calls to a model that is not thread-safe (a local HF model); HTTP clients need not be."""

    def __init__(self, model):
        self.model, self._lock = model, threading.Lock()

    def complete(self, messages: list[dict], n: int = 1) -> list[str]:
        return self.complete_usage(messages, n)[0]

    def complete_usage(self, messages: list[dict], n: int = 1):
        with self._lock:
            c = ask(self.model, messages, n)
        return c.texts, c.usage


def shareable(model):
    """``model`` itself when it declares ``thread_safe``, else wrapped so that workers call it one at a time."""
    if getattr(model, "thread_safe", False):
        return model
    return SerialModel(model)


class PerThread:
    """A Validator that gives each worker thread its own validator from ``factory`` (closed by ``close``)."""

    def __init__(self, factory):
        self.factory, self._local, self._all, self._lock = factory, threading.local(), [], threading.Lock()

    def get(self):
        v = getattr(self._local, "validator", None)
        if v is None:
            v = self._local.validator = self.factory()
            with self._lock:
                self._all.append(v)
        return v

    def validate(self, bug, candidate):
        return self.get().validate(bug, candidate)

    def run_prepared(self, bug, prepared, started=None):
        return prepared.run_on(self.get(), bug, started)

    def close(self) -> None:
        with self._lock:
            validators, self._all = self._all, []
        for v in validators:
            close = getattr(v, "close", None)
            if close is not None:
                close()


def as_factory(validator_or_factory):
    """A zero-argument validator factory from a factory or from a validator (then shared by every worker)."""
    if hasattr(validator_or_factory, "validate"):
        return lambda: validator_or_factory
    if not callable(validator_or_factory):
        raise TypeError("expected a Validator or a zero-argument callable returning one")
    return validator_or_factory


def check_resumable(done: dict[str, dict], settings: dict, path: Path) -> None:
    """Kept rows must come from the same model, loop and validation settings as this run (else mixing results)."""
    for bug, d in done.items():
        if "model" not in d:
            continue
        recorded = {"model": d["model"], "config": d.get("config"), "validation": d.get("validation", {})}
        changed = [k for k in settings if recorded.get(k) != settings[k]]
        if changed:
            what = {"model": "model", "config": "loop settings", "validation": "validation settings"}[changed[0]]
            raise UserError(f"{path} already holds results of {bug} made with other {what} "
                            f"({recorded[changed[0]]!r}); pass --fresh to start over or use another --out")


@contextmanager
def scratch_root():
    """A scratch folder for this run's workspaces (``REPAIRCHAT_SCRATCH`` while it runs), removed at the end;
    folders left by runs that were killed (``kill -9``: no cleanup ran) are removed when the next run starts."""
    base = Path(os.environ.get("REPAIRCHAT_SCRATCH") or tempfile.gettempdir())
    for old in base.glob("repairchat-run-*"):
        try:
            pid = int(old.name.split("-")[2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)  # its process is gone
        except (ValueError, IndexError, PermissionError):
            pass  # not ours to judge
    root = Path(tempfile.mkdtemp(prefix=f"repairchat-run-{os.getpid()}-", dir=base))
    saved = os.environ.get("REPAIRCHAT_SCRATCH")
    os.environ["REPAIRCHAT_SCRATCH"] = str(root)
    try:
        yield root
    finally:
        if saved is None:
            os.environ.pop("REPAIRCHAT_SCRATCH", None)
        else:
            os.environ["REPAIRCHAT_SCRATCH"] = saved
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def sigterm_interrupts():
    """SIGTERM stops a run like Ctrl-C does (workers stop, reports are written, scratch is removed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run_bugs(bugs, model, model_spec: str, validator_factory, config: LoopConfig, *, sessions_dir=None,
             results: str | Path | None = None, console=None, batch: BatchConfig | None = None,
             validation=None, admit=None) -> BatchResult:
    """Run one repair session per bug (resuming ``results``).

    ``validator_factory`` is a zero-argument callable (one validator per worker) or a validator (shared);
    ``validation`` the ValidationConfig it follows (recorded in transcripts and results, compared on resume).
    ``admit`` (the pre-flight) maps the bugs still to run to those fit to run; it is called after the resume check,
    so a refused resume costs nothing and finished bugs are not checked again.
    A bug whose session raises an unexpected error is recorded as done with result ``error`` and the run goes on;
    a ``UserError`` (bad model spec, unreachable server) stops the run, and so do Ctrl-C and SIGTERM: workers end
    their bug after the candidate at hand, the reports of what finished are written, and the run is resumable.
    """
    from dataclasses import asdict
    batch = batch or BatchConfig()
    bugs = shard(list(bugs), batch.shard)
    out_path = Path(results) if results else None
    cache_path = out_path.with_suffix(".cache.jsonl") if out_path else None
    vdict = asdict(validation) if validation is not None else {}
    settings = {"model": model_spec, "config": config_dict(config), "validation": vdict}
    done: dict[str, dict] = {}
    if out_path and batch.fresh:
        for p in (out_path, cache_path):
            if p and p.exists():
                p.unlink()
    elif out_path and out_path.exists():
        done, rows = finished(read_rows(out_path))
        check_resumable({b: d for b, d in done.items() if b in {x.id for x in bugs}}, settings, out_path)
        write_clean(out_path, done, rows)
    todo = [b for b in bugs if b.id not in done]
    if console and len(todo) < len(bugs):
        console.print(f"resuming {out_path}: {len(bugs) - len(todo)} bug(s) already done, {len(todo)} to run "
                      f"(--fresh starts over)", markup=False)
    if admit and todo:
        todo = admit(todo)
    out = ResultsFile(out_path)
    model = shareable(model) if batch.jobs > 1 else model
    per_bug: dict[str, Counter] = {}
    results_of: dict[str, str] = {}
    usage_of: dict[str, dict] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def one(bug, validator, progress, worker):
        if stop.is_set():
            return
        counts: Counter = Counter()
        found: Counter = Counter()  # distinct plausible patches, how many match the developer's fix
        started = time.monotonic()
        progress.update(worker, description=f"{bug.id}", status="starting")
        with open_transcript(sessions_dir, bug, model_spec, config, validation) as tr:
            def on_attempt(bug, attempt):
                from agent.evidence import row_columns
                counts[attempt.outcome.kind] += 1
                ev = row_columns(bug, attempt.outcome)
                if attempt.outcome.plausible and not attempt.same_as:
                    found.update(patches=1, **{k: 1 for k in ("ast_match", "exact") if ev.get(k)})
                out.write(result_row(bug.id, attempt.label, attempt.outcome, conversation=attempt.conversation,
                                     round=attempt.round, sample=attempt.sample, phase=attempt.phase,
                                     same_as=attempt.same_as, session=tr.path.name, **ev))
                progress.update(worker, status=f"round {attempt.round} {attempt.outcome.kind}")
                if stop.is_set() and not attempt.outcome.plausible:
                    raise Stopped()
            session = RepairSession(bug, model, validator, config, tr, on_attempt)
            error = ""
            try:
                session.run()
            except (UserError, KeyboardInterrupt, SystemExit):
                raise  # the session wrote its end event; the run stops (resumable)
            except Exception as e:  # one broken bug must not stop a long batch: record it and go on
                error = f"{type(e).__name__}: {e}"[:300]
            if session.result == "interrupted":
                return  # no done row: a resumed run does this bug again
            out.write({"bug": bug.id, "done": True, "result": session.result, "rounds": session.round,
                       "tries": sum(counts.values()), "conversations": session.state.conversation,
                       "patches": found["patches"], "ast_match": found["ast_match"], "exact": found["exact"],
                       "seconds": round(time.monotonic() - started, 3),
                       "session": tr.path.name, "model": model_spec, "config": config_dict(config),
                       "validation": vdict, "usage": session.total_usage, **({"error": error} if error else {})})
        with lock:
            per_bug[bug.id], results_of[bug.id], usage_of[bug.id] = counts, session.result, session.total_usage
        progress.update(worker, description="idle", status="")

    with scratch_root(), sigterm_interrupts():
        per_thread = PerThread(as_factory(validator_factory))
        validator: PerThread | CachingValidator = per_thread
        if batch.cache:
            validator = CachingValidator(per_thread, cache_path)
        try:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console,
                          transient=False, disable=console is None) as progress:
                overall = progress.add_task("repairing", total=len(todo), status="")
                workers: dict[str, object] = {}

                def task(bug):
                    name = threading.current_thread().name
                    with lock:
                        if name not in workers:
                            workers[name] = progress.add_task("idle", total=None, status="")
                    try:
                        one(bug, validator, progress, workers[name])
                    finally:
                        progress.advance(overall)
                try:
                    if batch.jobs == 1:
                        for bug in todo:
                            task(bug)
                    else:
                        pool = ThreadPoolExecutor(batch.jobs, thread_name_prefix="repair")
                        try:
                            futures = [pool.submit(task, bug) for bug in todo]
                            wait(futures, return_when=FIRST_EXCEPTION)
                            failed = next((f for f in futures if f.done() and not f.cancelled() and f.exception()),
                                          None)
                            if failed is not None:
                                raise failed.exception()  # type: ignore[misc]
                        finally:
                            stop.set()  # (a no-op when every bug is done)
                            pool.shutdown(wait=True, cancel_futures=True)
                except KeyboardInterrupt:
                    stop.set()
                    if console:
                        console.print("interrupted: the bugs that finished are saved; run the same command "
                                      "again to resume", markup=False)
                    raise
        finally:
            out.close()
            if validator is not per_thread:
                validator.close()  # closes per_thread too
            else:
                per_thread.close()
            summary = None
            if out_path:
                done, rows = finished(read_rows(out_path))
                if done:
                    write_reports(out_path, done, rows)
                ids = {b.id for b in bugs}
                summary = BatchResult({b: c for b, c in counts_per_bug(done, rows).items() if b in ids},
                                      {b: d.get("result", "") for b, d in done.items() if b in ids},
                                      {b: d.get("usage") or {} for b, d in done.items() if b in ids},
                                      {b: c for b, c in evidence_per_bug(done, rows).items() if b in ids})
    return summary or BatchResult(per_bug, results_of, usage_of)


def merge(paths: list[str], out: str | Path) -> tuple[BatchResult, list[str]]:
    """Merge shard result files into ``out`` (finished sessions only; a bug done in two files counts once).

    Returns (what the files finished, warnings)."""
    if not paths:
        raise UserError("merge needs at least one results file")
    all_done: dict[str, dict] = {}
    all_rows: list[dict] = []
    warnings = []
    for p in paths:
        done, rows = finished(read_rows(p))
        for bug, d in done.items():
            if bug in all_done:
                warnings.append(f"{bug} is done in more than one file; kept the first "
                                f"({all_done[bug].get('session')})")
                continue
            all_done[bug] = d
            all_rows.extend(r for r in rows if r["bug"] == bug)
    out = Path(out)
    if out.resolve() in {Path(p).resolve() for p in paths}:
        raise UserError(f"--out {out} is one of the inputs; pick a new file")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_clean(out, all_done, all_rows)
    write_reports(out, all_done, all_rows)
    return BatchResult(counts_per_bug(all_done, all_rows), {b: d.get("result", "") for b, d in all_done.items()},
                       {b: d.get("usage") or {} for b, d in all_done.items()},
                       evidence_per_bug(all_done, all_rows)), warnings
