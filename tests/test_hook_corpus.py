"""Every recorded exchange of the wire corpus, replayed through the instrumented httpx clients.

This is the path the acceptance check takes: the instrumentor configured only by
``OTEL_PYTHON_LLM_ROUTER_PROVIDERS=host:port=provider/format``, a plain httpx2 (and httpx) client,
a real local server sending the recorded bytes. One finished span per exchange with the values
the recording implies, the caller's bytes unchanged, the API key nowhere in the telemetry.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from tests.support.corpus_expectations import FORMAT_OF, check_span, expected_span
from tests.support.scripted_server import CORPUS, ScriptedServer, corpus_reply
from tests.support.wire_corpus import entry_paths

ENTRIES = [p.name for p in entry_paths()]
API_KEY = "sk-canary-7f3c9e1d2b"


def _send(module: Any, entry: dict[str, Any], url: str) -> tuple[int, bytes]:
    request = entry["request"]
    headers = {"Authorization": f"Bearer {API_KEY}", "x-api-key": API_KEY}
    body = json.dumps(request["body"]).encode()
    with module.Client() as client:
        if entry["stream"]:
            with client.stream("POST", url + request["path"], content=body, headers=headers) as r:
                data = b"".join(r.iter_bytes())
                return r.status_code, data
        response = client.post(url + request["path"], content=body, headers=headers)
        return response.status_code, response.content


async def _send_async(module: Any, entry: dict[str, Any], url: str) -> tuple[int, bytes]:
    request = entry["request"]
    body = json.dumps(request["body"]).encode()
    headers = {"api-key": API_KEY, "x-goog-api-key": API_KEY}
    async with module.AsyncClient() as client:
        if entry["stream"]:
            async with client.stream(
                "POST", url + request["path"], content=body, headers=headers
            ) as r:
                data = b"".join([chunk async for chunk in r.aiter_bytes()])
                return r.status_code, data
        response = await client.post(url + request["path"], content=body, headers=headers)
        return response.status_code, response.content


def _assert_no_secret(span: Any) -> None:
    for value in [span.name, *span.attributes.values()]:
        assert API_KEY not in str(value)
    for event in span.events:
        assert API_KEY not in str(dict(event.attributes or {}))


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("module", [httpx2, httpx], ids=["httpx2", "httpx"])
def test_sync_replay(name: str, module: Any, instrument: Any, span_exporter: Any) -> None:
    entry = json.loads((CORPUS / name).read_text())
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}={entry['provider']}/{FORMAT_OF[entry['format']]}")
        status, data = _send(module, entry, server.url)
    assert status == entry["response"]["status"]
    assert data == entry["response"]["body"].encode()
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    problems = check_span(spans[0], expected_span(entry))
    assert not problems, problems
    _assert_no_secret(spans[0])


@pytest.mark.parametrize("name", ENTRIES)
def test_async_replay(name: str, instrument: Any, span_exporter: Any) -> None:
    entry = json.loads((CORPUS / name).read_text())
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}={entry['provider']}/{FORMAT_OF[entry['format']]}")
        status, data = asyncio.run(_send_async(httpx2, entry, server.url))
    assert status == entry["response"]["status"]
    assert data == entry["response"]["body"].encode()
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1
    assert not check_span(spans[0], expected_span(entry))
    _assert_no_secret(spans[0])


@pytest.mark.parametrize("name", ENTRIES)
def test_bytes_identical_without_instrumentation(name: str) -> None:
    """The control: what the caller gets with no instrumentor at all is the recorded body too."""
    entry = json.loads((CORPUS / name).read_text())
    with ScriptedServer(corpus_reply(entry)) as server:
        _, data = _send(httpx2, entry, server.url)
    assert data == entry["response"]["body"].encode()


def test_corpus_is_present() -> None:
    assert len(ENTRIES) >= 30, f"wire corpus not found at {Path(CORPUS)}"
