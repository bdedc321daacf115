"""The whole fine-tuning chain on CPU with the tiny local model, through the commands a user runs: ``finetune
data`` -> training -> ``finetune merge`` -> ``finetune generate`` -> ``validate`` -> ``run --style fill --model
hf:BASE?adapter=...``. The loop gives the fine-tuned model exactly the token ids it was trained on."""

import json

import pytest

from agent.errors import UserError
from finetune.testing import TRAIN_IDS, tiny_base, tiny_lora

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from agent.bugs import SAMPLES
    from agent.cli import main
    out = tmp_path_factory.mktemp("data")
    assert main(["finetune", "data", "--manifests", str(SAMPLES), "--tokenizer", str(tiny_base()),
                 "--dev-fraction", "0", "--out-dir", str(out)]) == 0
    return {r["id"]: r for r in map(json.loads, (out / "train.jsonl").read_text().splitlines())}


def test_training_input_ids_are_the_loops_input_ids(data, sample_bugs, sessions_dir):
    """The adapter was trained on ``finetune data``'s records (same inputs); the loop in fill style, through
    the hf: backend, feeds the model the prompt part of the training example, token for token, and the
    fine-tuned model repairs the bug."""
    from agent.loop import LoopConfig, RepairSession
    from agent.models import load_model
    from agent.validation.validate import FreshValidator
    from finetune.collate import encode_record
    adapter, _, trained_on = tiny_lora()
    assert [r["input"] for r in trained_on] == [data[i]["input"] for i in TRAIN_IDS]
    model = load_model(f"hf:{tiny_base()}?adapter={adapter}&max_new_tokens=48")
    assert model.declared == "fill"  # recorded by training next to the adapter
    for bug_id in TRAIN_IDS[:2]:
        ex = encode_record(model.tokenizer, data[bug_id])
        n_prompt = next(i for i, label in enumerate(ex["labels"]) if label != -100)
        attempts = RepairSession(sample_bugs[bug_id], model, FreshValidator(), LoopConfig(style="fill", rounds=1)).run()
        assert model.last_prompt_ids == ex["input_ids"][:n_prompt]
        assert attempts[0].outcome.kind == "plausible", attempts[0].outcome
    with pytest.raises(UserError, match="fine-tuned for the fill prompt style"):
        RepairSession(sample_bugs[TRAIN_IDS[0]], model, FreshValidator(), LoopConfig(style="chat"))


def test_merge_generate_validate_and_run_from_the_command_line(data, tmp_path, sessions_dir, capsys):
    from agent.cli import main
    adapter, _, _ = tiny_lora()
    merged = tmp_path / "merged"
    assert main(["finetune", "merge", "--base-model", str(tiny_base()), "--adapter", str(adapter),
                 "--out", str(merged)]) == 0
    assert json.loads((merged / "repairchat.json").read_text()) == {"style": "fill"}
    bug = TRAIN_IDS[1]
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps(data[bug]) + "\n")
    cands = tmp_path / "cands.jsonl"
    assert main(["finetune", "generate", "--model", str(merged), "--input", str(inp), "--out", str(cands),
                 "--num-beams", "2", "--num-return", "2", "--max-new-tokens", "40"]) == 0
    results = tmp_path / "validated.jsonl"
    assert main(["validate", "--candidates", str(cands), "--out", str(results)]) == 0
    assert json.loads(results.read_text().splitlines()[0])["outcome"] == "plausible"
    out = tmp_path / "run.jsonl"
    assert main(["run", "--ids", bug, "--style", "fill", "--rounds", "1", "--model",
                 f"hf:{tiny_base()}?adapter={adapter}&max_new_tokens=48", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert any(r.get("outcome") == "plausible" for r in rows), rows
