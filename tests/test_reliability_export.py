"""Every value handed to the SDK is encodable: the real OTLP protobuf encoder takes every span and
metric, whatever extreme (but schema-valid) input each source was given.

Property-based (Hypothesis), one strategy per source, each run through the real source into a real
SDK, then ``encode_spans`` / ``encode_metrics`` (``opentelemetry-exporter-otlp-proto-common``,
what the OTLP exporters use) and ``SerializeToString``:

- ForwardEvents (the recorder): times anywhere in chrono's range (year -262144 to 262143), token
  counts and latencies up to ``u64::MAX``, status codes up to 65535, completions whose start was
  never seen, strings up to 2 MiB and with lone surrogates (in-process callers can pass them);
- router callback events (``OTelObserver``): latencies, budgets and counts far beyond int64, huge
  and unencodable strings, every error kind;
- provider bodies (the hook's observation and wire parsers): usage counts beyond int64 and
  floats, ``\\ud800`` escapes, 1 MiB model names and error messages, request parameters beyond
  int64.

For each: nothing raises, no attribute is dropped by the encoder (the decoded keys are the span's
keys), times are within 0 .. 2**63 ns with start <= end, ints within int64, strings bounded, and
no encoded span is larger than 64 KiB (a Collector's gRPC limit is 4 MiB).

And end to end: one poison line (and a few more) among 2,000 good ones through the real
``llm-router-otel ingest`` process: every span reaches a real OTLP receiver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    EventMeta,
    ForwardEventRecorder,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    TelemetrySettings,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router import _router_error as errors
from opentelemetry.instrumentation.llm_router._bounds import INT64_MAX, MAX_TEXT
from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation
from opentelemetry.instrumentation.llm_router._forward_json import CHRONO_MAX_NS, CHRONO_MIN_NS
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router._wire._registry import get_format
from tests.support.export_check import assert_exportable
from tests.support.otlp_receiver import OTLPReceiver

FORWARD_EXAMPLES = 200
OBSERVER_EXAMPLES = 150
BODY_EXAMPLES = 150
POISON_GOOD_LINES = 2_000
MAX_ENCODED_SPAN = 64 * 1024
U64_MAX = 2**64 - 1


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- strategies ----------------------------------------------------------------------------------

_huge_counts = st.one_of(
    st.integers(0, 1000),
    st.integers(0, U64_MAX),
    st.sampled_from([INT64_MAX, INT64_MAX + 1, U64_MAX, 2**70]),
)
_lone_surrogates = st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3
)


@st.composite
def strings(draw: Any, surrogates: bool = True) -> str:
    """Ordinary, unicode, huge (up to 2 MiB) and (optionally) unencodable strings."""
    kind = draw(st.integers(0, 5 if surrogates else 4))
    if kind == 0:
        return draw(st.text(max_size=30))
    if kind == 1:
        return "m" * draw(st.sampled_from([513, 4096, 1 << 20, 2 << 20]))
    if kind == 2:
        return draw(st.sampled_from(["gpt-5-mini", "openai.chat_completions", "", "é中✓🦀"]))
    if kind == 3:
        return draw(st.text(st.characters(codec="utf-8"), max_size=20)) * 200
    if kind == 4:
        return "x" * draw(st.integers(0, 600))
    return draw(st.text(max_size=5)) + draw(_lone_surrogates) + draw(st.text(max_size=5))


@st.composite
def metas(draw: Any) -> EventMeta:
    ns = draw(
        st.one_of(
            st.integers(CHRONO_MIN_NS, CHRONO_MAX_NS),
            st.sampled_from([CHRONO_MIN_NS, CHRONO_MAX_NS, 0, -1, 2**63, 2**63 - 1]),
            st.integers(1_700_000_000 * 10**9, 1_800_000_000 * 10**9),
        )
    )
    trace_id = draw(st.one_of(st.none(), st.sampled_from(["0" * 32, "4bf92f35" * 4]), strings()))
    from datetime import datetime, timezone

    return EventMeta(
        event_id=draw(strings()),
        occurred_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        trace_id=trace_id,
        occurred_at_ns=ns or 1,
    )


@st.composite
def forward_events(draw: Any) -> list[Any]:
    events: list[Any] = []
    for number in range(draw(st.integers(1, 6))):
        request_id = draw(st.one_of(st.just(f"r{number % 3}"), strings()))
        if draw(st.booleans()):
            events.append(
                RequestStarted(
                    meta=draw(metas()),
                    request_id=request_id,
                    endpoint=draw(strings()),
                    model=draw(strings()),
                    is_stream=draw(st.booleans()),
                )
            )
        else:
            usage = draw(
                st.one_of(
                    st.none(), st.builds(TokenUsage, _huge_counts, _huge_counts, _huge_counts)
                )
            )
            events.append(
                RequestCompleted(
                    meta=draw(metas()),
                    request_id=request_id,
                    status_code=draw(st.integers(0, 65535)),
                    status=draw(st.sampled_from(["pending", "success", "error", "timeout"])),
                    usage=usage,
                    latency_ms=draw(_huge_counts),
                    error=draw(st.one_of(st.none(), strings())),
                )
            )
    return events


# -- checking what the SDK got -------------------------------------------------------------------


# -- the three sources ---------------------------------------------------------------------------


@_settings(FORWARD_EXAMPLES)
@given(events=forward_events())
def test_forward_events_always_encode(events: list[Any]) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    recorder = ForwardEventRecorder(
        tracer_provider, meter_provider, TelemetrySettings(metric_opt_in=frozenset({"endpoint"}))
    )
    for event in events:
        recorder.record(event)
    recorder.close()
    assert recorder.open_count == 0
    assert assert_exportable(exporter, reader) == recorder.spans_ended
    tracer_provider.shutdown()
    meter_provider.shutdown()


_ERRORS = [
    lambda m: errors.ProviderError("openai", m, errors.ProviderErrorContext(status_code=2**70)),
    lambda m: errors.InvalidRequest("openai", m, {"body": m}),
    lambda m: errors.Transport(None, m),
    lambda m: errors.AccessDenied(m),
    lambda m: errors.UnsupportedFeature(m, m, m),
    lambda m: errors.StreamProtocol("p", m, m),
]


@st.composite
def router_events(draw: Any) -> Any:
    caller = CallerContext(
        account_id=draw(st.one_of(st.none(), strings())),
        models=draw(st.one_of(st.none(), st.lists(strings(), max_size=3))),
        budget=draw(st.one_of(st.none(), _huge_counts)),
        budget_scope=draw(st.sampled_from([None, "session", "account"])),
        budget_range=draw(
            st.one_of(
                st.none(),
                st.builds(lambda n: {"type": "rounds", "count": n}, _huge_counts),
                st.builds(lambda n: {"type": "duration", "seconds": n}, _huge_counts),
            )
        ),
        chain=draw(st.one_of(st.none(), strings())),
    )
    ctx = RequestContext(
        route=draw(strings()),
        provider=draw(strings()),
        model=draw(strings()),
        caller=caller,
        latency_ms=draw(_huge_counts),
    )
    if draw(st.booleans()):
        usage = LanguageModelUsage(
            InputTokens(*(draw(st.one_of(st.none(), _huge_counts)) for _ in range(4))),
            OutputTokens(*(draw(st.one_of(st.none(), _huge_counts)) for _ in range(3))),
        )
        return RequestSuccessEvent(ctx, usage)
    return RequestFailureEvent(ctx, draw(st.sampled_from(_ERRORS))(draw(strings())))


@_settings(OBSERVER_EXAMPLES)
@given(events=st.lists(router_events(), min_size=1, max_size=4))
def test_router_callback_events_always_encode(events: list[Any]) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    observer = OTelObserver(
        tracer_provider,
        meter_provider,
        TelemetrySettings(metric_opt_in=frozenset({"route", "account"}), cost=lambda p, m, u: 1e-3),
    )
    for event in events:
        if isinstance(event, RequestSuccessEvent):
            observer.record_success(event)
        else:
            observer.record_failure(event)
    assert assert_exportable(exporter, reader) == len(events)
    tracer_provider.shutdown()
    meter_provider.shutdown()


@st.composite
def provider_exchanges(draw: Any) -> tuple[bytes, int, bytes]:
    """(request body, status, response body) of an OpenAI chat call with extreme values."""
    big = st.one_of(_huge_counts, st.floats(allow_nan=False), st.just(-5), st.just("12"))
    request = {
        "model": draw(strings(surrogates=False)),
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": draw(big),
        "seed": draw(big),
        "n": draw(big),
        "temperature": draw(st.one_of(st.floats(allow_nan=False), st.just(2**70))),
        "stop": draw(st.one_of(st.none(), st.lists(strings(surrogates=False), max_size=3))),
    }
    status = draw(st.sampled_from([200, 200, 400, 429, 500]))
    if status == 200:
        response: dict[str, Any] = {
            "id": draw(strings(surrogates=False)),
            "model": draw(strings(surrogates=False)),
            "choices": [{"index": 0, "finish_reason": draw(strings(surrogates=False))}],
            "usage": {
                "prompt_tokens": draw(big),
                "completion_tokens": draw(big),
                "total_tokens": draw(big),
                "prompt_tokens_details": {"cached_tokens": draw(big)},
                "completion_tokens_details": {"reasoning_tokens": draw(big)},
            },
        }
    else:
        response = {
            "error": {
                "message": draw(strings(surrogates=False)),
                "type": draw(strings(surrogates=False)),
                "code": draw(st.one_of(strings(surrogates=False), _huge_counts)),
            }
        }
    body = json.dumps(response, ensure_ascii=draw(st.booleans())).encode("utf-8")
    if draw(st.booleans()):  # a lone surrogate escape, as JSON allows and UTF-8 does not
        body = body.replace(b'"model": "', b'"model": "\\ud800', 1)
    return json.dumps(request).encode(), status, body


@_settings(BODY_EXAMPLES)
@given(exchange=provider_exchanges(), streamed=st.booleans())
def test_provider_bodies_always_encode(exchange: tuple[bytes, int, bytes], streamed: bool) -> None:
    request_body, status, body = exchange
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    wire = get_format("openai")
    info = wire.request_info("POST", "/v1/chat/completions", request_body)
    assert info is not None
    call = telemetry.start_call(
        info.operation,
        "openai",
        info.request_model,
        server_address="127.0.0.1",
        server_port=443,
        parameters=info.parameters,
    )
    call.set_status_code(status)
    observation = ResponseObservation.for_response(
        call, wire, info, status, "application/json", False, 1000, None, False, None
    )
    if streamed:  # fed in pieces, as a caller reading a stream would
        for start in range(0, len(body), 4096):
            observation.feed(body[start : start + 4096])
        observation.finish()
    else:
        observation.complete(body)
    assert assert_exportable(exporter, reader) == 1
    tracer_provider.shutdown()
    meter_provider.shutdown()


# -- end to end: a poison line among good ones through the real bridge --------------------------

_SCRIPT = Path(sys.executable).parent / "llm-router-otel"
COMMAND = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-m", "opentelemetry.instrumentation.llm_router._cli"]
)


def _line(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _meta(stamp: str) -> dict[str, Any]:
    return {"event_id": "e", "occurred_at": stamp, "trace_id": None}


def _good(number: int) -> list[bytes]:
    stamp = f"2026-05-04T10:{number // 60 % 60:02d}:{number % 60:02d}.5Z"
    return [
        _line(
            {
                "RequestStarted": {
                    "meta": _meta(stamp),
                    "request_id": f"good-{number}",
                    "endpoint": "openai.chat_completions",
                    "model": "gpt-5-mini",
                    "is_stream": False,
                }
            }
        ),
        _line(
            {
                "RequestCompleted": {
                    "meta": _meta(stamp),
                    "request_id": f"good-{number}",
                    "status_code": 200,
                    "status": "success",
                    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
                    "latency_ms": 250,
                    "error": None,
                }
            }
        ),
    ]


def _poison() -> list[bytes]:
    """Valid lines that broke whole export batches: a 1970 clock, a huge latency, u64 counts,
    a 1 MiB model, a time beyond 2262."""

    def completed(request_id: str, stamp: str, latency: int, tokens: int) -> bytes:
        return _line(
            {
                "RequestCompleted": {
                    "meta": _meta(stamp),
                    "request_id": request_id,
                    "status_code": 200,
                    "status": "success",
                    "usage": {
                        "prompt_tokens": tokens,
                        "completion_tokens": tokens,
                        "total_tokens": tokens,
                    },
                    "latency_ms": latency,
                    "error": None,
                }
            }
        )

    started_huge = _line(
        {
            "RequestStarted": {
                "meta": _meta("2026-05-04T10:00:00Z"),
                "request_id": "poison-model",
                "endpoint": "openai.chat_completions",
                "model": "m" * (1 << 20),
                "is_stream": True,
            }
        }
    )
    return [
        completed("poison-1970", "1970-01-01T00:00:01Z", 5000, 1),
        completed("poison-latency", "2026-05-04T10:00:00Z", U64_MAX, 1),
        completed("poison-u64", "2026-05-04T10:00:00Z", 1, U64_MAX),
        completed("poison-2262", "+10000-01-01T00:00:00Z", 1, 1),
        started_huge,
    ]


def test_poison_lines_lose_no_good_span(tmp_path: Path) -> None:
    lines: list[bytes] = []
    poison = _poison()
    for number in range(POISON_GOOD_LINES // 2):
        lines.extend(_good(number))
        if number in (3, 400, 700, 998, 999):  # spread through the batches
            lines.append(poison.pop())
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = {f"good-{n}" for n in range(POISON_GOOD_LINES // 2)} | {
        "poison-1970",
        "poison-latency",
        "poison-u64",
        "poison-2262",
        "poison-model",
    }
    with OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint("grpc")
        done = subprocess.run(
            [*COMMAND, "ingest", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        spans = receiver.wait_for_spans(lambda s: len(s) >= len(expected), timeout=30)
    assert "Traceback" not in done.stderr and "Failed to encode" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"llm-router-otel: {len(lines)} events read, {len(expected)} spans exported, "
        "0 lines rejected"
    )
    by_id = {s.attributes["llm_router.request.id"]: s for s in spans}
    assert set(by_id) == expected
    assert by_id["poison-u64"].attributes["gen_ai.usage.input_tokens"] == INT64_MAX
    assert len(by_id["poison-model"].attributes["gen_ai.request.model"]) == MAX_TEXT
