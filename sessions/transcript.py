"""Append-only JSONL transcripts: one typed event a line, each with the schema version ``v``.

Event types (all carry ``v``, ``type``, ``t`` = unix time); each has one writer method on ``Transcript``:
  session  {session, bug, model, loop, validation, versions}   the first line (``Transcript.create``)
  message  {role, content, round}                              a chat message sent to or received from the model
  reply    {round, sample, raw, code, outcome, timings, usage}  one model reply and its validation
  action   {name, ...}                                          REPL actions (/apply, /undo, ...), continue
  end      {result, rounds, error}                              plausible | exhausted | budget | interrupted | error
Each line is written and flushed as it happens, so a killed session loses nothing it had done; ``read`` ignores a
last line cut mid-write. ``read`` checks every event's fields, so consumers can index them without guarding.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import UserError

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class SessionEvent:
    session: str
    bug: dict
    model: str
    loop: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MessageEvent:
    role: str
    content: str
    round: int = 0
    conversation: int = 1  # restarted conversations (--tries) count from 1


@dataclass(frozen=True)
class ReplyEvent:
    round: int
    sample: int
    raw: str
    outcome: dict
    code: str | None = None
    timings: dict = field(default_factory=dict)
    usage: dict = field(default_factory=dict)
    conversation: int = 1
    phase: str = "repair"  # repair | variant (the plausible-patch phase)
    same_as: str = ""  # a plausible patch equal (normalised) to an earlier one: that one's label


@dataclass(frozen=True)
class EndEvent:
    result: str
    rounds: int = 0
    error: str = ""


# type -> (required fields with their types); action events carry ``name`` and free fields
REQUIRED: dict[str, dict[str, Any]] = {
    "session": {"session": str, "bug": dict, "model": str},
    "message": {"role": str, "content": str},
    "reply": {"round": int, "sample": int, "raw": str, "outcome": dict},
    "action": {"name": str},
    "end": {"result": str},
}
EVENT_TYPES = tuple(REQUIRED)


def sessions_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("REPAIRCHAT_SESSIONS") or ".repairchat/sessions")


def open_append(path: Path, what: str):
    """``path`` opened for appending (folders made); an unwritable place is a one-line UserError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a", encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot write the {what} {path} ({e.strerror}); pick a writable place") from None


class Transcript:
    """An open transcript file; one writer per event type, each appends one event and flushes it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fh = open_append(self.path, "transcript")

    @classmethod
    def create(cls, directory: str | Path | None, bug: dict, model: str, loop: dict | None = None,
               validation: dict | None = None, versions: dict | None = None) -> "Transcript":
        session = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(bug.get("id", "bug")))
        t = cls(sessions_dir(directory) / f"{session}-{safe}.jsonl")
        t._write("session", asdict(SessionEvent(session, bug, model, dict(loop or {}), dict(validation or {}),
                                                dict(versions or {}))))
        return t

    def message(self, role: str, content: str, round: int = 0, conversation: int = 1) -> None:
        self._write("message", asdict(MessageEvent(role, content, round, conversation)))

    def reply(self, event: ReplyEvent) -> None:
        self._write("reply", asdict(event))

    def action(self, name: str, **fields) -> None:
        self._write("action", {"name": name, **fields})

    def end(self, result: str, rounds: int = 0, error: str = "") -> None:
        self._write("end", asdict(EndEvent(result, rounds, error[:300])))

    def log(self, type: str, **fields) -> None:
        """Route an event given as fields to the writer of its type (tests and tools that write transcripts)."""
        if type == "message":
            self.message(**fields)
        elif type == "reply":
            self.reply(ReplyEvent(**fields))
        elif type == "action":
            self.action(**fields)
        elif type == "end":
            self.end(**fields)
        else:
            raise ValueError(f"no writer for {type!r} events (the session event is written by create)")

    def _write(self, type: str, fields: dict) -> None:
        event = {"v": SCHEMA_VERSION, "type": type, "t": round(time.time(), 3), **fields}
        self._fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "Transcript":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check(event: dict, where: str) -> dict:
    """``event`` when it is a well-formed event of this schema, else a one-line UserError naming ``where``."""
    kind = event.get("type")
    if kind not in REQUIRED:
        raise UserError(f"{where}: malformed transcript event (needs 'type' in {', '.join(EVENT_TYPES)})")
    if event.get("v") != SCHEMA_VERSION:
        raise UserError(f"{where}: transcript schema version {event.get('v')!r} unsupported "
                        f"(this repairchat reads v{SCHEMA_VERSION})")
    for name, typ in REQUIRED[kind].items():
        value = event.get(name)
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            raise UserError(f"{where}: {kind} event needs {typ.__name__} field {name!r}; the transcript is "
                            "damaged or not repairchat's")
    if kind == "reply" and not isinstance(event["outcome"].get("kind"), str):
        raise UserError(f"{where}: reply event needs outcome.kind; the transcript is damaged or not repairchat's")
    return event


def read(path: str | Path) -> list[dict]:
    """All events of a transcript, each checked; a malformed one is a one-line UserError naming file and line."""
    from agent.jsonl import read_jsonl
    path = Path(path)
    events = [check(event, where) for where, event in read_jsonl(
        path, "transcript {path} not found; list saved sessions with: repairchat sessions list",
        "malformed transcript line ({msg}); the file is not a repairchat transcript or was cut mid-line",
        torn_tail=True)]
    if not events or events[0]["type"] != "session":
        raise UserError(f"{path}: a transcript must start with a 'session' event")
    return events


def session_of(events: list[dict]) -> SessionEvent:
    e = events[0]
    return SessionEvent(e["session"], e["bug"], e["model"], e.get("loop") or {}, e.get("validation") or {},
                        e.get("versions") or {})


def list_sessions(directory: str | Path | None = None) -> list[tuple[Path, dict, dict | None, str]]:
    """(path, session event, end event or None, problem) for every transcript, newest first; an unreadable one
    has an empty session event and the one-line problem."""
    out: list[tuple[Path, dict, dict | None, str]] = []
    for p in sorted(sessions_dir(directory).glob("*.jsonl"), reverse=True):
        try:
            events = read(p)
        except UserError as e:
            out.append((p, {}, None, str(e)))
            continue
        ends = [e for e in events if e["type"] == "end"]
        out.append((p, events[0], ends[-1] if ends else None, ""))
    return out
