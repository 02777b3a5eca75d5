"""Twelve provider SDKs, as their users call them, against loopback providers in each wire format.

One cell per SDK x call type (chat, stream consumed fully, a provider error, embeddings) x
sync/async x how the host is named (a base URL plus an ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS`` entry;
or the SDK's real default host, recognised from the built-in table alone, with a forwarding
transport on the SDK's own HTTP client). Each cell makes the call twice, without and with the
hook, and checks that the SDK's result is identical, that exactly one GenAI span says what the
bytes said (name, provider, models, id, finish reasons, usage with cache/reasoning counts, time to
first chunk, error status and type), and the metrics.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any, Callable, Optional

import pytest

from tests.sdk_matrix.sdks import (
    BASE_URL_ONLY,
    CALLS,
    ERROR_CALLS,
    MODES,
    OPTIONAL_SDKS,
    SDK,
    SDK_FACTORIES,
    STREAMED_CALLS,
    error_of,
    plain,
)
from tests.sdk_matrix.wire import ERROR_MODEL
from tests.support.scripted_server import ScriptedServer

SCOPE = "opentelemetry.instrumentation.llm_router"

_OPERATIONS = {
    ("gemini", "chat"): "generate_content",
    ("gemini", "stream"): "generate_content",
    ("gemini", "error"): "generate_content",
}


def _cells() -> list[Any]:
    cells = []
    for name, calls in CALLS.items():
        if name in OPTIONAL_SDKS and importlib.util.find_spec(name) is None:
            continue  # its cells run in its own venv (tests/test_aiobotocore.py)
        for call in calls:
            for is_async in MODES[name]:
                mode = "async" if is_async else "sync"
                cells.append(
                    pytest.param(
                        name,
                        call,
                        is_async,
                        "base_url",
                        id=f"{name}-{call}-{mode}-base_url",
                    )
                )
        if name in BASE_URL_ONLY:
            continue
        for is_async in MODES[name]:
            mode = "async" if is_async else "sync"
            cells.append(
                pytest.param(
                    name, "chat", is_async, "default_host", id=f"{name}-chat-{mode}-default_host"
                )
            )
    return cells


_SDKS: dict[str, SDK] = {}


def _sdk(name: str) -> SDK:
    if name not in _SDKS:
        _SDKS[name] = SDK_FACTORIES[name]()
    return _SDKS[name]


def _request_model(sdk: SDK, call: str, mode: str) -> Optional[str]:
    if call == "error":  # stream_error: the stream fails, the request is an ordinary one
        return ERROR_MODEL
    if sdk.wire.name == "huggingface" and call == "embeddings" and mode == "base_url":
        return None  # a TEI server's `/`: the request names no model
    return sdk.models[call]


def _call_twice(
    sdk: SDK,
    call: str,
    is_async: bool,
    base_url: Optional[str],
    port: int,
    instrument: Callable[[], Any],
) -> tuple[Any, Any]:
    """The call made with one client, first without the hook, then (after ``instrument()``)
    with it: the hook wraps the client library's classes, so the same client is traced."""
    model = ERROR_MODEL if call == "error" else sdk.models[call]
    maker: Callable[[Any, str], Any] = (sdk.acalls if is_async else sdk.calls)[call]

    def outcome(error: Optional[BaseException], result: Any) -> Any:
        if error is not None:
            if not isinstance(error, sdk.error_types) or call not in ERROR_CALLS:
                raise error
            return error_of(error)
        assert call not in ERROR_CALLS, f"{sdk.name}: the {call} did not raise"
        return plain(result, sdk.drop)

    def sync_once(client: Any) -> Any:
        try:
            return outcome(None, maker(client, model))
        except BaseException as exc:
            return outcome(exc, None)

    if not is_async:
        client = sdk.make(base_url, port, False)
        without = sync_once(client)
        instrument()
        return without, sync_once(client)

    async def async_once(client: Any) -> Any:
        try:
            return outcome(None, await maker(client, model))
        except BaseException as exc:
            return outcome(exc, None)

    async def main() -> tuple[Any, Any]:
        client = sdk.make(base_url, port, True)
        without = await async_once(client)
        instrument()
        return without, await async_once(client)

    return asyncio.run(main())


def _genai_spans(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


@pytest.mark.parametrize(("name", "call", "is_async", "mode"), _cells())
def test_sdk_cell(
    name: str,
    call: str,
    is_async: bool,
    mode: str,
    instrument: Any,
    span_exporter: Any,
    metric_points: Any,
) -> None:
    sdk = _sdk(name)
    assert tuple(sdk.calls) == CALLS[name] and tuple(sdk.acalls) == CALLS[name]
    wire = sdk.wire
    with ScriptedServer(wire.respond) as server:
        base_url = server.url if mode == "base_url" else None

        def start_hook() -> None:
            assert _genai_spans(span_exporter) == []
            instrument(f"{server.host_port}={sdk.entry}" if mode == "base_url" else None)

        without, with_hook = _call_twice(sdk, call, is_async, base_url, server.port, start_hook)
    assert with_hook == without, "the hook changed what the SDK returned"

    spans = _genai_spans(span_exporter)
    assert len(spans) == 1, [s.name for s in spans]
    span = spans[0]
    attrs = dict(span.attributes)
    expect = wire.expect[call]
    operation = _OPERATIONS.get((wire.name, call), "embeddings" if call == "embeddings" else "chat")
    model = _request_model(sdk, call, mode)
    assert span.name == (f"{operation} {model}" if model else operation)
    assert attrs["gen_ai.operation.name"] == operation
    assert attrs["gen_ai.provider.name"] == sdk.provider
    assert attrs.get("gen_ai.request.model") == model
    if mode == "default_host":
        assert attrs["server.address"] == sdk.default_host.split(":")[0]

    if call in ERROR_CALLS:
        assert span.status.status_code.name == "ERROR"
        assert attrs["error.type"] == expect.error_type, attrs
        status = 200 if call == "stream_error" else wire.error_status  # an error frame: 200
        assert attrs["http.response.status_code"] == status
    else:
        assert span.status.status_code.name != "ERROR", span.status
        assert "error.type" not in attrs
        assert attrs.get("gen_ai.response.model") == expect.response_model
        # v1.41's span.gen_ai.embeddings.client lists no response id: the wire's id (Mistral and
        # Cohere send one) is not exported on embeddings spans.
        expected_id = None if call == "embeddings" else expect.response_id
        assert attrs.get("gen_ai.response.id") == expected_id
        reasons = attrs.get("gen_ai.response.finish_reasons")
        assert (tuple(reasons) if reasons else None) == expect.finish_reasons
        for key, value in (
            ("gen_ai.usage.input_tokens", expect.input_tokens),
            ("gen_ai.usage.output_tokens", expect.output_tokens),
            ("gen_ai.usage.cache_read.input_tokens", expect.cache_read),
            ("gen_ai.usage.cache_creation.input_tokens", expect.cache_creation),
            ("gen_ai.usage.reasoning.output_tokens", expect.reasoning),
        ):
            assert attrs.get(key) == value, key

    streamed = call in STREAMED_CALLS
    assert attrs.get("gen_ai.request.stream", False) is streamed or not streamed
    ttfc = attrs.get("gen_ai.response.time_to_first_chunk")
    if streamed:
        assert ttfc is not None and 0 < ttfc < 30
        (first_chunk,) = metric_points("gen_ai.client.operation.time_to_first_chunk")
        assert first_chunk.count == 1
    (duration,) = metric_points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert duration.attributes["gen_ai.provider.name"] == sdk.provider
    assert duration.attributes["gen_ai.operation.name"] == operation
    if call in ERROR_CALLS:
        assert duration.attributes["error.type"] == expect.error_type
    tokens = {
        p.attributes["gen_ai.token.type"]: p.sum for p in metric_points("gen_ai.client.token.usage")
    }
    expected_tokens = {}
    if call not in ERROR_CALLS:
        if expect.input_tokens is not None:
            expected_tokens["input"] = expect.input_tokens
        if expect.output_tokens is not None:
            expected_tokens["output"] = expect.output_tokens
    assert tokens == expected_tokens
