"""Prompts: the first turn (ChatRepair style, or RepairLLaMA fill-in) and the feedback turns.

Two styles:
  chat  the buggy method, the failing tests and their failure; the model answers with the whole fixed method.
  fill  IR4xOR2: the method with the buggy chunk commented out and a <FILL_ME> marker; the model answers the chunk.
"""

from __future__ import annotations

from agent.bugs import Bug
from extractors.failures import render_feedback

FILL_ME = "<FILL_ME>"
SYSTEM = ("You are an automated program repair assistant for Java. You are given a buggy Java method and the "
          "tests it fails. Reply with the complete fixed method in a single ```java code block.")
STYLES = ("chat", "fill")


def fill_input(method_text: str, method_start_line: int, lines: tuple[int, int]) -> str:
    """IR4xOR2 input: the buggy chunk (file lines ``lines``) commented out, with <FILL_ME> after it.

    ``method_text`` starts at the method's first line (``method_start_line``) with that line's indent removed.
    """
    out = method_text.split("\n")
    a, b = lines[0] - method_start_line, lines[1] - method_start_line
    indent = out[a][: len(out[a]) - len(out[a].lstrip())]
    chunk = [indent + "// " + ln.strip() for ln in out[a: b + 1] if ln.strip()]
    return "\n".join(out[:a] + chunk + [indent + FILL_ME] + out[b + 1:])


def method_context(bug: Bug) -> tuple[str, int]:
    """The buggy method's text, with its original indentation, and its first line number."""
    from agent.validation.workspace import buggy_method

    source = bug.read_source()
    span = buggy_method(source, bug.location)
    line_start = source.rfind("\n", 0, len(source.encode("utf-8")[: span.start_byte].decode("utf-8"))) + 1
    text = source[line_start:].split("\n")[: span.end_line - span.start_line + 1]
    indent = len(text[0]) - len(text[0].lstrip())
    return "\n".join(ln[indent:] if ln[:indent].isspace() else ln.lstrip() for ln in text), span.start_line


def initial_messages(bug: Bug, style: str = "chat", failures=()) -> list[dict]:
    """The first chat turn for ``bug``; ``failures`` are those of the unpatched program, when known."""
    method, start = method_context(bug)
    tests = "\n".join(f"- {t}" for t in bug.failing_tests)
    if style == "fill":
        if not bug.location.lines:
            raise ValueError(f"bug {bug.id} has no location.lines, needed for the fill prompt style")
        return [{"role": "user", "content": fill_input(method, start, bug.location.lines)}]
    text = (f"The following method `{bug.location.method}` from `{bug.location.file}` contains a bug.\n\n"
            f"```java\n{method}\n```\n\nIt fails these tests:\n{tests}\n")
    if failures:
        text += "\nThe failure:\n" + render_feedback(failures) + "\n"
    text += "\nPlease provide the complete fixed method."
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def feedback_message(outcome, limit: int = 1200) -> dict:
    """The user turn that reports why the last patch is still wrong (ChatRepair style)."""
    reasons = {
        "compile-error": "The fixed version does not compile:",
        "test-failure": "The fixed version still fails tests:",
        "timeout": "The fixed version does not terminate (a test timed out):",
        "extract-failed": "I could not find a Java method in your reply.",
        "apply-failed": "Your code could not be applied to the file:",
    }
    body = render_feedback(outcome.failures, limit) if outcome.failures else outcome.detail[:limit]
    text = reasons.get(outcome.kind, f"The fixed version is not correct ({outcome.kind}).")
    if body:
        text += "\n" + body
    text += "\nPlease provide another fixed version of the method in a ```java code block."
    return {"role": "user", "content": text}


def variants_message(patches: list[str], feedback: dict | None = None, show: int = 5) -> dict:
    """The plausible-patch phase's user turn (ChatRepair): the plausible fixes so far (the last ``show``) and a
    request for a different one. ``feedback``: the feedback turn on the last reply when it was not plausible;
    its failure is kept, its closing request (the last line) gives way to this one."""
    if feedback is not None:
        text = feedback["content"].rsplit("\n", 1)[0]
    else:
        text = "That fix passes all the tests."
    shown = patches[-show:]
    text += ("\n\nA fix that passes the tests is not always correct. These fixes pass the tests"
             + (f" (the last {len(shown)} of {len(patches)})" if len(shown) < len(patches) else "") + ":\n\n")
    text += "\n\n".join(f"```java\n{p}\n```" for p in shown)
    text += ("\n\nPlease provide a different fix for the bug, not one of the fixes above, as the complete fixed "
             "method in a ```java code block.")
    return {"role": "user", "content": text}
