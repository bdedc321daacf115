"""Bugs to repair: the JSONL manifest format and the built-in samples (``manifest``), Defects4J (``d4j``)."""

from agent.bugs.manifest import SAMPLES, Bug, Location, bug_from_dict, load_manifest, select

__all__ = ["SAMPLES", "Bug", "Location", "bug_from_dict", "load_manifest", "select"]
