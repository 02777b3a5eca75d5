"""Prices from genai-prices: the provider table, the compiled prices against the library's own
``calc_price``, the order file -> database -> unpriced, the environment switches, and updates.

Every expected price here comes from ``genai_prices.calc_price`` itself (exact ``Decimal``s), fed
the usage as docs/pricing.md says we map it; our compiled float prices must agree to 1e-9.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import OTelObserver
from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._pricer import (
    PRICES_UPDATE_ENV,
    PRICING_ENV,
    Pricing,
    pricer_from_env,
    update_interval_from_env,
)
from opentelemetry.instrumentation.llm_router._prices_db import (
    DATABASE_PROVIDER_IDS,
    SOURCE,
    PricesDatabase,
    database_provider_id,
    genai_usage,
)
from opentelemetry.instrumentation.llm_router._pricing import PRICING_FILE_ENV, PricingTable
from opentelemetry.instrumentation.llm_router._provider_names import _CONVENTION_NAMES

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="genai-prices (the 'prices' extra) needs Python >= 3.11"
)

PRICER_LOGGER = "opentelemetry.instrumentation.llm_router._pricer"
NOV_29 = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


def ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def library_price(
    provider: str, model: str, usage: TokenCounts, when: datetime, tier: Optional[str] = None
) -> Optional[float]:
    """What genai-prices itself says the call cost, or ``None`` when it does not know the model."""
    from genai_prices import calc_price

    provider_id = database_provider_id(provider, _database_ids())
    if provider_id is None:
        return None
    try:
        result = calc_price(
            genai_usage(usage),
            model,
            provider_id=provider_id,
            genai_request_timestamp=when,
            price_context={"service_tier": tier} if tier else None,
        )
    except LookupError:
        return None
    return float(result.total_price)


def _database_ids() -> frozenset[str]:
    from genai_prices.data import providers

    return frozenset(p.id for p in providers)


# --------------------------------------------------------------------------------------------
# The provider table


def test_every_table_entry_is_a_provider_of_the_database() -> None:
    ids = _database_ids()
    unknown = {ours: theirs for ours, theirs in DATABASE_PROVIDER_IDS.items() if theirs not in ids}
    assert not unknown


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("openai", "openai"),
        ("anthropic", "anthropic"),
        ("gcp.gemini", "google"),
        ("gcp.vertex_ai", "google"),
        ("azure.ai.openai", "azure"),  # the library's fuzzy match would say "openai"
        ("aws.bedrock", "aws"),
        ("groq", "groq"),
        ("mistral_ai", "mistral"),
        ("deepseek", "deepseek"),
        ("x_ai", "x-ai"),
        ("cohere", "cohere"),
        ("perplexity", "perplexity"),
        ("together", "together"),
        ("fireworks", "fireworks"),
        ("openrouter", "openrouter"),
        # names routers give, normalised as spans name them first
        ("gemini", "google"),
        ("google", "google"),
        ("vertex_ai", "google"),
        ("bedrock", "aws"),
        ("azure", "azure"),
        ("claude", "anthropic"),
        ("xai", "x-ai"),
        ("grok", "x-ai"),
        ("mistral", "mistral"),
        ("together_ai", "together"),
        ("Fireworks-AI", "fireworks"),
        ("moonshot", "moonshotai"),
        # a database id we have no row for is taken as it is
        ("doubleword", "doubleword"),
    ],
)
def test_provider_names_map_onto_database_ids(ours: str, theirs: str) -> None:
    assert database_provider_id(ours, _database_ids()) == theirs


@pytest.mark.parametrize("name", ["my-openai-proxy", "ollama", "vllm", "ibm.watsonx.ai", "local"])
def test_other_provider_names_are_not_guessed(name: str) -> None:
    assert database_provider_id(name, _database_ids()) is None


def test_every_convention_name_we_emit_is_mapped_or_known_absent() -> None:
    """Each gen_ai.provider.name our mapping produces has a database id, except the ones the
    database has no prices for (said here, so a new name cannot slip through unnoticed)."""
    absent = {"ibm.watsonx.ai"}
    for name in set(_CONVENTION_NAMES.values()) - absent:
        assert database_provider_id(name, _database_ids()) is not None, name
    for name in absent:
        assert database_provider_id(name, _database_ids()) is None


# --------------------------------------------------------------------------------------------
# Compiled prices = the library's calc_price

USAGES = [
    TokenCounts(1200, 300),
    TokenCounts(1200, 300, 1000, None, None),
    TokenCounts(5000, 400, 3000, 1500, None),
    TokenCounts(46, 380, 0, 0, 120),
    TokenCounts(250_000, 2000, 100_000, 20_000, 500),  # above the 200k long-context tiers
    TokenCounts(1_500_000, 10, None, None, None),
    TokenCounts(None, 50),
    TokenCounts(10, None, None, None, None),
    TokenCounts(100, 10, 80, 40, 20),  # parts above the total: raised to the sum of the parts
]
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini-2024-07-18"),
    ("openai", "gpt-5.4-2026-03-05"),  # long-context tier
    ("openai", "o3"),
    ("anthropic", "claude-sonnet-4-20250514"),
    ("anthropic", "claude-3-5-sonnet-20240620"),
    ("gcp.gemini", "gemini-2.5-pro"),  # tiered above 200k input tokens
    ("gcp.vertex_ai", "gemini-1.5-flash"),
    ("gcp.gemini", "gemini-2.5-flash"),
    ("azure.ai.openai", "gpt-4o"),  # found through azure's fallback onto openai's models
    ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ("deepseek", "deepseek-chat"),  # off-peak hours: a time-of-day price
    ("mistral_ai", "mistral-large-latest"),
    ("x_ai", "grok-4"),
    ("groq", "llama-3.3-70b-versatile"),
]
WHEN = [
    datetime(2025, 3, 1, 3, 0, tzinfo=timezone.utc),
    datetime(2025, 3, 1, 17, 0, tzinfo=timezone.utc),
    NOV_29,
    datetime(2027, 2, 1, 9, 30, tzinfo=timezone.utc),  # after dated changes the data announces
]


@pytest.fixture(scope="module")
def database() -> PricesDatabase:
    return PricesDatabase()


@pytest.mark.parametrize(("provider", "model"), MODELS, ids=[f"{p}/{m}" for p, m in MODELS])
@pytest.mark.parametrize("tier", [None, "default", "flex", "priority"])
def test_compiled_price_is_the_librarys_price(
    database: PricesDatabase, provider: str, model: str, tier: Optional[str]
) -> None:
    checked = 0
    for when in WHEN:
        for usage in USAGES:
            expected = library_price(provider, model, usage, when, tier)
            assert expected is not None, f"{provider}/{model} unknown to genai-prices"
            got = database.usd(provider, model, usage, tier, ns(when))
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-15), (when, usage)
            checked += 1
    assert checked == len(WHEN) * len(USAGES)


def test_flex_and_priority_are_priced_at_their_own_rates(database: PricesDatabase) -> None:
    usage = TokenCounts(1_000_000, 1_000_000)
    standard = database.usd("openai", "o3", usage, None, ns(NOV_29))
    flex = database.usd("openai", "o3", usage, "flex", ns(NOV_29))
    priority = database.usd("openai", "o3", usage, "priority", ns(NOV_29))
    assert standard is not None and flex is not None and priority is not None
    assert flex < standard < priority
    assert flex == pytest.approx(library_price("openai", "o3", usage, NOV_29, "flex"))


def test_historic_prices_follow_the_time_of_the_call(database: PricesDatabase) -> None:
    """deepseek-chat costs less in its off-peak hours: the same usage, two times of day."""
    usage = TokenCounts(1_000_000, 1_000_000)
    peak = datetime(2025, 3, 1, 3, 0, tzinfo=timezone.utc)
    off_peak = datetime(2025, 3, 1, 17, 0, tzinfo=timezone.utc)
    at_peak = database.usd("deepseek", "deepseek-chat", usage, None, ns(peak))
    at_off_peak = database.usd("deepseek", "deepseek-chat", usage, None, ns(off_peak))
    assert at_peak != at_off_peak
    assert at_peak == pytest.approx(library_price("deepseek", "deepseek-chat", usage, peak))
    assert at_off_peak == pytest.approx(library_price("deepseek", "deepseek-chat", usage, off_peak))


def test_unknown_model_and_provider_get_no_price(database: PricesDatabase) -> None:
    usage = TokenCounts(10, 10)
    assert database.usd("openai", "no-such-model-xyz", usage, None, ns(NOV_29)) is None
    assert database.usd("ollama", "llama3:8b", usage, None, ns(NOV_29)) is None
    assert database.usd("my-openai-proxy", "gpt-4o", usage, None, ns(NOV_29)) is None


def test_lookups_are_cached_and_bounded() -> None:
    database = PricesDatabase(max_entries=8)
    usage = TokenCounts(10, 10)
    for i in range(50):
        database.usd("openai", f"unknown-{i}", usage, None, ns(NOV_29))
        assert len(database._entries) <= 8
    database.usd("openai", "gpt-4o", usage, "flex", ns(NOV_29))
    entry = database._entries[("openai", "gpt-4o", "flex")]
    assert database.usd("openai", "gpt-4o", usage, "flex", ns(NOV_29)) is not None
    assert database._entries[("openai", "gpt-4o", "flex")] is entry


# --------------------------------------------------------------------------------------------
# The order: the user's file, then the database, then unpriced (reported once)

FILE = PricingTable.from_dict(
    {
        "_date": "2026-11-23",
        "prices": {
            "openai": {"gpt-4o": {"input": 1.0, "output": 2.0}},
            "ollama": {"llama3*": {"input": 0, "output": 0}},
        },
    },
    strict=True,
)


def test_file_wins_then_database_then_nothing(
    database: PricesDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    pricing = Pricing(FILE, database)
    usage = TokenCounts(1_000_000, 1_000_000)
    t = ns(NOV_29)
    # The file's entry for the request model beats the database's for the dated response model.
    assert pricing.price_call("openai", "gpt-4o-2024-08-06", "gpt-4o", usage, None, t) == (
        pytest.approx(3.0),
        "file",
        "2026-11-23",
    )
    priced = pricing.price_call("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", usage, None, t)
    assert priced is not None
    assert priced.source == SOURCE and priced.prices == database.label
    assert priced.usd == pytest.approx(
        library_price("openai", "gpt-4o-mini-2024-07-18", usage, NOV_29)
    )
    # Self-hosted at zero, from the file.
    assert pricing.price_call("ollama", "llama3:8b", None, usage, None, t) == (
        0.0,
        "file",
        "2026-11-23",
    )
    # Neither knows it: no price, reported once however often it is called.
    with caplog.at_level(logging.INFO, logger=PRICER_LOGGER):
        for _ in range(3):
            assert pricing.price_call("openai", "gpt-imaginary", None, usage, None, t) is None
        assert pricing.price_call("vllm", "my-finetune", "base", usage, None, t) is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "'openai'" in messages[0] and "'gpt-imaginary'" in messages[0]
    assert "the price file or genai-prices" in messages[0]
    assert "'my-finetune'" in messages[1]


def test_span_and_counter_say_which_source_priced(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
    database: PricesDatabase,
) -> None:
    telemetry = GenAITelemetry(
        tracer_provider, meter_provider, TelemetrySettings(pricer=Pricing(FILE, database))
    )
    for model in ("gpt-4o", "gpt-4o-mini", "unknown-model"):
        call = telemetry.start_call("chat", "openai", model, start_time_ns=ns(NOV_29))
        call.set_usage(TokenCounts(1000, 100))
        call.end()
    spans = {
        s.attributes["gen_ai.request.model"]: s.attributes
        for s in span_exporter.get_finished_spans()
    }
    assert spans["gpt-4o"]["llm_router.cost.source"] == "file"
    assert spans["gpt-4o"]["llm_router.cost.prices"] == "2026-11-23"
    assert spans["gpt-4o-mini"]["llm_router.cost.source"] == "genai-prices"
    assert spans["gpt-4o-mini"]["llm_router.cost.prices"].startswith("genai-prices ")
    assert spans["gpt-4o-mini"]["llm_router.cost.usd"] == pytest.approx(
        library_price("openai", "gpt-4o-mini", TokenCounts(1000, 100), NOV_29)
    )
    assert "llm_router.cost.usd" not in spans["unknown-model"]
    assert "llm_router.cost.source" not in spans["unknown-model"]
    sources = {
        p.attributes["gen_ai.request.model"]: p.attributes["llm_router.cost.source"]
        for p in metric_points("llm_router.cost")
    }
    assert sources == {"gpt-4o": "file", "gpt-4o-mini": "genai-prices"}


def test_service_tier_of_the_call_selects_the_rate(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    database: PricesDatabase,
) -> None:
    telemetry = GenAITelemetry(
        tracer_provider, meter_provider, TelemetrySettings(pricer=Pricing(None, database))
    )
    usage = TokenCounts(1_000_000, 1_000_000)
    for tier in (None, "flex", "priority"):
        call = telemetry.start_call("chat", "openai", "o3", start_time_ns=ns(NOV_29))
        call.set_service_tier(tier)
        call.set_usage(usage)
        call.end()
    costs = [s.attributes["llm_router.cost.usd"] for s in span_exporter.get_finished_spans()]
    assert costs == [
        pytest.approx(library_price("openai", "o3", usage, NOV_29, tier))
        for tier in (None, "flex", "priority")
    ]
    assert len(set(costs)) == 3


# --------------------------------------------------------------------------------------------
# The environment


def test_pricing_is_on_by_default_when_the_library_is_installed() -> None:
    pricer = pricer_from_env({})
    assert pricer is not None and pricer.file is None and pricer.database is not None
    assert settings_from_env({}).pricer is not None


def test_pricing_modes(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"prices": {"openai": {"m": {"input": 1, "output": 1}}}}))
    both = pricer_from_env({PRICING_FILE_ENV: str(path)})
    assert both is not None and both.file is not None and both.database is not None
    only_file = pricer_from_env({PRICING_FILE_ENV: str(path), PRICING_ENV: "file"})
    assert only_file is not None and only_file.file is not None and only_file.database is None
    assert pricer_from_env({PRICING_ENV: "file"}) is None
    assert pricer_from_env({PRICING_FILE_ENV: str(path), PRICING_ENV: "off"}) is None
    with caplog.at_level(logging.WARNING, logger=PRICER_LOGGER):
        fallback = pricer_from_env({PRICING_ENV: "sometimes"})
    assert fallback is not None and fallback.database is not None
    assert PRICING_ENV in caplog.records[0].getMessage()


def test_observer_from_the_environment_prices_through_the_database(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.instrumentation.llm_router import (
        CallerContext,
        InputTokens,
        LanguageModelUsage,
        OutputTokens,
        RequestContext,
        RequestSuccessEvent,
    )

    monkeypatch.delenv(PRICING_FILE_ENV, raising=False)
    monkeypatch.delenv(PRICING_ENV, raising=False)
    observer = OTelObserver(tracer_provider, meter_provider)
    usage = LanguageModelUsage(
        InputTokens(total=5000, no_cache=500, cache_read=3000, cache_write=1500),
        OutputTokens(total=400, reasoning=100),
    )
    observer.record_success(
        RequestSuccessEvent(
            RequestContext("smart", "claude", "claude-sonnet-4-20250514", CallerContext(), 900),
            usage,
        )
    )
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["llm_router.cost.source"] == "genai-prices"
    when = datetime.fromtimestamp(span.start_time / 1e9, timezone.utc)
    expected = library_price(
        "anthropic", "claude-sonnet-4-20250514", TokenCounts(5000, 400, 3000, 1500, 100), when
    )
    assert span.attributes["llm_router.cost.usd"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("", None), ("false", None), ("off", None), ("true", 3600.0), ("on", 3600.0), ("900", 900.0)],
)
def test_update_interval(raw: str, seconds: Optional[float]) -> None:
    assert update_interval_from_env({PRICES_UPDATE_ENV: raw}) == seconds


@pytest.mark.parametrize("raw", ["often", "-5", "10", "nan", "inf"])
def test_bad_update_interval_warns_and_stays_off(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=PRICER_LOGGER):
        assert update_interval_from_env({PRICES_UPDATE_ENV: raw}) is None
    assert len(caplog.records) == 1 and PRICES_UPDATE_ENV in caplog.records[0].getMessage()


def test_no_network_fetch_by_default() -> None:
    from genai_prices import update_prices

    pricer_from_env({})
    settings_from_env({})
    assert update_prices._shared_updater.thread is None
    assert update_prices._shared_updater.ref_count == 0


UPDATED_DATA = [
    {
        "id": "openai",
        "name": "OpenAI",
        "api_pattern": "https://api\\.openai\\.com",
        "models": [
            {
                "id": "gpt-4o",
                "match": {"starts_with": "gpt-4o"},
                "prices": {"input_mtok": 100, "output_mtok": 200},
            }
        ],
    }
]


def test_updates_are_fetched_only_when_asked_and_followed(
    database: PricesDatabase,
) -> None:
    """With updates on (from a loopback mirror), new prices replace the compiled ones."""
    from genai_prices import data_snapshot, wait_prices_updated_sync

    from opentelemetry.instrumentation.llm_router._prices_db import stop_updates
    from tests.support.scripted_server import ScriptedServer, json_reply

    usage = TokenCounts(1_000_000, 1_000_000)
    before = database.usd("openai", "gpt-4o", usage, None, ns(NOV_29))
    assert before == pytest.approx(library_price("openai", "gpt-4o", usage, NOV_29))
    with ScriptedServer(json_reply(UPDATED_DATA)) as server:
        try:
            pricer = pricer_from_env(
                {
                    PRICES_UPDATE_ENV: "3600",
                    "OTEL_PYTHON_LLM_ROUTER_PRICES_URL": server.url + "/data.json",
                }
            )
            assert pricer is not None
            assert wait_prices_updated_sync(timeout=30)
            assert [r.path for r in server.received] == ["/data.json"]
            after = database.usd("openai", "gpt-4o", usage, None, ns(NOV_29))
            assert after == pytest.approx(300.0)
            assert database.label.startswith("genai-prices ") and "data fetched" in database.label
            assert (
                database.usd("anthropic", "claude-sonnet-4-20250514", usage, None, ns(NOV_29))
                is None
            )
        finally:
            stop_updates()
            data_snapshot.set_custom_snapshot(None)  # the rest of the tests use the bundled data
    assert database.usd("openai", "gpt-4o", usage, None, ns(NOV_29)) == pytest.approx(before)
    assert "data fetched" not in database.label


class _PinnedTime:
    """The docs' worked example prices calls made on 2026-11-29, whenever the test runs."""

    def __init__(self, inner: Pricing) -> None:
        self.inner = inner

    def price_call(self, *args: Any) -> Any:
        return self.inner.price_call(*args[:-1], ns(NOV_29))


def test_worked_example_in_the_docs(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
    database: PricesDatabase,
) -> None:
    """docs/pricing.md's three requests, priced from genai-prices, give the numbers it shows."""
    from pathlib import Path

    from opentelemetry.instrumentation.llm_router import (
        BudgetRange,
        CallerContext,
        InputTokens,
        LanguageModelUsage,
        OutputTokens,
        RequestContext,
        RequestSuccessEvent,
    )
    from opentelemetry.instrumentation.llm_router._spend import SpendTracker

    docs = (Path(__file__).resolve().parent.parent / "docs" / "pricing.md").read_text()
    observer = OTelObserver(
        tracer_provider,
        meter_provider,
        TelemetrySettings(pricer=_PinnedTime(Pricing(None, database))),
        spend_tracker=SpendTracker(),
    )
    caller = CallerContext(
        account_id="acct-42",
        budget=20_000,
        budget_scope="account",
        budget_range=BudgetRange.duration(3600),
    )
    first = RequestSuccessEvent(
        RequestContext("default", "openai", "gpt-4o", caller, 800),
        LanguageModelUsage(InputTokens(total=1200, cache_read=1000), OutputTokens(total=300)),
    )
    second = RequestSuccessEvent(
        RequestContext("smart", "anthropic", "claude-sonnet-4-5-20250929", caller, 2400),
        LanguageModelUsage(
            InputTokens(no_cache=500, cache_read=3000, cache_write=1500), OutputTokens(total=400)
        ),
    )
    for event in (first, second, first):
        observer.record_success(event)
    spans = span_exporter.get_finished_spans()
    rows = [
        (
            s.attributes["llm_router.cost.usd"],
            s.attributes["llm_router.budget.spent.micro_usd"],
            s.attributes["llm_router.budget.used_fraction"],
            s.attributes.get("llm_router.budget.exceeded"),
        )
        for s in spans
    ]
    assert rows == [
        (pytest.approx(0.00475), 4750, pytest.approx(0.2375), None),
        (pytest.approx(0.014025), 18775, pytest.approx(0.93875), None),
        (pytest.approx(0.00475), 23525, pytest.approx(1.17625), True),
    ]
    for row in ("| 1 | 0.00475 | 4750 | 0.2375 |", "| 3 | 0.00475 | 23525 | 1.17625 | true |"):
        assert row in docs
    worked = (Path(__file__).resolve().parent.parent / "docs" / "pricing.md").read_text()
    for row in (
        "= 0.00475 | 4,750 | 0.2375 |",
        "| 0.014025 | 18,775 | 0.93875 |",
        "| 23,525 | 1.17625",
    ):
        assert row in worked
    assert {s.attributes["llm_router.cost.source"] for s in spans} == {"genai-prices"}
    assert {s.attributes["llm_router.cost.prices"] for s in spans} == {database.label}
    sums = {
        (
            p.attributes["gen_ai.request.model"],
            p.attributes["llm_router.cost.source"],
            p.attributes["llm_router.cost.prices"],
        ): p.value
        for p in metric_points("llm_router.cost")
    }
    assert sums == {
        ("gpt-4o", "genai-prices", database.label): pytest.approx(0.0095),
        ("claude-sonnet-4-5-20250929", "genai-prices", database.label): pytest.approx(0.014025),
    }
    (crossed,) = metric_points("llm_router.budget.exceeded")
    assert crossed.value == 1


def test_worked_example_with_the_docs_price_file(database: PricesDatabase) -> None:
    """With the docs' price file on top, gpt-4o comes from the file and Claude from the database."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "pricing.md").read_text()
    block = docs.split("```json\n", 1)[1].split("```", 1)[0]
    pricing = Pricing(PricingTable.from_dict(json.loads(block), strict=True), database)
    first = TokenCounts(1200, 300, 1000, None, None)
    second = TokenCounts(5000, 400, 3000, 1500, None)
    t = ns(NOV_29)
    assert pricing.price_call("openai", None, "gpt-4o", first, None, t) == (
        pytest.approx(0.0038),
        "file",
        "2026-11-23",
    )
    priced = pricing.price_call("anthropic", None, "claude-sonnet-4-5-20250929", second, None, t)
    assert priced is not None and priced.source == "genai-prices"
    assert priced.usd == pytest.approx(0.014025)


def test_a_broken_usage_report_is_not_priced_below_zero(database: PricesDatabase) -> None:
    pricing = Pricing(None, database)
    broken = TokenCounts(-5000, -10, -1, -1, -1)
    assert pricing.price_call("openai", "gpt-4o", None, broken, None, ns(NOV_29)) is None
    # A negative total with sane parts is raised to the sum of its parts, as any short total is.
    short = TokenCounts(-5000, 10)
    assert pricing.price_call("openai", "gpt-4o", None, short, None, ns(NOV_29)) == (
        pytest.approx(10 * 10 / 1e6),
        "genai-prices",
        database.label,
    )


def test_forward_events_are_priced_at_the_time_they_happened(
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ForwardEventRecorder from the environment: each call priced at the rates of the time its
    RequestStarted says (deepseek-chat: peak and off-peak hours of 2025-03-01 differ)."""
    from opentelemetry.instrumentation.llm_router import (
        EventMeta,
        ForwardEventRecorder,
        RequestCompleted,
        RequestStarted,
        TokenUsage,
    )

    monkeypatch.delenv(PRICING_FILE_ENV, raising=False)
    monkeypatch.delenv(PRICING_ENV, raising=False)
    recorder = ForwardEventRecorder(tracer_provider)
    times = {
        "peak": datetime(2025, 3, 1, 3, 0, tzinfo=timezone.utc),
        "off-peak": datetime(2025, 3, 1, 17, 0, tzinfo=timezone.utc),
    }
    for request_id, when in times.items():
        recorder.record(
            RequestStarted(
                EventMeta(f"s-{request_id}", when),
                request_id,
                "deepseek.chat_completions",
                "deepseek-chat",
                False,
            )
        )
        recorder.record(
            RequestCompleted(
                EventMeta(f"c-{request_id}", when + timedelta(seconds=2)),
                request_id,
                200,
                "success",
                TokenUsage(100_000, 20_000, 120_000),
                2000,
                None,
            )
        )
    costs = {
        s.attributes["llm_router.request.id"]: s.attributes["llm_router.cost.usd"]
        for s in span_exporter.get_finished_spans()
    }
    for request_id, when in times.items():
        assert costs[request_id] == pytest.approx(
            library_price("deepseek", "deepseek-chat", TokenCounts(100_000, 20_000), when)
        )
    assert costs["peak"] != costs["off-peak"]


@pytest.mark.parametrize("tier", ["flex", "priority", "default"])
def test_the_hook_prices_at_the_service_tier_the_response_reports(
    tier: str,
    instrument: Callable[..., Any],
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An OpenAI response saying ``service_tier`` (a real httpx2 client, a loopback server): the
    span's cost is genai-prices' price at that tier, at the time the call started."""
    import httpx2

    from tests.support.openai_wire import chat_completion, chat_request
    from tests.support.scripted_server import ScriptedServer, json_reply

    monkeypatch.delenv(PRICING_FILE_ENV, raising=False)
    monkeypatch.delenv(PRICING_ENV, raising=False)
    answer = chat_completion(prompt_tokens=200_000, completion_tokens=100_000)
    answer["model"] = "o3-2025-04-16"
    answer["service_tier"] = tier
    with ScriptedServer(json_reply(answer)) as server:
        instrument(f"{server.host_port}=openai")
        with httpx2.Client() as client:
            body = json.dumps(chat_request(model="o3", service_tier="auto")).encode()
            client.post(server.url + "/v1/chat/completions", content=body).raise_for_status()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["openai.response.service_tier"] == tier
    when = datetime.fromtimestamp(span.start_time / 1e9, timezone.utc)
    usage = TokenCounts(
        span.attributes["gen_ai.usage.input_tokens"],
        span.attributes["gen_ai.usage.output_tokens"],
        span.attributes.get("gen_ai.usage.cache_read.input_tokens"),
        None,
        span.attributes.get("gen_ai.usage.reasoning.output_tokens"),
    )
    expected = library_price("openai", "o3-2025-04-16", usage, when, tier)
    assert span.attributes["llm_router.cost.usd"] == pytest.approx(expected, rel=1e-9)
    standard = library_price("openai", "o3-2025-04-16", usage, when)
    if tier == "default":
        assert expected == pytest.approx(standard)
    else:  # the rates of these tiers differ from standard ones from 2026-10-12 on
        assert expected != pytest.approx(standard)


def test_every_model_of_the_database_compiles_to_the_librarys_price() -> None:
    """All of the bundled data (every provider, model, with and without a tier): the compiled
    price of one usage equals the library's own ``ModelInfo.calc_price`` for the same model."""
    from genai_prices import data_snapshot

    from opentelemetry.instrumentation.llm_router._prices_db import _Entry

    usage = TokenCounts(250_000, 3000, 40_000, 20_000, 1000)
    checked = 0
    for provider in data_snapshot.get_snapshot().providers:
        for model in provider.models:
            for tier in (None, "flex", "priority"):
                context = {"service_tier": tier} if tier else None
                got = _Entry(provider, model, context).usd(usage, ns(NOV_29))
                want = model.calc_price(
                    genai_usage(usage),
                    provider,
                    genai_request_timestamp=NOV_29,
                    price_context=context,
                ).total_price
                assert got == pytest.approx(float(want), rel=1e-9, abs=1e-12), (
                    provider.id,
                    model.id,
                    tier,
                )
                checked += 1
    assert checked > 3000


def test_a_price_that_cannot_be_computed_is_unpriced_and_not_retried() -> None:
    database = PricesDatabase()
    calls = []

    class Broken:
        def usd(self, usage: TokenCounts, time_ns: int) -> float:
            calls.append(1)
            raise ValueError("data the compiler cannot read")

    database._entries[("openai", "gpt-4o", None)] = Broken()
    for _ in range(3):
        assert database.usd("openai", "gpt-4o", TokenCounts(10, 10), None, ns(NOV_29)) is None
    assert calls == [1]
