"""Reading the JSONL files repairchat takes as input (manifests, candidates, results, transcripts, data): every
problem is a one-line ``UserError`` naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path

from agent.errors import UserError


def read_jsonl(path: str | Path, missing: str, malformed: str = "malformed JSON ({msg}); one JSON object per line",
               *, comments: bool = False, torn_tail: bool = False) -> list[tuple[str, dict]]:
    """``(file:line, object)`` for every non-blank line of ``path``.

    ``missing`` is the error when the file does not exist (``{path}`` is filled in); ``malformed`` the one for a line
    that is not JSON (``{msg}`` is the parser's message). ``comments`` skips lines starting with ``#``; ``torn_tail``
    drops an unparsable last line (an append cut short by a killed process) instead of failing.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(missing.format(path=path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(f"cannot read {path} ({e.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte {data[e.start]:#04x}); save the file as UTF-8") \
            from None
    lines = text.splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or (comments and line.lstrip().startswith("#")):
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if torn_tail and n == len(lines):
                continue
            raise UserError(f"{where}: {malformed.format(msg=e.msg)}") from None
        if not isinstance(obj, dict):
            raise UserError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        out.append((where, obj))
    return out
