"""Build settings: how a bug's project is compiled and its tests run (javac and JVM options, the JDK, timeouts).

``ValidationConfig`` holds the run-wide choices (CLI flags); a bug's manifest may set its own ``javac_options``,
``jvm_options``, ``test_timeout`` and ``java_home``. ``settings_for(bug, config)`` merges both into the one
``BuildSettings`` every validator (fresh, warm, pre-flight) uses, so they compile and run alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.bugs import Bug
from agent.validation.javatools import JavaEnv, java_env
from agent.validation.sandbox import MODES as SANDBOX_MODES, Sandbox, default_mode, default_sandbox

VALIDATORS = {"fresh": "agent.validation.validate:FreshValidator", "warm": "agent.validation.warm:WarmValidator",
              "d4j": "agent.bugs.d4j:D4JValidator"}


ISOLATIONS = ("class", "shared")
DEFAULT_TEST_TIMEOUT = 180.0  # Lang's locale tests take 24-51 s idle and timed out at 60 s on a loaded 2-core machine
# (Lang-6, Lang-22, Lang-40: the pre-flight excluded them or gave up); a run stops at its first timeout, so an
# endless candidate costs this once


def register_validator(name: str, target: str) -> None:
    """Make ``--validator NAME`` build ``module:Class`` (imported when first used)."""
    VALIDATORS[name] = target


@dataclass
class ValidationConfig:
    test_timeout: float | None = field(default=None, metadata={
        "help": "seconds each test (and each class's set-up) may run before it counts as a timeout; given, it "
                f"overrides the bugs' own test_timeout (default: the bug's, else {DEFAULT_TEST_TIMEOUT:g})"})
    compile_timeout: float = field(default=300.0, metadata={"help": "seconds javac may run"})
    candidate_timeout: float = field(default=1800.0, metadata={
        "help": "seconds one candidate's tests may run in all (a whole-candidate budget)"})
    heap: str = field(default="2g", metadata={"help": "heap cap of each test JVM (-Xmx); a bug's jvm_options may "
                                                       "set its own -Xmx"})
    all_tests: bool = field(default=False, metadata={
        "help": "run every test class after the failing tests (default: only the classes that reach the patched "
                "class, recorded by the pre-flight on the buggy version)"})
    isolation: str = field(default="class", metadata={
        "help": "class (each test class in its own class loader: static state one test class leaves behind cannot "
                "fail another, and skipping classes by selection cannot change the others' outcomes) or shared "
                "(the classes of a run share one class loader, as Surefire and Defects4J run them)"})
    preflight: bool = field(default=True, metadata={
        "help": "check each bug before repairing it (buggy fails, fix passes; broken tests excluded)"})
    validator: str = field(default="fresh", metadata={"help": "fresh (new javac + JVM per candidate), warm "
                                                              "(a long-running compile-and-test server) or d4j "
                                                              "(defects4j compile + test)"})
    sandbox: str = field(default_factory=default_mode, metadata={
        "help": "where javac and the tests run: auto (bubblewrap when it works, else unconfined with a warning), "
                "bwrap (required) or none (unconfined); the default comes from REPAIRCHAT_SANDBOX"})

    def __post_init__(self):
        if (self.test_timeout is not None and self.test_timeout <= 0) or self.compile_timeout <= 0 or self.candidate_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if not self.heap or not self.heap[:-1].isdigit() and not self.heap.isdigit():
            raise ValueError(f"heap {self.heap!r} must look like 512m or 2g")
        if self.validator not in VALIDATORS:
            raise ValueError(f"validator must be one of {', '.join(VALIDATORS)}")
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {self.isolation!r}")
        if self.sandbox not in SANDBOX_MODES:
            raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)} (--sandbox or REPAIRCHAT_SANDBOX), "
                             f"not {self.sandbox!r}")


    def timeout_for(self, bug: Bug) -> float:
        """The per-test timeout for ``bug``: this config's when given, else the bug's, else the default."""
        return self.test_timeout or bug.test_timeout or DEFAULT_TEST_TIMEOUT


@dataclass(frozen=True)
class BuildSettings:
    env: JavaEnv
    javac_args: tuple[str, ...]  # every javac option but -d/-cp: -nowarn -g, the encoding, the bug's options
    jvm_args: tuple[str, ...]  # the heap cap and the bug's JVM options
    test_timeout: float
    candidate_timeout: float
    compile_timeout: float
    sandbox: Sandbox | None = None  # what javac and the test JVMs run in (None: the REPAIRCHAT_SANDBOX default)
    isolate_classes: bool = True  # each test class in its own class loader (ValidationConfig.isolation)


def settings_for(bug: Bug, config: ValidationConfig) -> BuildSettings:
    env = java_env(bug.java_home)
    opts = list(bug.javac_options)
    base = ["-nowarn", "-g"]
    if "-encoding" not in opts:
        base += ["-encoding", "UTF-8"]
    if not any(o in opts for o in ("--release", "-source", "-target", "--source", "--target")):
        base += env.release  # a runtime older than javac (java_home of Java 11) loads what javac makes
    jvm = [] if any(o.startswith("-Xmx") for o in bug.jvm_options) else [f"-Xmx{config.heap}"]
    return BuildSettings(env, (*base, *opts), (*jvm, *bug.jvm_options),
                         config.timeout_for(bug), config.candidate_timeout, config.compile_timeout,
                         sandbox_for(config), config.isolation == "class")


def heap_mb(heap: str) -> int:
    """``--heap`` (``512m``, ``2g``, a byte count) in MB."""
    unit = heap[-1].lower()
    if unit.isdigit():
        return int(heap) >> 20
    kb = int(heap[:-1]) * {"k": 1, "m": 1 << 10, "g": 1 << 20, "t": 1 << 30}.get(unit, 1 << 10)
    return kb >> 10


def sandbox_for(config: ValidationConfig) -> Sandbox:
    """The sandbox of ``config`` (``--sandbox``; its memory caps from ``--heap``), resolved once per process."""
    return default_sandbox(config.sandbox, max(64, heap_mb(config.heap)))
