"""Shared fixtures. Tests use real javac/JUnit/tree-sitter and tiny local models; nothing from a hub."""

import hashlib
import os
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("REPAIRCHAT_CACHE", tempfile.mkdtemp(prefix="repairchat-test-cache-"))

import pytest  # noqa: E402


def tree_digest(root: Path) -> str:
    """A hash of every path and byte under ``root``: equal before and after means nothing was modified."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def sample_bugs():
    from agent.bugs import SAMPLES, load_manifest
    return {b.id: b for b in load_manifest(SAMPLES)}


@pytest.fixture
def sessions_dir(tmp_path, monkeypatch):
    d = tmp_path / "sessions"
    monkeypatch.setenv("REPAIRCHAT_SESSIONS", str(d))
    return d


class ScriptedModel:
    """A model that answers from a script: one list of replies per call, in order."""

    def __init__(self, script):
        self.script = list(script)
        self.seen = []

    def complete(self, messages, n=1):
        self.seen.append([dict(m) for m in messages])
        return self.script.pop(0)[:n]


@pytest.fixture
def scripted():
    return ScriptedModel


@pytest.fixture(scope="session")
def project_references(tmp_path_factory):
    """(project id, candidate name) -> the reference outcome (plain javac + JUnitCore, or the JUnit Platform console
    launcher) of every candidate of tests/junitref.py, computed once per session (test_projects, test_d4j)."""
    from concurrent.futures import ThreadPoolExecutor

    from agent.validation.validate import prepare
    from junitref import CASES, reference

    def one(case):
        bug, name, cand = case
        return reference(bug, prepare(bug, cand).source, tmp_path_factory.mktemp(f"{bug.id}-{name}"))
    with ThreadPoolExecutor(2) as pool:
        return dict(zip([(b.id, n) for b, n, _ in CASES], pool.map(one, CASES)))
