"""Local transformers backend: ``hf:PATH[?adapter=DIR&4bit=1&max_new_tokens=256&num_beams=1&temperature=0&style=S]``.

``complete(messages, n)`` renders the turns the way the prompt style does (``agent.styles``: the chat template
with ``add_generation_prompt`` for ``chat``, raw ``[bos] + prompt`` for ``fill``), decodes greedily when
``n == 1`` and temperature is 0, returns the ``n`` best beams (``num_beams = max(num_beams, n)``) when
temperature is 0, and ``n`` samples otherwise; the prompt is stripped and special tokens skipped.

The style is, in order: ``?style=``, the one recorded at training time (``repairchat.json`` in the adapter or
model folder, written by ``repairchat finetune train``/``merge``), the loop's ``--style`` (``use_style``),
else ``chat``. A model trained for one style refuses a loop run in the other (one-line error).
torch/transformers are imported only when a model is constructed.
"""
from __future__ import annotations

import json
from pathlib import Path

from agent import styles
from agent.errors import UserError

_TRUE = {"1", "true", "yes", "on"}
MARKER = "repairchat.json"  # {"style": "fill"}: the prompt style a fine-tuned model was trained on


def trained_style(*folders) -> str | None:
    """The style recorded in the first of ``folders`` that has a ``repairchat.json``."""
    for d in folders:
        p = Path(d) / MARKER if d else None
        if p is not None and p.is_file():
            try:
                return str(json.loads(p.read_text())["style"])
            except (ValueError, KeyError, TypeError):
                raise UserError(f"{p} is not a repairchat marker ({{\"style\": \"chat\"|\"fill\"}}); fix or "
                                "remove it") from None
    return None


class HFModel:
    def __init__(self, path: str | Path, adapter: str | Path | None = None, load_in_4bit: bool = False,
                 max_new_tokens: int = 256, temperature: float = 0.0, num_beams: int = 1,
                 device: str | None = None, style: str | None = None):
        if not str(path):
            raise UserError("hf spec needs a model folder: hf:PATH[?adapter=DIR&4bit=1]")
        path = Path(path)
        if not path.is_dir():
            raise UserError(f"model path {path} does not exist; pass hf:DIR with a save_pretrained model folder")
        if adapter is not None and not Path(adapter).is_dir():
            raise UserError(f"adapter {adapter} does not exist; pass adapter=DIR with a saved LoRA adapter")
        if max_new_tokens < 1 or num_beams < 1 or temperature < 0:
            raise UserError("max_new_tokens and num_beams must be >= 1 and temperature >= 0")
        declared = style or trained_style(adapter, path)
        if declared is not None and declared not in styles.STYLES:
            raise UserError(f"unknown style {declared!r} for hf:{path}; use one of {', '.join(styles.STYLES)}")
        from finetune.models import load_model, load_tokenizer
        self.path, self.adapter, self.declared = path, adapter, declared
        self.style = styles.STYLES[declared or "chat"]
        self.max_new_tokens, self.temperature, self.num_beams = max_new_tokens, temperature, num_beams
        self.tokenizer = load_tokenizer(path, padding_side="left")
        self.model = load_model(path, adapter=adapter, load_in_4bit=load_in_4bit, device=device)
        self.model.eval()
        self.last_prompt_ids: list[int] = []

    def use_style(self, style: styles.Style) -> None:
        """The loop's prompt style; a model trained for another one refuses it."""
        if self.declared is not None and self.declared != style.name:
            raise UserError(f"hf:{self.path} was fine-tuned for the {self.declared} prompt style but the loop "
                            f"uses {style.name}; pass --style {self.declared} (or ?style={style.name} to force)")
        self.style = style

    def prompt_ids(self, messages: list[dict]) -> list[int]:
        try:
            return self.style.prompt_ids(self.tokenizer, messages)
        except ValueError as e:
            raise UserError(f"hf:{self.path}: {e}") from None

    def generate_kwargs(self, n: int) -> dict:
        from finetune.generate import beam_kwargs
        if self.temperature > 0:
            return beam_kwargs(num_return=n, max_new_tokens=self.max_new_tokens, do_sample=True,
                               temperature=self.temperature)
        beams = max(self.num_beams, n)
        return beam_kwargs(num_beams=beams, num_return=n, max_new_tokens=self.max_new_tokens)

    def complete(self, messages: list[dict], n: int = 1) -> list[str]:
        if n < 1:
            raise UserError(f"n must be >= 1 (got {n})")
        from finetune.generate import generate_texts
        self.last_prompt_ids = self.prompt_ids(messages)
        (cands,) = generate_texts(self.model, self.tokenizer, [self.last_prompt_ids], 1, **self.generate_kwargs(n))
        return [text for text, _ in cands]


def from_spec(rest: str, options: dict[str, str]) -> HFModel:
    known = {"adapter", "4bit", "max_new_tokens", "temperature", "num_beams", "device", "style"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UserError(f"unknown hf option(s) {', '.join(unknown)}; use: {', '.join(sorted(known))}")
    try:
        return HFModel(rest, adapter=options.get("adapter"), load_in_4bit=options.get("4bit", "0").lower() in _TRUE,
                       max_new_tokens=int(options.get("max_new_tokens", 256)),
                       temperature=float(options.get("temperature", 0.0)),
                       num_beams=int(options.get("num_beams", 1)), device=options.get("device"),
                       style=options.get("style"))
    except ValueError as e:
        if isinstance(e, UserError):
            raise
        raise UserError(f"bad hf option value ({e}); numbers expected for max_new_tokens/temperature/num_beams") \
            from None
