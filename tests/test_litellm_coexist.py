"""Next to LiteLLM's own ``otel`` callback, the router span reads exactly as without it.

LiteLLM's callback writes onto the current span when a request has no span of its own (its
``_get_span_context``, "priority 3"). The same traffic runs through a real ``litellm.Router``
twice, in process, with our adapter alone and with LiteLLM's real ``OpenTelemetry`` logger
registered as well (hooks called in the proxy's order, each request in its own task, as the proxy
serves it); every attribute, the status, the events and the name of each router span must be the
same, and no prompt may be on it with content capture off. With a server span around the
request (the proxy's FastAPI span), LiteLLM's writes land there exactly as without our adapter.
The real proxy does the same in ``test_litellm_proxy.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any, Iterator, Optional

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm
from litellm.integrations.opentelemetry import OpenTelemetry, OpenTelemetryConfig
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
from litellm.proxy._types import UserAPIKeyAuth
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from examples.fake_provider import FakeProvider
from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._litellm._callback import OTelLiteLLMCallback

PROMPT = "the quarterly numbers nobody may read"
UPSTREAM_KEY = "sk-upstream-secret-coexist"
# group asked for -> how the request ends
TRAFFIC = [
    ("gpt-fake", "ok"),
    ("always-400", "BadRequestError"),
    ("always-429", "RateLimitError"),
    ("flaky", "ok"),  # three 500s, then the fallback group answers
    ("no-such-model", "BadRequestError"),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteLLM's backoff between retries (about 4 s for two) only costs test time here. Releases
    since 1.110 sleep through their router host; older ones through ``calculate_retry_after``."""
    try:
        from litellm.router_python_host import PythonHost
    except ImportError:
        monkeypatch.setattr(litellm.utils, "INITIAL_RETRY_DELAY", 0.0)
        monkeypatch.setattr(litellm.utils, "JITTER", 0.0)
        return

    def no_sleep(self: Any, seconds: float) -> Any:
        return asyncio.sleep(0)

    monkeypatch.setattr(PythonHost, "sleep", no_sleep)


def make_router(provider: FakeProvider) -> litellm.Router:
    def deployment(group: str, model: str) -> dict[str, Any]:
        return {
            "model_name": group,
            "litellm_params": {
                "model": f"openai/{model}",
                "api_base": provider.openai_base_url,
                "api_key": UPSTREAM_KEY,
            },
        }

    return litellm.Router(
        model_list=[
            deployment("gpt-fake", "gpt-4o-mini"),
            deployment("always-400", "error-400"),
            deployment("always-429", "error-429"),
            deployment("flaky", "error-500"),
        ],
        num_retries=2,
        retry_after=0,
        fallbacks=[{"flaky": ["gpt-fake"]}],
    )


@contextlib.contextmanager
def registered(*callbacks: Any) -> Iterator[None]:
    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = list(callbacks)
    try:
        yield
    finally:
        manager._reset_all_callbacks()


class Run:
    """One pass of the traffic through the adapter, with or without LiteLLM's callback."""

    def __init__(
        self,
        provider: FakeProvider,
        *,
        theirs: bool,
        server_span: bool,
        ours: bool = True,
        their_metrics: bool = False,
    ) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.router = make_router(provider)
        self.ours: Optional[OTelLiteLLMCallback] = None
        if ours:
            self.ours = OTelLiteLLMCallback(self.tracer_provider, self.meter_provider)
        self.theirs: Optional[OpenTelemetry] = None
        if theirs:
            self.theirs = OpenTelemetry(
                config=OpenTelemetryConfig(exporter="console", enable_metrics=their_metrics),
                tracer_provider=self.tracer_provider,
                meter_provider=self.meter_provider,
            )
        self.server_span = server_span
        self.tracer = self.tracer_provider.get_tracer("the-proxys-server")

    @property
    def callbacks(self) -> list[Any]:
        return [c for c in (self.theirs, self.ours) if c is not None]

    async def serve(self, group: str, call_id: str) -> str:
        caller = UserAPIKeyAuth(api_key="sk-caller-coexist", key_alias="app", max_budget=5.0)
        data = {
            "model": group,
            "messages": [{"role": "user", "content": PROMPT}],
            "litellm_call_id": call_id,
        }
        server = (
            self.tracer.start_as_current_span(
                "POST /v1/chat/completions", kind=trace.SpanKind.SERVER
            )
            if self.server_span
            else contextlib.nullcontext()
        )
        with server:
            for callback in self.callbacks:  # the proxy's pre-call hooks, in registration order
                await callback.async_pre_call_hook(caller, None, data, "acompletion")
            try:
                response = await self.router.acompletion(**data)
            except Exception as exc:
                for callback in self.callbacks:
                    await callback.async_post_call_failure_hook(data, exc, caller)
                return type(exc).__name__
            for callback in self.callbacks:
                await callback.async_post_call_success_hook(data, caller, response)
            return "ok"

    async def run(self) -> list[str]:
        outcomes = []
        with registered(*self.callbacks):
            for index, (group, _) in enumerate(TRAFFIC):
                outcomes.append(await asyncio.create_task(self.serve(group, f"call-{index}")))
            await GLOBAL_LOGGING_WORKER.flush()  # LiteLLM's success and failure handlers ran
            await asyncio.sleep(0.1)
            await GLOBAL_LOGGING_WORKER.flush()
        return outcomes

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def router_span(self, call_id: str) -> ReadableSpan:
        (span,) = [
            s
            for s in self.spans()
            if (s.attributes or {}).get("llm_router.request.id") == call_id
            and "llm_router.route" in (s.attributes or {})
        ]
        return span

    def server_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == "POST /v1/chat/completions"]


def reading(span: ReadableSpan) -> dict[str, Any]:
    """Everything a backend shows of a span, but its ids and times."""
    return {
        "name": span.name,
        "kind": span.kind,
        "status": (span.status.status_code, span.status.description),
        "attributes": dict(span.attributes or {}),
        "events": [(e.name, dict(e.attributes or {})) for e in span.events],
        "links": len(span.links),
    }


@pytest.mark.parametrize("server_span", [False, True], ids=["no-server-span", "server-span"])
def test_litellms_otel_callback_never_writes_on_the_router_span(
    provider: FakeProvider, instrument: Any, span_exporter: Any, server_span: bool
) -> None:
    instrument(f"127.0.0.1:{provider.port}=openai")
    alone = Run(provider, theirs=False, server_span=server_span)
    both = Run(provider, theirs=True, server_span=server_span)
    assert asyncio.run(alone.run()) == [outcome for _, outcome in TRAFFIC]
    assert asyncio.run(both.run()) == [outcome for _, outcome in TRAFFIC]

    for index in range(len(TRAFFIC)):
        ours_alone = reading(alone.router_span(f"call-{index}"))
        ours_beside = reading(both.router_span(f"call-{index}"))
        ours_alone["attributes"].pop("gen_ai.response.id", None)  # the provider's, per call
        ours_beside["attributes"].pop("gen_ai.response.id", None)
        assert ours_beside == ours_alone, TRAFFIC[index]
        assert PROMPT not in repr(ours_beside)
    # the upstream calls (traced by the hook, to the test's provider) are still the router
    # span's children, numbered: three 500s and the fallback's answer
    hooked = list(span_exporter.get_finished_spans())
    for run in (alone, both):
        routed = run.router_span("call-3")
        attempts = [
            s.attributes["llm_router.attempt"]
            for s in hooked
            if s.parent is not None and s.parent.span_id == routed.context.span_id
        ]
        assert sorted(attempts) == [1, 2, 3, 4]


def test_litellms_writes_land_where_they_would_without_the_adapter(
    provider: FakeProvider, instrument: Any
) -> None:
    """With a server span current, LiteLLM's callback writes onto it: the same with our adapter
    as with LiteLLM's callback alone."""
    instrument(f"127.0.0.1:{provider.port}=openai")
    theirs_alone = Run(provider, theirs=True, server_span=True, ours=False)
    both = Run(provider, theirs=True, server_span=True)
    asyncio.run(theirs_alone.run())
    asyncio.run(both.run())

    def reads(run: Run) -> list[tuple[Any, ...]]:
        return [
            (s.status.status_code, tuple(sorted(s.attributes or {})), len(s.events))
            for s in run.server_spans()
        ]

    assert reads(both) == reads(theirs_alone)
    assert any("litellm.call_id" in attributes for _, attributes, _ in reads(both))


def test_with_litellms_metrics_each_request_is_counted_once_failures_included(
    provider: FakeProvider, instrument: Any
) -> None:
    """LiteLLM's metrics count successful requests only; ours then count the failed ones."""
    instrument(f"127.0.0.1:{provider.port}=openai")
    run = Run(provider, theirs=True, server_span=True, their_metrics=True)
    outcomes = asyncio.run(run.run())
    data = run.metric_reader.get_metrics_data()
    points = [
        (scope.scope.name, point)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "gen_ai.client.operation.duration"
        for point in metric.data.data_points
    ]
    theirs = sum(p.count for scope, p in points if scope == "litellm.integrations.opentelemetry")
    ours = {
        p.attributes.get("error.type"): p.count
        for scope, p in points
        if scope == "opentelemetry.instrumentation.llm_router"
    }
    assert theirs == outcomes.count("ok")
    # one point per failed request (the 400, the 429 out of retries, the unknown group), each
    # with what failed
    assert sum(ours.values()) == len(outcomes) - outcomes.count("ok") == 3
    assert None not in ours and "invalid_request" in ours
