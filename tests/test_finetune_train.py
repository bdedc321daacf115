"""Training, QLoRA gradients, evaluation/early stopping/resume, merge, beam generation and the CLI, with a tiny
local Llama (real transformers/peft/bitsandbytes on CPU, nothing from a hub)."""

import json
import math

import pytest

from agent.errors import UserError
from finetune.testing import lora_config, tiny_base, tiny_lora

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def lora():
    return tiny_lora()  # (adapter dir, train JSONL, records): trained once per process


@pytest.fixture(scope="module")
def model_and_tok(lora):
    from finetune.models import load_model, load_tokenizer
    return load_model(tiny_base(), adapter=lora[0], device="cpu"), load_tokenizer(tiny_base(), padding_side="left")


def _prompts(tok, records):
    from finetune.generate import record_prompt
    return [record_prompt(tok, r)[0] for r in records]


def test_greedy_and_beam_reproduce_the_training_fixes(lora, model_and_tok):
    from finetune.generate import beam_kwargs, generate_texts
    model, tok = model_and_tok
    records = lora[2]
    fixes = [r["output"] for r in records]
    greedy = generate_texts(model, tok, _prompts(tok, records), batch_size=4, **beam_kwargs(1, 1, 48))
    assert [c[0][0] for c in greedy] == fixes
    one_by_one = generate_texts(model, tok, _prompts(tok, records), batch_size=1, **beam_kwargs(1, 1, 48))
    assert one_by_one == greedy or [c[0][0] for c in one_by_one] == fixes  # left padding changes nothing
    beams = generate_texts(model, tok, _prompts(tok, records), batch_size=2, **beam_kwargs(10, 10, 48))
    for cands, fix in zip(beams, fixes):
        assert len(cands) == 10 and cands[0][0] == fix
        scores = [s for _, s in cands]
        assert scores == sorted(scores, reverse=True) and all(math.isfinite(s) for s in scores)


def _bigram_model(table: dict, vocab: int = 8):
    """A real 0-layer LlamaForCausalLM whose next-token log-probs depend on the last token only."""
    from transformers import LlamaConfig, LlamaForCausalLM
    logits = torch.full((vocab, vocab), -1e4)
    for tok, probs in table.items():
        for nxt, p in probs.items():
            logits[tok, nxt] = math.log(p)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=vocab, intermediate_size=4, num_hidden_layers=0,
                      num_attention_heads=1, num_key_value_heads=1, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                      tie_word_embeddings=False, rms_norm_eps=1e-12)
    m = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # one-hot embeddings; RMSNorm scales them by sqrt(vocab)
        m.model.embed_tokens.weight.copy_(torch.eye(vocab))
        m.model.norm.weight.fill_(1.0)
        m.lm_head.weight.copy_(logits.T / math.sqrt(vocab))
    return m


def test_beam_early_stopping_true_drops_the_best_answer():
    from finetune.generate import beam_kwargs
    # bos -> eos 0.4 | a 0.35 | c 0.25;  a -> b -> eos (certain);  c -> eos.  Best (length-normalised): "a b".
    m = _bigram_model({1: {2: 0.4, 3: 0.35, 5: 0.25}, 3: {4: 1.0}, 4: {2: 1.0}, 5: {2: 1.0},
                       0: {2: 1.0}, 2: {2: 1.0}, 6: {2: 1.0}, 7: {2: 1.0}})
    ids = torch.tensor([[1]])

    def best(**kw):
        out = m.generate(ids, pad_token_id=0, eos_token_id=2, **kw)
        return out.sequences[0, 1:].tolist()
    trap = dict(beam_kwargs(2, 2, 5), early_stopping=True)
    assert best(**trap)[:2] == [5, 2]  # stopped once two hypotheses finished: "a b" was still running
    assert best(**beam_kwargs(2, 2, 5))[:3] == [3, 4, 2]  # "never" (our default) keeps it
    assert best(**beam_kwargs(2, 2, 5, early_stopping=False))[:3] == [3, 4, 2]
    with pytest.raises(UserError):
        beam_kwargs(early_stopping=True)


def _linear4bit(seed=0):
    import bitsandbytes as bnb
    torch.manual_seed(seed)
    lin = torch.nn.Linear(64, 32)
    q = bnb.nn.Linear4bit(64, 32, compute_dtype=torch.float32, quant_type="nf4")
    q.load_state_dict(lin.state_dict())
    return q.to("cpu")


def _packed(layer) -> bool:
    return bool(getattr(layer.weight.quant_state, "packing_format_for_cpu", False))


def _input_grad(layer):
    x = torch.randn(3, 64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    layer(x).pow(2).sum().backward()
    return x.grad


def test_cpu_avx512bf16_trap_is_avoided_and_undone():
    """On AVX512-BF16 CPUs an eval-mode no-grad forward repacks 4-bit weights for an inference-only kernel (no
    backward; absmax rounded to bf16). Forcing the flag on reproduces the repacking on any CPU."""
    from finetune.models import cpu_4bit_trainable
    q = _linear4bit()
    q.train()
    reference = _input_grad(q)
    assert cpu_4bit_trainable(torch.nn.Sequential(q)) == 1 and q.support_avx512bf16_for_cpu is False
    q.eval()
    with torch.no_grad():
        q(torch.randn(2, 64))  # with the flag off, an eval pass leaves the layout alone
    assert not _packed(q)
    q.train()
    assert torch.equal(_input_grad(q), reference)

    q.support_avx512bf16_for_cpu = True  # what bitsandbytes sets on AVX512-BF16 hardware
    q.eval()
    with torch.no_grad():
        q(torch.randn(2, 64))
    assert _packed(q)  # the inference-only layout
    cpu_4bit_trainable(torch.nn.Sequential(q))  # converts back (absmax keeps its bf16 rounding)
    assert q.support_avx512bf16_for_cpu is False and not _packed(q)
    q.train()
    assert torch.allclose(_input_grad(q), reference, rtol=2e-2, atol=2e-2)


def test_qlora_gradients_reach_lora_params_after_an_eval_forward(lora):
    import bitsandbytes as bnb

    from finetune.collate import encode_record, pad_collate, to_tensors
    from finetune.models import load_tokenizer
    from finetune.train import build_model, completion_loss, evaluate
    cfg = lora_config(tiny_base(), lora[1], "unused", qlora=True, lora_r=4)
    model = build_model(cfg, "cpu")
    q4 = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert q4 and all(m.support_avx512bf16_for_cpu is False for m in q4)
    with torch.no_grad():  # non-zero B so that every A gets a gradient too
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.05)
    tok = load_tokenizer(tiny_base())
    examples = [encode_record(tok, r, 256) for r in lora[2][:2]]
    batch = to_tensors(pad_collate(examples, tok.pad_token_id))

    def grads():
        model.zero_grad(set_to_none=True)
        loss, n = completion_loss(model, batch)
        (loss / n).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad and p.grad is not None}
    model.train()
    before = grads()
    for m in q4:
        m.support_avx512bf16_for_cpu = True  # as on an AVX512-BF16 CPU
    dev_loss, ppl = evaluate(model, examples, tok.pad_token_id)  # eval-mode, no-grad forward
    assert ppl == pytest.approx(math.exp(dev_loss)) and model.training
    assert all(m.support_avx512bf16_for_cpu is False and not _packed(m) for m in q4)
    after = grads()
    lora_names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert lora_names and all("lora_" in n for n in lora_names) and set(after) == set(lora_names)
    for n in lora_names:
        assert after[n].abs().sum() > 0, n
        assert torch.allclose(after[n], before[n], atol=1e-5), n


def test_qlora_training_runs(tmp_path, lora):
    from finetune.train import train
    res = train(lora_config(tiny_base(), lora[1], tmp_path / "q", qlora=True, lora_r=4, max_steps=3,
                            dev_data=str(lora[1]), eval_every=2))
    assert res.steps == 3 and (tmp_path / "q" / "adapter_model.safetensors").is_file()
    losses = [h["loss"] for h in res.history if "loss" in h]
    assert losses[-1] < losses[0] and any("dev_loss" in h for h in res.history)


def test_dev_loss_perplexity_and_early_stopping(tmp_path, lora):
    from finetune.train import train
    out = tmp_path / "es"
    res = train(lora_config(tiny_base(), lora[1], out, dev_data=str(lora[1]), max_steps=20, eval_every=1,
                            patience=1, min_delta=1e9))  # no eval can improve by 1e9: stop at the second one
    assert res.stopped_early and res.steps == 2
    evals = [h for h in res.history if "dev_loss" in h]
    assert [h["step"] for h in evals] == [1, 2]
    assert all(h["dev_ppl"] == pytest.approx(math.exp(h["dev_loss"])) for h in evals)
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "dev_loss" in m] == [1, 2]
    assert [m["step"] for m in metrics if "loss" in m] == [1, 2]


def _adapter(d):
    from safetensors.torch import load_file
    return load_file(str(d / "adapter_model.safetensors"))


def test_the_output_folder_holds_the_best_adapter_not_the_last(tmp_path, lora):
    """Train on the sample fixes, evaluate on contradicting answers: dev loss falls, then rises as the model
    learns the training answers. The Trainer loads the best checkpoint at the end, so OUTPUT_DIR (what merge
    and hf:?adapter= read) holds the adapter of the lowest dev loss."""
    from finetune.data import write_jsonl
    from finetune.train import train
    dev = write_jsonl(tmp_path / "dev.jsonl", [dict(r, output="return 0;") for r in lora[2]])
    out = tmp_path / "best"
    res = train(lora_config(tiny_base(), lora[1], out, dev_data=str(dev), max_steps=8, eval_every=1,
                            save_total_limit=1))
    dev_loss = {h["step"]: h["dev_loss"] for h in res.history if "dev_loss" in h}
    best = min(dev_loss, key=dev_loss.get)
    assert best < 8 and dev_loss[8] > dev_loss[best], dev_loss  # the last is not the best
    assert res.best_dev_loss == pytest.approx(dev_loss[best])
    kept = _adapter(out / f"checkpoint-{best}")
    final = _adapter(out)
    assert all(torch.equal(final[k], kept[k]) for k in kept)


def test_resume_continues_without_repeating_rows_or_changing_the_schedule(tmp_path, lora):
    from finetune.train import train
    a = train(lora_config(tiny_base(), lora[1], tmp_path / "a", max_steps=4, save_every=2, save_total_limit=3,
                          lr=1e-3))
    assert sorted(p.name for p in (tmp_path / "a").glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    b = tmp_path / "b"
    b.mkdir()
    import shutil
    shutil.copytree(tmp_path / "a" / "checkpoint-2", b / "checkpoint-2")
    (b / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 1.0}) + "\n" for s in (1, 2, 3)))
    # a kill while checkpoint-3 was written: its trainer_state.json (written last) is cut short
    (b / "checkpoint-3").mkdir()
    (b / "checkpoint-3" / "trainer_state.json").write_text('{"global_st')
    res = train(lora_config(tiny_base(), lora[1], b, max_steps=4, save_every=2, lr=1e-3, resume="latest"))
    assert a.steps == res.steps == 4
    assert [json.loads(x)["step"] for x in (b / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4]
    wa, wb = _adapter(tmp_path / "a"), _adapter(b)
    assert wa.keys() == wb.keys() and all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    with pytest.raises(UserError, match="same max_steps"):
        train(lora_config(tiny_base(), lora[1], b, max_steps=6, resume=str(tmp_path / "a" / "checkpoint-2")))
    with pytest.raises(UserError, match="not a complete Trainer checkpoint"):
        train(lora_config(tiny_base(), lora[1], tmp_path / "c", resume=str(b / "checkpoint-3")))


@pytest.fixture(scope="module")
def merged(lora, tmp_path_factory):
    from finetune.merge import merge_adapter
    return merge_adapter(tiny_base(), lora[0], tmp_path_factory.mktemp("merged"))


def test_merged_logits_equal_base_plus_adapter(lora, model_and_tok, merged):
    from finetune.models import load_model
    model, tok = model_and_tok
    m = load_model(merged, device="cpu").eval()
    model.eval()
    ids = torch.tensor([_prompts(tok, lora[2][:1])[0]])
    with torch.no_grad():
        expected, got = model(input_ids=ids).logits, m(input_ids=ids).logits
        base = load_model(tiny_base(), device="cpu")(input_ids=ids).logits
    assert torch.allclose(got, expected, atol=1e-4)
    assert not torch.allclose(base, expected, atol=1e-2)  # the adapter does matter
    assert not any("lora" in n for n, _ in m.named_parameters())


def test_generate_writes_candidates_that_validate_accepts(tmp_path, lora, merged, sample_bugs):
    from agent.cli import main
    bug = "WrongOperator-1"
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps(next(r for r in lora[2] if r["id"] == bug)) + "\n")
    cands = tmp_path / "cands.jsonl"
    assert main(["finetune", "generate", "--model", str(merged), "--input", str(inp), "--out", str(cands),
                 "--num-beams", "4", "--num-return", "2", "--max-new-tokens", "40"]) == 0
    rows = [json.loads(line) for line in cands.read_text().splitlines()]
    # the fill style's candidate kind: the same extraction as the loop's
    assert [(r["bug"], r["candidate"], r["kind"]) for r in rows] == [(bug, 0, "fill-reply"), (bug, 1, "fill-reply")]
    assert rows[0]["text"] == next(r for r in lora[2] if r["id"] == bug)["output"]
    assert rows[0]["score"] >= rows[1]["score"]
    results = tmp_path / "results.jsonl"
    assert main(["validate", "--candidates", str(cands), "--out", str(results)]) == 0
    outcomes = [json.loads(line) for line in results.read_text().splitlines()]
    assert outcomes[0]["outcome"] == "plausible" and len(outcomes) == 2


def test_cli_train_end_to_end_from_a_merged_model(tmp_path, lora, merged, capsys):
    from agent.cli import main
    out = tmp_path / "run"
    cfg = tmp_path / "train.toml"
    cfg.write_text(f'base_model = "{merged}"\ntrain_data = "{lora[1]}"\ndev_data = "{lora[1]}"\n'
                   f'output_dir = "{out}"\nlora_r = 4\nbatch_size = 2\ngrad_accum = 2\neval_every = 2\n'
                   f'progress = false\n')
    assert main(["finetune", "train", str(cfg), "--max-steps", "3"]) == 0
    assert "trained 3 steps" in capsys.readouterr().out
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert list((out / "tb").glob("events.out.tfevents.*"))
    assert (out / "adapter_config.json").is_file() and (out / "train_config.json").is_file()
    assert json.loads((out / "repairchat.json").read_text()) == {"style": "fill"}


@pytest.mark.parametrize("args, message", [
    (["finetune", "train", "{bad}"], "malformed TOML"),
    (["finetune", "train", "{nomodel}"], "is not a model dir"),
    (["finetune", "train", "{missing}"], "not found"),
    (["finetune", "generate", "--model", "/no/such/model", "--input", "{data}"], "does not exist"),
    (["finetune", "merge", "--base-model", "/no/such/model", "--adapter", "/no/adapter"], "does not exist"),
    (["finetune", "generate", "--model", "m", "--input", "{data}", "--early-stopping", "true"], "early_stopping"),
])
def test_cli_bad_input_is_one_line(tmp_path, capsys, args, message):
    from agent.cli import main
    (tmp_path / "bad.toml").write_text("lr = = 1\n")
    (tmp_path / "data.jsonl").write_text('{"id": "x", "input": "a", "output": "b"}\n')
    (tmp_path / "nomodel.json").write_text(json.dumps({"base_model": "/no/such/model",
                                                       "train_data": str(tmp_path / "data.jsonl")}))
    args = [a.format(bad=tmp_path / "bad.toml", nomodel=tmp_path / "nomodel.json", data=tmp_path / "data.jsonl",
                     missing=tmp_path / "missing.toml") for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("repairchat: error: ") and err.count("\n") == 1 and message in err, err
