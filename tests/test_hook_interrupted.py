"""A user's request hook interrupted, and calls a hook makes itself, for every client library.

The hooks run while the GenAI span is current. A call cancelled while its ``async_request_hook``
awaits (``asyncio.wait_for``, ``asyncio.timeout``), or a sync ``request_hook`` that gets
``KeyboardInterrupt``, must still end its span (exported, with the interruption as its error),
leave the caller's context as it found it (no current span left behind, so later spans are not
its children) and leave no in-call marker behind (later aiohttp calls are traced). A call the hook
makes itself (an aiohttp call inside an httpx hook) is a call of its own and gets its own span.

Real clients against a real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Callable, Iterator

import aiohttp
import httpx
import httpx2
import pytest

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router._genai._error_type import exception_error_type
from tests.support.http_clients import ASYNC_KINDS
from tests.support.openai_wire import chat_reply, chat_request
from tests.support.scripted_server import ScriptedServer

SCOPE = "opentelemetry.instrumentation.llm_router"
INNER = "x-inner-call"
BODY = json.dumps(chat_request()).encode()


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(chat_reply()) as running:
        yield running


@pytest.fixture
def hooked(
    server: ScriptedServer, tracer_provider: Any, meter_provider: Any, monkeypatch: Any
) -> Iterator[Callable[..., None]]:
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
    instrumentor = LLMRouterInstrumentor()

    def start(**hooks: Any) -> None:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, **hooks
        )

    yield start
    instrumentor.uninstrument()


async def _post_async(kind: str, url: str, headers: dict[str, str]) -> int:
    if kind == "aiohttp":
        async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9 syntax
            async with session.post(url, data=BODY, headers=headers) as response:
                await response.read()
                return response.status
    module = httpx2 if kind.startswith("httpx2") else httpx
    async with module.AsyncClient() as client:
        response = await client.post(url, content=BODY, headers=headers)
        return int(response.status_code)


def _post_sync(kind: str, url: str) -> int:
    module = httpx2 if kind == "httpx2" else httpx
    with module.Client() as client:
        return int(client.post(url, content=BODY).status_code)


def _cancellers() -> list[str]:
    return ["wait_for", "timeout"] if sys.version_info >= (3, 11) else ["wait_for"]


async def _cancelled(how: str, call: Any) -> None:
    if how == "wait_for":
        await asyncio.wait_for(call, 0.2)
    else:
        async with asyncio.timeout(0.2):  # type: ignore[attr-defined]  # 3.11+
            await call


def _assert_clean_after(kind: str, url: str, span_exporter: Any, tracer_provider: Any) -> None:
    """Back in the caller: no span of ours current, and later calls of every library traced
    as roots of their own."""
    assert trace.get_current_span() is trace.INVALID_SPAN
    assert not context.get_current(), "a context value was left behind"
    with tracer_provider.get_tracer("app").start_as_current_span("later work") as later:
        pass
    assert later.parent is None  # not a child of the interrupted call's span
    before = len(_ours(span_exporter))

    async def later_calls() -> None:
        assert await _post_async("aiohttp", url, {}) == 200
        assert await _post_async("httpx2-async", url, {}) == 200

    asyncio.run(later_calls())
    later_spans = _ours(span_exporter)[before:]
    assert len(later_spans) == 2, "a later call was not traced"
    assert all(span.parent is None for span in later_spans)


@pytest.mark.parametrize("how", _cancellers())
@pytest.mark.parametrize("kind", ASYNC_KINDS)
def test_call_cancelled_in_its_async_request_hook_still_ends(
    kind: str,
    how: str,
    server: ScriptedServer,
    hooked: Any,
    span_exporter: Any,
    tracer_provider: Any,
) -> None:
    calls: list[Any] = []

    async def slow_hook(span: Any, request: Any) -> None:
        calls.append(request)
        if len(calls) == 1:  # the first call only: later ones must go through
            await asyncio.sleep(30)

    hooked(async_request_hook=slow_hook)
    url = f"{server.url}/v1/chat/completions"

    async def main() -> None:
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await _cancelled(how, _post_async(kind, url, {}))
        # In the task that cancelled: nothing of the call is current any more.
        assert trace.get_current_span() is trace.INVALID_SPAN
        assert await _post_async("aiohttp", url, {}) == 200

    asyncio.run(main())
    interrupted, after = _ours(span_exporter)
    assert interrupted.status.status_code.name == "ERROR"
    # the one classification of every source: a cancelled call is ``cancelled``
    assert interrupted.attributes["error.type"] == exception_error_type(asyncio.CancelledError())
    assert after.parent is None and after.status.status_code.name == "UNSET"
    assert len(server.received) == 1  # the interrupted call was never sent; the later one was
    _assert_clean_after(kind, url, span_exporter, tracer_provider)


@pytest.mark.parametrize("kind", ["httpx", "httpx2"])
def test_call_interrupted_in_its_request_hook_still_ends(
    kind: str, server: ScriptedServer, hooked: Any, span_exporter: Any, tracer_provider: Any
) -> None:
    calls: list[Any] = []

    def interrupted_hook(span: Any, request: Any) -> None:
        calls.append(request)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C while the hook runs

    hooked(request_hook=interrupted_hook)
    url = f"{server.url}/v1/chat/completions"
    with pytest.raises(KeyboardInterrupt):
        _post_sync(kind, url)
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "KeyboardInterrupt"
    assert server.received == []
    _assert_clean_after(kind, url, span_exporter, tracer_provider)


@pytest.mark.parametrize("outer", ASYNC_KINDS)
def test_an_aiohttp_call_made_inside_an_async_request_hook_gets_its_own_span(
    outer: str, server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    url = f"{server.url}/v1/chat/completions"
    inner_statuses: list[int] = []

    async def async_hook(span: Any, request: Any) -> None:
        if request.headers.get(INNER) is None:  # the hook runs for the inner call too
            inner_statuses.append(await _post_async("aiohttp", url, {INNER: "1"}))

    hooked(async_request_hook=async_hook)
    assert asyncio.run(_post_async(outer, url, {})) == 200
    assert inner_statuses == [200]
    spans = _ours(span_exporter)
    assert len(spans) == 2, [s.name for s in spans]
    inner, outer_span = spans  # the inner call ends first
    # made while the outer call's span is current (as the hook sees it): its child
    assert inner.parent is not None and inner.parent.span_id == outer_span.context.span_id
    assert outer_span.parent is None
    assert [r.headers.get(INNER) for r in server.received] == ["1", None]
