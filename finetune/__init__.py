"""repairchat fine-tuning: RepairLLaMA-style IR4xOR2 data, LoRA/QLoRA training, merge, beam generation,
and tiny local models for tests and the demo.

Importing this package (or any of its modules) never imports torch/transformers/peft: every heavy import
happens inside the function that needs it.

Modules:
  ``finetune.config``   dataclass configs (TrainConfig, DataConfig, GenerateConfig, MergeConfig) + loaders
  ``finetune.tiny``     build a tiny tokenizer + Llama model (``build_tiny``)
  ``finetune.data``     IR4xOR2 construction through the fill prompt style (Megadiff diffs, Defects4J manifests, Juliet pairs), splits, IO
  ``finetune.collate``  label masking, padding collator, length-grouped batching, chat segments
  ``finetune.stats``    dataset statistics table + token-length histogram
  ``finetune.train``    training on transformers' Trainer with repairchat's examples, collator and callbacks
  ``finetune.merge``    merge a LoRA adapter into its base
  ``finetune.generate`` batched beam-search candidate generation -> candidates JSONL
  ``finetune.demo``     ``ensure_demo_model``: a cached tiny model that memorises given chats
  ``finetune.cli``      ``add_parser(subparsers)`` for ``repairchat finetune ...``
  ``finetune.testing``  tiny base model + trained LoRA adapter shared by tests and benchmarks (built once)
"""

from agent.styles import FILL_ME  # the prompt styles own the marker

__all__ = ["FILL_ME"]
