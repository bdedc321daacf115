"""Tiny local models for tests and the demo: a byte-level BPE tokenizer trained on Java text the project
ships, wrapped as ``PreTrainedTokenizerFast`` with a chat template, plus a randomly initialised tiny Llama.

Tokenization robustness: the pre-tokenizer isolates every ``\\n`` before byte-level splitting, so a newline
never merges with the following text; the training/generation code additionally tokenizes prompt and
completion separately and concatenates the ids (``finetune.collate.encode_prompt_completion``).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from agent.styles import FILL_ME

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
CHAT_MARKERS = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
SPECIAL = (PAD, BOS, EOS, *CHAT_MARKERS)

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('unknown role ' + message['role'] + '; use system, user or assistant') }}"
    "{% endif %}"
    "{{ '<|' + message['role'] + '|>\n' }}{{ message['content'] }}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% else %}{{ '<|end|>' }}{% endif %}{{ '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)

TINY_DEFAULTS = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=4, max_position_embeddings=2048, initializer_range=0.1)


def shipped_texts() -> list[str]:
    """Java sources under agent/data/samples/ (when present) plus finetune/data/corpus.txt."""
    texts: list[str] = []
    try:
        samples = Path(str(resources.files("agent").joinpath("data", "samples")))
        if samples.is_dir():
            texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(samples.rglob("*.java"))]
    except Exception:  # agent not importable / not shipped: fall back to our corpus only
        pass
    texts.append(Path(__file__).with_name("data").joinpath("corpus.txt").read_text(encoding="utf-8"))
    return texts


def build_tokenizer(texts: list[str] | None = None, vocab_size: int = 1024):
    """Train a byte-level BPE on ``texts`` (default: ``shipped_texts()``) -> ``PreTrainedTokenizerFast``."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = list(texts) if texts is not None else shipped_texts()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\n"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=list(SPECIAL),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    # <FILL_ME> is atomic but not "special": decoding with skip_special_tokens keeps it.
    tok.add_tokens([AddedToken(FILL_ME, special=False, normalized=False)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=None, additional_special_tokens=list(CHAT_MARKERS))
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "right"
    fast.model_max_length = TINY_DEFAULTS["max_position_embeddings"]
    return fast


def build_model(tokenizer, seed: int = 0, lm_head_std: float = 0.5, **cfg):
    """A randomly initialised tiny ``LlamaForCausalLM`` sized for ``tokenizer``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    params = {**TINY_DEFAULTS, **cfg}
    config = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=False, **params)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # a wide output layer lets LoRA on attention/MLP alone reach confident predictions
        model.lm_head.weight.normal_(0.0, lm_head_std)
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id,
                                               eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    return model


def build_tiny(out_dir: str | Path, seed: int = 0, texts: list[str] | None = None, vocab_size: int = 1024,
               **cfg) -> Path:
    """Build tokenizer + tiny Llama and ``save_pretrained`` both into ``out_dir``; returns the dir.

    ``cfg`` overrides LlamaConfig fields (``hidden_size``, ``num_hidden_layers``, ...). ``texts`` extends the
    shipped tokenizer corpus (e.g. with demo replies)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(shipped_texts() + list(texts or []), vocab_size=vocab_size)
    model = build_model(tok, seed=seed, **cfg)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
