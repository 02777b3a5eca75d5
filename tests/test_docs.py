"""Every Python and shell block in README.md and docs/*.md runs as written, as part of the suite.

How it works: Sybil (tests/support/docs.py, collected by the root conftest.py) finds the fenced
blocks; each ```python block runs as a complete program and each ```bash / ```sh block as a
script (``bash -e -o pipefail``), in a fresh process from the repository root, with this venv's
``bin`` first on PATH and no ``OTEL_*`` variables from the test run. A non-zero exit fails the
test, which is named after the document and line (``docs/bridge.md::line:92,column:1``).

The convention, for anyone adding a block:

- A ```python block is a complete program: imports, set-up (an SDK provider with an exporter, so
  it shows something), ``asyncio.run`` instead of top-level ``await``, no undefined names.
- A ```bash / ```sh block runs from the repository root; it may use the examples
  (``examples/fake_provider.py``, ``examples/forward_events.jsonl``) and must clean up what it
  starts (``kill %1``). Use a port no test uses (the fake provider blocks use 8000).
- A block that cannot run here (it installs packages, needs Docker or a real Collector, runs for
  minutes, follows a file forever) gets, on the line right above it, the HTML comment
  ``<!-- skip: next "the reason" -->`` (invisible on GitHub and PyPI); the reason is shown in the
  test report. One directive per block: no ``skip: start`` / ``skip: end`` ranges.
- Output, usage synopses and data are ```text, ```json, ```yaml, ... (never run). Any other
  language is refused below, so that no runnable block hides under an unknown tag.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.docs import (
    DOCUMENTS,
    PYTHON_LANGUAGES,
    ROOT,
    SHELL_LANGUAGES,
    SHOWN_ONLY_LANGUAGES,
    document_paths,
    documentation,
    run_python,
    run_shell,
)

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$", re.MULTILINE)
SKIP = re.compile(r"<!--\s*skip:\s*(?P<rest>.*?)\s*-->")


def _documents() -> list[Path]:
    found = sorted(document_paths())
    assert found, f"no documents match {DOCUMENTS}"
    return found


def _opening_fences(text: str) -> list[str]:
    """The info strings (language) of the opening fences in ``text``."""
    languages, open_fence = [], None
    for match in FENCE.finditer(text):
        if open_fence is None:
            open_fence = match.group("fence")
            languages.append(match.group("info").strip().split(" ")[0])
        elif match.group("fence").startswith(open_fence) and not match.group("info").strip():
            open_fence = None
    return languages


def test_every_fenced_block_is_run_or_declared_as_shown_only() -> None:
    known = set(PYTHON_LANGUAGES) | set(SHELL_LANGUAGES) | set(SHOWN_ONLY_LANGUAGES)
    unknown = {
        f"{path.relative_to(ROOT)}: ```{language}"
        for path in _documents()
        for language in _opening_fences(path.read_text(encoding="utf-8"))
        if language not in known
    }
    assert not unknown, f"blocks in a language the docs test neither runs nor knows: {unknown}"


def test_only_the_named_documents_are_collected() -> None:
    sybil = documentation()
    assert sybil.should_parse(ROOT / "README.md")
    assert sybil.should_parse(ROOT / "docs" / "bridge.md")
    assert not sybil.should_parse(ROOT / "tests" / "data" / "wire-corpus" / "README.md")


def test_sybil_collects_every_runnable_block() -> None:
    runnable = sum(
        language in PYTHON_LANGUAGES + SHELL_LANGUAGES
        for path in _documents()
        for language in _opening_fences(path.read_text(encoding="utf-8"))
    )
    sybil = documentation()
    collected = sum(
        1
        for path in _documents()
        for example in sybil.parse(path)
        if example.region.evaluator in (run_python, run_shell)
    )
    assert runnable >= 10
    assert collected == runnable


def test_every_skip_is_one_block_with_a_reason() -> None:
    for path in _documents():
        for match in SKIP.finditer(path.read_text(encoding="utf-8")):
            rest = match.group("rest")
            assert re.fullmatch(r'next "[^"]{10,}"', rest), (
                f'{path.relative_to(ROOT)}: use <!-- skip: next "why it cannot run" -->, '
                f"not <!-- skip: {rest} -->"
            )
