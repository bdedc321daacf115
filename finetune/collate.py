"""Label masking, the padding collator and chat segmentation (batch order and length grouping: the Trainer's).

Small top-level functions over plain Python lists (tested with hand-written examples, like trl's
``DataCollatorForLanguageModeling``); only ``to_tensors`` touches torch (lazily).

Conventions: ``IGNORE = -100`` marks label positions without loss (prompt, padding, non-assistant chat turns).
Prompt and completion are tokenized *separately* and their ids concatenated, so a prompt ending in ``\\n`` can
never merge with the completion's first token under BPE; generation feeds exactly the prompt ids.
"""
from __future__ import annotations

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


# --- tokenizer-dependent helpers: the ids come from the prompt styles (agent.styles) ---------------------------

def encode_prompt(tokenizer, prompt: str, add_bos: bool = True) -> list[int]:
    """Ids of a raw (non-chat) prompt: ``[bos] + tokens(prompt)`` (the fill style's rendering)."""
    from agent.styles import raw_ids
    return raw_ids(tokenizer, prompt, add_bos)


def chat_prompt(tokenizer, messages: list[dict]) -> str:
    from agent.styles import chat_prompt as render
    return render(tokenizer, messages)


def record_messages(record: dict) -> list[dict]:
    """The turns a record's prompt is made of: its chat, or one user turn holding a fill ``input``."""
    if "messages" in record:
        return list(record["messages"])
    if "input" in record:
        return [{"role": "user", "content": record["input"]}]
    raise ValueError("record needs 'messages' or 'input' + 'output'")


def encode_prompt_completion(tokenizer, prompt: str, completion: str, max_length: int | None = None,
                             style: str = "fill") -> dict:
    """A prompt/answer example: the style's prompt ids (fill: ``[bos] prompt``) | ``completion [eos]``, loss on
    ``completion + eos`` only."""
    from agent.styles import get
    p = get(style).prompt_ids(tokenizer, [{"role": "user", "content": prompt}])
    c = tokenizer.encode(completion, add_special_tokens=False) + [tokenizer.eos_token_id]
    ids, labels = mask_labels(p, c)
    if max_length:
        ids, labels = truncate(ids, labels, max_length, keep_first=1 if p[:1] == [tokenizer.bos_token_id] else 0)
    return {"input_ids": ids, "labels": labels}


def chat_segments(tokenizer, messages: list[dict]) -> list[tuple[str, bool]]:
    """Split a rendered chat into ``(text, is_assistant)`` pieces: each assistant reply (content only; the eos
    is appended as an id by ``encode_chat``, so the piece after a reply starts with the eos text) is marked,
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


LOSS_ON = ("last", "all")


def encode_chat(tokenizer, messages: list[dict], max_length: int | None = None, loss_on: str = "last") -> dict:
    """Multi-turn chat example: loss on the last assistant turn (``loss_on="last"``: the accepted answer, not
    the rejected attempts before it) or on every assistant turn (``"all"``); content + eos, none on the rest."""
    if loss_on not in LOSS_ON:
        raise ValueError(f"loss_on must be one of {', '.join(LOSS_ON)} (got {loss_on!r})")
    eos = tokenizer.eos_token
    segs: list[tuple[list[int], bool]] = []
    pieces = chat_segments(tokenizer, messages)
    last = max((i for i, (_, a) in enumerate(pieces) if a), default=-1)
    for i, (text, assistant) in enumerate(pieces):
        if assistant:
            ids = tokenizer.encode(text, add_special_tokens=False) + [tokenizer.eos_token_id]
            segs.append((ids, loss_on == "all" or i == last))
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


def encode_record(tokenizer, record: dict, max_length: int | None = None, loss_on: str = "last") -> dict:
    """A data record -> example through its prompt style: ``{"messages": [...]}`` chats (chat style) or
    ``{"input", "output"}`` pairs (fill style)."""
    from agent.styles import style_of_record
    style = style_of_record(record)
    if "messages" in record:
        if not style.template:
            raise ValueError(f"a {style.name}-style record is an input/output pair, not a chat")
        return encode_chat(tokenizer, record["messages"], max_length, loss_on)
    if "output" not in record:
        raise ValueError("record needs 'messages' or 'input' + 'output'")
    return encode_prompt_completion(tokenizer, record["input"], record["output"], max_length, style.name)
