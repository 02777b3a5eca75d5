"""Every install line we show works as written from a clone: the package is not on PyPI yet.

Each ``pip install`` in README.md, docs/*.md, the examples and the package's own messages is read
(shell-split, so quoting counts); an argument that names this package must be a path (``.`` or a
built wheel), never the distribution name, which PyPI does not serve; every extra it asks for
must exist in pyproject.toml. The README's main install line includes the ``prices`` extra: cost is
a headline feature.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.docs import ROOT, document_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the docs tests run on the newest Python
    tomllib = pytest.importorskip("tomli")

DISTRIBUTION = "opentelemetry-instrumentation-llm-router"
WHEEL_PREFIX = DISTRIBUTION.replace("-", "_")
PIP_INSTALL = re.compile(r"pip install (?P<args>[^\n`\"]*(?:'[^'\n]*'[^\n`\"]*)*)")
SPEC = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<extras>[^\]]*)\])?$")


def _extras() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(pyproject["project"]["optional-dependencies"])


def _files() -> Iterator[Path]:
    yield from sorted(document_paths())
    yield from sorted((ROOT / "src").rglob("*.py"))
    yield from sorted((ROOT / "examples").rglob("*.py"))
    yield from sorted((ROOT / "examples").rglob("Dockerfile"))


def _install_lines() -> Iterator[tuple[str, list[str]]]:
    for path in _files():
        text = path.read_text(encoding="utf-8")
        for match in PIP_INSTALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            raw = match.group("args").split("#")[0].rstrip(" \\)")
            try:
                args = shlex.split(raw)
            except ValueError:
                args = raw.split()
            yield f"{path.relative_to(ROOT)}:{line}", args


def _ours(argument: str) -> bool:
    name = SPEC.match(argument)
    if name is None:
        return False
    base = name.group("name")
    return (
        base in (".", "./", DISTRIBUTION)
        or base.startswith(DISTRIBUTION)
        or Path(base).name.startswith(WHEEL_PREFIX)
    )


def _problems(arguments: list[str], extras: set[str]) -> list[str]:
    problems = []
    for argument in arguments:
        if argument.startswith("-") or not _ours(argument):
            continue
        spec = SPEC.match(argument)
        assert spec is not None
        if spec.group("name").startswith(DISTRIBUTION):
            problems.append(f"{argument!r} names the distribution, which PyPI does not serve")
        asked = {e.strip() for e in (spec.group("extras") or "").split(",") if e.strip()}
        problems += [f"{argument!r} asks for the unknown extra {e!r}" for e in asked - extras]
    return problems


LINES = list(_install_lines())


@pytest.mark.parametrize(("where", "arguments"), LINES, ids=[where for where, _ in LINES])
def test_install_line_works_from_a_clone(where: str, arguments: list[str]) -> None:
    assert _problems(arguments, _extras()) == [], where


def test_the_check_can_fail() -> None:
    extras = _extras()
    assert _problems([f"{DISTRIBUTION}[prices]"], extras) != []
    assert _problems([".[otlp,nonexistent]"], extras) != []
    assert _problems([".[otlp,prices]", "openai"], extras) == []
    assert any(where.startswith("README.md") for where, _ in LINES)


def test_the_main_install_line_includes_prices() -> None:
    first = next(args for where, args in LINES if where.startswith("README.md"))
    assert any(_ours(a) and "prices" in a for a in first), first
