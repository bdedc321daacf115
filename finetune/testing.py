"""Shared tiny artefacts for tests and benchmarks, built once per process (no downloads).

``tiny_base()``        a tiny Llama + tokenizer dir (``finetune.tiny.build_tiny``)
``tiny_lora()``        (adapter dir, train JSONL, records): a LoRA adapter trained on IR4xOR2 samples of a few
                       built-in sample bugs until greedy decoding reproduces their fixes
Both live in a temporary folder removed at interpreter exit.
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

TRAIN_IDS = ("OffByOne-1", "WrongOperator-1", "StringCompare-1", "NullCheck-1")


@functools.cache
def _root() -> Path:
    d = Path(tempfile.mkdtemp(prefix="repairchat-tiny-"))
    atexit.register(shutil.rmtree, d, True)
    return d


@functools.cache
def tiny_base() -> Path:
    from finetune.tiny import build_tiny
    return build_tiny(_root() / "base", seed=0)


def sample_records(ids=TRAIN_IDS) -> list[dict]:
    """IR4xOR2 records (``{"id", "input", "output", "source", "meta"}``) of built-in sample bugs."""
    from agent.bugs import SAMPLES
    from finetune.data import manifest_samples
    by_id = {s.id: s for s in manifest_samples(SAMPLES)}
    return [by_id[i].to_dict() for i in ids]


def lora_config(base: Path, train_data: Path, output_dir: Path, **kw):
    from finetune.config import TrainConfig
    settings = dict(base_model=str(base), train_data=str(train_data), output_dir=str(output_dir), lora_r=16,
                    lora_alpha=32, lora_dropout=0.0, lr=3e-3, max_steps=40, batch_size=4, eval_every=0,
                    progress=False, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                     "down_proj"])
    settings.update(kw)
    return TrainConfig(**settings)


@functools.cache
def tiny_lora() -> tuple[Path, Path, tuple]:
    from finetune.data import write_jsonl
    from finetune.train import train
    records = sample_records()
    data = write_jsonl(_root() / "train.jsonl", records)
    res = train(lora_config(tiny_base(), data, _root() / "lora"))
    return res.output_dir, data, tuple(records)
