"""Batched candidate generation (beam search by default: 10 beams, 10 returned) -> candidates JSONL.

Input JSONL records: ``{"id"|"bug", "input"}`` (fill style: raw IR4xOR2 prompt -> kind ``fill-reply``) or
``{"id"|"bug", "messages"}`` (chat style: chat template -> kind ``reply``); the ids and kinds are the prompt
style's (``agent.styles``), the same as the loop's. Output, one line per candidate (what ``repairchat validate --candidates`` reads)::

    {"bug": ID, "candidate": RANK, "text": TEXT, "kind": "fill-reply"|"reply"|..., "score": LOGPROB}

``score`` is the length-normalised log-probability (beam ``sequences_scores``; for sampling/greedy the mean
token log-probability). Beam search never uses ``early_stopping=True``: it stops once ``num_beams`` hypotheses
are finished, and a still-running beam may have been the best one; ``"never"`` (default) or ``False`` keep it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from finetune.collate import pad_collate, record_messages
from finetune.config import GenerateConfig, UserError
from finetune.data import read_records


def beam_kwargs(num_beams: int = 10, num_return: int = 10, max_new_tokens: int = 256, do_sample: bool = False,
                temperature: float = 1.0, early_stopping="never") -> dict:
    """``generate()`` keyword arguments for one decoding setup (greedy when 1 beam, no sampling)."""
    if early_stopping is True:
        raise UserError("early_stopping=True can drop the best beam; use 'never' or False")
    kw: dict = {"max_new_tokens": max_new_tokens, "num_return_sequences": num_return,
                "return_dict_in_generate": True, "output_scores": True}
    if do_sample:
        kw.update(do_sample=True, temperature=temperature, num_beams=1)
    elif num_beams > 1:
        kw.update(do_sample=False, num_beams=num_beams, early_stopping=early_stopping, length_penalty=1.0)
    else:
        kw.update(do_sample=False, num_beams=1)
    return kw


def record_prompt(tokenizer, record: dict) -> tuple[list[int], str]:
    """(prompt ids, candidate kind) of an input record, through its prompt style (the loop's ids and kind).
    A chat's trailing assistant turn (the answer, in training data) is left out of the prompt."""
    from agent.styles import style_of_record
    try:
        style = style_of_record(record)
        messages = record_messages(record)
    except ValueError:
        raise UserError("generation input records need 'input' (IR4xOR2) or 'messages' (chat)") from None
    while messages and messages[-1].get("role") == "assistant":
        messages.pop()
    return style.prompt_ids(tokenizer, messages), style.candidate_kind


def generate_texts(model, tokenizer, prompts: Sequence[list[int]], batch_size: int = 4,
                   **kw) -> list[list[tuple[str, float]]]:
    """For each prompt (ids) its candidates ``[(text, score)]`` best first; ``kw`` from ``beam_kwargs``.
    Prompts are left padded in batches; decoded text drops the prompt and special tokens."""
    import torch
    kw = kw or beam_kwargs()
    n_ret = kw.get("num_return_sequences", 1)
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    results: list[list[tuple[str, float]]] = []
    model.eval()
    for start in range(0, len(prompts), batch_size):
        chunk = [{"input_ids": list(p)} for p in prompts[start:start + batch_size]]
        batch = {k: torch.tensor(v, dtype=torch.long, device=device)
                 for k, v in pad_collate(chunk, pad, padding_side="left").items()}
        with torch.no_grad():
            out = model.generate(**batch, pad_token_id=pad, eos_token_id=tokenizer.eos_token_id, **kw)
        width = batch["input_ids"].shape[1]
        seqs = out.sequences[:, width:]
        scores = getattr(out, "sequences_scores", None)
        if scores is None:
            trans = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
            s = seqs[:, :trans.shape[1]]
            is_eos = (s == tokenizer.eos_token_id).int()
            after_eos = (torch.cumsum(is_eos, 1) - is_eos) > 0
            valid = torch.isfinite(trans) & ~after_eos
            scores = torch.where(valid, trans, torch.zeros_like(trans)).sum(-1) / valid.sum(-1).clamp(min=1)
        texts = tokenizer.batch_decode(seqs, skip_special_tokens=True)
        for i in range(len(chunk)):
            cands = [(texts[i * n_ret + j], float(scores[i * n_ret + j])) for j in range(n_ret)]
            results.append(sorted(cands, key=lambda c: -c[1]))
    return results


def generate(cfg: GenerateConfig, model=None, tokenizer=None) -> Path:
    """Generate candidates for every record of ``cfg.input`` and write ``cfg.out``; returns the path."""
    from finetune.models import load_model, load_tokenizer
    import torch
    records = read_records(cfg.input)
    if not records:
        raise UserError(f"{cfg.input} holds no records")
    tokenizer = tokenizer or load_tokenizer(cfg.model, padding_side="left")
    model = model or load_model(cfg.model, adapter=cfg.adapter, load_in_4bit=cfg.load_in_4bit, device=cfg.device)
    torch.manual_seed(cfg.seed)
    prompts, kinds, ids = [], [], []
    for i, r in enumerate(records):
        p, kind = record_prompt(tokenizer, r)
        prompts.append(p)
        kinds.append(cfg.kind or r.get("kind") or kind)
        ids.append(str(r.get("bug", r.get("id", i))))
    kw = beam_kwargs(cfg.num_beams, cfg.num_return, cfg.max_new_tokens, cfg.do_sample, cfg.temperature,
                     cfg.early_stopping)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cands = generate_texts(model, tokenizer, prompts, cfg.batch_size, **kw)
    with out.open("w", encoding="utf-8") as f:
        for bug, kind, cs in zip(ids, kinds, cands):
            for rank, (text, score) in enumerate(cs):
                f.write(json.dumps({"bug": bug, "candidate": rank, "text": text, "kind": kind,
                                    "score": round(score, 6)}, ensure_ascii=False) + "\n")
    return out
