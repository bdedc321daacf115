"""tree-sitter-java helpers: parse, error detection, method spans, token normalisation.

Language/parser/queries are created lazily once per process (module-level cache). Byte offsets are over
``src.encode("utf-8")``; lines are 1-based and inclusive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import tree_sitter
import tree_sitter_java
from tree_sitter import Language, Parser, Query, QueryCursor

__all__ = ["MethodSpan", "parse", "has_errors", "methods", "find_method", "normalize", "language", "error_nodes",
           "utf8", "scrub"]


@dataclass(frozen=True)
class MethodSpan:
    name: str
    arity: int
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int
    text: str
    params: tuple[str, ...] = ()    # parameter types, generics erased, no spaces (``List``, ``int[]``, ``String...``)
    depth: int = 1                  # enclosing type bodies: 1 for a member of a top-level type, 2+ when nested


@lru_cache(maxsize=1)
def language() -> Language:
    return Language(tree_sitter_java.language())


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(language())


@lru_cache(maxsize=None)
def _query(name: str) -> Query:
    src = resources.files("extractors.queries").joinpath(f"{name}.scm").read_text(encoding="utf-8")
    return Query(language(), src)


def parse(src: str) -> tree_sitter.Tree:
    return _tree(src)


def clear_cache() -> None:
    """Forget cached parse trees (benchmarks time cold extraction)."""
    _tree.cache_clear()


@lru_cache(maxsize=512)
def _tree(src: str) -> tree_sitter.Tree:
    """One parse per distinct text: extraction asks about the same snippet several times (errors, methods,
    tokens). Trees are never edited, so sharing them is safe."""
    return _parser().parse(utf8(src))


def error_nodes(tree: tree_sitter.Tree) -> list[tree_sitter.Node]:
    """All ERROR and MISSING nodes, in document order (subtrees without errors are skipped)."""
    out: list[tree_sitter.Node] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            out.append(node)
        if node.has_error:
            stack.extend(reversed(node.children))
    return out


def has_errors(src: str) -> bool:
    tree = parse(src)
    return bool(error_nodes(tree)) or tree.root_node.has_error


def _arity(params: tree_sitter.Node | None) -> int:
    if params is None:
        return 0
    return sum(1 for c in params.named_children if c.type in ("formal_parameter", "spread_parameter"))


def _erase(type_text: str) -> str:
    """``java.util.List<T>`` -> ``List``; ``final int []`` -> ``int[]``: the part of a type overloads differ by."""
    depth, out = 0, []
    for ch in type_text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0 and not ch.isspace():
            out.append(ch)
    t = "".join(out)
    t = t.rsplit(".", 1)[-1] if "." in t.replace("...", "") else t
    return re.sub(r"^@[\w.]+(\([^)]*\))?", "", t)


def _param_types(params: tree_sitter.Node | None, data: bytes) -> tuple[str, ...]:
    if params is None:
        return ()
    out = []
    for c in params.named_children:
        if c.type not in ("formal_parameter", "spread_parameter"):
            continue
        typ = c.child_by_field_name("type")
        dims = c.child_by_field_name("dimensions")
        if typ is None:  # spread_parameter: type is a plain child
            typ = next((k for k in c.named_children if k.type not in ("modifiers", "variable_declarator")), None)
        text = data[typ.start_byte:typ.end_byte].decode("utf-8", "replace") if typ is not None else "?"
        if dims is not None:
            text += data[dims.start_byte:dims.end_byte].decode("utf-8", "replace")
        if c.type == "spread_parameter":
            text += "..."
        out.append(_erase(text))
    return tuple(out)


_BODIES = ("class_body", "interface_body", "enum_body", "annotation_type_body")


def _depth(node: tree_sitter.Node) -> int:
    n, depth = node.parent, 0
    while n is not None:
        depth += n.type in _BODIES
        n = n.parent
    return max(depth, 1)


def utf8(src: str) -> bytes:
    """UTF-8 bytes of ``src``; a lone surrogate (valid in JSON, not in UTF-8) becomes U+FFFD."""
    try:
        return src.encode("utf-8")
    except UnicodeEncodeError:
        return scrub(src).encode("utf-8")


def scrub(src: str) -> str:
    """``src`` with every lone surrogate replaced by U+FFFD (same length in characters)."""
    return _SURROGATE.sub("\ufffd", src)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _spans(tree: tree_sitter.Tree, data: bytes) -> list[MethodSpan]:
    caps_by_method: list[MethodSpan] = []
    for _idx, caps in QueryCursor(_query("methods")).matches(tree.root_node):
        node = caps["method"][0]
        name_node = caps["name"][0]
        params = caps.get("params", [None])[0]
        if node.type == "compact_constructor_declaration":
            arity = 0
        else:
            arity = _arity(params)
        caps_by_method.append(MethodSpan(
            name=data[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace"),
            arity=arity,
            start_byte=node.start_byte, end_byte=node.end_byte,
            start_line=node.start_point[0] + 1, end_line=node.end_point[0] + 1,
            text=data[node.start_byte:node.end_byte].decode("utf-8", "replace"),
            params=_param_types(params, data) if node.type != "compact_constructor_declaration" else (),
            depth=_depth(node),
        ))
    caps_by_method.sort(key=lambda m: (m.start_byte, -m.end_byte))
    return caps_by_method


def methods(src: str) -> list[MethodSpan]:
    """Method and constructor declarations in source order (nested ones included, outer first)."""
    return _spans(_tree(src), utf8(src))


def find_method(src: str, name: str, line: int | None = None) -> MethodSpan | None:
    """The method called ``name``; when overloaded, the one nearest to ``line`` (else the first)."""
    found = [m for m in methods(src) if m.name == name]
    if not found:
        return None
    if line is None or len(found) == 1:
        return found[0]

    def dist(m: MethodSpan) -> tuple[int, int]:
        if m.start_line <= line <= m.end_line:
            return (0, m.end_line - m.start_line)  # innermost containing span wins
        return (min(abs(m.start_line - line), abs(m.end_line - line)), 0)

    return min(found, key=dist)


def _leaves(node: tree_sitter.Node, data: bytes, out: list[str]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("line_comment", "block_comment"):
            continue
        if n.child_count == 0 or n.type in ("string_literal", "character_literal", "text_block"):
            if n.is_missing:
                continue
            text = data[n.start_byte:n.end_byte].decode("utf-8", "replace")
            if text:
                out.append(text)
            continue
        stack.extend(reversed(n.children))


def normalize(src: str) -> str:
    """Token stream joined by single spaces, comments dropped; string literals kept verbatim."""
    data = utf8(src)
    out: list[str] = []
    _leaves(_tree(src).root_node, data, out)
    return " ".join(out)
