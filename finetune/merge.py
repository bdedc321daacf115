"""Merge a LoRA adapter into its base model and save a standalone model (+ tokenizer).

The base is loaded unquantized (merging into 4-bit weights would round the delta away); an adapter trained
with QLoRA merges into the full-precision base it was quantized from. The merged dir can be used as
``TrainConfig.base_model`` to continue training, or served directly.
"""
from __future__ import annotations

from pathlib import Path

from finetune.config import MergeConfig


def merge(cfg: MergeConfig) -> Path:
    from finetune.models import load_model, load_tokenizer
    model = load_model(cfg.base_model, adapter=cfg.adapter, device="cpu", dtype=cfg.dtype)
    merged = model.merge_and_unload()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out)
    load_tokenizer(cfg.base_model).save_pretrained(out)
    from agent.models.hf import MARKER
    marker = Path(cfg.adapter) / MARKER
    if marker.is_file():  # the prompt style the adapter was trained on travels with the merged model
        (out / MARKER).write_text(marker.read_text())
    return out


def merge_adapter(base_model: str | Path, adapter: str | Path, out: str | Path, dtype: str = "float32") -> Path:
    """Convenience wrapper: ``merge(MergeConfig(...))``."""
    return merge(MergeConfig(base_model=str(base_model), adapter=str(adapter), out=str(out), dtype=dtype))
