"""Pricing: cost arithmetic, model matching, price files and their errors, and the cost telemetry.

The cost counter is checked through all three in-process paths (``GenAITelemetry`` directly,
``OTelObserver`` and ``ForwardEventRecorder``) with a real SDK meter provider and an
``InMemoryMetricReader``; sums are compared with the arithmetic done by hand here.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
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
    RequestStarted,
    RequestSuccessEvent,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._pricing import (
    PRICING_FILE_ENV,
    ModelPrice,
    PricingError,
    PricingTable,
    load_pricing,
    pricing_from_env,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pricing.json"
PRICING_LOGGER = "opentelemetry.instrumentation.llm_router._pricing"

FULL = ModelPrice(
    input=2.0, output=8.0, cache_read_input=0.5, cache_write_input=2.5, reasoning_output=12.0
)
BASE_ONLY = ModelPrice(input=2.0, output=8.0)


def usd(*parts: tuple[int, float]) -> float:
    """Sum of tokens x rate-per-million, the way a person checks a bill."""
    return sum(tokens * rate for tokens, rate in parts) / 1_000_000


# --------------------------------------------------------------------------------------------
# Arithmetic


@pytest.mark.parametrize(
    ("price", "usage", "expected"),
    [
        pytest.param(
            FULL,
            TokenCounts(1000, 500, 300, 200, 100),
            usd((500, 2.0), (300, 0.5), (200, 2.5), (400, 8.0), (100, 12.0)),
            id="granular: every bucket at its own rate",
        ),
        pytest.param(
            FULL,
            TokenCounts(1000, 500),
            usd((1000, 2.0), (500, 8.0)),
            id="totals only: all input uncached, all output text",
        ),
        pytest.param(
            BASE_ONLY,
            TokenCounts(1000, 500, 300, 200, 100),
            usd((1000, 2.0), (500, 8.0)),
            id="missing specific rates fall back to input and output",
        ),
        pytest.param(
            ModelPrice(input=2.0, output=8.0, cache_read_input=0.5),
            TokenCounts(1000, 0, 300, 200, None),
            usd((500, 2.0), (300, 0.5), (200, 2.0)),
            id="cache write without its rate is billed as input",
        ),
        pytest.param(FULL, TokenCounts(0, 0, 0, 0, 0), 0.0, id="zero tokens cost zero"),
        pytest.param(FULL, TokenCounts(1000, None), usd((1000, 2.0)), id="input only"),
        pytest.param(FULL, TokenCounts(None, 500), usd((500, 8.0)), id="output only"),
        pytest.param(
            FULL,
            TokenCounts(None, None, 300),
            usd((300, 0.5)),
            id="cache reads known without an input total",
        ),
        pytest.param(
            FULL,
            TokenCounts(100, 50, 300, None, 80),
            usd((300, 0.5), (80, 12.0)),
            id="parts above totals leave the remainder at zero, never negative",
        ),
        pytest.param(
            ModelPrice(input=0.0, output=0.0),
            TokenCounts(123_456, 7_890),
            0.0,
            id="a free model costs zero (priced, not unknown)",
        ),
    ],
)
def test_cost_arithmetic(price: ModelPrice, usage: TokenCounts, expected: float) -> None:
    assert price.cost(usage) == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_cost_function_returns_none_for_unknown_and_zero_for_free() -> None:
    table = PricingTable()
    table.add("openai", "free-model", ModelPrice(input=0, output=0))
    usage = TokenCounts(10, 10)
    assert table.cost("openai", "free-model", usage) == 0.0
    assert table.cost("openai", "unknown-model", usage) is None
    assert table.cost("anthropic", "free-model", usage) is None
    assert table.cost("openai", None, usage) is None
    assert table.cost("openai", "", usage) is None


# --------------------------------------------------------------------------------------------
# Matching


def _table(prices: dict[str, dict[str, dict[str, float]]]) -> PricingTable:
    return PricingTable.from_dict({"prices": prices}, strict=True)


def _rate(table: PricingTable, provider: str, model: str) -> Optional[float]:
    price = table.price_of(provider, model)
    return None if price is None else price.input


MATCHING = _table(
    {
        "openai": {
            "gpt-4o": {"input": 1, "output": 0},
            "gpt-4o*": {"input": 2, "output": 0},
            "gpt-4o-mini*": {"input": 3, "output": 0},
            "gpt-4o-mini-2024-07-18": {"input": 4, "output": 0},
            "o?-mini": {"input": 5, "output": 0},
            "o[13]": {"input": 6, "output": 0},
            "tie-*-a": {"input": 7, "output": 0},
            "tie-b-*": {"input": 8, "output": 0},
        },
        "*": {
            "gpt-4o": {"input": 10, "output": 0},
            "llama-*": {"input": 11, "output": 0},
            "*": {"input": 12, "output": 0},
        },
        "gemini": {"gemini-2.5-flash": {"input": 13, "output": 0}},
    }
)


@pytest.mark.parametrize(
    ("provider", "model", "rate"),
    [
        pytest.param("openai", "gpt-4o", 1, id="exact beats the glob that also matches"),
        pytest.param("openai", "gpt-4o-2024-08-06", 2, id="glob"),
        pytest.param("openai", "gpt-4o-mini-2024-09-01", 3, id="most specific glob wins"),
        pytest.param("openai", "gpt-4o-mini-2024-07-18", 4, id="exact beats every glob"),
        pytest.param("openai", "o3-mini", 5, id="? matches one character"),
        pytest.param("openai", "o3", 6, id="[...] character class"),
        pytest.param("openai", "o2", 12, id="class miss falls to the wildcard provider"),
        pytest.param("openai", "tie-b-a", 7, id="equal specificity: the first written wins"),
        pytest.param("openai", "GPT-4O", 1, id="case-insensitive"),
        pytest.param("groq", "llama-3.1-8b", 11, id="wildcard provider glob"),
        pytest.param("groq", "gpt-4o", 10, id="wildcard provider exact"),
        pytest.param("groq", "anything", 12, id="catch-all"),
        pytest.param("gcp.gemini", "gemini-2.5-flash", 13, id="provider aliases normalised"),
    ],
)
def test_model_matching(provider: str, model: str, rate: float) -> None:
    assert _rate(MATCHING, provider, model) == rate


def test_provider_entry_beats_wildcard_provider_even_when_less_specific() -> None:
    table = _table(
        {
            "openai": {"gpt-*": {"input": 1, "output": 0}},
            "*": {"gpt-4o-mini": {"input": 2, "output": 0}},
        }
    )
    assert _rate(table, "openai", "gpt-4o-mini") == 1
    assert _rate(table, "azure.ai.openai", "gpt-4o-mini") == 2
    assert _rate(table, "azure.ai.openai", "gpt-4o") is None


def test_later_add_replaces_and_clears_the_lookup_cache() -> None:
    table = PricingTable()
    table.add("openai", "gpt-4o*", ModelPrice(input=1, output=1))
    assert _rate(table, "openai", "gpt-4o-x") == 1
    table.add("openai", "gpt-4o-x", ModelPrice(input=9, output=9))
    assert _rate(table, "openai", "gpt-4o-x") == 9


# --------------------------------------------------------------------------------------------
# Files


def test_example_file_loads_cleanly_and_prices_its_overrides(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """examples/pricing.json: your rates on top of the database (a negotiated rate, self-hosted
    models at 0, a gateway's route names); it names nothing else."""
    with caplog.at_level(logging.WARNING, logger=PRICING_LOGGER):
        table = load_pricing(EXAMPLE)
    assert caplog.records == []
    assert table.metadata["_date"] and table.prices_label == table.metadata["_date"]
    usage = TokenCounts(1_000_000, 1_000_000, 400_000)
    # 600k uncached x 0.12 + 400k cached x 0.06 + 1M output x 0.48
    assert table.cost("openai", "gpt-4o-mini", usage) == pytest.approx(0.072 + 0.024 + 0.48)
    assert table.cost("ollama", "llama3.1:8b", usage) == 0.0
    assert table.cost("vllm", "Qwen/Qwen2.5-7B-Instruct", usage) == 0.0
    assert table.cost("openrouter", "acme-fast", TokenCounts(1_000_000, 0)) == pytest.approx(0.1)
    # Everything else is left to the database (or unpriced without it).
    assert table.cost("openai", "gpt-4o", usage) is None
    assert table.cost("anthropic", "claude-sonnet-4-5", usage) is None


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "_date: '2026-11-23'\n"
        "prices:\n"
        "  anthropic:\n"
        "    claude-haiku-4-5*: {input: 1, cache_read_input: 0.1, output: 5}\n",
        encoding="utf-8",
    )
    table = load_pricing(path, strict=True)
    assert table.metadata == {"_date": "2026-11-23"}
    assert table.cost("anthropic", "claude-haiku-4-5", TokenCounts(2000, 100, 1000)) == (
        pytest.approx(usd((1000, 1.0), (1000, 0.1), (100, 5.0)))
    )


GOOD_ENTRY = {"input": 1.0, "output": 2.0}

BAD_FILES: list[Any] = [
    pytest.param(
        "bad.json", '{"prices": {"openai": {', ["bad.json", "not valid JSON"], id="JSON syntax"
    ),
    pytest.param(
        "bad.yaml",
        "prices:\n  openai: [unclosed\n",
        ["bad.yaml", "not valid YAML"],
        id="YAML syntax",
    ),
    pytest.param("top.json", "[1, 2]", ["top.json", "top level must be a mapping"], id="top list"),
    pytest.param(
        "key.json",
        json.dumps({"prices": {"openai": {"ok": GOOD_ENTRY}}, "pricess": {}}),
        ["key.json", "unknown top-level key 'pricess'"],
        id="unknown top-level key",
    ),
    pytest.param(
        "noprices.json",
        json.dumps({"_date": "x"}),
        ["noprices.json", "no 'prices' mapping"],
        id="no prices",
    ),
    pytest.param(
        "neg.json",
        json.dumps({"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": {"input": -1, "output": 2}}}}),
        ["neg.json", "'openai/gpt-x'", "input must be a number from 0 to 1000000, got -1"],
        id="negative rate",
    ),
    pytest.param(
        "unknown.json",
        json.dumps(
            {"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": {**GOOD_ENTRY, "cached": 1}}}}
        ),
        ["unknown.json", "'openai/gpt-x'", "unknown key 'cached'"],
        id="unknown rate key",
    ),
    pytest.param(
        "type.json",
        json.dumps(
            {"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": {"input": "1", "output": 2}}}}
        ),
        ["type.json", "'openai/gpt-x'", "input must be a number"],
        id="rate not a number",
    ),
    pytest.param(
        "bool.json",
        json.dumps(
            {"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": {"input": True, "output": 2}}}}
        ),
        ["bool.json", "'openai/gpt-x'", "input must be a number"],
        id="rate is a boolean",
    ),
    pytest.param(
        "missing.json",
        json.dumps({"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": {"input": 1}}}}),
        ["missing.json", "'openai/gpt-x'", "missing output"],
        id="missing output rate",
    ),
    pytest.param(
        "entry.json",
        json.dumps({"prices": {"openai": {"ok": GOOD_ENTRY, "gpt-x": 2.5}}}),
        ["entry.json", "'openai/gpt-x'", "must be a mapping of rates"],
        id="entry not a mapping",
    ),
    pytest.param(
        "provider.json",
        json.dumps({"prices": {"openai": {"ok": GOOD_ENTRY}, "anthropic": ["claude"]}}),
        ["provider.json", "provider 'anthropic'", "must map model names to rates"],
        id="provider not a mapping",
    ),
    pytest.param(
        "nan.yaml",
        "prices:\n  openai:\n    ok: {input: 1, output: 2}\n    gpt-x: {input: .nan, output: 2}\n",
        ["nan.yaml", "'openai/gpt-x'", "input must be a number from 0 to 1000000, got nan"],
        id="NaN rate",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD_FILES)
def test_bad_file_gives_one_warning_naming_file_entry_and_problem(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    name: str,
    text: str,
    expected: list[str],
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=PRICING_LOGGER):
        table = load_pricing(path)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert str(path) in message
    for fragment in expected:
        assert fragment in message
    # Good entries in the same file still price; the bad ones do not.
    good = table.cost("openai", "ok", TokenCounts(1_000_000, 1_000_000))
    assert good in (None, 3.0)
    if "'openai/gpt-x'" in expected:
        assert good == 3.0
    assert table.cost("openai", "gpt-x", TokenCounts(1, 1)) is None
    with pytest.raises(PricingError, match="price file"):
        load_pricing(path, strict=True)


def test_several_bad_entries_are_still_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps(
            {
                "prices": {
                    "openai": {"a": {"input": -1, "output": 1}, "ok": GOOD_ENTRY},
                    "anthropic": {"b": {"input": 1}},
                }
            }
        ),
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger=PRICING_LOGGER):
        table = load_pricing(path)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "2 problems" in message and "'openai/a'" in message and "'anthropic/b'" in message
    assert len(table) == 1


def test_missing_file_is_one_warning_and_prices_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "nope.json"
    with caplog.at_level(logging.WARNING, logger=PRICING_LOGGER):
        table = load_pricing(path)
    assert len(caplog.records) == 1
    assert str(path) in caplog.records[0].getMessage()
    assert "cannot read" in caplog.records[0].getMessage()
    assert len(table) == 0
    assert table.cost("openai", "gpt-4o", TokenCounts(1, 1)) is None


def test_metadata_and_comment_keys_are_ignored() -> None:
    table = PricingTable.from_dict(
        {
            "_source": "somewhere",
            "prices": {
                "_comment": "per million tokens",
                "openai": {"_note": "x", "m": {"_why": "test", "input": 1, "output": 1}},
            },
        },
        strict=True,
    )
    assert len(table) == 1 and table.metadata == {"_source": "somewhere"}


def test_pricing_from_env(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert pricing_from_env({}) is None
    assert pricing_from_env({PRICING_FILE_ENV: "  "}) is None
    table = pricing_from_env({PRICING_FILE_ENV: str(EXAMPLE)})
    assert table is not None and table.price_of("openai", "gpt-4o-mini") is not None
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=PRICING_LOGGER):
        assert pricing_from_env({PRICING_FILE_ENV: str(broken)}) is None
    assert len(caplog.records) == 1 and str(broken) in caplog.records[0].getMessage()


# --------------------------------------------------------------------------------------------
# Telemetry: the span attribute and the llm_router.cost counter on every in-process path

PRICES = PricingTable.from_dict(
    {
        "prices": {
            "openai": {
                "gpt-4o": {"input": 2.5, "cache_read_input": 1.25, "output": 10},
                "gpt-4o-mini": {"input": 0.15, "output": 0.6},
            },
            "anthropic": {
                "claude-sonnet-4-5*": {
                    "input": 3,
                    "cache_write_input": 3.75,
                    "cache_read_input": 0.3,
                    "output": 15,
                }
            },
        }
    },
    strict=True,
)
COST = "llm_router.cost"


def _cost_sums(points: list[Any]) -> dict[tuple[str, str], float]:
    return {
        (p.attributes["gen_ai.provider.name"], p.attributes["gen_ai.request.model"]): p.value
        for p in points
    }


def test_cost_through_genai_telemetry(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider, TelemetrySettings(cost=PRICES.cost))
    calls = [
        ("openai", "gpt-4o", TokenCounts(1000, 200, 400)),
        ("openai", "gpt-4o", TokenCounts(3000, 100)),
        ("openai", "gpt-4o-mini", TokenCounts(10_000, 1000)),
        ("anthropic", "claude-sonnet-4-5", TokenCounts(5000, 300, 1000, 2000)),
        ("openai", "unpriced-model", TokenCounts(10, 10)),
    ]
    for provider, model, usage in calls:
        call = telemetry.start_call("chat", provider, model)
        call.set_usage(usage)
        call.end()

    expected_4o = usd((600, 2.5), (400, 1.25), (200, 10)) + usd((3000, 2.5), (100, 10))
    expected_mini = usd((10_000, 0.15), (1000, 0.6))
    expected_sonnet = usd((2000, 3), (1000, 0.3), (2000, 3.75), (300, 15))
    sums = _cost_sums(metric_points(COST))
    assert sums == {
        ("openai", "gpt-4o"): pytest.approx(expected_4o),
        ("openai", "gpt-4o-mini"): pytest.approx(expected_mini),
        ("anthropic", "claude-sonnet-4-5"): pytest.approx(expected_sonnet),
    }
    spans = span_exporter.get_finished_spans()
    assert [s.attributes.get("llm_router.cost.usd") for s in spans] == [
        pytest.approx(usd((600, 2.5), (400, 1.25), (200, 10))),
        pytest.approx(usd((3000, 2.5), (100, 10))),
        pytest.approx(expected_mini),
        pytest.approx(expected_sonnet),
        None,
    ]
    for point in metric_points(COST):
        assert "llm_router.account.id" not in point.attributes


def test_response_model_priced_first_then_request_model(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider, TelemetrySettings(cost=PRICES.cost))
    # Response model has a price of its own: it is used.
    call = telemetry.start_call("chat", "openai", "gpt-4o")
    call.set_response(model="gpt-4o-mini")
    call.set_usage(TokenCounts(1_000_000, 0))
    call.end()
    # Dated snapshot with no entry: the request model's price is used.
    call = telemetry.start_call("chat", "openai", "gpt-4o")
    call.set_response(model="gpt-4o-2024-08-06")
    call.set_usage(TokenCounts(1_000_000, 0))
    call.end()
    costs = [s.attributes.get("llm_router.cost.usd") for s in span_exporter.get_finished_spans()]
    assert costs == [pytest.approx(0.15), pytest.approx(2.5)]


def _success(model: str, account: str, usage: LanguageModelUsage) -> RequestSuccessEvent:
    return RequestSuccessEvent(
        RequestContext(
            route="default",
            provider="openai",
            model=model,
            caller=CallerContext(account_id=account),
            latency_ms=120,
        ),
        usage,
    )


@pytest.mark.parametrize("opt_in", [False, True])
async def test_cost_through_observer_and_account_opt_in(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
    opt_in: bool,
) -> None:
    settings = TelemetrySettings(
        cost=PRICES.cost, metric_opt_in=frozenset({"account"}) if opt_in else frozenset()
    )
    observer = OTelObserver(tracer_provider, meter_provider, settings)
    granular = LanguageModelUsage(
        InputTokens(total=1000, no_cache=600, cache_read=400), OutputTokens(total=200)
    )
    parts_only = LanguageModelUsage(InputTokens(no_cache=3000), OutputTokens(text=100))
    await observer.on_request_success(_success("gpt-4o", "acct-a", granular))
    await observer.on_request_success(_success("gpt-4o", "acct-b", parts_only))
    await observer.on_request_success(_success("gpt-4o", "acct-a", parts_only))

    first = usd((600, 2.5), (400, 1.25), (200, 10))
    second = usd((3000, 2.5), (100, 10))
    points = metric_points(COST)
    if opt_in:
        by_account = {p.attributes["llm_router.account.id"]: p.value for p in points}
        assert by_account == {
            "acct-a": pytest.approx(first + second),
            "acct-b": pytest.approx(second),
        }
    else:
        assert len(points) == 1
        assert "llm_router.account.id" not in points[0].attributes
        assert points[0].value == pytest.approx(first + 2 * second)
    spans = span_exporter.get_finished_spans()
    assert [s.attributes["llm_router.cost.usd"] for s in spans] == [
        pytest.approx(first),
        pytest.approx(second),
        pytest.approx(second),
    ]
    # The account is on spans either way.
    assert [s.attributes["llm_router.account.id"] for s in spans] == ["acct-a", "acct-b", "acct-a"]


def _meta(at: datetime) -> EventMeta:
    return EventMeta(event_id=f"evt-{at.timestamp()}", occurred_at=at)


def test_cost_through_forward_event_recorder(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    recorder = ForwardEventRecorder(
        tracer_provider, meter_provider, TelemetrySettings(cost=PRICES.cost)
    )
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    requests = [
        ("r1", "openai.chat_completions", "gpt-4o-mini", TokenUsage(50, 100, 150), 200),
        ("r2", "openai.chat_completions", "gpt-4o-mini", TokenUsage(2000, 500, 2500), 200),
        ("r3", "openai.chat_completions", "gpt-4o", TokenUsage(1000, 1000, 2000), 200),
        ("r4", "openai.chat_completions", "gpt-4o", None, 502),  # failed: no usage, no cost
    ]
    for i, (request_id, endpoint, model, usage, status_code) in enumerate(requests):
        start = t0 + timedelta(seconds=i)
        recorder.record(RequestStarted(_meta(start), request_id, endpoint, model, False))
        recorder.record(
            RequestCompleted(
                _meta(start + timedelta(milliseconds=500)),
                request_id,
                status_code,
                "success" if status_code == 200 else "error",
                usage,
                500,
                None if status_code == 200 else "bad gateway",
            )
        )
    sums = _cost_sums(metric_points(COST))
    assert sums == {
        ("openai", "gpt-4o-mini"): pytest.approx(usd((2050, 0.15), (600, 0.6))),
        ("openai", "gpt-4o"): pytest.approx(usd((1000, 2.5), (1000, 10))),
    }
    costs = {
        s.attributes["llm_router.request.id"]: s.attributes.get("llm_router.cost.usd")
        for s in span_exporter.get_finished_spans()
    }
    assert costs["r4"] is None
    assert costs["r1"] == pytest.approx(usd((50, 0.15), (100, 0.6)))


def test_no_table_no_cost(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    call = telemetry.start_call("chat", "openai", "gpt-4o")
    call.set_usage(TokenCounts(1000, 1000))
    call.end()
    assert metric_points(COST) == []
    assert "llm_router.cost.usd" not in span_exporter.get_finished_spans()[0].attributes


def test_cost_values_are_finite_floats() -> None:
    for provider, model in (("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5")):
        value = PRICES.cost(provider, model, TokenCounts(10**9, 10**9, 10**8, 10**8, 10**8))
        assert isinstance(value, float) and math.isfinite(value) and value > 0


# --------------------------------------------------------------------------------------------
# The httpx hook: the instrumentor reads OTEL_PYTHON_LLM_ROUTER_PRICING_FILE


def test_httpx_hook_prices_calls_from_the_pricing_file(
    instrument: Callable[..., Any],
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    """A real httpx2 client against a local fake OpenAI server, instrumented from the environment."""
    import httpx2

    from tests.support.openai_wire import chat_completion, chat_request, chat_stream_reply
    from tests.support.scripted_server import ScriptedServer, json_reply

    answer = chat_completion(prompt_tokens=1200, completion_tokens=300)
    answer["usage"]["prompt_tokens_details"]["cached_tokens"] = 1000
    replies = iter([json_reply(answer), chat_stream_reply(words=7)])
    with ScriptedServer(lambda received: next(replies)) as server:
        instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_PRICING_FILE=str(EXAMPLE))
        url = server.url + "/v1/chat/completions"
        with httpx2.Client() as client:
            client.post(url, content=json.dumps(chat_request()).encode()).raise_for_status()
            with client.stream(
                "POST", url, content=json.dumps(chat_request(stream=True)).encode()
            ) as response:
                for _ in response.iter_bytes():
                    pass

    spans = [s for s in span_exporter.get_finished_spans() if s.name == "chat gpt-4o-mini"]
    assert len(spans) == 2
    # examples/pricing.json, gpt-4o-mini: input 0.12, cached input 0.06, output 0.48 per 1M.
    # The response model (gpt-4o-mini-2024-07-18) has no entry: the request model's price is used
    # (before the database is asked about either: the file wins where it has an entry).
    plain = usd((200, 0.12), (1000, 0.06), (300, 0.48))
    streamed = usd((12, 0.12), (7, 0.48))  # the stream's final usage chunk: 12 in, 7 out
    assert spans[0].attributes["llm_router.cost.usd"] == pytest.approx(plain)
    assert spans[1].attributes["llm_router.cost.usd"] == pytest.approx(streamed)
    (point,) = metric_points(COST)
    assert point.value == pytest.approx(plain + streamed)
    assert point.attributes["gen_ai.provider.name"] == "openai"
    assert point.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert point.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"


def test_the_docs_price_file_example() -> None:
    """docs/pricing.md's price file: your rates for gpt-4o, self-hosted at 0, a gateway's names.

    (The worked example with budgets, priced from genai-prices, is in test_prices_db.py.)
    """
    docs = (EXAMPLE.parent.parent / "docs" / "pricing.md").read_text(encoding="utf-8")
    block = docs.split("```json\n", 1)[1].split("```", 1)[0]
    table = PricingTable.from_dict(json.loads(block), strict=True)
    assert table.prices_label == "2026-11-23"
    first = TokenCounts(1200, 300, 1000, None, None)
    assert table.cost("openai", "gpt-4o", first) == pytest.approx(0.0038)
    assert "$0.0038 each" in docs
    assert table.cost("ollama", "llama3.1:8b", TokenCounts(10_000, 1000)) == 0.0
    assert table.cost("anything", "acme-fast", TokenCounts(1_000_000, 0)) == pytest.approx(0.1)
    assert table.cost("openai", "gpt-4o-mini", first) is None


def test_cost_counter_is_a_bounded_monotonic_sum_for_cumulative_and_delta_readers() -> None:
    """llm_router.cost is summed in process and observed at collection: the same sums as a
    Counter for cumulative and delta readers, and at most its limit of series plus overflow."""
    from opentelemetry.sdk.metrics import ObservableCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    from opentelemetry.instrumentation.llm_router._genai._instruments import CostSums
    from tests.conftest import points_by_name

    cumulative = InMemoryMetricReader()
    delta = InMemoryMetricReader(
        preferred_temporality={ObservableCounter: AggregationTemporality.DELTA}
    )
    provider = MeterProvider(metric_readers=[cumulative, delta])
    sums = CostSums(provider.get_meter("test"), limit=3)
    for i in range(5):
        sums.add(0.25, {"gen_ai.request.model": f"m{i}"})
    sums.add(0.5, {"gen_ai.request.model": "m0"})

    def values(reader: InMemoryMetricReader) -> dict[Any, float]:
        return {
            tuple(sorted(p.attributes.items())): p.value
            for p in points_by_name(reader.get_metrics_data(), COST)
        }

    first = {
        (("gen_ai.request.model", "m0"),): 0.75,
        (("gen_ai.request.model", "m1"),): 0.25,
        (("gen_ai.request.model", "m2"),): 0.25,
        (("otel.metric.overflow", True),): 0.5,
    }
    assert values(cumulative) == first
    assert values(delta) == first
    sums.add(1.0, {"gen_ai.request.model": "m1"})
    assert values(cumulative)[(("gen_ai.request.model", "m1"),)] == 1.25
    assert values(delta)[(("gen_ai.request.model", "m1"),)] == 1.0
    provider.shutdown()
