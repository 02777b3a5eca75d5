"""``uninstrument()`` when another library wrapped ``send`` after us, as Sentry does.

The other wrapper holds ours. After ``uninstrument()`` ours must record nothing wherever it sits
in the chain, the other library's patch must stay in place (and keep working), and instrumenting
again must record each call once, not twice. Both kinds of second wrapper are tried: a wrapt
``FunctionWrapper`` and a plain function assigned over ``send`` (with ``functools.wraps``).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, Iterator

import httpx2
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from wrapt import wrap_function_wrapper

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from tests.support.scripted_server import ScriptedServer, json_reply

BODY = {"id": "c1", "model": "m", "choices": [], "usage": {"prompt_tokens": 1, "total_tokens": 1}}


class OtherLibrary:
    """A second instrumentation that patches ``send`` after ours and counts what it sees."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.calls = 0
        self._saved: dict[type, Any] = {}

    def patch(self) -> None:
        for cls in (httpx2.Client, httpx2.AsyncClient):
            self._saved[cls] = cls.__dict__["send"]
            if self.style == "wrapt":
                wrap_function_wrapper(cls, "send", self._wrapt_wrapper(cls))
            else:
                cls.send = self._plain_wrapper(cls, cls.send)

    def _wrapt_wrapper(self, cls: type) -> Callable[..., Any]:
        if cls is httpx2.AsyncClient:

            async def wrapper_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
                self.calls += 1
                return await wrapped(*args, **kwargs)

            return wrapper_async

        def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            self.calls += 1
            return wrapped(*args, **kwargs)

        return wrapper

    def _plain_wrapper(self, cls: type, original: Any) -> Any:
        if cls is httpx2.AsyncClient:

            @functools.wraps(original)
            async def send_async(client: Any, *args: Any, **kwargs: Any) -> Any:
                self.calls += 1
                return await original(client, *args, **kwargs)

            return send_async

        @functools.wraps(original)
        def send(client: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(client, *args, **kwargs)

        return send

    def is_in_place(self) -> bool:
        return all(cls.__dict__["send"] is not self._saved[cls] for cls in self._saved)

    def unpatch(self) -> None:
        for cls, saved in self._saved.items():
            cls.send = saved


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[InMemorySpanExporter, Any]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    originals = {cls: cls.__dict__["send"] for cls in (httpx2.Client, httpx2.AsyncClient)}
    with ScriptedServer(json_reply(BODY)) as server:
        monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
        yield exporter, (server, provider)
    LLMRouterInstrumentor().uninstrument()
    for cls, original in originals.items():  # whatever the test left, the classes as found
        cls.send = original


def _calls(server: ScriptedServer) -> None:
    """One sync and one async chat call."""
    url = server.url + "/v1/chat/completions"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with httpx2.Client() as client:
        assert client.post(url, json=body).json() == BODY

    async def call_async() -> None:
        async with httpx2.AsyncClient() as client:
            assert (await client.post(url, json=body)).json() == BODY

    asyncio.run(call_async())


@pytest.mark.parametrize("style", ["wrapt", "plain"])
def test_uninstrument_below_another_wrapper(style: str, recorded: Any) -> None:
    exporter, (server, provider) = recorded
    other = OtherLibrary(style)
    LLMRouterInstrumentor().instrument(tracer_provider=provider)
    other.patch()  # on top of ours, as Sentry's integration does
    _calls(server)
    assert len(exporter.get_finished_spans()) == 2 and other.calls == 2

    LLMRouterInstrumentor().uninstrument()
    assert other.is_in_place()  # its patch was not removed by our uninstrument
    exporter.clear()
    _calls(server)
    assert exporter.get_finished_spans() == ()  # ours records nothing, though still in the chain
    assert other.calls == 4  # and the other library still sees every call

    LLMRouterInstrumentor().instrument(tracer_provider=provider)
    _calls(server)
    assert len(exporter.get_finished_spans()) == 2  # once per call, not twice
    LLMRouterInstrumentor().uninstrument()
    exporter.clear()
    _calls(server)
    assert exporter.get_finished_spans() == ()
    assert other.calls == 8
    other.unpatch()


def test_uninstrument_on_top_removes_our_wrapper(recorded: Any) -> None:
    """The control: with nothing above it, our wrapper is removed, the original restored."""
    exporter, (server, provider) = recorded
    original = httpx2.Client.__dict__["send"]
    LLMRouterInstrumentor().instrument(tracer_provider=provider)
    assert httpx2.Client.__dict__["send"] is not original
    LLMRouterInstrumentor().uninstrument()
    assert httpx2.Client.__dict__["send"] is original
    _calls(server)
    assert exporter.get_finished_spans() == ()
