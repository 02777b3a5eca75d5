"""The public API is what the docs use, and every argument of it is documented.

- No Python block in README.md, docs/*.md or examples/ imports a private module (a path with a
  ``_``-led part below the package) or a name the package does not export (``__all__``): what a
  reader copies must keep working when private modules move.
- docs/api.md has a section for every exported name, and each section names every parameter of
  that name's signature (for a class, its constructor), so a new argument cannot ship undocumented.
- Every keyword ``LLMRouterInstrumentor().instrument()`` reads (found in the source, not listed by
  hand) is named in the ``instrument()`` section.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Iterator

import pytest

import opentelemetry.instrumentation.llm_router as package
from opentelemetry.instrumentation.llm_router._clients._user_hooks import HOOK_NAMES
from tests.support.docs import ROOT, document_paths

PACKAGE = "opentelemetry.instrumentation.llm_router"
API = ROOT / "docs" / "api.md"
SOURCE = ROOT / "src" / "opentelemetry" / "instrumentation" / "llm_router"
FENCE = re.compile(r"^```python\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^### `(?P<name>[A-Za-z_][\w.]*)`[^\n]*$", re.MULTILINE)


def _python_sources() -> Iterator[tuple[str, str]]:
    for path in sorted(document_paths()):
        for number, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8"))):
            yield f"{path.relative_to(ROOT)} block {number + 1}", match.group("code")
    for path in sorted((ROOT / "examples").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def _private_imports(code: str) -> list[str]:
    """Imports of our package's private modules or unexported names in ``code``."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            below = node.module[len(PACKAGE) :].lstrip(".").split(".")
            if any(part.startswith("_") for part in below if part):
                found.append(f"from {node.module} import ...")
            elif node.module == PACKAGE:
                found += [
                    f"{alias.name} (not in __all__)"
                    for alias in node.names
                    if alias.name not in package.__all__
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"import {alias.name}"
                for alias in node.names
                if alias.name.startswith(PACKAGE + "._")
            ]
    return found


SOURCES = list(_python_sources())


@pytest.mark.parametrize(("where", "code"), SOURCES, ids=[where for where, _ in SOURCES])
def test_docs_and_examples_import_only_the_public_api(where: str, code: str) -> None:
    assert _private_imports(code) == [], f"{where} imports private names"


def test_the_private_import_check_can_fail() -> None:
    assert _private_imports(f"from {PACKAGE}._pricer import Pricing") != []
    assert _private_imports(f"from {PACKAGE} import _secret") != []
    assert _private_imports(f"import {PACKAGE}._wire") != []
    assert _private_imports(f"from {PACKAGE} import Pricing") == []


def _sections() -> dict[str, str]:
    text = API.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    return {
        head.group("name"): text[head.end() : heads[i + 1].start() if i + 1 < len(heads) else None]
        for i, head in enumerate(heads)
    }


def _named(section: str) -> set[str]:
    """The identifiers inside the section's code spans (`max_open`, `Pricing(file=None, ...)`)."""
    return {word for span in re.findall(r"`([^`]+)`", section) for word in re.findall(r"\w+", span)}


def _parameters(obj: object) -> list[str]:
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"
    ]


EXPORTED = sorted(name for name in package.__all__ if name != "__version__")


@pytest.mark.parametrize("name", EXPORTED)
def test_every_exported_name_and_argument_is_documented(name: str) -> None:
    sections = _sections()
    assert name in sections, f"docs/api.md has no '### `{name}`' section"
    obj = getattr(package, name)
    if (
        inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__init__ is BaseException.__init__
    ):
        return
    named = _named(sections[name])
    missing = [p for p in _parameters(obj) if p not in named]
    assert missing == [], f"docs/api.md's {name} section does not name {missing}"


def _instrument_keywords() -> set[str]:
    """Every ``kwargs.get("x")``, ``kwargs["x"]`` and ``"x" in kwargs`` in the hook's set-up code."""
    keywords: set[str] = set()
    for path in [SOURCE / "_instrumentor.py", *sorted((SOURCE / "_clients").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "kwargs"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keywords.add(node.args[0].value)
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id == "kwargs"
                and isinstance(node.slice, ast.Constant)
            ):
                keywords.add(node.slice.value)
            elif (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Constant)
                and any(isinstance(c, ast.Name) and c.id == "kwargs" for c in node.comparators)
            ):
                keywords.add(node.left.value)
    return keywords | set(HOOK_NAMES)  # read in a loop over this tuple


def test_every_instrument_keyword_is_documented() -> None:
    keywords = _instrument_keywords()
    assert {"tracer_provider", "meter_provider", "providers", "request_hook"} <= keywords
    section = _sections()["LLMRouterInstrumentor"]
    missing = sorted(k for k in keywords if k not in _named(section))
    assert missing == [], f"docs/api.md's LLMRouterInstrumentor section does not name {missing}"
