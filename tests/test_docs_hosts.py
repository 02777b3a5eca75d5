"""docs/providers.md's host table says exactly what the code's built-in table does."""

from __future__ import annotations

import re
from pathlib import Path

from opentelemetry.instrumentation.llm_router._wire._hosts import (
    BUILTIN_HOST_PORTS,
    BUILTIN_HOSTS,
    BUILTIN_PATTERNS,
    BUILTIN_SUFFIXES,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "providers.md"


def _doc_rows() -> set[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Known hosts", 1)[1]
    rows: set[tuple[str, str, str]] = set()
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in ("host", "---"):
            continue
        assert len(cells) == 3, line
        provider = cells[1].strip("`")
        for host in re.findall(r"`([^`]+)`", cells[0]):
            rows.add((host, provider, cells[2]))
    return rows


def _code_rows() -> set[tuple[str, str, str]]:
    rows = {(host, r.provider, r.format.name) for host, r in BUILTIN_HOSTS.items()}
    for (host, port), route in BUILTIN_HOST_PORTS.items():
        name = f"[{host}]" if ":" in host else host
        rows.add((f"{name}:{port}", route.provider, route.format.name))
    for suffix, route in BUILTIN_SUFFIXES:
        rows.add(("*" + suffix, route.provider, route.format.name))
    for prefix, suffix, route in BUILTIN_PATTERNS:
        rows.add((prefix + "*" + suffix, route.provider, route.format.name))
    return rows


def test_doc_table_matches_code() -> None:
    doc, code = _doc_rows(), _code_rows()
    assert len(doc) > 20
    assert doc - code == set(), "in docs/providers.md but not in the code"
    assert code - doc == set(), "in the code but not in docs/providers.md"
