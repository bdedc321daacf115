"""Multi-process training (torchrun, gloo on CPU): two ranks with half the micro-batch each take the same optimizer
steps as one process with the whole batch: same logged losses, same adapter weights."""

import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")


def test_two_ranks_train_like_one_process(tmp_path):
    from safetensors.torch import load_file

    from finetune.data import write_jsonl
    from finetune.testing import sample_records, tiny_base

    data = write_jsonl(tmp_path / "train.jsonl", sample_records())
    cfg = tmp_path / "train.json"
    cfg.write_text(json.dumps({"base_model": str(tiny_base()), "train_data": str(data), "max_steps": 4,
                               "batch_size": 2, "lr": 1e-3, "eval_every": 0, "progress": False,
                               "group_by_length": False, "lora_dropout": 0.0}))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", "agent.cli", "finetune", "train", str(cfg), "--output-dir",
                          str(tmp_path / "one")], capture_output=True, text=True, env=env, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "agent.cli", "finetune", "train", str(cfg), "--output-dir", str(tmp_path / "two"),
                          "--batch-size", "1"], capture_output=True, text=True, env=env, timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    assert two.stdout.count("trained 4 steps") == 1  # one report, from rank 0

    def losses(run):
        return [json.loads(line)["loss"] for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
    assert losses("two") == pytest.approx(losses("one"), rel=1e-5)
    a = load_file(tmp_path / "one" / "adapter_model.safetensors")
    b = load_file(tmp_path / "two" / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    changed = [k for k in a if "lora_B" in k and a[k].abs().max() > 0]
    assert changed, "training must have moved the adapter"
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-4, rtol=1e-3)
