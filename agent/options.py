"""Command-line helpers shared by every CLI (``agent.cli``, ``finetune.cli``): flags from config dataclasses and
bug loading. Nothing imports ``agent.cli`` back."""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields

from agent.errors import UserError


def _flag_type(f, default):
    if isinstance(default, (int, float)):
        return type(default)
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    return {"int": int, "float": float}.get(annotation.split("|")[0].strip(), str)


def add_dataclass_flags(parser: argparse.ArgumentParser, cls, *, unset: bool = False, skip: tuple = ()) -> None:
    """One --flag per dataclass field, with the field's help text. The flag defaults to the field's default, or
    with ``unset`` to None (not given: a config file or the dataclass decides)."""
    for f in fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else \
            (f.default_factory() if f.default_factory is not MISSING else None)  # type: ignore[misc]
        help_text = f"{f.metadata.get('help', '')} (default: {default})".replace("%", "%%")
        given = None if unset else default
        if isinstance(default, bool):
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=given,
                                help=help_text)
        elif isinstance(default, list):
            parser.add_argument(flag, dest=f.name, nargs="+", default=given, metavar="VALUE", help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, type=_flag_type(f, default), default=given, help=help_text)


def from_args(cls, args: argparse.Namespace):
    try:
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})
    except ValueError as e:
        raise UserError(f"bad option: {e}") from None


def load_bugs(args) -> list:
    """The bugs named by --bugs/--ids: a JSONL manifest (default the samples) or Defects4J (``d4j:Lang-1``)."""
    from agent.bugs import d4j
    from agent.bugs import SAMPLES, load_manifest, select

    ids = getattr(args, "ids", None)
    if d4j.is_d4j(args.bugs, ids):
        if args.bugs and not d4j.is_d4j(args.bugs):
            raise UserError("Defects4J ids (d4j:...) cannot be mixed with --bugs MANIFEST; run them separately")
        return d4j.load_bugs(args.bugs, ids, work=getattr(args, "d4j_work", None),
                             single_function=getattr(args, "single_function", False),
                             single_hunk=getattr(args, "single_hunk", False))
    if getattr(args, "single_function", False) or getattr(args, "single_hunk", False):
        raise UserError("--single-function/--single-hunk filter Defects4J bugs; use --bugs d4j --ids Lang-1 ...")
    return select(load_manifest(args.bugs or SAMPLES), ids)


def add_bug_flags(p: argparse.ArgumentParser, ids: bool = True) -> None:
    p.add_argument("--bugs", help="JSONL manifest of bugs (default: the built-in samples), or d4j for Defects4J "
                                  "(also d4j:Lang-1,Chart-3)")
    if ids:
        p.add_argument("--ids", nargs="*", help="only these bug ids (Defects4J: d4j:Lang-1 or, with --bugs d4j, "
                                                "Lang-1)")
    p.add_argument("--d4j-work", help="where Defects4J bugs are checked out (default .repairchat/d4j, "
                                      "REPAIRCHAT_D4J_WORK)")
    p.add_argument("--single-function", action="store_true", help="Defects4J: only bugs whose fix changes one "
                                                                  "method")
    p.add_argument("--single-hunk", action="store_true", help="Defects4J: only bugs whose fix is one contiguous "
                                                              "chunk in one file")
