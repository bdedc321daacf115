"""Label masking, padding collator, length-grouped batching and chat segmentation.

Small top-level functions over plain Python lists (tested with hand-written examples, like trl's
``DataCollatorForLanguageModeling``); only ``to_tensors`` touches torch (lazily).

Conventions: ``IGNORE = -100`` marks label positions without loss (prompt, padding, non-assistant chat turns).
Prompt and completion are tokenized *separately* and their ids concatenated, so a prompt ending in ``\\n`` can
never merge with the completion's first token under BPE; generation feeds exactly the prompt ids.
"""
from __future__ import annotations

import random
from typing import Sequence

IGNORE = -100


def mask_labels(prompt_ids: Sequence[int], completion_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """``input_ids = prompt + completion``; ``labels`` = IGNORE over the prompt, the ids over the completion."""
    return list(prompt_ids) + list(completion_ids), [IGNORE] * len(prompt_ids) + list(completion_ids)


def truncate(input_ids: list[int], labels: list[int], max_length: int, keep_first: int = 0) -> tuple[list, list]:
    """Cut to ``max_length`` by dropping prompt tokens after the first ``keep_first`` (bos) from the left;
    when the completion alone is too long its tail is dropped."""
    over = len(input_ids) - max_length
    if over <= 0:
        return input_ids, labels
    first_label = next((i for i, l in enumerate(labels) if l != IGNORE), len(labels))
    droppable = max(0, first_label - keep_first)
    cut = min(over, droppable)
    input_ids = input_ids[:keep_first] + input_ids[keep_first + cut:]
    labels = labels[:keep_first] + labels[keep_first + cut:]
    return input_ids[:max_length], labels[:max_length]


def segments_to_example(segments: Sequence[tuple[list[int], bool]]) -> dict:
    """Concatenate ``(ids, trainable)`` segments -> ``{"input_ids", "labels"}`` with loss on trainable ones."""
    input_ids: list[int] = []
    labels: list[int] = []
    for ids, train in segments:
        input_ids += list(ids)
        labels += list(ids) if train else [IGNORE] * len(ids)
    return {"input_ids": input_ids, "labels": labels}


def pad_collate(features: Sequence[dict], pad_id: int, padding_side: str = "right",
                pad_to_multiple_of: int | None = None) -> dict:
    """Pad ``input_ids`` with ``pad_id``, ``labels`` with IGNORE, build ``attention_mask`` (lists of lists)."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left' (got {padding_side!r})")
    width = max((len(f["input_ids"]) for f in features), default=0)
    if pad_to_multiple_of:
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
    out: dict[str, list] = {"input_ids": [], "attention_mask": []}
    has_labels = all("labels" in f for f in features) and bool(features)
    if has_labels:
        out["labels"] = []
    for f in features:
        ids = list(f["input_ids"])
        n = width - len(ids)
        rows = {"input_ids": (ids, pad_id), "attention_mask": ([1] * len(ids), 0)}
        if has_labels:
            rows["labels"] = (list(f["labels"]), IGNORE)
        for key, (row, fill) in rows.items():
            out[key].append(row + [fill] * n if padding_side == "right" else [fill] * n + row)
    return out


def to_tensors(batch: dict) -> dict:
    import torch
    return {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}


def padded_batches(n: int, batch_size: int, seed: int = 0, shuffle: bool = True) -> list[list[int]]:
    """Plain (random order) batches of indices."""
    idx = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(idx)
    return [idx[i:i + batch_size] for i in range(0, n, batch_size)]


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int = 0,
                           mega_batch_mult: int = 50) -> list[list[int]]:
    """Batches of similar length (like HF ``get_length_grouped_indices``): shuffle, cut into mega-batches of
    ``mega_batch_mult * batch_size``, sort each by length (longest first), chunk, then shuffle the batches
    (keeping the overall longest batch first so an out-of-memory shows at step one)."""
    rng = random.Random(seed)
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    mega = max(1, mega_batch_mult) * batch_size
    batches: list[list[int]] = []
    for m in range(0, len(idx), mega):
        group = sorted(idx[m:m + mega], key=lambda i: -lengths[i])
        batches += [group[i:i + batch_size] for i in range(0, len(group), batch_size)]
    if not batches:
        return []
    longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
    first = batches.pop(longest)
    rng.shuffle(batches)
    return [first] + batches


def padding_waste(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    """Fraction of padded positions over all batches."""
    total = sum(len(b) * max(lengths[i] for i in b) for b in batches if b)
    real = sum(lengths[i] for b in batches for i in b)
    return 0.0 if total == 0 else 1 - real / total


# --- tokenizer-dependent helpers ---------------------------------------------------------------------------

def encode_prompt(tokenizer, prompt: str, add_bos: bool = True) -> list[int]:
    """Ids of a raw (non-chat) prompt: ``[bos] + tokens(prompt)``; what generation feeds the model."""
    ids = tokenizer.encode(prompt, add_special_tokens=False)
    bos = getattr(tokenizer, "bos_token_id", None)
    return ([bos] if add_bos and bos is not None else []) + ids


def encode_prompt_completion(tokenizer, prompt: str, completion: str, max_length: int | None = None) -> dict:
    """IR4xOR2 example: ``[bos] prompt | completion [eos]`` with loss on ``completion + eos`` only."""
    p = encode_prompt(tokenizer, prompt)
    c = tokenizer.encode(completion, add_special_tokens=False) + [tokenizer.eos_token_id]
    ids, labels = mask_labels(p, c)
    if max_length:
        ids, labels = truncate(ids, labels, max_length, keep_first=1 if p[:1] == [tokenizer.bos_token_id] else 0)
    return {"input_ids": ids, "labels": labels}


def chat_prompt(tokenizer, messages: list[dict]) -> str:
    """The generation prompt for ``messages`` (chat template with ``add_generation_prompt``)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    text = "".join(f"{m['role']}: {m['content']}\n" for m in messages)  # template-less fallback
    return (tokenizer.bos_token or "") + text + "assistant: "


def chat_segments(tokenizer, messages: list[dict]) -> list[tuple[str, bool]]:
    """Split a rendered chat into ``(text, trainable)`` pieces: each assistant reply (content only; the eos
    is appended as an id by ``encode_chat``, so the piece after a reply starts with the eos text) is trainable,
    everything else (system/user/feedback turns, template markers) is not. Trailing non-assistant turns are
    dropped (nothing to learn). Relies on the template rendering chat prefixes as text prefixes."""
    out: list[tuple[str, bool]] = []
    done = ""
    for k, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        prompt = chat_prompt(tokenizer, messages[:k])
        if not prompt.startswith(done):
            raise ValueError("chat template does not render chat prefixes as text prefixes")
        out.append((prompt[len(done):], False))
        out.append((m["content"], True))
        done = prompt + m["content"]
    return out


def encode_chat(tokenizer, messages: list[dict], max_length: int | None = None) -> dict:
    """Multi-turn chat example: loss on every assistant turn (content + eos), none on the rest."""
    eos = tokenizer.eos_token
    segs: list[tuple[list[int], bool]] = []
    for text, train in chat_segments(tokenizer, messages):
        if train:
            segs.append((tokenizer.encode(text, add_special_tokens=False) + [tokenizer.eos_token_id], True))
        else:
            if eos and text.startswith(eos):  # eos already emitted as the previous reply's last id
                text = text[len(eos):]
            segs.append((tokenizer.encode(text, add_special_tokens=False), False))
    ex = segments_to_example(segs)
    if max_length:
        bos = tokenizer.bos_token_id
        keep = 1 if ex["input_ids"][:1] == [bos] else 0
        ex["input_ids"], ex["labels"] = truncate(ex["input_ids"], ex["labels"], max_length, keep_first=keep)
    return ex


def encode_record(tokenizer, record: dict, max_length: int | None = None) -> dict:
    """A data record -> example: ``{"messages": [...]}`` chats or ``{"input", "output"}`` IR4xOR2 pairs."""
    if "messages" in record:
        return encode_chat(tokenizer, record["messages"], max_length)
    if "input" in record and "output" in record:
        return encode_prompt_completion(tokenizer, record["input"], record["output"], max_length)
    raise ValueError("record needs 'messages' or 'input' + 'output'")
