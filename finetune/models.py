"""Loading models/tokenizers (+ LoRA adapter, + 4-bit NF4) shared by training, merge, generation and
``agent.models.hf``; and the CPU 4-bit training fix.

bitsandbytes on CPUs with AVX512-BF16: ``Linear4bit.forward`` in eval mode under ``no_grad`` repacks the weight
into an inference-only layout (``quant_state.packing_format_for_cpu``) whose ``gemv_4bit`` kernel has no backward,
so after any eval pass gradients silently stop flowing through the 4-bit layers (LoRA weights below them get
zero grad). ``cpu_4bit_trainable`` sets ``support_avx512bf16_for_cpu = False`` on every ``Linear4bit`` (and the
module its ``Params4bit`` points at) and converts already-packed weights back (best effort: the packing rounds
the block absmax to bfloat16, so the flag must be off *before* the first eval pass); loading a 4-bit model, building
the training model and every evaluation call it.
"""
from __future__ import annotations

from pathlib import Path

from finetune.config import UserError


def resolve_device(device: str | None = None) -> str:
    if device:
        return device
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


_MARKERS = {"model": ("config.json",), "adapter": ("adapter_config.json",),
            "tokenizer": ("tokenizer_config.json", "tokenizer.json", "tokenizer.model")}


def _check_dir(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not str(path) or not p.is_dir():
        raise UserError(f"{what} {str(path)!r} does not exist; pass a save_pretrained folder "
                        f"(a tiny one: `repairchat finetune tiny DIR`)")
    markers = _MARKERS.get(what, ())
    if markers and not any((p / m).is_file() for m in markers):
        raise UserError(f"{what} folder {str(path)!r} has no {' or '.join(markers)}; pass a save_pretrained "
                        f"folder (a tiny one: `repairchat finetune tiny DIR`)")
    return p


def load_tokenizer(path: str | Path, padding_side: str = "right"):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(_check_dir(path, "tokenizer")))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = padding_side
    return tok


def quantization_config(compute_dtype: str = "float32", quant_storage: str | None = None):
    """NF4 with double quantisation. ``quant_storage="bfloat16"`` packs the 4-bit weights in bf16 tensors, which
    DeepSpeed ZeRO-3 (and FSDP) need to shard them like the rest of the model."""
    import torch
    from transformers import BitsAndBytesConfig
    extra = {"bnb_4bit_quant_storage": getattr(torch, quant_storage)} if quant_storage else {}
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=getattr(torch, compute_dtype), **extra)


def load_model(path: str | Path, adapter: str | Path | None = None, load_in_4bit: bool = False,
               device: str | None = None, trainable_adapter: bool = False, dtype: str | None = None,
               quant_storage: str | None = None):
    """``AutoModelForCausalLM`` from ``path`` (+ LoRA ``adapter``; + 4-bit NF4), on ``device``."""
    import torch
    from transformers import AutoModelForCausalLM
    _check_dir(path, "model")
    device = resolve_device(device)
    kw: dict = {}
    if load_in_4bit:
        kw["quantization_config"] = quantization_config("bfloat16" if device.startswith("cuda") else "float32",
                                                        quant_storage)
        if not quant_storage:  # ZeRO-3 places (and shards) the weights itself
            kw["device_map"] = {"": device}
    elif dtype:
        kw["dtype"] = getattr(torch, dtype)
    model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
    if not load_in_4bit:
        model.to(device)
    if adapter:
        from peft import PeftModel
        _check_dir(adapter, "adapter")
        model = PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable_adapter)
    if load_in_4bit:
        cpu_4bit_trainable(model)
    return model


def cpu_4bit_trainable(model) -> int:
    """Keep bitsandbytes 4-bit layers differentiable on CPU (see module doc). Returns the layers touched."""
    try:
        import bitsandbytes as bnb
        from bitsandbytes.functional import _convert_weight_packed_for_cpu_inverse
    except Exception:  # no bitsandbytes: nothing can be 4-bit
        return 0
    n = 0
    for mod in model.modules():
        if not isinstance(mod, bnb.nn.Linear4bit):
            continue
        mod.support_avx512bf16_for_cpu = False
        w = mod.weight
        owner = getattr(w, "module", None)
        if owner is not None:
            owner.support_avx512bf16_for_cpu = False
        qs = getattr(w, "quant_state", None)
        if qs is not None and getattr(qs, "packing_format_for_cpu", False):
            w.data, w.quant_state = _convert_weight_packed_for_cpu_inverse(w.data, qs)
            mod.quant_state = w.quant_state
        n += 1
    return n


def is_4bit(model) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False) or getattr(
        getattr(model, "base_model", None), "is_loaded_in_4bit", False) or any(
        type(m).__name__ == "Linear4bit" for m in model.modules()))
