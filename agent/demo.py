"""The offline demo model: a tiny Llama trained once on this machine on the sample bugs' fixes, then cached.

It has seen the answers, so it shows the machinery (extraction, validation, feedback turns, transcripts), not a
model's skill. For three bugs it was taught to first answer a patch that does not compile and to fix it after
the compiler's feedback, so the demo shows a real multi-turn repair.
"""

from __future__ import annotations

from typing import cast

import hashlib
from pathlib import Path

from agent.bugs import SAMPLES, Bug, load_manifest
from agent.validation.javatools import cache_dir

RECIPE = "demo-v1"
MULTI_TURN = ("WrongOperator-1", "NullCheck-1", "MissingBreak-1")  # bugs taught to need a second turn


def answer(method: str) -> str:
    return f"Here is the fixed method:\n\n```java\n{method}\n```"


def broken(method: str) -> str:
    """A plausible first mistake: the last statement loses its semicolon (a compile error)."""
    i = method.rfind(";")
    return method[:i] + method[i + 1:]


def examples(bugs: list[Bug], validator) -> list[tuple[list[dict], str]]:
    """(chat so far, reply to learn) pairs, built with the real prompts and real validation feedback."""
    from agent import styles
    from agent.loop import LoopConfig, feedback_message
    from agent.validation.validate import Candidate

    out = []
    for bug in bugs:
        failures = validator.validate(bug, Candidate(styles.method_context(bug)[0])).failures
        chat = styles.STYLES["chat"]
        first = chat.first_messages(bug, failures)
        if bug.id not in MULTI_TURN:
            out.append((first, answer(cast(str, bug.fixed_method))))
            continue
        wrong = answer(broken(cast(str, bug.fixed_method)))
        # the very turn the loop sends after this reply (its rendering, bound and bug context)
        feedback = feedback_message(validator.validate(bug, chat.candidate(wrong)), LoopConfig().feedback_chars,
                                    chat, bug)
        out.append((first, wrong))
        out.append((first + [{"role": "assistant", "content": wrong}, feedback], answer(cast(str, bug.fixed_method))))
    return out


def samples_key() -> str:
    """Hash of everything the demo model is trained from: the sample set, its sources, the prompts' code."""
    h = hashlib.sha256(RECIPE.encode())
    root = SAMPLES.parent
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".java", ".jsonl"):
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    for module in ("styles.py", "demo.py"):
        h.update((Path(__file__).parent / module).read_bytes())
    return h.hexdigest()[:16]


def ensure_demo_model(console=None) -> Path:
    """The cached demo model's folder, training it first (about a minute on 2 cores) when absent."""
    target = cache_dir() / "demo" / samples_key()
    marker = target / "model-path.txt"
    if marker.exists() and Path(marker.read_text().strip()).is_dir():
        return Path(marker.read_text().strip())
    from agent.validation.validate import FreshValidator
    from finetune.demo import ensure_demo_model as train

    if console:
        console.print(f"[bold]training the demo model once[/] (cached in {target}) ...")
    path = train(examples(load_manifest(SAMPLES), FreshValidator()), target)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(path))
    return Path(path)


def demo_model_from_spec(rest: str, options: dict[str, str]):
    from rich.console import Console
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the demo's own progress bar is the one to watch

    from agent.models.hf import HFModel
    return HFModel(str(ensure_demo_model(Console(stderr=True))), max_new_tokens=int(options.get("max_new_tokens", 400)))
