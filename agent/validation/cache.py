"""Skip duplicate candidates: ``CachingValidator(inner, path=None)`` reuses the Outcome of an equal candidate.

Two candidates are equal when the patched files they produce are token-equal (``extractors.java.normalize``:
comments and layout dropped, literals kept) for the same bug. Keying on the whole patched file (not only the
applied code) keeps a method and a chunk with the same text apart, and misses rather than lies when the user's
file changed since the entry was written. Each candidate is prepared (extracted, applied) once, here; the inner
validator runs the prepared patch (``run_prepared``). A hit returns the earlier Outcome with this candidate's code,
``seconds=0`` and ``cached=True`` (line numbers in its failures are the earlier candidate's). With ``path``
the cache is a JSONL file, appended and flushed per new entry, so a resumed batch run reuses it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

from agent.bugs import Bug
from agent.validation.validate import LEGACY_HIT, Candidate, Outcome, Prepared, Validator, prepare

HIT = LEGACY_HIT  # how hits were marked before Outcome.cached (old transcripts and caches)


def prepared_key(bug: Bug, prepared: Prepared) -> str:
    return hashlib.sha256(f"{bug.id}\0{prepared.key}".encode("utf-8")).hexdigest()


def cache_key(bug: Bug, candidate: Candidate) -> str | None:
    """The dedup key of a candidate, or None when it does not even apply (nothing worth caching)."""
    prepared = prepare(bug, candidate)
    return None if isinstance(prepared, Outcome) else prepared_key(bug, prepared)


class CachingValidator:
    """A ``Validator`` that asks ``inner`` once per distinct (bug, normalised patched file)."""

    def __init__(self, inner: Validator, path: str | Path | None = None):
        self.inner = inner
        self.path = Path(path) if path else None
        self.hits = 0
        self.misses = 0
        self._outcomes: dict[str, Outcome] = {}
        self._lock = threading.Lock()
        self._file = None
        if self.path is not None:
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        entry = json.loads(line)
                        self._outcomes[entry["key"]] = Outcome.from_dict(entry["outcome"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line from an interrupted run
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")

    def __len__(self) -> int:
        return len(self._outcomes)

    def validate(self, bug: Bug, candidate: Candidate) -> Outcome:
        started = time.monotonic()
        prepared = prepare(bug, candidate, started)
        if isinstance(prepared, Outcome):
            return prepared
        key = prepared_key(bug, prepared)
        with self._lock:
            old = self._outcomes.get(key)
        if old is not None:
            self.hits += 1
            return Outcome(old.kind, old.failures, prepared.code, 0.0, old.detail, cached=True)
        out = prepared.run_on(self.inner, bug, started)
        with self._lock:
            self.misses += 1
            self._outcomes[key] = out
            if self._file is not None:
                self._file.write(json.dumps({"key": key, "bug": bug.id, "outcome": out.to_dict()}) + "\n")
                self._file.flush()
        return out

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "CachingValidator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
