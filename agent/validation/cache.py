"""Skip duplicate candidates: ``CachingValidator(inner, path=None)`` reuses the Outcome of an equal candidate.

Two candidates are equal when the patched files they produce are token-equal (``extractors.java.normalize``:
comments and layout dropped, literals kept) for the same bug. Keying on the whole patched file (not only the
applied code) keeps a method and a chunk with the same text apart, and misses rather than lies when the user's
file changed since the entry was written. A hit returns the earlier Outcome with this candidate's code,
``seconds=0`` and a detail saying so (line numbers in its failures are the earlier candidate's). With ``path``
the cache is a JSONL file, appended and flushed per new entry, so a resumed batch run reuses it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from agent.bugs import Bug
from agent.validation.validate import Candidate, Outcome, Validator, patch

HIT = "cache hit: same tokens as an earlier candidate"


def cache_key(bug: Bug, candidate: Candidate) -> str | None:
    """The dedup key of a candidate, or None when it does not even apply (nothing worth caching)."""
    patched = patch(bug, candidate)
    if isinstance(patched, Outcome):
        return None
    from extractors import java
    try:
        norm = java.normalize(patched[0])
    except Exception:  # never let the key break validation: fall back to the exact text
        norm = patched[0]
    return hashlib.sha256(f"{bug.id}\0{norm}".encode("utf-8")).hexdigest()


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
        key = cache_key(bug, candidate)
        if key is None:
            return self.inner.validate(bug, candidate)
        with self._lock:
            old = self._outcomes.get(key)
        if old is not None:
            self.hits += 1
            patched = patch(bug, candidate)
            code = patched[1] if not isinstance(patched, Outcome) else old.code
            return Outcome(old.kind, old.failures, code, 0.0, f"{HIT}; {old.detail}" if old.detail else HIT)
        out = self.inner.validate(bug, candidate)
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
