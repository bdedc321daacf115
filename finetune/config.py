"""Configuration dataclasses for fine-tuning, with help text (field metadata) and validation.

Every field carries ``metadata={"help": ...}`` (like peft's ``LoraConfig``); ``__post_init__`` validates and raises
``UserError`` (``agent.errors.UserError`` when importable, else ``ValueError``) with a one-line message.
Configs load from JSON, TOML (``tomllib``) or YAML (pyyaml): ``TrainConfig.load("train.toml")``. Unknown keys
are errors.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

try:  # the colleague-owned exception family; fall back to ValueError when absent
    from agent.errors import UserError
except Exception:  # pragma: no cover
    class UserError(ValueError):  # type: ignore[no-redef]
        """A one-line message naming the problem and the fix."""


# agent.validation.validate.CANDIDATE_KINDS (kept literal here: importing agent.validation.validate pulls in the Java tooling)
CANDIDATE_KINDS = ("method", "chunk", "reply", "fill-reply")


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


class _Loadable:
    """Mixin: ``load(path)`` from JSON/TOML, ``from_dict``, ``to_dict``, ``help()``."""

    @classmethod
    def from_dict(cls, data: dict, where: str = "config"):
        if not isinstance(data, dict):
            raise UserError(f"{where}: expected a table/object of settings")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise UserError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        try:
            return cls(**data)
        except TypeError as e:
            raise UserError(f"{where}: {e}") from None

    @classmethod
    def load(cls, path: str | Path):
        path = Path(path)
        if not path.is_file():
            raise UserError(f"config {path} not found; pass an existing .json or .toml file")
        text = path.read_text(encoding="utf-8")
        suffix = path.suffix.lower()
        try:
            if suffix == ".toml":
                data = tomllib.loads(text)
            elif suffix in (".yaml", ".yml"):
                import yaml  # pyyaml (an accelerate dependency), only for YAML configs
                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except Exception as e:  # tomllib/json/yaml parse errors
            kind = {".toml": "TOML", ".yaml": "YAML", ".yml": "YAML"}.get(suffix, "JSON")
            msg = " ".join(str(e).split())[:160]
            raise UserError(f"config {path}: malformed {kind} ({msg}); fix the file") from None
        if not isinstance(data, dict):
            raise UserError(f"config {path}: expected a table/object of settings at the top level")
        # TOML users may nest everything under [train]/[generate]/...
        if len(data) == 1 and isinstance(next(iter(data.values())), dict) and next(iter(data)) not in {
                f.name for f in fields(cls)}:
            data = next(iter(data.values()))
        return cls.from_dict(data, where=str(path))

    def to_dict(self) -> dict:
        return asdict(self)  # type: ignore[call-overload]

    def replace(self, **changes):
        d = self.to_dict()
        d.update({k: v for k, v in changes.items() if v is not None})
        return type(self).from_dict(d)

    @classmethod
    def help(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        out = {}
        for f in fields(cls):
            if f.default is not MISSING:
                out[f.name] = f.default
            elif f.default_factory is not MISSING:  # type: ignore[misc]
                out[f.name] = f.default_factory()  # type: ignore[misc]
        return out


def _positive(obj, *names: str, allow_zero: bool = False) -> None:
    for n in names:
        v = getattr(obj, n)
        if v is None:
            continue
        if (v < 0) if allow_zero else (v <= 0):
            raise UserError(f"{type(obj).__name__}.{n} must be {'>= 0' if allow_zero else '> 0'} (got {v})")


@dataclass
class DataConfig(_Loadable):
    """Build IR4xOR2 train/dev JSONL from Megadiff-style diffs, Juliet pairs and Defects4J-style manifests."""
    megadiff: list = _f([], "Megadiff parquet shards (a file or a folder; columns buggy_function, fixed_function) "
                            "or JSONL with those fields (or before/after)")
    juliet: list = _f([], "JSONL files of {id, cwe, bad, good} CWE method pairs (Juliet style)")
    manifests: list = _f([], "bug manifests (agent.bugs JSONL) whose entries carry location.lines + fixed_chunk")
    transcripts: list = _f([], "repairchat transcripts (files or folders): plausible sessions become multi-turn chats")
    tokenizer: str | None = _f(None, "tokenizer dir used to count tokens (None: whitespace/char estimate)")
    max_tokens: int = _f(1024, "keep samples whose input and output together fit this many tokens")
    cache_dir: str | None = _f(None, "datasets cache for the parquet shards' Arrow files (default: HF_DATASETS_CACHE)")
    dev_fraction: float = _f(0.1, "fraction of samples held out as the dev split")
    seed: int = _f(0, "seed of the train/dev shuffle")
    out_dir: str = _f("runs/data", "where train.jsonl, dev.jsonl and stats go")

    def __post_init__(self) -> None:
        _positive(self, "max_tokens")
        if not 0.0 <= self.dev_fraction < 1.0:
            raise UserError(f"DataConfig.dev_fraction must be in [0, 1) (got {self.dev_fraction})")
        for n in ("megadiff", "juliet", "manifests", "transcripts"):
            v = getattr(self, n)
            if isinstance(v, str):
                setattr(self, n, [v])


@dataclass
class TrainConfig(_Loadable):
    """LoRA/QLoRA (or full) fine-tuning of a causal LM on prompt/completion or chat JSONL."""
    base_model: str = _f("", "base model dir (save_pretrained layout; may be a merged model to continue from)")
    train_data: str = _f("", "train JSONL: {input, output} (IR4xOR2) or {messages} chats (loss on assistant turns)")
    dev_data: str | None = _f(None, "dev JSONL (same format); enables dev loss/perplexity and early stopping")
    output_dir: str = _f("runs/train", "adapter (or full model), checkpoints, metrics.jsonl, loss.png go here")
    logging_dir: str | None = _f(None, "TensorBoard log dir (default: OUTPUT_DIR/tb)")
    lora_r: int = _f(8, "LoRA rank; 0 = full fine-tuning (no adapter)")
    lora_alpha: int = _f(16, "LoRA alpha (scaling = alpha / r)")
    lora_dropout: float = _f(0.05, "dropout on the LoRA branch")
    target_modules: list = _f(["q_proj", "k_proj", "v_proj", "o_proj"], "module names LoRA wraps")
    qlora: bool = _f(False, "load the base in 4-bit NF4 (bitsandbytes) and train LoRA on top (QLoRA)")
    gradient_checkpointing: bool = _f(False, "trade compute for memory (recommended for large QLoRA runs on GPU)")
    lr: float = _f(2e-4, "peak learning rate (AdamW, linear warmup then linear decay)")
    weight_decay: float = _f(0.0, "AdamW weight decay")
    warmup_steps: int = _f(0, "linear warmup optimizer steps")
    epochs: float = _f(1.0, "passes over the train data (ignored when max_steps is set)")
    max_steps: int | None = _f(None, "stop after this many optimizer steps")
    batch_size: int = _f(4, "examples per micro-batch (per device)")
    grad_accum: int = _f(1, "micro-batches accumulated per optimizer step")
    max_length: int = _f(2048, "truncate encoded examples to this many tokens (prompt truncated from the left)")
    group_by_length: bool = _f(True, "batch examples of similar length together (less padding)")
    eval_every: int = _f(50, "evaluate dev loss/perplexity every N optimizer steps (0: only at the end)")
    eval_batch_size: int = _f(8, "dev micro-batch size")
    patience: int | None = _f(None, "early stopping: stop after this many evals without improvement (None: off); "
                                    "the best adapter is loaded at the end and saved in OUTPUT_DIR")
    min_delta: float = _f(0.0, "early stopping: dev loss must drop by more than this to count as improvement")
    save_every: int = _f(0, "write a resumable checkpoint every N optimizer steps (0: none; with a dev set "
                            "checkpoints follow eval_every)")
    save_total_limit: int = _f(2, "keep at most this many checkpoints")
    resume: str | None = _f(None, "checkpoint dir to resume from, or 'latest' (newest complete one under OUTPUT_DIR)")
    seed: int = _f(0, "random seed (model init of LoRA, shuffling, dropout)")
    max_grad_norm: float = _f(1.0, "gradient clipping norm (0: off)")
    progress: bool = _f(True, "show a rich progress bar")
    mixed_precision: str = _f("no", "mixed precision: no | fp16 | bf16 (bf16 for QLoRA on GPUs that have it)")
    loss_on: str = _f("last", "multi-turn chats: loss on the last assistant turn (the accepted answer) or all")
    deepspeed: str | None = _f(None, "DeepSpeed JSON config (finetune/deepspeed/zero2.json or zero3.json); needs "
                                     "the deepspeed package and GPUs; see README for the QLoRA combinations")

    def __post_init__(self) -> None:
        _positive(self, "batch_size", "grad_accum", "max_length", "eval_batch_size", "lr")
        _positive(self, "lora_r", "warmup_steps", "eval_every", "save_every", "save_total_limit", allow_zero=True)
        _positive(self, "max_steps", "epochs")
        if self.patience is not None and self.patience < 1:
            raise UserError(f"TrainConfig.patience must be >= 1 or null (got {self.patience})")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise UserError(f"TrainConfig.lora_dropout must be in [0, 1) (got {self.lora_dropout})")
        if self.qlora and self.lora_r == 0:
            raise UserError("TrainConfig: qlora needs lora_r > 0 (4-bit weights cannot be trained directly)")
        if self.mixed_precision not in ("no", "fp16", "bf16"):
            raise UserError(f"TrainConfig.mixed_precision must be no, fp16 or bf16 (got {self.mixed_precision!r})")
        if self.loss_on not in ("last", "all"):
            raise UserError(f"TrainConfig.loss_on must be last or all (got {self.loss_on!r})")
        if self.deepspeed and not Path(self.deepspeed).is_file():
            raise UserError(f"TrainConfig.deepspeed {self.deepspeed!r} not found; pass a DeepSpeed JSON config "
                            f"(e.g. finetune/deepspeed/zero2.json)")
        if isinstance(self.target_modules, str):
            self.target_modules = [self.target_modules]

    def check_paths(self) -> None:
        """Raise a one-line UserError when a path setting does not exist (called by ``train``)."""
        if not self.base_model or not Path(self.base_model).is_dir():
            raise UserError(f"base_model {self.base_model!r} is not a model dir; set base_model to a "
                            f"save_pretrained folder (build one with `repairchat finetune tiny`)")
        for n in ("train_data", "dev_data"):
            v = getattr(self, n)
            if (v or n == "train_data") and not Path(v or "").is_file():
                raise UserError(f"{n} {v!r} not found; point it at a JSONL file (see `repairchat finetune data`)")


@dataclass
class GenerateConfig(_Loadable):
    """Beam-search candidate generation over IR4xOR2 inputs or chats."""
    model: str = _f("", "model dir (base or merged)")
    adapter: str | None = _f(None, "LoRA adapter dir applied on top of model")
    load_in_4bit: bool = _f(False, "load the model in 4-bit NF4 (bitsandbytes)")
    input: str = _f("", "JSONL of {id|bug, input} (kind chunk) or {id|bug, messages} (kind reply)")
    out: str = _f("candidates.jsonl", "candidates JSONL: {bug, candidate, text, kind, score}")
    num_beams: int = _f(10, "beam width")
    num_return: int = _f(10, "candidates returned per input (<= num_beams unless sampling)")
    early_stopping: Any = _f("never", "beam stop rule: 'never' (exact) or false (heuristic); true can drop the best")
    max_new_tokens: int = _f(256, "generation budget per candidate")
    batch_size: int = _f(4, "inputs per generate() call (left padded)")
    do_sample: bool = _f(False, "sample instead of beam search")
    temperature: float = _f(1.0, "sampling temperature (do_sample only)")
    kind: str | None = _f(None, "candidate kind override: chunk | method | reply | fill-reply (default: chunk for "
                              "{input} records, reply for {messages} records)")
    device: str | None = _f(None, "torch device (default cuda when available, else cpu)")
    seed: int = _f(0, "random seed (sampling)")

    def __post_init__(self) -> None:
        _positive(self, "num_beams", "num_return", "max_new_tokens", "batch_size", "temperature")
        if isinstance(self.early_stopping, str) and self.early_stopping.lower() in ("false", "0", "no", "true", "1"):
            self.early_stopping = self.early_stopping.lower() in ("true", "1")  # from a flag
        if self.early_stopping is True or self.early_stopping not in (False, "never"):
            raise UserError(f"GenerateConfig.early_stopping must be 'never' or false (got {self.early_stopping!r}); "
                            f"true stops at the first num_beams finished hypotheses and can drop the best one")
        if not self.do_sample and self.num_return > self.num_beams:
            raise UserError(f"GenerateConfig.num_return ({self.num_return}) must be <= num_beams "
                            f"({self.num_beams}) for beam search")
        if self.kind is not None and self.kind not in CANDIDATE_KINDS:
            raise UserError(f"GenerateConfig.kind must be one of {', '.join(CANDIDATE_KINDS)} (got {self.kind!r})")


@dataclass
class MergeConfig(_Loadable):
    """Merge a LoRA adapter into its (unquantized) base and save a standalone model."""
    base_model: str = _f("", "base model dir the adapter was trained on")
    adapter: str = _f("", "LoRA adapter dir (train output_dir or a checkpoint's adapter)")
    out: str = _f("runs/merged", "where the merged model + tokenizer are saved")
    dtype: str = _f("float32", "dtype of the merged weights: float32 | bfloat16 | float16")

    def __post_init__(self) -> None:
        if self.dtype not in ("float32", "bfloat16", "float16"):
            raise UserError(f"MergeConfig.dtype must be float32, bfloat16 or float16 (got {self.dtype!r})")
