"""Class-level regression test selection (as Ekstazi does): after the failing tests, run only the test classes
that reach the patched class.

The pre-flight runs the buggy version's suite with every test class in its own class loader and records which
project classes each one loaded. A candidate changes only the buggy file, so a test class that never loaded one
of that file's classes runs the same code under the candidate as under the buggy version and cannot change its
outcome; it is skipped. ``--all-tests`` turns selection off.
"""

from __future__ import annotations

from pathlib import Path

TYPES = ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
         "annotation_type_declaration")


def file_classes(source: str) -> set[str]:
    """The fully qualified names of the top-level types a Java file declares."""
    from extractors import java
    tree = java.parse(source)
    data = source.encode("utf-8")
    package, names = "", set()
    for node in tree.root_node.children:
        if node.type == "package_declaration":
            for child in node.children:
                if child.type in ("scoped_identifier", "identifier"):
                    package = data[child.start_byte:child.end_byte].decode("utf-8")
        elif node.type in TYPES:
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(data[name.start_byte:name.end_byte].decode("utf-8"))
    return {f"{package}.{n}" if package else n for n in names}


def reaches(loaded: tuple[str, ...] | list[str], targets: set[str]) -> bool:
    """Whether a loaded-class list holds one of ``targets`` or a class nested in one."""
    return any(c in targets or c.split("$", 1)[0] in targets for c in loaded)


def read_record(path: Path) -> dict[str, tuple[str, ...]]:
    """RepairRunner --record's file: "TestClass<TAB>loaded class names" a line."""
    out: dict[str, tuple[str, ...]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            cls, _, loaded = line.partition("\t")
            if cls:
                out[cls] = tuple(loaded.split())
    return out


def select(test_classes: list[str], reach: dict[str, tuple[str, ...]], targets: set[str]) -> tuple[str, ...]:
    """The test classes that reach ``targets`` (a class without a record counts as reaching: be safe)."""
    return tuple(c for c in test_classes if c not in reach or reaches(reach[c], targets))
