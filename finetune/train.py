"""Training on transformers' ``Trainer``: LoRA / QLoRA / full fine-tuning of a causal LM on IR4xOR2 pairs or chats.

What repairchat adds to the Trainer: the examples (``finetune.collate``: each record encoded through its prompt
style, prompt and answer tokenized separately, loss on the answer only; chats: the last assistant turn, or all
with ``loss_on = "all"``), the padding collator, a callback that keeps 4-bit layers differentiable on CPU, a
callback that appends ``metrics.jsonl`` rows, resume checks (only complete checkpoints; the same
``max_steps``/``epochs`` as the interrupted run) and the ``repairchat.json`` style marker next to the adapter.
Everything else is the Trainer's: per-token loss under gradient accumulation and across processes
(``average_tokens_across_devices``), ``group_by_length``, checkpoints with optimizer/scheduler/RNG state,
``EarlyStoppingCallback`` with the best adapter loaded at the end (so ``OUTPUT_DIR`` holds the best one),
TensorBoard through ``report_to``, DDP through ``torchrun``/``accelerate launch``, DeepSpeed (``deepspeed``)::

    repairchat finetune train train.toml                                     # CPU or one GPU
    torchrun --nproc_per_node=N -m agent.cli finetune train train.toml       # or: accelerate launch -m agent.cli ...
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from finetune.collate import encode_record, pad_collate, to_tensors
from finetune.config import TrainConfig, UserError
from finetune.data import read_records

__all__ = ["TrainConfig", "TrainResult", "train", "load_examples", "build_model", "completion_loss", "evaluate"]


@dataclass(frozen=True)
class TrainResult:
    output_dir: Path
    steps: int
    best_dev_loss: float | None
    stopped_early: bool
    history: tuple = field(default=(), compare=False)


def load_examples(path: str | Path, tokenizer, max_length: int, loss_on: str = "last") -> list[dict]:
    out = []
    for i, r in enumerate(read_records(path)):
        try:
            ex = encode_record(tokenizer, r, max_length, loss_on)
        except (ValueError, KeyError) as e:
            raise UserError(f"{path}: record {i + 1}: {e}; expected {{input, output}} or {{messages}}") from None
        if any(l != -100 for l in ex["labels"]):
            out.append(ex)
    if not out:
        raise UserError(f"{path} holds no trainable examples")
    return out


def data_style(path: str | Path) -> str | None:
    """The prompt style of a data file's records (None when they mix styles)."""
    from agent.styles import style_of_record
    names = {style_of_record(r).name for r in read_records(path)}
    return names.pop() if len(names) == 1 else None


def completion_loss(model, batch: dict):
    """(summed cross-entropy over labelled tokens, number of labelled tokens)."""
    import torch.nn.functional as F
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    logits = logits[:, :-1].float()
    labels = batch["labels"][:, 1:]
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100,
                           reduction="sum")
    return loss, int((labels != -100).sum())


def evaluate(model, examples: list[dict], pad_id: int, batch_size: int = 8) -> tuple[float, float]:
    """(mean loss per answer token, perplexity) without the Trainer; leaves the model in its mode, 4-bit layers
    differentiable."""
    import torch
    from finetune.models import cpu_4bit_trainable
    was_training = model.training
    cpu_4bit_trainable(model)
    model.eval()
    total, count = 0.0, 0
    device = next(model.parameters()).device
    with torch.no_grad():
        for k in range(0, len(examples), batch_size):
            batch = {n: v.to(device) for n, v in to_tensors(pad_collate(examples[k:k + batch_size], pad_id)).items()}
            loss, n = completion_loss(model, batch)
            total, count = total + float(loss), count + n
    if was_training:
        model.train()
    cpu_4bit_trainable(model)
    mean = total / max(count, 1)
    return mean, math.exp(min(mean, 50.0))


def train_device() -> str:
    """This process's device: ``cuda:LOCAL_RANK`` under torchrun/accelerate on GPUs, else cuda or cpu."""
    import torch
    if not torch.cuda.is_available():
        return "cpu"
    return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"


def build_model(cfg: TrainConfig, device: str):
    """Base (optionally 4-bit) + LoRA (or full fine-tuning when lora_r == 0)."""
    import torch
    from finetune.models import cpu_4bit_trainable, load_model
    torch.manual_seed(cfg.seed)
    model = load_model(cfg.base_model, load_in_4bit=cfg.qlora, device=device,
                       quant_storage="bfloat16" if cfg.qlora and cfg.deepspeed else None)
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


# --- checkpoints ----------------------------------------------------------------------------------------------

def checkpoint_state(ckpt: Path) -> dict | None:
    """The Trainer state of a complete checkpoint, else None. The Trainer writes ``trainer_state.json`` last
    (after the weights, optimizer, scheduler and RNG state), in place; a kill mid-save leaves it missing or
    cut short, so a checkpoint counts only when it parses and the weights are there."""
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return None
    weights = any((ckpt / n).is_file() for n in ("adapter_model.safetensors", "model.safetensors",
                                                  "model.safetensors.index.json", "pytorch_model.bin"))
    return state if weights and (ckpt / "optimizer.pt").is_file() else None


def find_checkpoint(cfg: TrainConfig) -> tuple[Path, dict] | None:
    """The checkpoint ``cfg.resume`` names (``latest``: the newest complete one under ``output_dir``)."""
    if not cfg.resume:
        return None
    if cfg.resume == "latest":
        cks = sorted(Path(cfg.output_dir).glob("checkpoint-*"),
                     key=lambda p: int(p.name.split("-")[1]) if p.name.split("-")[1].isdigit() else -1)
        for ck in reversed(cks):
            state = checkpoint_state(ck)
            if state is not None:
                return ck, state
        return None
    p = Path(cfg.resume)
    state = checkpoint_state(p)
    if state is None:
        raise UserError(f"resume checkpoint {p} is not a complete Trainer checkpoint (no readable "
                        f"trainer_state.json, weights and optimizer.pt); pass a checkpoint-N dir or 'latest'")
    return p, state


def check_resume(cfg: TrainConfig, ckpt: Path, state: dict, steps_per_epoch: int) -> None:
    """Resuming must keep the schedule: the learning rate decays over the run's total steps."""
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    if state.get("max_steps") not in (None, total):
        raise UserError(f"{ckpt} belongs to a run of {state['max_steps']} steps but this one has {total}; resume "
                        f"with the same max_steps/epochs (the learning-rate schedule depends on them) or start over")


def trim_metrics(path: Path, step: int) -> None:
    """Drop rows logged after ``step`` (the checkpoint resumed from), so a resumed run does not repeat them."""
    if not path.is_file():
        return
    rows = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
    path.write_text("".join(ln + "\n" for ln in rows))


def _row(log: dict, step: int) -> dict | None:
    if "eval_loss" in log:
        return {"step": step, "dev_loss": log["eval_loss"], "dev_ppl": math.exp(min(log["eval_loss"], 50.0))}
    if "loss" in log:
        return {"step": step, "loss": log["loss"], "lr": log.get("learning_rate", 0.0), "epoch": log.get("epoch", 0.0)}
    return None


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
    ax.set_ylabel("loss / answer token")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _callbacks(cfg: TrainConfig, metrics: Path):
    from transformers import TrainerCallback

    from finetune.models import cpu_4bit_trainable

    class Cpu4bit(TrainerCallback):
        """bitsandbytes on AVX512-BF16 CPUs: keep 4-bit layers differentiable around every evaluation."""
        def on_train_begin(self, args, state, control, model=None, **kw):
            if model is not None:
                cpu_4bit_trainable(model)

        def on_evaluate(self, args, state, control, model=None, **kw):
            if model is not None:
                cpu_4bit_trainable(model)

    class Metrics(TrainerCallback):
        """One ``metrics.jsonl`` row per log (train loss per step, dev loss/perplexity per evaluation)."""
        def on_log(self, args, state, control, logs=None, **kw):
            row = _row(logs or {}, state.global_step)
            if row is not None and state.is_world_process_zero:
                with metrics.open("a") as f:
                    f.write(json.dumps(row) + "\n")

    return [Cpu4bit(), Metrics()]


def training_arguments(cfg: TrainConfig, has_dev: bool):
    import torch
    from transformers import TrainingArguments
    eval_steps = cfg.eval_every if has_dev and cfg.eval_every else None
    save_steps = eval_steps or cfg.save_every or None
    return TrainingArguments(
        output_dir=cfg.output_dir, per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size, gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.lr, weight_decay=cfg.weight_decay, warmup_steps=cfg.warmup_steps,
        lr_scheduler_type="linear", num_train_epochs=cfg.epochs, max_steps=cfg.max_steps or -1,
        max_grad_norm=cfg.max_grad_norm or 0.0, seed=cfg.seed, data_seed=cfg.seed, logging_steps=1,
        eval_strategy="steps" if eval_steps else "no", eval_steps=eval_steps,
        save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500,
        save_total_limit=cfg.save_total_limit or None,
        load_best_model_at_end=bool(eval_steps), metric_for_best_model="eval_loss", greater_is_better=False,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        report_to=["tensorboard"], disable_tqdm=not cfg.progress, remove_unused_columns=False,
        bf16=cfg.mixed_precision == "bf16", fp16=cfg.mixed_precision == "fp16",
        use_cpu=not torch.cuda.is_available(), deepspeed=cfg.deepspeed, dataloader_num_workers=0,
        ddp_find_unused_parameters=False if cfg.lora_r else None)


def train(cfg: TrainConfig, console=None) -> TrainResult:
    """Run training per ``cfg``; returns a ``TrainResult``. Outputs in ``cfg.output_dir``: the (best, when a dev
    set is given) adapter or model + tokenizer + ``repairchat.json``, ``checkpoint-N``, ``metrics.jsonl``,
    ``loss.png``, TensorBoard events (``logging_dir``, default ``OUTPUT_DIR/tb``)."""
    cfg.check_paths()
    from transformers import EarlyStoppingCallback, Trainer

    from agent.models.hf import MARKER
    from finetune.models import load_tokenizer

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(cfg.base_model)
    train_ex = load_examples(cfg.train_data, tok, cfg.max_length, cfg.loss_on)
    dev_ex = load_examples(cfg.dev_data, tok, cfg.max_length, cfg.loss_on) if cfg.dev_data else []
    world = int(os.environ.get("WORLD_SIZE", 1))
    steps_per_epoch = max(1, -(-len(train_ex) // (cfg.batch_size * cfg.grad_accum * world)))
    resume = find_checkpoint(cfg)
    metrics = out / "metrics.jsonl"
    rank0 = int(os.environ.get("RANK", 0)) == 0
    if resume is not None:
        check_resume(cfg, *resume, steps_per_epoch)
        if rank0:
            trim_metrics(metrics, int(resume[1].get("global_step", 0)))
    elif rank0 and metrics.exists():
        metrics.unlink()
    model = build_model(cfg, train_device())
    args = training_arguments(cfg, bool(dev_ex))
    callbacks = _callbacks(cfg, metrics)
    if dev_ex and cfg.eval_every and cfg.patience is not None:
        callbacks.append(EarlyStoppingCallback(cfg.patience, cfg.min_delta))
    tb_env = os.environ.get("TENSORBOARD_LOGGING_DIR")
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(cfg.logging_dir or out / "tb")  # read by report_to's callback
    trainer = Trainer(model=model, args=args, train_dataset=train_ex, eval_dataset=dev_ex or None,
                      data_collator=lambda feats: to_tensors(pad_collate(feats, tok.pad_token_id)),
                      processing_class=tok, callbacks=callbacks)
    if not cfg.progress:
        from transformers.trainer_callback import PrinterCallback, ProgressCallback
        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
    try:
        trainer.train(resume_from_checkpoint=str(resume[0]) if resume else None)
        if dev_ex and not cfg.eval_every:  # dev loss only at the end
            trainer.evaluate()
    finally:
        if tb_env is None:
            os.environ.pop("TENSORBOARD_LOGGING_DIR", None)
        else:
            os.environ["TENSORBOARD_LOGGING_DIR"] = tb_env
    state = trainer.state
    trainer.save_model(str(out))  # the best adapter when load_best_model_at_end, else the last
    history = [r for r in (_row(h, h.get("step", 0)) for h in state.log_history) if r is not None]
    if trainer.is_world_process_zero():
        tok.save_pretrained(out)
        style = data_style(cfg.train_data)
        if style:
            (out / MARKER).write_text(json.dumps({"style": style}) + "\n")
        (out / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        _plot(history, out / "loss.png")
    stopped = state.global_step < state.max_steps
    if stopped and console is not None:
        console.print(f"early stopping at step {state.global_step} (no dev improvement in {cfg.patience} evals)")
    dev = [h["dev_loss"] for h in history if "dev_loss" in h]
    best = state.best_metric if state.best_metric is not None else (min(dev) if dev else None)
    return TrainResult(out, state.global_step, best, stopped, tuple(history))
