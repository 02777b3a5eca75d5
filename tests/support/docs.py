"""The documentation examples as tests: every Python and shell block in README.md and docs/*.md.

Sybil (a maintained library for testing documentation examples) finds the fenced blocks and the
skip directives; each block then runs as a complete program in a fresh process, from the
repository root, with this virtual environment's ``bin`` first on ``PATH`` (so ``python``,
``llm-router-otel`` and ``opentelemetry-instrument`` are the ones under test) and no ``OTEL_*``
variables inherited from the test run. The root ``conftest.py`` hands the documents to pytest; the
conventions for writing blocks are in ``tests/test_docs.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser

ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENTS = ["README.md", "docs/*.md"]  # globs from the repository root (not any README.md)
PYTHON_LANGUAGES = ("python",)
SHELL_LANGUAGES = ("bash", "sh")
# Fenced blocks in these languages are data or other languages' code: shown, never run.
SHOWN_ONLY_LANGUAGES = ("", "text", "json", "yaml", "toml", "rust", "promql")
TIMEOUT_S = 120.0


def block_env() -> dict[str, str]:
    """The environment a reader would have: the venv on PATH, no OTel settings of the test run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "PYTEST_", "COV_", "OPENAI_", "ANTHROPIC_"))
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(example: Example, argv_for: list[str], suffix: str) -> None:
    source = str(example.parsed)
    name = f"{Path(example.path).stem}_line{example.line}_"
    with tempfile.NamedTemporaryFile("w", suffix=suffix, prefix=name, delete=False) as script:
        script.write(source)
    try:
        done = subprocess.run(
            [*argv_for, script.name],
            cwd=ROOT,
            env=block_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    finally:
        os.unlink(script.name)
    if done.returncode != 0:
        where = f"{Path(example.path).relative_to(ROOT)} line {example.line}"
        raise AssertionError(
            f"the block at {where} exited with {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        )


def run_python(example: Example) -> None:
    _run(example, [sys.executable], ".py")


def run_shell(example: Example) -> None:
    _run(example, ["bash", "-e", "-o", "pipefail"], ".sh")


def document_paths() -> set[Path]:
    return {path for pattern in DOCUMENTS for path in ROOT.glob(pattern)}


class _RootDocuments(Sybil):
    """Sybil matches its patterns from the right (any ``README.md`` anywhere, e.g. the wire
    corpus's); only the documents the globs name from the repository root are ours."""

    def should_parse(self, path: Path) -> bool:
        return Path(path).resolve() in document_paths() and super().should_parse(path)


def documentation() -> Sybil:
    return _RootDocuments(
        parsers=[
            SkipParser(),
            *(CodeBlockParser(language, run_python) for language in PYTHON_LANGUAGES),
            *(CodeBlockParser(language, run_shell) for language in SHELL_LANGUAGES),
        ],
        path=str(ROOT),
        patterns=DOCUMENTS,
    )
