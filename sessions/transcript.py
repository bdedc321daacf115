"""Append-only JSONL transcripts: one event a line, each with the schema version ``v``.

Event types (all carry ``v``, ``type``, ``t`` = unix time):
  session  {session, bug (manifest entry), model, config}   the first line
  message  {role, content, round}                            every chat message sent to or received from the model
  reply    {round, sample, raw, code, outcome, timings}      one model reply and its validation
  action   {name, ...}                                        REPL actions (/apply, /undo, ...)
  end      {result, rounds}                                   plausible | exhausted | interrupted | error
Each line is written and flushed as it happens, so a killed session loses nothing it had done.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from agent.errors import UserError

SCHEMA_VERSION = 1
EVENT_TYPES = ("session", "message", "reply", "action", "end")


def sessions_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("REPAIRCHAT_SESSIONS") or ".repairchat/sessions")


class Transcript:
    """An open transcript file; ``log`` appends one event and flushes it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    @classmethod
    def create(cls, directory: str | Path | None, bug: dict, model: str, config: dict) -> "Transcript":
        session = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(bug.get("id", "bug")))
        t = cls(sessions_dir(directory) / f"{session}-{safe}.jsonl")
        t.log("session", session=session, bug=bug, model=model, config=config)
        return t

    def log(self, type: str, **fields) -> dict:
        assert type in EVENT_TYPES, type
        event = {"v": SCHEMA_VERSION, "type": type, "t": round(time.time(), 3), **fields}
        self._fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._fh.flush()
        return event

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "Transcript":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read(path: str | Path) -> list[dict]:
    """All events of a transcript; a malformed one is a one-line UserError naming file and line."""
    from agent.jsonl import read_jsonl
    path = Path(path)
    events = []
    for where, event in read_jsonl(path, "transcript {path} not found; list saved sessions with: repairchat "
                                         "sessions list",
                                   "malformed transcript line ({msg}); the file is not a repairchat transcript or "
                                   "was cut mid-line (delete the last line to resume)"):
        if event.get("type") not in EVENT_TYPES:
            raise UserError(f"{where}: malformed transcript event (needs 'type' in {', '.join(EVENT_TYPES)})")
        if event.get("v") != SCHEMA_VERSION:
            raise UserError(f"{where}: transcript schema version {event.get('v')!r} unsupported "
                            f"(this repairchat reads v{SCHEMA_VERSION})")
        events.append(event)
    if not events or events[0]["type"] != "session":
        raise UserError(f"{path}: a transcript must start with a 'session' event")
    return events


def list_sessions(directory: str | Path | None = None) -> list[tuple[Path, dict, dict | None]]:
    """(path, session event, end event or None) for every transcript, newest first; unreadable ones skipped."""
    out = []
    for p in sorted(sessions_dir(directory).glob("*.jsonl"), reverse=True):
        try:
            events = read(p)
        except UserError:
            continue
        ends = [e for e in events if e["type"] == "end"]
        out.append((p, events[0], ends[-1] if ends else None))
    return out
