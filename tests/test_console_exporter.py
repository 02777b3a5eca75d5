"""``LLMRouterConsoleSpanExporter``: one line per LLM call, each request a tree, nothing lost.

Spans come from the real mapping (``GenAITelemetry``) and a real SDK tracer provider; the exporter
writes to a string buffer that the tests read like a person would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from opentelemetry.instrumentation.llm_router import (
    GenAITelemetry,
    LLMRouterConsoleSpanExporter,
    TelemetrySettings,
    TokenCounts,
    _console,
)

ROOT = Path(__file__).resolve().parent.parent


class Screen:
    def __init__(self, width: int = 200) -> None:
        self.buffer = io.StringIO()
        self.exporter = LLMRouterConsoleSpanExporter(out=self.buffer, width=width, color=False)
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.telemetry = GenAITelemetry(
            self.provider, settings=TelemetrySettings(record_metrics=False, cost=_price)
        )

    @property
    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()


def _price(provider: str, model: Any, usage: TokenCounts) -> float:
    return ((usage.input_tokens or 0) * 2.5 + (usage.output_tokens or 0) * 10.0) / 1e6


@pytest.fixture
def screen() -> Iterator[Screen]:
    made = Screen()
    yield made
    made.provider.shutdown()


def test_a_call_is_one_line_with_tokens_time_status_and_cost(screen: Screen) -> None:
    call = screen.telemetry.start_call(
        "chat", "openai", "gpt-4o", server_address="api.openai.com", server_port=443, stream=True
    )
    call.set_response(model="gpt-4o-2024-08-06")
    call.set_usage(TokenCounts(1200, 300, cache_read_input_tokens=1000, reasoning_output_tokens=64))
    call.chunk_received(call.start_time_ns + 120_000_000)
    call.end(call.start_time_ns + 840_000_000)
    assert screen.lines == [
        "chat gpt-4o  openai@api.openai.com:443 → gpt-4o-2024-08-06  stream  in 1,200 "
        "(1,000 cached) out 300 (64 reasoning)  840 ms  ttfc 120 ms  ok  $0.006"
    ]


def test_a_failed_call_says_what_failed(screen: Screen) -> None:
    call = screen.telemetry.start_call("chat", "anthropic", "claude-sonnet-4-5")
    call.set_status_code(529)
    call.fail("overloaded_error", "provider error: overloaded")
    call.end(call.start_time_ns + 2_500_000_000)
    assert screen.lines == ["chat claude-sonnet-4-5  anthropic  2.50 s  ✗ 529 overloaded_error"]


def test_a_request_is_printed_as_one_tree_when_its_root_ends(screen: Screen) -> None:
    tracer = screen.provider.get_tracer("router")
    with tracer.start_as_current_span("POST /v1/chat/completions", kind=SpanKind.SERVER) as root:
        call = screen.telemetry.start_call("chat", "openai", "gpt-4o-mini", request_id="req-1")
        call.set_usage(TokenCounts(10, 5))
        call.end()
        # The child has ended, but its request has not: nothing is printed yet.
        assert screen.lines == []
    trace_id = f"{root.get_span_context().trace_id:032x}"[:8]
    lines = screen.lines
    assert len(lines) == 2
    assert lines[0].startswith("POST /v1/chat/completions  server  ")
    assert lines[0].endswith(f"trace {trace_id}")
    assert lines[1].startswith("└── chat gpt-4o-mini  openai  in 10 out 5  ")
    assert lines[1].endswith("ok  $0.000075  upstream req-1")


def test_budget_use_and_an_exceeded_budget_are_shown(screen: Screen) -> None:
    call = screen.telemetry.start_call("chat", "openai", "gpt-4o", route="smart")
    call.set_usage(TokenCounts(1000, 100))
    call.set_budget_use(23_525, 1.17625)
    call.set_budget_exceeded("account", "duration")
    call.span.set_attribute("llm_router.budget.micro_usd", 20_000)
    call.end()
    assert "$0.0035  budget 118% of $0.02  route smart" in screen.lines[0]


def test_spans_whose_root_never_ends_are_printed_at_flush(screen: Screen) -> None:
    tracer = screen.provider.get_tracer("router")
    parent = tracer.start_span("long-running job")
    from opentelemetry import trace

    with trace.use_span(parent, end_on_exit=False):
        call = screen.telemetry.start_call("embeddings", "openai", "text-embedding-3-small")
        call.set_usage(TokenCounts(input_tokens=2))
        call.end()
    assert screen.lines == []
    screen.exporter.force_flush()
    assert len(screen.lines) == 1
    assert screen.lines[0].startswith("embeddings text-embedding-3-small  openai  in 2  ")
    parent.end()


def test_held_spans_are_bounded(screen: Screen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_console, "MAX_HELD_SPANS", 3)
    tracer = screen.provider.get_tracer("router")
    parent = tracer.start_span("never ends")
    from opentelemetry import trace

    with trace.use_span(parent, end_on_exit=False):
        for _ in range(5):
            screen.telemetry.start_call("chat", "openai", "gpt-4o-mini").end()
    # Beyond the bound the trace is printed as far as it got rather than held on to.
    assert 1 <= len(screen.lines) <= 5
    screen.exporter.force_flush()
    assert len(screen.lines) == 5
    parent.end()


def test_long_lines_wrap_instead_of_losing_the_end() -> None:
    narrow = Screen(width=60)
    call = narrow.telemetry.start_call("chat", "openai", "gpt-4o", route="a-rather-long-route")
    call.set_usage(TokenCounts(1200, 300, cache_read_input_tokens=1000))
    call.end()
    narrow.provider.shutdown()
    text = narrow.buffer.getvalue()
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "route a-rather-long-route" in " ".join(text.split())


def test_without_rich_the_error_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)
    with pytest.raises(ImportError, match=r"\[console\]"):
        LLMRouterConsoleSpanExporter()


def test_batch_processor_and_shutdown_print_everything() -> None:
    buffer = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(
        BatchSpanProcessor(LLMRouterConsoleSpanExporter(out=buffer, width=200, color=False))
    )
    telemetry = GenAITelemetry(provider, settings=TelemetrySettings(record_metrics=False))
    for model in ("gpt-4o", "gpt-4o-mini"):
        telemetry.start_call("chat", "openai", model).end()
    provider.shutdown()
    assert [line.split("  ")[0] for line in buffer.getvalue().splitlines()] == [
        "chat gpt-4o",
        "chat gpt-4o-mini",
    ]


def test_selected_by_otel_traces_exporter_in_the_bridge() -> None:
    """The entry point works where the SDK's exporter names are used: the JSONL bridge."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        OTEL_SERVICE_NAME="router",
        OTEL_TRACES_EXPORTER="llm_router_console",
        OTEL_METRICS_EXPORTER="none",
        OTEL_PYTHON_LLM_ROUTER_PRICING="off",  # the line without a cost: the same on any Python
        COLUMNS="200",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "llm-router-otel"), "ingest", "-"],
        input=(ROOT / "examples" / "forward_events.jsonl").read_text(),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "service router"
    # One line per call, in the order the completions came in.
    assert (
        lines[1] == "chat gpt-5-mini  openai  stream  in 50 out 100  500 ms  ok  upstream req-456"
    )
    assert lines[2] == "chat claude-sonnet-4-5  anthropic  250 ms  ✗ 429  upstream req-457"
    assert len(lines) == 3
