"""Prompt styles (``agent.styles``) with real javac/JUnit validation: the fill style's first and feedback turns,
its candidate kind, and the ids each style renders with the tiny tokenizer."""

from agent.loop import LoopConfig, RepairSession
from agent.styles import FILL_ME, STYLES
from agent.validation.validate import FreshValidator


def test_fill_feedback_turn_is_self_contained(sample_bugs, scripted, sessions_dir):
    bug = sample_bugs["OffByOne-1"]
    wrong = "for (int i = from; i < to - 1; i++) {"
    model = scripted([[wrong], ["for (int i = from; i <= to; i++) {"]])
    attempts = RepairSession(bug, model, FreshValidator(), LoopConfig(style="fill", rounds=2)).run()
    assert [a.outcome.kind for a in attempts] == ["test-failure", "plausible"]
    first, second = model.seen[0][-1]["content"], model.seen[1][-1]["content"]
    assert model.seen[0] == [{"role": "user", "content": first}] and first.count(FILL_ME) == 1
    # the second turn repeats the whole input, with the failed attempt and its failure as // lines above it
    head, _, rest = second.partition("\n" + first)
    assert rest == "" and second.endswith(first)
    assert all(line.startswith("//") for line in head.splitlines())
    assert "still fails tests" in head and wrong in head and "RangeSumTest" in head


def test_styles_render_the_ids_a_local_model_gets():
    from finetune.models import load_tokenizer
    from finetune.testing import tiny_base
    tok = load_tokenizer(tiny_base())
    turn = [{"role": "user", "content": f"int f() {{\n    {FILL_ME}\n}}"}]
    assert STYLES["fill"].prompt_ids(tok, turn) == [tok.bos_token_id] + tok.encode(turn[0]["content"],
                                                                                   add_special_tokens=False)
    chat = tok.apply_chat_template(turn, tokenize=False, add_generation_prompt=True)
    assert STYLES["chat"].prompt_ids(tok, turn) == tok.encode(chat, add_special_tokens=False)
    assert (STYLES["chat"].candidate_kind, STYLES["fill"].candidate_kind) == ("reply", "fill-reply")
