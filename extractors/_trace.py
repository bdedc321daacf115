"""Java stack-trace parsing shared by the test-log parsers: exception, message, expected/actual, project frame."""
from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")
# "at " is optional: JUnit 5's console launcher prints frames without it
_FRAME = re.compile(r"^\s*(?:at\s+)?(?P<target>[\w$.@/-]*?[\w$]+\.[\w$<>-]+)"
                    r"\((?P<where>[^()]*?\.(?:java|kt|groovy|scala|kts)(?::\d+)?|Native Method|Unknown Source|"
                    r"[^()\s]*Generated[^()]*|<[^()]*>)\)\s*$")
_ELIDED = re.compile(r"^\s*(\.\.\. \d+ (more|trimmed|common frames omitted)|\[\.\.\.\])\s*$")
_CAUSED = re.compile(r"^\s*Caused by: ")
_EXC = re.compile(r"^(?P<cls>(?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*|[A-Z][\w$]*(?:Error|Exception|Throwable|"
                  r"Failure))(?::(?:\s+|$)(?P<msg>.*))?$", re.S)
# test runners, assertion libraries and the JDK: used only when the project's own packages are not known
_LIBRARY = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "org.junit", "junit.", "org.hamcrest.",
            "org.opentest4j.", "org.assertj.", "org.apache.maven.surefire.", "org.gradle.", "worker.org.gradle.",
            "kotlin.", "groovy.", "org.codehaus.groovy.", "net.bytebuddy.", "org.mockito.internal.",
            "org.apache.tools.ant.", "org.testng.", "org.eclipse.jdt.internal.junit", "com.intellij.rt.",
            "RepairRunner", "WarmServer")
_EXPECTED = [
    re.compile(r"expected:\s?<(?P<e>.*?)>\s*but was:\s?<(?P<a>.*)>\s*$", re.S),
    re.compile(r"expected:\s?(?P<e>\[.*?\])\s*but was:\s?(?P<a>\[.*\])\s*$", re.S),
    re.compile(r"(?:^|\n)\s*Expected: (?P<e>.*?)\n\s*but: (?P<a>.*?)\s*$", re.S),  # hamcrest
    re.compile(r"(?:^|\n)\s*expected: ?(?P<e>.*?)\n\s*but was: ?(?P<a>.*?)\s*$", re.S),  # assertj
    re.compile(r"(?:^|\n)\s*Expecting(?: actual)?:\s*\n\s*(?P<a>.*?)\s*\nto be equal to:\s*\n\s*(?P<e>.*?)\s*"
               r"(?:\n|$)", re.S),
]


@dataclass(frozen=True)
class Trace:
    exception: str = ""
    message: str = ""
    expected: str | None = None
    actual: str | None = None
    frame: str | None = None
    frames: tuple[str, ...] = ()


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _clean_target(target: str) -> str:
    # "app//pkg.Foo.bar", "java.base/java.lang.X.y", "java.base@17/..." -> the class.method part
    return target.rsplit("/", 1)[-1]


def frame_of(line: str) -> str | None:
    m = _FRAME.match(line)
    if not m:
        return None
    return f"{_clean_target(m.group('target'))}({m.group('where')})"


def is_library(frame: str) -> bool:
    return frame.startswith(_LIBRARY)


def frame_class(frame: str) -> str:
    """``pkg.Outer$Inner.method(File.java:3)`` -> ``pkg.Outer$Inner``."""
    target = frame.split("(", 1)[0]
    return target.rsplit(".", 1)[0] if "." in target else target


def in_packages(frame: str, packages: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether the frame's class is in one of ``packages`` (a package or any sub-package of it)."""
    pkg = frame_class(frame).rsplit(".", 1)[0] if "." in frame_class(frame) else ""
    return any(pkg == p or pkg.startswith(p + ".") for p in packages)


def project_frame(frames: tuple[str, ...] | list[str], packages: tuple[str, ...] | frozenset[str] = ()) -> str | None:
    """The first frame in the project's own code: judged by ``packages`` (the bug's source and test packages)
    when given, by the library list otherwise (or when no frame is in the packages)."""
    if packages:
        hit = next((f for f in frames if in_packages(f, packages)), None)
        if hit is not None:
            return hit
    return next((f for f in frames if not is_library(f)), None)


def expected_actual(message: str) -> tuple[str | None, str | None]:
    for pat in _EXPECTED:
        m = pat.search(message)
        if m:
            return m.group("e"), m.group("a")
    return None, None


def _recursion_note(frames: list[str]) -> str:
    if len(frames) < 8:
        return ""
    top = frames[0]
    n = sum(1 for f in frames if f == top)
    period = frames.index(top, 1) if top in frames[1:] else 0
    if n < 4:
        return ""
    cycle = " -> ".join(frames[:period]) if 0 < period <= 4 else top
    return f"infinite recursion: {cycle} repeated {n}+ times"


def parse_trace(lines: list[str]) -> Trace:
    """Parse one failure body: head lines (exception + possibly multi-line message), then frames."""
    head: list[str] = []
    frames: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        fr = frame_of(line)
        if fr:
            frames.append(fr)
            continue
        if _ELIDED.match(line):
            continue
        if frames:
            break  # "Caused by:", trailing noise: the first exception is the one that matters
        if _CAUSED.match(line):
            break
        if not head and not line.strip():
            continue
        head.append(line)
    while head and not head[-1].strip():
        head.pop()
    # common indentation (Gradle indents bodies by 4 spaces, JUnit 5 by 4-7)
    ind = min((len(h) - len(h.lstrip()) for h in head if h.strip()), default=0)
    text = "\n".join(h[ind:] for h in head).strip()
    exc, msg = "", text
    m = _EXC.match(text)
    if m and (("." in m.group("cls")) or m.group("cls").endswith(("Error", "Exception", "Throwable", "Failure"))):
        exc, msg = m.group("cls"), (m.group("msg") or "").strip()
    else:
        # Gradle short format: "java.lang.AssertionError at FooTest.java:12"
        g = re.match(r"^(?P<cls>(?:[\w$]+\.)+[\w$]+) at (?P<where>[\w$]+\.java:\d+)$", text)
        if g:
            exc, msg = g.group("cls"), ""
            frames = frames or [g.group("where")]
    expected, actual = expected_actual(msg)
    project = project_frame(frames)
    if exc.endswith("StackOverflowError"):
        note = _recursion_note([f for f in frames if not is_library(f)] or frames)
        if note:
            msg = f"{msg} ({note})" if msg else note
    return Trace(exc, msg, expected, actual, project, tuple(frames))
