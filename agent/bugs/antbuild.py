"""Build settings of an Ant project read from its own build files: the javac source level and source encoding.

Defects4J builds every project with Ant: the project's ``build.xml`` (or the one Defects4J generated from its
Maven build, ``maven-build.xml``) and the properties files it loads. The ``<javac>`` tasks there say which
``source``/``target`` level and ``encoding`` the code is written for; ``${name}`` references are resolved from
``<property name= value=>`` and the properties files (the first definition wins, as in Ant). Only what the
project declares is read: nothing is guessed per bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BUILD_FILES = ("build.xml", "maven-build.xml")
PROPERTY_FILES = ("build.properties", "default.properties", "maven-build.properties", "project.properties")
LEVEL_PROPS = ("compile.source", "maven.compile.source", "maven.compiler.source")
ENCODING_PROPS = ("compile.encoding", "project.build.sourceEncoding", "commons.encoding")
MIN_RELEASE = 8  # the oldest --release every supported javac (17, 21) still accepts
ATTR = re.compile(r'([\w.-]+)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class AntSettings:
    source_level: int | None  # 6 for "1.6", 8 for "8"; None when the build does not say
    encoding: str | None

    def javac_options(self) -> list[str]:
        """``--release N`` (the project's level, at least 8: it also hides newer JDK APIs that clash with old
        code) and ``-encoding`` when the build names one."""
        opts = []
        if self.source_level is not None:
            opts += ["--release", str(max(self.source_level, MIN_RELEASE))]
        if self.encoding:
            opts += ["-encoding", self.encoding]
        return opts


def read_properties(text: str) -> dict[str, str]:
    """``key = value`` lines of a Java properties file (comments and blank lines skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        m = re.match(r"([^=:\s]+)\s*[=:\s]?\s*(.*)", line)
        if m:
            out.setdefault(m.group(1), m.group(2).strip())
    return out


def level(text: str | None) -> int | None:
    m = re.fullmatch(r"\s*(?:1\.)?(\d+)\s*", text or "")
    return int(m.group(1)) if m else None


def read(root: Path) -> AntSettings:
    """The settings the project's Ant build declares for its ``<javac>`` tasks."""
    props: dict[str, str] = {}
    builds = [(root / f).read_text(encoding="utf-8", errors="replace") for f in BUILD_FILES if (root / f).is_file()]
    for text in builds:
        for tag in re.finditer(r"<property\b([^>]*)>", text):
            attrs = dict(ATTR.findall(tag.group(1)))
            if "name" in attrs and "value" in attrs:
                props.setdefault(attrs["name"], attrs["value"])
    for name in PROPERTY_FILES:
        if (root / name).is_file():
            for k, v in read_properties((root / name).read_text(encoding="latin-1")).items():
                props.setdefault(k, v)

    def resolve(value: str, depth: int = 0) -> str:
        if depth > 10:
            return value
        new = re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), value)
        return resolve(new, depth + 1) if new != value else value

    source = encoding = None
    for text in builds:
        for tag in re.finditer(r"<javac\b([^>]*)>", text):
            attrs = {k: resolve(v) for k, v in ATTR.findall(tag.group(1))}
            source = source or level(attrs.get("source")) or level(attrs.get("target"))
            enc = attrs.get("encoding")
            encoding = encoding or (enc if enc and "${" not in enc else None)
    if source is None:
        source = next((level(resolve(props[p])) for p in LEVEL_PROPS if p in props and level(resolve(props[p]))), None)
    if encoding is None:
        encoding = next((resolve(props[p]) for p in ENCODING_PROPS if p in props and "${" not in resolve(props[p])),
                        None)
    return AntSettings(source, encoding)
