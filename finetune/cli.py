"""``repairchat finetune tiny|data|stats|train|merge|generate``: ``add_parser(subparsers)`` is called by
``agent.cli.build_parser``. Settings come from a config file (JSON, TOML or YAML; the dataclasses in
``finetune.config``) and/or flags; a flag given on the command line overrides the file. Bad input raises
``UserError`` (one line, exit 2). torch/transformers are imported only when a command runs.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import fields
from pathlib import Path

from agent.options import add_dataclass_flags
from finetune.config import DataConfig, GenerateConfig, MergeConfig, TrainConfig, UserError

_DESCRIPTION = """Fine-tune a model for repairchat (RepairLLaMA-style IR4xOR2 data, LoRA/QLoRA).

  repairchat finetune tiny runs/tiny                             # a tiny local base model (tests, smoke runs)
  repairchat finetune data --manifests bugs.jsonl --megadiff md.parquet --out-dir runs/data
  repairchat finetune stats runs/data/train.jsonl --tokenizer runs/tiny --png lengths.png
  repairchat finetune train train.toml [--max-steps 100 ...]     # LoRA / QLoRA (qlora = true)
  repairchat finetune merge --base-model runs/tiny --adapter runs/train --out runs/merged
  repairchat finetune generate --model runs/merged --input runs/data/dev.jsonl --out candidates.jsonl
  repairchat validate --candidates candidates.jsonl --bugs bugs.jsonl
"""


def config_from(cls, args: argparse.Namespace):
    """The config file (when given) with the flags that were set laid over it."""
    flags = {f.name: getattr(args, f.name, None) for f in fields(cls)}
    flags = {k: v for k, v in flags.items() if v is not None}
    path = getattr(args, "config", None)
    if path:
        base = cls.load(path).to_dict()
        base.update(flags)
        return cls.from_dict(base, where=str(path))
    return cls.from_dict(flags, where="options")


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging
        logging.set_verbosity_error()
        logging.disable_progress_bar()
    except Exception:  # pragma: no cover
        pass


# --- commands -----------------------------------------------------------------------------------------------

def cmd_tiny(args) -> int:
    from finetune.tiny import build_tiny
    _quiet_transformers()
    out = build_tiny(args.dir, seed=args.seed, hidden_size=args.hidden_size, num_hidden_layers=args.layers)
    print(f"tiny model + tokenizer: {out}")
    return 0


def _tokenizer(path: str | None):
    if not path:
        return None
    from finetune.models import load_tokenizer
    _quiet_transformers()
    return load_tokenizer(path)


def cmd_data(args) -> int:
    from rich.console import Console

    from finetune.data import build_dataset, write_jsonl
    from finetune.stats import report
    cfg = config_from(DataConfig, args)
    if not (cfg.megadiff or cfg.juliet or cfg.manifests or cfg.transcripts):
        raise UserError("no data sources; pass --megadiff/--juliet/--manifests/--transcripts FILE (or a config)")
    tok = _tokenizer(cfg.tokenizer)
    ds = build_dataset(cfg.megadiff, cfg.juliet, cfg.manifests, tok, cfg.max_tokens, cfg.dev_fraction, cfg.seed,
                       transcripts=cfg.transcripts, cache_dir=cfg.cache_dir)
    out = Path(cfg.out_dir)
    write_jsonl(out / "train.jsonl", ds["train"])
    write_jsonl(out / "dev.jsonl", ds["dev"])
    if ds["dropped"]:
        write_jsonl(out / "dropped.jsonl", ds["dropped"])
    con = Console()
    summary = report(ds["all"] + ds["chats"], tok, cfg.max_tokens,
                     png=out / "lengths.png", console=con, skipped=ds["skipped"])
    (out / "stats.json").write_text(json.dumps(
        {"rows": summary["rows"], "total": summary["total"], "max_tokens": cfg.max_tokens,
         "train": len(ds["train"]), "dev": len(ds["dev"]), "dropped": len(ds["dropped"]),
         "skipped": dict(ds["skipped"]), "tokenizer": cfg.tokenizer}, indent=2))
    con.print(f"train {len(ds['train'])}, dev {len(ds['dev'])}, over the limit {len(ds['dropped'])}: {out}")
    return 0


def cmd_stats(args) -> int:
    from finetune.data import read_records
    from finetune.stats import report
    records = [r for f in args.files for r in read_records(f)]
    if not records:
        raise UserError("the data files hold no records")
    s = report(records, _tokenizer(args.tokenizer), args.max_tokens, png=args.png)
    if args.json:
        Path(args.json).write_text(json.dumps({k: v for k, v in s.items() if k != "lengths"}, indent=2))
    return 0


def cmd_train(args) -> int:
    from finetune.train import train
    cfg = config_from(TrainConfig, args)
    cfg.check_paths()
    _quiet_transformers()
    res = train(cfg)
    best = f", best dev loss {res.best_dev_loss:.4f}" if res.best_dev_loss is not None else ""
    if os.environ.get("RANK", "0") != "0":  # torchrun / accelerate launch: one report, from the main process
        return 0
    print(f"trained {res.steps} steps{best}{' (early stop)' if res.stopped_early else ''}: {res.output_dir} "
          f"(loss.png, metrics.jsonl, tensorboard in {cfg.logging_dir or res.output_dir / 'tb'})")
    return 0


def cmd_merge(args) -> int:
    from finetune.merge import merge
    cfg = config_from(MergeConfig, args)
    if not cfg.base_model or not cfg.adapter:
        raise UserError("merge needs --base-model DIR and --adapter DIR (or a config with both)")
    _quiet_transformers()
    print(f"merged model: {merge(cfg)}")
    return 0


def cmd_generate(args) -> int:
    from finetune.generate import generate
    cfg = config_from(GenerateConfig, args)
    if not cfg.model or not cfg.input:
        raise UserError("generate needs --model DIR and --input FILE (or a config with both)")
    if not Path(cfg.input).is_file():
        raise UserError(f"input {cfg.input} not found; pass a JSONL of {{id, input}} or {{id, messages}} records")
    _quiet_transformers()
    out = generate(cfg)
    n = sum(1 for _ in out.open(encoding="utf-8"))
    print(f"{n} candidates: {out} (check them with: repairchat validate --candidates {out} --bugs MANIFEST)")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``finetune`` with its subcommands to ``sub`` (the ``repairchat`` subparsers)."""
    ft = sub.add_parser("finetune", help="fine-tuning: data, stats, train, merge, generate",
                        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    fsub = ft.add_subparsers(dest="finetune_command", required=True)

    p = fsub.add_parser("tiny", help="build a tiny local model + tokenizer (tests, smoke runs; no download)")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.set_defaults(func=cmd_tiny)

    p = fsub.add_parser("stats", help="token-length statistics and histogram of data JSONL files")
    p.add_argument("files", nargs="+")
    p.add_argument("--tokenizer", help="tokenizer/model dir (default: a chars/3 estimate)")
    p.add_argument("--max-tokens", type=int, default=1024)
    p.add_argument("--png", help="write the token-length histogram here")
    p.add_argument("--json", help="write the summary here")
    p.set_defaults(func=cmd_stats)

    # commands configured by a dataclass: an optional (train: required) config file, flags override its settings
    for name, cls, func, help_text in (
            ("data", DataConfig, cmd_data, "build IR4xOR2 train/dev JSONL + statistics from diffs, pairs, manifests"),
            ("train", TrainConfig, cmd_train, "LoRA/QLoRA fine-tuning from a TrainConfig file"),
            ("merge", MergeConfig, cmd_merge, "merge a LoRA adapter into its base model"),
            ("generate", GenerateConfig, cmd_generate,
             "beam-search candidates JSONL (for repairchat validate --candidates)")):
        p = fsub.add_parser(name, help=help_text)
        p.add_argument("config", nargs=None if name == "train" else "?",
                       help=f"{cls.__name__} file (JSON/TOML/YAML); flags override its settings")
        add_dataclass_flags(p, cls, unset=True)
        p.set_defaults(func=func)
    return ft
