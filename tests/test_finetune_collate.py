"""Label masking, collators, length-grouped batching and chat segmentation, on hand-written examples."""

import pytest

from finetune.collate import (IGNORE, encode_chat, encode_prompt, encode_prompt_completion, mask_labels, pad_collate,
                              segments_to_example, truncate)

X = IGNORE


def test_mask_labels_loss_only_on_the_completion():
    assert mask_labels([1, 5, 6], [7, 8, 2]) == ([1, 5, 6, 7, 8, 2], [X, X, X, 7, 8, 2])
    assert segments_to_example([([1, 4], False), ([5, 6], True), ([7], False), ([8, 2], True)]) == \
        {"input_ids": [1, 4, 5, 6, 7, 8, 2], "labels": [X, X, 5, 6, X, 8, 2]}


def test_truncate_drops_prompt_from_the_left_after_bos():
    ids, labels = [1, 10, 11, 12, 13, 20, 21], [X, X, X, X, X, 20, 21]
    assert truncate(ids, labels, 5, keep_first=1) == ([1, 12, 13, 20, 21], [X, X, X, 20, 21])
    assert truncate(ids, labels, 9, keep_first=1) == (ids, labels)
    # completion alone too long: the prompt goes (but bos), then the completion's tail
    assert truncate(ids, labels, 2, keep_first=1) == ([1, 20], [X, 20])


def test_pad_collate_right_and_left():
    feats = [{"input_ids": [1, 5, 6], "labels": [X, 5, 6]}, {"input_ids": [1, 7], "labels": [X, 7]}]
    assert pad_collate(feats, pad_id=0) == {"input_ids": [[1, 5, 6], [1, 7, 0]],
                                            "attention_mask": [[1, 1, 1], [1, 1, 0]],
                                            "labels": [[X, 5, 6], [X, 7, X]]}
    left = pad_collate([{"input_ids": [1, 5, 6]}, {"input_ids": [1, 7]}], pad_id=0, padding_side="left",
                       pad_to_multiple_of=4)
    assert left == {"input_ids": [[0, 1, 5, 6], [0, 0, 1, 7]], "attention_mask": [[0, 1, 1, 1], [0, 0, 1, 1]]}
    with pytest.raises(ValueError):
        pad_collate(feats, 0, padding_side="middle")


@pytest.fixture(scope="module")
def tok():
    from finetune.models import load_tokenizer
    from finetune.testing import tiny_base
    return load_tokenizer(tiny_base())


def test_prompt_and_completion_are_tokenized_separately():
    """A prompt ending in "\\n" must not merge with the completion's first token: with a GPT-2 style byte-level
    BPE, "\\n" + indentation is one pre-token, so joint tokenization differs at the boundary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from finetune.tiny import shipped_texts
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(shipped_texts(), trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    gpt2 = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>")
    prompt, completion = "    int x = 0;\n    // <FILL_ME>\n", "        return x + 1;"
    p = gpt2.encode(prompt, add_special_tokens=False)
    c = gpt2.encode(completion, add_special_tokens=False)
    joint = gpt2.encode(prompt + completion, add_special_tokens=False)
    assert joint != p + c  # the trap: the boundary token straddles prompt and completion
    ex = encode_prompt_completion(gpt2, prompt, completion)
    assert ex["input_ids"] == [gpt2.bos_token_id] + p + c + [gpt2.eos_token_id]
    assert ex["input_ids"][:len(p) + 1] == encode_prompt(gpt2, prompt)  # what generation feeds
    assert [i for i, l in zip(ex["input_ids"], ex["labels"]) if l != X] == c + [gpt2.eos_token_id]
    assert gpt2.decode(c) == completion


def test_encode_prompt_completion_with_tiny_tokenizer(tok):
    ex = encode_prompt_completion(tok, "int f() {\n    <FILL_ME>\n}\n", "    return 1;")
    n_prompt = len(encode_prompt(tok, "int f() {\n    <FILL_ME>\n}\n"))
    assert ex["labels"][:n_prompt] == [X] * n_prompt
    assert tok.decode(ex["labels"][n_prompt:], skip_special_tokens=True) == "    return 1;"
    assert ex["labels"][-1] == tok.eos_token_id and ex["input_ids"][0] == tok.bos_token_id
    short = encode_prompt_completion(tok, "a\n" * 50, "b;", max_length=10)
    assert len(short["input_ids"]) == 10 and short["input_ids"][0] == tok.bos_token_id
    c = tok.encode("b;", add_special_tokens=False) + [tok.eos_token_id]
    assert short["labels"][-len(c):] == c and short["labels"][1:-len(c)] == [X] * (9 - len(c))


def test_encode_chat_loss_only_on_assistant_turns(tok):
    from finetune.collate import chat_prompt
    msgs = [{"role": "system", "content": "You repair Java."}, {"role": "user", "content": "fix: x = 1;"},
            {"role": "assistant", "content": "x = 2;"}, {"role": "user", "content": "error: expected 3"},
            {"role": "assistant", "content": "x = 3;"}]
    ex = encode_chat(tok, msgs, loss_on="all")
    trained = [i for i, l in zip(ex["input_ids"], ex["labels"]) if l != X]
    eos = tok.eos_token_id
    a1, a2 = (tok.encode(t, add_special_tokens=False) for t in ("x = 2;", "x = 3;"))
    assert trained == a1 + [eos] + a2 + [eos]
    # by default only the last (accepted) answer carries loss, not the rejected attempt before it
    last = encode_chat(tok, msgs)
    assert last["input_ids"] == ex["input_ids"]
    assert [i for i, l in zip(last["input_ids"], last["labels"]) if l != X] == a2 + [eos]
    assert all(l == X or l == i for i, l in zip(ex["input_ids"], ex["labels"]))
    # the ids are the rendered chat, and every assistant turn starts right after its generation prompt
    rendered = tok.apply_chat_template(msgs, tokenize=False)
    assert tok.decode(ex["input_ids"]) == rendered.rstrip("\n")
    for k in (2, 4):
        prefix = tok.encode(chat_prompt(tok, msgs[:k]), add_special_tokens=False)
        assert ex["input_ids"][:len(prefix)] == prefix and ex["labels"][len(prefix)] != X
    # trailing user turns carry no loss and are dropped
    assert encode_chat(tok, msgs + [{"role": "user", "content": "thanks"}], loss_on="all") == ex
