"""``ensure_demo_model``: a tiny local chat model that has memorised given (messages -> reply) examples.

Trained once (full fine-tuning of a tiny Llama with a tokenizer that also learned the examples' text: the
fastest way to memorise on CPU, typically 10-40 s on 2 cores) and cached under ``cache_dir`` keyed by a hash
of the examples; later calls return the cached dir. Greedy decoding (``agent.models.hf.HFModel``) reproduces
each reply exactly; ``ensure_demo_model`` checks that before caching.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

DEMO_VERSION = 1
Example = tuple[list[dict], str]


def examples_key(examples: Sequence[Example]) -> str:
    blob = json.dumps({"v": DEMO_VERSION, "ex": [[list(m), r] for m, r in examples]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _greedy_matches(model_dir: Path, examples: Sequence[Example], max_new_tokens: int) -> list[bool]:
    from finetune.collate import chat_prompt
    from finetune.generate import beam_kwargs, generate_texts
    from finetune.models import load_model, load_tokenizer
    tok = load_tokenizer(model_dir, padding_side="left")
    model = load_model(model_dir, device="cpu")
    prompts = [tok.encode(chat_prompt(tok, list(m)), add_special_tokens=False) for m, _ in examples]
    outs = generate_texts(model, tok, prompts, batch_size=8, **beam_kwargs(1, 1, max_new_tokens))
    return [o[0][0] == r for o, (_, r) in zip(outs, examples)]


def train_demo(examples: Sequence[Example], out_dir: Path, seed: int = 0, rounds: int = 4,
               steps: int = 60) -> Path:
    """Train (uncached) into ``out_dir``: build tiny, then full fine-tune in rounds until greedy matches."""
    from finetune.config import TrainConfig
    from finetune.data import write_jsonl
    from finetune.tiny import build_tiny
    from finetune.train import train
    work = out_dir / "_work"
    texts = [m["content"] for ms, _ in examples for m in ms] + [r for _, r in examples]
    base = build_tiny(work / "base", seed=seed, texts=texts * 3)
    data = write_jsonl(work / "train.jsonl", [{"messages": list(ms) + [{"role": "assistant", "content": r}]}
                                              for ms, r in examples])
    max_new = 16 + max(len(r) for _, r in examples)  # byte-level tokens never exceed characters (+ eos)
    current = base
    for k in range(rounds):
        cfg = TrainConfig(base_model=str(current), train_data=str(data), output_dir=str(work / f"round{k}"),
                          lora_r=0, lr=3e-3, max_steps=steps, batch_size=len(examples), eval_every=0,
                          group_by_length=False, seed=seed + k, progress=False, max_grad_norm=1.0,
                          save_total_limit=1)
        current = train(cfg).output_dir
        if all(_greedy_matches(current, examples, max_new)):
            break
    else:
        raise RuntimeError(f"demo model did not memorise the examples after {rounds * steps} steps")
    for f in current.iterdir():  # model + tokenizer files (no checkpoints/logs)
        if f.is_file() and f.suffix in (".json", ".safetensors", ".jinja", ".txt", ".model"):
            shutil.copy2(f, out_dir / f.name)
    shutil.rmtree(work, ignore_errors=True)
    return out_dir


def ensure_demo_model(examples: list[tuple[list[dict], str]], cache_dir: Path, seed: int = 0) -> Path:
    """Model dir mapping each chat (messages) to its reply; trained once, cached by a hash of ``examples``."""
    if not examples:
        raise ValueError("ensure_demo_model needs at least one (messages, reply) example")
    cache_dir = Path(cache_dir)
    final = cache_dir / f"demo-{examples_key(examples)}"
    if (final / "demo.json").is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=cache_dir))
    try:
        train_demo(examples, tmp, seed=seed)
        (tmp / "demo.json").write_text(json.dumps({"version": DEMO_VERSION, "examples": len(examples)}))
        if final.exists():  # a half-written leftover (no demo.json)
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:  # another process won the race: use theirs
            if not (final / "demo.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
