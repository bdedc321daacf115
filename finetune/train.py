"""The training loop: LoRA / QLoRA / full fine-tuning of a causal LM on IR4xOR2 pairs or chats.

A plain torch loop driven by ``accelerate.Accelerator`` (device placement, DDP, mixed precision), so the same
code runs on one CPU, one GPU, or several GPUs::

    repairchat finetune train train.toml                       # CPU or one GPU
    accelerate launch -m agent.cli finetune train train.toml   # multi-GPU (or: torchrun --nproc_per_node=N ...)

Each process takes every N-th micro-batch; gradients are averaged by DDP. Loss is summed over completion tokens
and divided by the step's completion-token count (exact under gradient accumulation), labels are -100 on the
prompt and padding. Every ``eval_every`` steps: dev loss + perplexity, a resumable checkpoint, early stopping.
Logs: ``OUTPUT_DIR/metrics.jsonl``, TensorBoard (``logging_dir``), ``OUTPUT_DIR/loss.png``.
"""
from __future__ import annotations

import json
import math
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from finetune.collate import encode_record, length_grouped_batches, pad_collate, padded_batches, to_tensors
from finetune.config import TrainConfig, UserError
from finetune.data import read_records

__all__ = ["TrainConfig", "TrainResult", "train", "load_examples", "evaluate", "completion_loss"]


@dataclass(frozen=True)
class TrainResult:
    output_dir: Path
    steps: int
    best_dev_loss: float | None
    stopped_early: bool
    history: tuple = field(default=(), compare=False)


def load_examples(path: str | Path, tokenizer, max_length: int) -> list[dict]:
    out = []
    for i, r in enumerate(read_records(path)):
        try:
            ex = encode_record(tokenizer, r, max_length)
        except (ValueError, KeyError) as e:
            raise UserError(f"{path}: record {i + 1}: {e}; expected {{input, output}} or {{messages}}") from None
        if any(l != -100 for l in ex["labels"]):
            out.append(ex)
    if not out:
        raise UserError(f"{path} holds no trainable examples")
    return out


def completion_loss(model, batch: dict):
    """(summed cross-entropy over labelled tokens, number of labelled tokens)."""
    import torch.nn.functional as F
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    logits = logits[:, :-1].float()
    labels = batch["labels"][:, 1:]
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100,
                           reduction="sum")
    return loss, int((labels != -100).sum())


def evaluate(model, examples: list[dict], pad_id: int, batch_size: int = 8, device=None) -> tuple[float, float]:
    """(mean dev loss per completion token, perplexity). Leaves the model in train mode, 4-bit layers
    differentiable."""
    import torch
    from finetune.models import cpu_4bit_trainable
    was_training = model.training
    cpu_4bit_trainable(model)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for b in padded_batches(len(examples), batch_size, shuffle=False):
            batch = {k: v.to(device) if device else v
                     for k, v in to_tensors(pad_collate([examples[i] for i in b], pad_id)).items()}
            loss, n = completion_loss(model, batch)
            total += float(loss)
            count += n
    if was_training:
        model.train()
    cpu_4bit_trainable(model)  # after every eval pass (see finetune.models)
    mean = total / max(count, 1)
    return mean, math.exp(min(mean, 50.0))


def build_model(cfg: TrainConfig, device: str):
    """Base (optionally 4-bit) + LoRA (or full fine-tuning when lora_r == 0)."""
    import torch
    from finetune.models import cpu_4bit_trainable, load_model
    torch.manual_seed(cfg.seed)
    model = load_model(cfg.base_model, load_in_4bit=cfg.qlora, device=device)
    model.config.use_cache = False
    if cfg.lora_r == 0:
        if cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        return model
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    if cfg.qlora:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    elif cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    cpu_4bit_trainable(model)
    return model


def _save_weights(model, out: Path, tokenizer=None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)


def _load_weights(model, ckpt: Path, lora: bool) -> None:
    if lora:
        from peft import set_peft_model_state_dict
        from peft.utils import load_peft_weights
        set_peft_model_state_dict(model, load_peft_weights(str(ckpt / "model")))
    else:
        from safetensors.torch import load_file
        state: dict = {}
        for f in sorted((ckpt / "model").glob("*.safetensors")):
            state.update(load_file(str(f)))
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected:
            raise UserError(f"checkpoint {ckpt} does not match the model ({len(unexpected)} unexpected tensors)")


def _find_checkpoint(cfg: TrainConfig) -> Path | None:
    if not cfg.resume:
        return None
    if cfg.resume == "latest":
        cks = sorted(Path(cfg.output_dir).glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
        return cks[-1] if cks else None
    p = Path(cfg.resume)
    if not (p / "state.json").is_file():
        raise UserError(f"resume checkpoint {p} has no state.json; pass a checkpoint-N dir or 'latest'")
    return p


def _plot(history: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    tr = [(h["step"], h["loss"]) for h in history if "loss" in h]
    dv = [(h["step"], h["dev_loss"]) for h in history if "dev_loss" in h]
    if tr:
        ax.plot(*zip(*tr), label="train")
    if dv:
        ax.plot(*zip(*dv), marker="o", label="dev")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss / completion token")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def train(cfg: TrainConfig, console=None) -> TrainResult:
    """Run training per ``cfg``; returns a ``TrainResult``. See the module doc for outputs."""
    cfg.check_paths()
    import torch
    from accelerate import Accelerator
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from torch.utils.tensorboard import SummaryWriter
    from finetune.models import cpu_4bit_trainable, load_tokenizer

    acc = Accelerator(mixed_precision=cfg.mixed_precision, cpu=not torch.cuda.is_available())
    console = console or Console()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    random.seed(cfg.seed)
    tok = load_tokenizer(cfg.base_model)
    train_ex = load_examples(cfg.train_data, tok, cfg.max_length)
    dev_ex = load_examples(cfg.dev_data, tok, cfg.max_length) if cfg.dev_data else []
    model = build_model(cfg, str(acc.device))
    lora = cfg.lora_r > 0
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    lengths = [len(e["input_ids"]) for e in train_ex]
    world, rank = acc.num_processes, acc.process_index
    n_micro = -(-len(train_ex) // cfg.batch_size)
    steps_per_epoch = max(1, -(-n_micro // (cfg.grad_accum * world)))
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)) * max(0.0, (total - s) / total))
    if cfg.qlora and world == 1:
        opt = acc.prepare(opt)  # a 4-bit model is already placed; leave it unwrapped
    else:
        model, opt = acc.prepare(model, opt)

    state = {"step": 0, "best": None, "bad_evals": 0, "history": []}
    ckpt = _find_checkpoint(cfg)
    if ckpt is not None:
        _load_weights(acc.unwrap_model(model), ckpt, lora)
        extra = torch.load(ckpt / "trainer.pt", weights_only=False)
        opt.load_state_dict(extra["optimizer"])
        sched.load_state_dict(extra["scheduler"])
        torch.set_rng_state(extra["torch_rng"])
        random.setstate(extra["py_rng"])
        state = json.loads((ckpt / "state.json").read_text())
        console.print(f"resumed from {ckpt} at step {state['step']}")

    writer = SummaryWriter(cfg.logging_dir or str(out / "tb")) if acc.is_main_process else None
    metrics = (out / "metrics.jsonl").open("a" if ckpt else "w") if acc.is_main_process else None

    def log(rec: dict) -> None:
        state["history"].append(rec)
        if metrics:
            metrics.write(json.dumps(rec) + "\n")
            metrics.flush()
        if writer:
            for k, v in rec.items():
                if k != "step":
                    writer.add_scalar(f"dev/{k[4:]}" if k.startswith("dev_") else f"train/{k}", v, rec["step"])

    def save_checkpoint() -> None:
        if not acc.is_main_process:
            return
        d = out / f"checkpoint-{state['step']}"
        _save_weights(acc.unwrap_model(model), d / "model")
        torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "torch_rng": torch.get_rng_state(), "py_rng": random.getstate()}, d / "trainer.pt")
        (d / "state.json").write_text(json.dumps(state))
        cks = sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
        for old in cks[:-cfg.save_total_limit] if cfg.save_total_limit else []:
            shutil.rmtree(old, ignore_errors=True)

    def run_eval() -> bool:
        """Evaluate, log, checkpoint; True when early stopping fires."""
        if not dev_ex:
            return False
        loss, ppl = evaluate(model, dev_ex, tok.pad_token_id, cfg.eval_batch_size, acc.device)
        log({"step": state["step"], "dev_loss": loss, "dev_ppl": ppl})
        if state["best"] is None or loss < state["best"] - cfg.min_delta:
            state["best"], state["bad_evals"] = loss, 0
            if acc.is_main_process:
                _save_weights(acc.unwrap_model(model), out / "best", tok)
        else:
            state["bad_evals"] += 1
        save_checkpoint()
        return cfg.patience is not None and state["bad_evals"] >= cfg.patience

    model.train()
    cpu_4bit_trainable(model)
    stopped = False
    progress = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                        TimeRemainingColumn(), console=console, disable=not (cfg.progress and acc.is_main_process))
    with progress:
        task = progress.add_task("", total=total, completed=state["step"])
        orders: dict[int, list] = {}  # epoch -> batch order (a pure function of seed + epoch: resumable)
        while state["step"] < total and not stopped:
            step = state["step"]
            epoch, k = divmod(step, steps_per_epoch)
            if epoch not in orders:
                orders.clear()
                orders[epoch] = (length_grouped_batches(lengths, cfg.batch_size, seed=cfg.seed + epoch)
                                 if cfg.group_by_length else
                                 padded_batches(len(train_ex), cfg.batch_size, seed=cfg.seed + epoch))
            order = orders[epoch]
            per_step = cfg.grad_accum * world
            micro = order[k * per_step:(k + 1) * per_step] or order[:per_step]
            mine = micro[rank::world]
            ntok_all = sum(1 for b in micro for i in b for l in train_ex[i]["labels"][1:] if l != -100)
            step_loss = 0.0
            for j, b in enumerate(mine):
                batch = {kk: v.to(acc.device) for kk, v in to_tensors(
                    pad_collate([train_ex[i] for i in b], tok.pad_token_id)).items()}
                sync = j == len(mine) - 1
                ctx = acc.no_sync(model) if (not sync and world > 1) else _null()
                with ctx:
                    with acc.autocast():
                        loss, _ = completion_loss(model, batch)
                    acc.backward(loss * world / max(ntok_all, 1))
                step_loss += float(loss.detach())
            if world > 1:  # every rank's share of the step's loss, so the logged loss is the global one
                step_loss = float(acc.reduce(torch.tensor(step_loss, device=acc.device), reduction="sum"))
            if cfg.max_grad_norm:
                acc.clip_grad_norm_(params, cfg.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            state["step"] += 1
            rec = {"step": state["step"], "loss": step_loss / max(ntok_all, 1), "lr": sched.get_last_lr()[0],
                   "epoch": state["step"] / steps_per_epoch}
            log(rec)
            progress.update(task, advance=1, description=f"loss {rec['loss']:.4f}")
            if cfg.eval_every and state["step"] % cfg.eval_every == 0 and state["step"] < total:
                stopped = run_eval()
            elif cfg.save_every and state["step"] % cfg.save_every == 0:
                save_checkpoint()
    if not stopped:  # final eval + checkpoint; does not count as early stopping
        if dev_ex:
            run_eval()
        else:
            save_checkpoint()
    acc.wait_for_everyone()
    if acc.is_main_process:
        _save_weights(acc.unwrap_model(model), out, tok)
        (out / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        _plot(state["history"], out / "loss.png")
    if writer:
        writer.close()
    if metrics:
        metrics.close()
    if stopped:
        console.print(f"early stopping at step {state['step']} (no dev improvement in {cfg.patience} evals)")
    return TrainResult(out, state["step"], state["best"], bool(stopped) and cfg.patience is not None,
                       tuple(state["history"]))


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
