"""Training throughput: padded (random) batches vs length-grouped batches, side by side in one run.

    .venv/bin/python bench/finetune.py [--examples 256] [--batch-size 8] [--hidden-size 128] [--layers 2]
                                       [--max-length 512] [--lora-r 8] [--device cpu|cuda] [--repeats 3]

A tiny Llama (built locally, ``finetune.tiny``) is trained with LoRA for one epoch over the same synthetic
IR4xOR2-shaped examples (prompt/completion windows of the shipped Java corpus, lognormal lengths like Megadiff
functions: many short, a long tail) in both batch orders (a random permutation, or the Trainer's ``LengthGroupedSampler`` that ``group_by_length``
selects), using the training code's own collator and loss. Each mode
runs in a fresh subprocess so its peak memory is its own: peak RSS (``ru_maxrss``) on CPU, also as growth over
the RSS after loading the model, and peak allocated CUDA memory on GPU. tokens/s counts real (non-padding) tokens of forward + backward + optimizer step, best of
``--repeats`` epochs.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_examples(tokenizer, n: int, max_length: int, seed: int) -> list[dict]:
    from finetune.collate import mask_labels
    from finetune.tiny import shipped_texts
    ids = [i for text in shipped_texts() for line in text.splitlines(keepends=True)
           for i in tokenizer.encode(line, add_special_tokens=False)]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        length = int(min(max_length, max(16, rng.lognormvariate(math.log(max_length / 5), 0.8))))
        start = rng.randrange(0, max(1, len(ids) - length))
        window = (ids * (1 + length // max(1, len(ids))))[start:start + length]
        cut = max(1, int(len(window) * 0.8))  # last fifth is the "completion"
        input_ids, labels = mask_labels([tokenizer.bos_token_id] + window[:cut], window[cut:])
        out.append({"input_ids": input_ids, "labels": labels})
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _quiet() -> None:
    import warnings

    from transformers.utils import logging
    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.set_verbosity_error()
    logging.disable_progress_bar()


def run_mode(mode: str, args: dict, base: str, queue) -> None:
    import torch
    _quiet()

    from transformers.trainer_pt_utils import LengthGroupedSampler

    from finetune.collate import pad_collate, to_tensors
    from finetune.config import TrainConfig
    from finetune.models import load_tokenizer
    from finetune.train import build_model, completion_loss
    torch.manual_seed(args["seed"])
    device = args["device"]
    tok = load_tokenizer(base)
    examples = make_examples(tok, args["examples"], args["max_length"], args["seed"])
    cfg = TrainConfig(base_model=base, train_data="unused", lora_r=args["lora_r"], lora_dropout=0.0)
    model = build_model(cfg, device)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    lengths = [len(e["input_ids"]) for e in examples]
    # the batch orders training uses: the Trainer's LengthGroupedSampler (group_by_length) or a random permutation
    gen = torch.Generator().manual_seed(args["seed"])
    idx = (list(LengthGroupedSampler(args["batch_size"], lengths=lengths, generator=gen)) if mode == "length-grouped"
           else torch.randperm(len(examples), generator=gen).tolist())
    order = [idx[i:i + args["batch_size"]] for i in range(0, len(idx), args["batch_size"])]

    def step(batch_ids):
        batch = {k: v.to(device) for k, v in to_tensors(pad_collate([examples[i] for i in batch_ids],
                                                                      tok.pad_token_id)).items()}
        loss, n = completion_loss(model, batch)
        (loss / max(n, 1)).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return int(batch["input_ids"].numel())

    base_rss = _rss_mb()
    step(order[-1])  # warm-up on a short-ish batch (kernels, allocator); not timed
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args["repeats"]):  # best of N epochs: robust to other load on the machine
        t0 = time.perf_counter()
        padded = sum(step(b) for b in order)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    if device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    seconds = min(times)
    real = sum(lengths)
    growth = peak if device.startswith("cuda") else peak - base_rss
    queue.put({"mode": mode, "batches": len(order), "real": real, "padded": padded, "seconds": seconds,
               "tokens_s": real / seconds, "peak_mb": peak, "growth_mb": growth})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--hidden-size", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--device", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="epochs per mode; the fastest counts")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args(argv)

    import torch
    from rich.console import Console
    from rich.table import Table
    from finetune.tiny import build_tiny
    _quiet()
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    args = {"examples": a.examples, "batch_size": a.batch_size, "max_length": a.max_length, "lora_r": a.lora_r,
            "device": device, "seed": a.seed, "repeats": a.repeats}
    con = Console(width=max(110, Console().width))
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
        heads = max(1, a.hidden_size // 32)
        base = str(build_tiny(Path(tmp) / "base", hidden_size=a.hidden_size, intermediate_size=a.hidden_size * 2,
                              num_hidden_layers=a.layers, num_attention_heads=heads, num_key_value_heads=heads))
        ctx = mp.get_context("spawn")
        rows = []
        for mode in ("padded", "length-grouped"):
            q = ctx.Queue()
            p = ctx.Process(target=run_mode, args=(mode, args, base, q))
            p.start()
            rows.append(q.get())
            p.join()
            if p.exitcode:
                con.print(f"[red]{mode} run failed (exit {p.exitcode})")
                return 1
    mem = "peak CUDA MB" if device.startswith("cuda") else "peak RSS MB"
    t = Table(title=f"LoRA training, {a.examples} examples, batch {a.batch_size}, hidden {a.hidden_size} x "
                    f"{a.layers} layers, max length {a.max_length}, {device} ({torch.get_num_threads()} threads)")
    t.add_column("order", justify="left", no_wrap=True)
    for c in ("batches", "real tokens", "padded tokens", "padding", "seconds", "tokens/s", mem, "over model MB"):
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(r["mode"], str(r["batches"]), str(r["real"]), str(r["padded"]), f"{1 - r['real'] / r['padded']:.0%}",
                  f"{r['seconds']:.2f}", f"{r['tokens_s']:.0f}", f"{r['peak_mb']:.0f}", f"{r['growth_mb']:.0f}")
    con.print(t)
    pad, grp = rows
    con.print(f"length-grouped vs padded: {grp['tokens_s'] / pad['tokens_s']:.2f}x tokens/s, "
              f"{grp['padded'] / pad['padded']:.2f}x tokens computed, {grp['peak_mb'] / pad['peak_mb']:.2f}x peak "
              f"memory ({grp['growth_mb'] / max(pad['growth_mb'], 1e-9):.2f}x over the loaded model)")
    if a.json:
        Path(a.json).write_text(json.dumps({"device": device, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
