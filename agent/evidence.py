"""Evidence of correctness for a plausible patch, where the developer's fix is known.

A plausible patch passes the tests, which APR papers know is not the same as correct. What a machine can say
about it, as RepairLLaMA's evaluation does, is how it compares with the developer's fix:

- ``exact``: the patched method equals the developer's fixed method once whitespace is normalised (every run of
  spaces, tabs and line breaks counts as one space) and, so that whitespace inside a string literal is not taken
  for formatting, it is an AST match too. Comments count.
- ``ast``: the two methods have the same tree-sitter syntax tree, comments and formatting ignored (``a+b`` and
  ``a + b`` match, a changed comment matches; ``(a)`` and ``a`` do not).
- the size of the change: lines and tokens changed against the buggy method, the same for the developer's fix,
  and the tokens that separate the patch from the developer's fix (0 for an AST match).

A patch is compared as a whole method: a chunk (fill-in style) is first put back into the buggy method.
Pure functions over text (tree-sitter only); no file is written.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

from extractors import java

COMMENTS = ("line_comment", "block_comment")
_WRAP = "class __Evidence__ {\n"


@dataclass(frozen=True)
class Evidence:
    exact: bool | None  # None: the developer's fix is unknown
    ast: bool | None
    lines_changed: int  # lines removed + added against the buggy method (whitespace-normalised lines)
    tokens_changed: int  # tokens removed + added against the buggy method (comments ignored)
    fix_lines_changed: int | None = None  # the same two for the developer's fix
    fix_tokens_changed: int | None = None
    fix_distance: int | None = None  # tokens removed + added between this patch and the developer's fix

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        """``exact``, ``ast``, ``differs`` or ``unknown`` (no developer fix): the strongest that holds."""
        if self.exact is None:
            return "unknown"
        return "exact" if self.exact else "ast" if self.ast else "differs"


def whitespace_normalised(code: str) -> str:
    return " ".join(code.split())


def _walk(code: str) -> tuple[tuple, list[str]]:
    """(syntax tree as nested tuples of node type and leaf text, leaf tokens), comments dropped; the method is
    wrapped in a class so that tree-sitter parses it as a member."""
    data = (_WRAP + code + "\n}").encode("utf-8")
    tokens: list[str] = []

    def node_tuple(node) -> tuple:
        if node.child_count == 0 or node.type in ("string_literal", "character_literal", "text_block"):
            text = "" if node.is_missing else data[node.start_byte:node.end_byte].decode("utf-8", "replace")
            if text:
                tokens.append(text)
            return (node.type, text)
        return (node.type, *(node_tuple(c) for c in node.children if c.type not in COMMENTS))

    tree = java.parse(_WRAP + code + "\n}")
    return node_tuple(tree.root_node), tokens


def ast_equal(a: str, b: str) -> bool | None:
    """Same syntax tree, comments and formatting ignored; None when either method does not parse."""
    if java.has_errors(_WRAP + a + "\n}") or java.has_errors(_WRAP + b + "\n}"):
        return None
    return _walk(a)[0] == _walk(b)[0]


def changed(a: list[str], b: list[str]) -> int:
    """Items removed plus items added to turn ``a`` into ``b`` (difflib's alignment)."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum((i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _lines(code: str) -> list[str]:
    return [whitespace_normalised(ln) for ln in code.splitlines() if ln.strip()]


def compare(patch: str, buggy: str, fixed: str | None = None) -> Evidence:
    """Evidence for ``patch`` (a whole method) against the ``buggy`` method and, if known, the ``fixed`` one."""
    patch_tokens, buggy_tokens = _walk(patch)[1], _walk(buggy)[1]
    lines, tokens = changed(_lines(buggy), _lines(patch)), changed(buggy_tokens, patch_tokens)
    if fixed is None:
        return Evidence(None, None, lines, tokens)
    fixed_tokens = _walk(fixed)[1]
    ast = bool(ast_equal(patch, fixed))
    exact = ast and whitespace_normalised(patch) == whitespace_normalised(fixed)
    return Evidence(exact, ast, lines, tokens, changed(_lines(buggy), _lines(fixed)),
                    changed(buggy_tokens, fixed_tokens), changed(fixed_tokens, patch_tokens))


def is_method(code: str, name: str) -> bool:
    """``code`` is one whole declaration of method ``name`` (rather than a chunk of statements)."""
    tree = java.parse(_WRAP + code + "\n}")
    if tree.root_node.has_error:
        return False
    cls = tree.root_node.named_children[0]
    body = cls.child_by_field_name("body")
    members = [m for m in (body.named_children if body else []) if m.type not in COMMENTS]
    if len(members) != 1 or members[0].type not in ("method_declaration", "constructor_declaration"):
        return False
    ident = members[0].child_by_field_name("name")
    return ident is not None and (ident.text or b"").decode("utf-8", "replace") == name


def patched_source(bug, code: str) -> str:
    """The buggy file with ``code`` applied, a whole method or a chunk. ``Outcome.code`` is a method as it stands
    in the file (every continuation line starts with the file's indent): it goes back verbatim; a plain method
    (``fixed_method``, its closing brace unindented) is indented as the loop applies it."""
    from agent.validation.workspace import apply_chunk, apply_method, buggy_method

    source = bug.read_source()
    if not is_method(code, bug.location.method):
        return apply_chunk(source, bug.location, code).source
    span = buggy_method(source, bug.location)
    data = source.encode("utf-8")
    prefix = data[: span.start_byte].decode("utf-8")
    indent = prefix[prefix.rfind("\n") + 1:]
    rest = [ln for ln in code.strip("\n").split("\n")[1:] if ln.strip()]
    if indent.strip() or not all(ln.startswith(indent) for ln in rest):
        return apply_method(source, bug.location, code).source  # a plain method
    return prefix + code.strip("\n") + data[span.end_byte:].decode("utf-8")


def patched_method(bug, code: str) -> str:
    """The whole patched method for ``code``, an applied method or chunk."""
    from agent.validation.workspace import buggy_method
    return buggy_method(patched_source(bug, code), bug.location).text


def buggy_text(bug) -> str:
    from agent.validation.workspace import buggy_method
    return buggy_method(bug.read_source(), bug.location).text


def evidence(bug, code: str | None) -> Evidence | None:
    """Evidence for the applied ``code`` of a candidate of ``bug`` (None without code)."""
    if code is None:
        return None
    return compare(patched_method(bug, code), buggy_text(bug), bug.fixed_method)


def row_columns(bug, outcome) -> dict:
    """Evidence columns of a results row: for a plausible candidate only; none when its code cannot be put back
    into the bug's file (the row still counts as plausible)."""
    from agent.validation.workspace import ApplyError
    if not outcome.plausible or outcome.code is None:
        return {}
    try:
        return columns(evidence(bug, outcome.code))
    except (ApplyError, OSError, ValueError):
        return {}


def columns(ev: Evidence | None) -> dict:
    """The results-row columns for a candidate (empty for one without evidence)."""
    if ev is None:
        return {}
    return {"exact": ev.exact, "ast_match": ev.ast, "lines_changed": ev.lines_changed,
            "tokens_changed": ev.tokens_changed, "fix_distance": ev.fix_distance}
