"""The hook reads a response's content type and coding in one pass over httpx's header list; it
must give exactly what ``Headers.get`` gives, for every header set httpx and httpx2 can hold."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import httpx2
import pytest

from opentelemetry.instrumentation.llm_router._httpx._hook import _content_headers

VALUES = {
    "content-type": ["text/event-stream", "application/json; charset=utf-8", ""],
    "content-encoding": ["gzip", "br", "identity"],
}
NAMES = {
    "content-type": ["content-type", "Content-Type", "CONTENT-TYPE"],
    "content-encoding": ["content-encoding", "Content-Encoding"],
}


def _header_sets() -> list[list[tuple[Any, Any]]]:
    """Absent, once, twice (httpx joins repeated values), in any case, among other headers, and
    values that are not ASCII (UTF-8 and Latin-1 bytes)."""
    sets: list[list[tuple[Any, Any]]] = []
    for ct_count, ce_count in itertools.product(range(3), range(3)):
        for case in range(2):
            items: list[tuple[Any, Any]] = [("date", "Tue, 08 Dec 2026 01:00:00 GMT")]
            for i in range(ct_count):
                name = NAMES["content-type"][(i + case) % 3]
                items.append((name, VALUES["content-type"][(i + case) % 3]))
            items.append(("x-request-id", "req_1"))
            for i in range(ce_count):
                name = NAMES["content-encoding"][(i + case) % 2]
                items.append((name, VALUES["content-encoding"][(i + case) % 3]))
            sets.append(items)
    sets.append([(b"content-type", "text/plain; name=caf\u00e9".encode())])
    sets.append([(b"content-type", b"text/plain; name=caf\xe9")])
    sets.append([(b"content-encoding", b"gzip\xff")])
    return sets


@pytest.mark.parametrize("module", [httpx2, httpx], ids=["httpx2", "httpx"])
@pytest.mark.parametrize("items", _header_sets())
def test_content_headers_as_get_gives_them(module: Any, items: list[tuple[Any, Any]]) -> None:
    for headers in (module.Headers(items), module.Response(200, headers=items).headers):
        expected = (headers.get("content-type", ""), headers.get("content-encoding"))
        assert _content_headers(headers) == expected


def test_other_headers_classes_are_asked() -> None:
    plain = {"content-type": "text/event-stream"}  # no httpx header list: ``get`` is used
    assert _content_headers(plain) == ("text/event-stream", None)
