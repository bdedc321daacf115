"""Prompt styles: one object per style owns everything that decides what a model sees and what its reply is.

  chat  ChatRepair style: the buggy method, its failing tests and their failure; the reply is a whole fixed
        method in a code block (candidate kind ``reply``). Rendered for a local model with its chat template.
  fill  RepairLLaMA IR4xOR2: the method (comments stripped, blank lines dropped) with the buggy chunk commented
        out and a ``<FILL_ME>`` line after it; the reply is the chunk (candidate kind ``fill-reply``). Rendered
        raw: ``[bos] + tokens(prompt)``. Each fill turn is self-contained (a feedback turn is the same input
        with the previous attempt and its failure as leading comments), so the raw form needs no chat history.

The loop, replay, the demo, ``finetune data``, ``finetune generate``, training and the ``hf:`` backend all take
their prompts and token ids from here, so a bug's training input and the loop's input for it are the same ids.
Nothing here imports torch; ``prompt_ids`` only calls the tokenizer it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from agent.bugs import Bug
from extractors.feedback import FeedbackContext, project_packages, render_feedback

FILL_ME = "<FILL_ME>"
SYSTEM = ("You are an automated program repair assistant for Java. You are given a buggy Java method and the "
          "tests it fails. Reply with the complete fixed method in a single ```java code block.")
REASONS = {
    "compile-error": "The fixed version does not compile:",
    "test-failure": "The fixed version still fails tests:",
    "timeout": "The fixed version does not terminate (a test timed out):",
    "extract-failed": "I could not find a Java method in your reply.",
    "apply-failed": "Your code could not be applied to the file:",
}


# --- Java text normalisation shared by the fill prompt and the fine-tuning data --------------------------------

def strip_comments(text: str) -> str:
    """``//`` and ``/* */`` comments removed (string, char and text-block literals respected). Newlines inside
    block comments are kept, so line ``i`` of the result is line ``i`` of ``text``."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        two = text[i:i + 2]
        if two == "//":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif two == "/*":
            j = text.find("*/", i + 2)
            end = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            end = n if j < 0 else j + 3
            out.append(text[i:end])
            i = end
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] not in (quote, "\n"):
                j += 2 if text[j] == "\\" else 1
            end = min(n, j + 1) if j < n and text[j] == quote else j
            out.append(text[i:end])
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def dedent_first(text: str) -> str:
    """Remove the first line's indentation from every line (lines indented less lose their leading blanks)."""
    lines = text.split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(ln[indent:] if ln[:indent].isspace() or not indent else ln.lstrip() for ln in lines)


def code_lines(text: str) -> list[tuple[int, str]]:
    """``(line index, line)`` of the lines that hold code once comments are stripped (RepairLLaMA drops
    comments and blank lines before it builds the cloze input); trailing blanks removed."""
    return [(i, ln.rstrip()) for i, ln in enumerate(strip_comments(text).split("\n")) if ln.strip()]


def indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def cloze(before: Sequence[str], chunk: Sequence[str], after: Sequence[str], indent: str | None = None) -> str:
    """IR4: ``before``, the chunk commented out (``// `` after its indentation), a ``<FILL_ME>`` line, ``after``."""
    if indent is None:
        indent = indent_of(chunk[0]) if chunk else indent_of(after[0]) if after else ""
    body = [f"{indent_of(ln)}// {ln.strip()}" for ln in chunk]
    return "\n".join([*before, *body, indent + FILL_ME, *after])


def method_context(bug: Bug) -> tuple[str, int]:
    """The buggy method's text (dedented by its first line's indentation) and its first line number."""
    from agent.validation.workspace import buggy_method

    source = bug.read_source()
    span = buggy_method(source, bug.location)
    line_start = source.rfind("\n", 0, len(source.encode("utf-8")[: span.start_byte].decode("utf-8"))) + 1
    text = source[line_start:].split("\n")[: span.end_line - span.start_line + 1]
    return dedent_first("\n".join(text)), span.start_line


def fill_input(method_text: str, method_start_line: int, lines: tuple[int, int]) -> str:
    """IR4 of a method whose buggy chunk is file lines ``lines`` (the method starts at ``method_start_line``):
    comments stripped and blank lines dropped, then the chunk commented out and followed by ``<FILL_ME>``."""
    a, b = lines[0] - method_start_line, lines[1] - method_start_line
    kept = code_lines(method_text)
    chunk = [ln for i, ln in kept if a <= i <= b]
    raw = method_text.split("\n")
    indent = indent_of(chunk[0]) if chunk else indent_of(raw[a]) if 0 <= a < len(raw) else None
    return cloze([ln for i, ln in kept if i < a], chunk, [ln for i, ln in kept if i > b], indent)


def dedent_chunk(chunk: str, by: int) -> str:
    """A file-indented chunk (a manifest's ``fixed_chunk``) at the indentation of the dedented method."""
    return "\n".join(ln.rstrip()[by:] if ln[:by].isspace() else ln.strip() for ln in chunk.split("\n"))


# --- token ids (no torch) -------------------------------------------------------------------------------------

def chat_prompt(tokenizer, messages: list[dict]) -> str:
    """The generation prompt for ``messages`` (chat template with ``add_generation_prompt``)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    text = "".join(f"{m['role']}: {m['content']}\n" for m in messages)  # template-less fallback
    return (tokenizer.bos_token or "") + text + "assistant: "


def raw_ids(tokenizer, prompt: str, add_bos: bool = True) -> list[int]:
    """Ids of a raw (non-chat) prompt: ``[bos] + tokens(prompt)``."""
    ids = tokenizer.encode(prompt, add_special_tokens=False)
    bos = getattr(tokenizer, "bos_token_id", None)
    return ([bos] if add_bos and bos is not None else []) + ids


# --- the styles -----------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def feedback_context(bug: Bug) -> FeedbackContext:
    """What failure feedback needs about ``bug``: the method as shown and its first line (line numbers become
    relative to it), the project's own packages (frames in them are the project's), the test sources."""
    method, start = method_context(bug)
    roots = tuple(bug.source_roots) + tuple(bug.test_roots)
    return FeedbackContext(method_file=bug.location.file, method_start=start, method_lines=tuple(method.split("\n")),
                           packages=project_packages(str(bug.root), roots), root=str(bug.root),
                           test_roots=tuple(bug.test_roots), source_roots=tuple(bug.source_roots))


@dataclass(frozen=True)
class Style:
    name: str
    candidate_kind: str  # what validation gets: reply (extract a method) | fill-reply (extract a chunk)
    template: bool       # True: the chat template renders the turns; False: raw [bos] + the last user turn

    def first_messages(self, bug: Bug, failures=()) -> list[dict]:
        raise NotImplementedError

    def feedback_message(self, outcome, limit: int = 1200, bug: Bug | None = None) -> dict:
        raise NotImplementedError

    def variants_message(self, patches: list[str], feedback: dict | None = None, show: int = 5) -> dict:
        """The plausible-patch phase's user turn (ChatRepair): the plausible fixes so far (the last ``show``)
        and a request for a different one. ``feedback``: this style's feedback turn on the last reply when it was
        not plausible; its failure is kept, its closing request (the last line) gives way to this one."""
        if self.template is False:
            raise ValueError(f"the {self.name} style has no variants turn (a fill prompt has no place for fixes)")
        text = feedback["content"].rsplit("\n", 1)[0] if feedback is not None else "That fix passes all the tests."
        shown = patches[-show:]
        text += ("\n\nA fix that passes the tests is not always correct. These fixes pass the tests"
                 + (f" (the last {len(shown)} of {len(patches)})" if len(shown) < len(patches) else "") + ":\n\n")
        text += "\n\n".join(f"```java\n{p}\n```" for p in shown)
        text += ("\n\nPlease provide a different fix for the bug, not one of the fixes above, as the complete "
                 "fixed method in a ```java code block.")
        return {"role": "user", "content": text}

    def prompt_ids(self, tokenizer, messages: list[dict]) -> list[int]:
        """The ids a local model is given for ``messages`` (what training puts before the answer)."""
        if self.template:
            return tokenizer.encode(chat_prompt(tokenizer, messages), add_special_tokens=False)
        if not messages or messages[-1].get("role") != "user":
            raise ValueError(f"the {self.name} style renders the last user turn; the chat ends with "
                             f"{messages[-1].get('role') if messages else 'nothing'}")
        return raw_ids(tokenizer, messages[-1]["content"])

    def candidate(self, reply: str):
        from agent.validation.validate import Candidate
        return Candidate(reply, self.candidate_kind)

    def extract(self, bug: Bug, reply: str):
        """(code, kind) to apply, or the extract/apply failure as an ``Outcome``."""
        from agent.validation.validate import resolve
        return resolve(bug, self.candidate(reply))


class ChatStyle(Style):
    def first_messages(self, bug: Bug, failures=()) -> list[dict]:
        method, _ = method_context(bug)
        tests = "\n".join(f"- {t}" for t in bug.failing_tests)
        text = (f"The following method `{bug.location.method}` from `{bug.location.file}` contains a bug.\n\n"
                f"```java\n{method}\n```\n\nIt fails these tests:\n{tests}\n")
        if failures:
            text += "\nThe failure:\n" + render_feedback(failures, feedback_context(bug)) + "\n"
        text += "\nPlease provide the complete fixed method."
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]

    def feedback_message(self, outcome, limit: int = 1200, bug: Bug | None = None) -> dict:
        """The user turn that reports why the last patch is still wrong (ChatRepair style)."""
        text = REASONS.get(outcome.kind, f"The fixed version is not correct ({outcome.kind}).")
        body = failure_text(outcome, limit, bug)
        if body:
            text += "\n" + body
        text += "\nPlease provide another fixed version of the method in a ```java code block."
        return {"role": "user", "content": text}


class FillStyle(Style):
    def input_for(self, bug: Bug) -> str:
        if not bug.location.lines:
            raise ValueError(f"bug {bug.id} has no location.lines, needed for the fill prompt style")
        method, start = method_context(bug)
        return fill_input(method, start, bug.location.lines)

    def first_messages(self, bug: Bug, failures=()) -> list[dict]:
        return [{"role": "user", "content": self.input_for(bug)}]

    def feedback_message(self, outcome, limit: int = 1200, bug: Bug | None = None) -> dict:
        """A self-contained fill turn: the previous attempt and why it failed as ``//`` lines, then the input."""
        if bug is None:
            raise ValueError("the fill style's feedback turn repeats the bug's input: pass bug")
        reasons = {**REASONS, "extract-failed": f"I could not find the code for {FILL_ME} in your reply."}
        lines = [reasons.get(outcome.kind, f"The fixed version is not correct ({outcome.kind}).")]
        if outcome.code:
            lines += ["Previous attempt:", *outcome.code.split("\n")]
        body = failure_text(outcome, limit, bug)
        if body:
            lines += body.split("\n")
        head = "\n".join(f"// {ln}".rstrip() for ln in lines)
        return {"role": "user", "content": head + "\n" + self.input_for(bug)}


def failure_text(outcome, limit: int, bug: Bug | None = None, header: bool = False) -> str:
    """The failures as every style shows them (extractors.feedback), against ``bug`` when given; a style's reason
    line (``REASONS``) already says whether it compiled, so the renderer's header is left out unless ``header``
    (the REPL's ``/test``, which has no reason line)."""
    if not outcome.failures:
        return outcome.detail[:limit]
    ctx = feedback_context(bug).for_code(outcome.code) if bug is not None else None
    return render_feedback(outcome.failures, ctx, limit, header=header)


STYLES: dict[str, Style] = {"chat": ChatStyle("chat", "reply", True), "fill": FillStyle("fill", "fill-reply", False)}


def get(name: str) -> Style:
    if name not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)} (got {name!r})")
    return STYLES[name]


def style_of_record(record: dict) -> Style:
    """A data record's style: ``{"messages"}`` chats are chat style, ``{"input", "output"}`` pairs fill style;
    an explicit ``"style"`` field wins."""
    if "style" in record:
        return get(record["style"])
    if "messages" in record:
        return STYLES["chat"]
    if "input" in record:
        return STYLES["fill"]
    raise ValueError("record needs 'messages' or 'input' + 'output'")


def check_model(model, style: Style) -> None:
    """A local model renders prompts itself (``use_style``): tell it the loop's style; it refuses a style other
    than the one it was fine-tuned for. Looks through one wrapper (``SerialModel.model``)."""
    use = getattr(model, "use_style", None) or getattr(getattr(model, "model", None), "use_style", None)
    if callable(use):
        use(style)
