"""Bugs to repair: the JSONL manifest format and the built-in sample set.

One bug a line::

    {"id": "OffByOne-1", "root": "OffByOne-1", "source_roots": ["src/main/java"], "test_roots": ["src/test/java"],
     "classpath": [], "failing_tests": ["sample.RangeSumTest::testSum"],
     "location": {"file": "src/main/java/sample/RangeSum.java", "method": "sum", "lines": [12, 12]},
     "fixed_method": "...", "fixed_chunk": "..."}

``root`` and relative ``classpath`` entries are resolved against the manifest's folder. Optional build settings
(how the project's build compiles and runs its tests; see README "Build settings"): ``javac_options``
(e.g. ``["--release", "8", "-encoding", "ISO-8859-1"]``), ``jvm_options`` (e.g.
``["--add-opens", "java.base/java.lang=ALL-UNNAMED"]``), ``test_timeout`` (seconds per test), ``java_home``,
``test_include`` / ``test_exclude`` (test file patterns, default Surefire's), ``broken_tests`` (tests that fail on
the fixed version too; never used to judge a candidate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from agent.errors import UserError

SAMPLES = Path(str(resources.files("agent").joinpath("data", "samples", "bugs.jsonl")))
REQUIRED = ("id", "root", "source_roots", "test_roots", "failing_tests", "location")


@dataclass(frozen=True)
class Location:
    file: str  # relative to the bug's root
    method: str
    lines: tuple[int, int] | None = None  # the buggy chunk, 1-based inclusive


@dataclass(frozen=True)
class Bug:
    id: str
    root: Path
    source_roots: tuple[str, ...]
    test_roots: tuple[str, ...]
    classpath: tuple[str, ...]
    failing_tests: tuple[str, ...]
    location: Location
    fixed_method: str | None = None
    fixed_chunk: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    javac_options: tuple[str, ...] = ()
    jvm_options: tuple[str, ...] = ()
    test_timeout: float | None = None
    java_home: str | None = None
    test_include: tuple[str, ...] = ()  # test file patterns (empty: Surefire's defaults)
    test_exclude: tuple[str, ...] = ()
    broken_tests: tuple[str, ...] = ()  # "pkg.Class::method" (or "pkg.Class"): excluded from judging candidates
    test_classes: tuple[str, ...] | None = None  # the classes to run after the failing tests (None: all found)

    @property
    def encoding(self) -> str:
        """The source encoding (javac's ``-encoding``; UTF-8 when not given)."""
        opts = list(self.javac_options)
        return opts[opts.index("-encoding") + 1] if "-encoding" in opts[:-1] else "utf-8"

    @property
    def source_file(self) -> Path:
        return self.root / self.location.file

    def read_source(self) -> str:
        return self.source_file.read_text(encoding=self.encoding)

    def to_dict(self) -> dict:
        d = {"id": self.id, "root": str(self.root), "source_roots": list(self.source_roots),
             "test_roots": list(self.test_roots), "classpath": list(self.classpath),
             "failing_tests": list(self.failing_tests),
             "location": {"file": self.location.file, "method": self.location.method,
                          "lines": list(self.location.lines) if self.location.lines else None}}
        for key in ("fixed_method", "fixed_chunk", "description", "test_timeout", "java_home"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        for key in SETTINGS_LISTS:
            if getattr(self, key):
                d[key] = list(getattr(self, key))
        return d


SETTINGS_LISTS = ("javac_options", "jvm_options", "test_include", "test_exclude", "broken_tests")


def _str_list(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def bug_from_dict(obj: dict, base: Path, where: str = "manifest") -> Bug:
    """Validate one manifest entry; ``where`` names it in the one-line error."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a JSON object per line")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise UserError(f"{where}: missing field(s) {', '.join(missing)}; see the manifest format in README.md")
    loc = obj["location"]
    if not isinstance(loc, dict) or not isinstance(loc.get("file"), str) or not isinstance(loc.get("method"), str):
        raise UserError(f"{where}: 'location' needs string fields 'file' and 'method'")
    lines = loc.get("lines")
    if lines is not None:
        if (not isinstance(lines, list) or len(lines) != 2 or not all(isinstance(n, int) for n in lines)
                or not 1 <= lines[0] <= lines[1]):
            raise UserError(f"{where}: 'location.lines' must be [first, last] 1-based line numbers")
        lines = (lines[0], lines[1])
    failing = _str_list(obj, "failing_tests", where)
    bad = [t for t in failing if "::" not in t]
    if bad:
        raise UserError(f"{where}: failing test {bad[0]!r} must look like pkg.Class::method")
    timeout = obj.get("test_timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise UserError(f"{where}: 'test_timeout' must be a positive number of seconds")
    java_home = obj.get("java_home")
    if java_home is not None:
        if not isinstance(java_home, str) or not (base / java_home).is_dir():
            raise UserError(f"{where}: java_home {java_home!r} is not a folder; give a JDK's home (it holds bin/java)")
        java_home = str((base / java_home).resolve())
    settings = {k: _str_list(obj, k, where) for k in SETTINGS_LISTS}
    if "-encoding" in settings["javac_options"][-1:]:
        raise UserError(f"{where}: 'javac_options' ends with -encoding; give the charset after it")
    if "-encoding" in settings["javac_options"]:
        import codecs
        charset = settings["javac_options"][settings["javac_options"].index("-encoding") + 1]
        try:
            codecs.lookup(charset)
        except LookupError:
            raise UserError(f"{where}: unknown source encoding {charset!r} in 'javac_options'") from None
    root = (base / obj["root"]).resolve()
    if not root.is_dir():
        raise UserError(f"{where}: bug root {root} does not exist; fix 'root' (relative to the manifest's folder)")
    bug = Bug(id=str(obj["id"]), root=root, source_roots=_str_list(obj, "source_roots", where),
              test_roots=_str_list(obj, "test_roots", where),
              classpath=tuple(str((base / p).resolve()) for p in _str_list(obj, "classpath", where)),
              failing_tests=failing, location=Location(loc["file"], loc["method"], lines),
              fixed_method=obj.get("fixed_method"), fixed_chunk=obj.get("fixed_chunk"),
              description=obj.get("description", ""),
              extra={k: v for k, v in obj.items() if k not in Bug.__dataclass_fields__},
              test_timeout=float(timeout) if timeout is not None else None, java_home=java_home, **settings)
    if not bug.source_file.is_file():
        raise UserError(f"{where}: buggy file {bug.source_file} does not exist; fix 'location.file'")
    try:
        count = bug.read_source().count("\n") + 1
    except UnicodeDecodeError:
        raise UserError(f"{where}: buggy file {bug.source_file} is not {bug.encoding} text; give its encoding in "
                        "'javac_options' (-encoding ISO-8859-1) or convert it") from None
    if lines is not None and lines[1] > count:
        raise UserError(f"{where}: 'location.lines' {list(lines)} go past the end of {loc['file']} ({count} lines)")
    return bug


def load_manifest(path: str | Path) -> list[Bug]:
    """Read a JSONL manifest; every problem is a one-line UserError naming the file and line."""
    from agent.jsonl import read_jsonl
    path = Path(path)
    bugs, seen = [], set()
    for where, obj in read_jsonl(path, "manifest {path} not found; pass --bugs FILE.jsonl (or omit it for the "
                                       "built-in samples)", comments=True):
        bug = bug_from_dict(obj, path.parent, where)
        if bug.id in seen:
            raise UserError(f"{where}: duplicate bug id {bug.id!r}")
        seen.add(bug.id)
        bugs.append(bug)
    if not bugs:
        raise UserError(f"manifest {path} holds no bugs")
    return bugs


def select(bugs: list[Bug], ids: list[str] | None) -> list[Bug]:
    """The bugs named by ``ids`` (all when empty); an unknown id is a one-line error listing known ones."""
    if not ids:
        return bugs
    by_id = {b.id: b for b in bugs}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        known = ", ".join(list(by_id)[:8]) + (" ..." if len(by_id) > 8 else "")
        raise UserError(f"unknown bug id {unknown[0]!r}; known ids: {known}")
    return [by_id[i] for i in ids]
