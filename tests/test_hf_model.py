"""The local transformers backend (``hf:PATH``): errors, ``complete(messages, n)``, and serving it through the
OpenAI-compatible server to the OpenAI client."""

import threading

import pytest

from agent.errors import UserError
from agent.models import load_model
from finetune.testing import tiny_base

MESSAGES = [{"role": "system", "content": "You repair Java bugs."},
            {"role": "user", "content": "public int f() {\n    return 1 - 1;\n}"}]


@pytest.mark.parametrize("spec, message", [
    ("hf:/no/such/model", "model path /no/such/model does not exist"),
    ("hf:{base}?adapter=/no/adapter", "adapter /no/adapter does not exist"),
    ("hf:{base}?max_new_tokens=many", "bad hf option value"),
    ("hf:{base}?beams=3", "unknown hf option"),
    ("hf:", "hf spec needs a model folder"),
    ("hf:{empty}", "has no"),
    ("hf:{base}?adapter={base}", "adapter folder"),
])
def test_bad_hf_specs_are_one_line_user_errors(spec, message, tmp_path):
    with pytest.raises(UserError) as e:
        load_model(spec.format(base=tiny_base(), empty=tmp_path))
    assert message in str(e.value) and "\n" not in str(e.value)


@pytest.fixture(scope="module")
def hf():
    return load_model(f"hf:{tiny_base()}?max_new_tokens=6")


def test_complete_returns_n_strings(hf):
    one = hf.complete(MESSAGES)
    assert len(one) == 1 and isinstance(one[0], str)
    assert hf.complete(MESSAGES) == one  # greedy is deterministic
    three = hf.complete(MESSAGES, n=3)
    assert len(three) == 3 and all(isinstance(t, str) for t in three)
    sampled = load_model(f"hf:{tiny_base()}?max_new_tokens=4&temperature=1.0").complete(MESSAGES, n=2)
    assert len(sampled) == 2
    with pytest.raises(UserError):
        hf.complete(MESSAGES, n=0)


def test_a_fill_adapter_renders_raw_prompts_and_a_chat_model_its_template(hf):
    from finetune.testing import tiny_lora
    adapter, _, records = tiny_lora()
    model = load_model(f"hf:{tiny_base()}?adapter={adapter}&max_new_tokens=40")
    turn = [{"role": "user", "content": records[0]["input"]}]
    assert model.complete(turn) == [records[0]["output"]]
    tok = model.tokenizer
    assert model.last_prompt_ids == [tok.bos_token_id] + tok.encode(records[0]["input"], add_special_tokens=False)
    hf.complete(turn)  # a model without a marker: the chat template
    assert hf.last_prompt_ids == tok.encode(tok.apply_chat_template(turn, tokenize=False, add_generation_prompt=True),
                                            add_special_tokens=False)
    with pytest.raises(UserError, match="style"):
        load_model(f"hf:{tiny_base()}?style=haiku")


def test_served_tiny_model_answers_the_openai_client(hf):
    from agent.models.openai import OpenAIModel
    from agent.models.serve import make_server
    server = make_server(hf, "tiny", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # the server honours the request's max_tokens: ask for the backend's own bound to get the same replies
        client = OpenAIModel("tiny", f"http://127.0.0.1:{server.server_address[1]}/v1", timeout=60,
                             max_tokens=hf.max_new_tokens)
        assert client.complete(MESSAGES, n=2) == hf.complete(MESSAGES, n=2)
        assert client.complete(MESSAGES) == hf.complete(MESSAGES)
        with pytest.raises(UserError, match="HTTP 404"):
            OpenAIModel("other", client.base_url, timeout=60).complete(MESSAGES)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_multi_turn_chat_lora_answers_every_assistant_turn(tmp_path):
    """LoRA on chats with a failed attempt + feedback turn, ``loss_on = "all"``: loss on both assistant turns, so
    the model answers the first user turn with the attempt and the feedback turn with the fix (hf: backend)."""
    from finetune.data import write_jsonl
    from finetune.testing import lora_config, sample_records
    from finetune.train import train
    chats = []
    for r in sample_records()[:2]:
        chats.append({"id": r["id"], "bug": r["id"], "messages": [
            {"role": "user", "content": r["input"]}, {"role": "assistant", "content": "// no idea"},
            {"role": "user", "content": "error: the tests still fail; give code"},
            {"role": "assistant", "content": r["output"]}]})
    data = write_jsonl(tmp_path / "chats.jsonl", chats)
    train(lora_config(tiny_base(), data, tmp_path / "chat", max_steps=30, loss_on="all"))
    model = load_model(f"hf:{tiny_base()}?adapter={tmp_path / 'chat'}&max_new_tokens=40")
    assert model.declared == "chat"
    for chat in chats:
        msgs = chat["messages"]
        assert model.complete(msgs[:1]) == ["// no idea"]
        assert model.complete(msgs[:3]) == [msgs[3]["content"]]
