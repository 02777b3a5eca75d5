"""SpendTracker: budget windows by rounds and by duration, crossings, bounds, and the observer path.

Requests go through a real ``OTelObserver`` with a real pricing table, SDK tracer provider and
``InMemoryMetricReader``; time is a clock the test moves. Every test taking the ``tracker``
fixture runs twice: with the in-process store and with the Redis store on a real ``redis-server``
(the same window semantics, kept by a Lua script on the server). Every priced request below costs a
round number of micro-USD so the expected spends can be written down exactly.
"""

from __future__ import annotations

import gc
import tracemalloc
import uuid
from typing import Any, Callable, Iterator, Optional

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from opentelemetry.instrumentation.llm_router import (
    BudgetRange,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    RequestContext,
    RequestSuccessEvent,
)
from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._pricing import PricingTable
from opentelemetry.instrumentation.llm_router._spend import (
    MAX_BUCKETS,
    TRACK_SPEND_ENV,
    TRACKED_ACCOUNTS_ENV,
    SpendTracker,
    spend_tracker_from_env,
)
from opentelemetry.instrumentation.llm_router._spend_redis import RedisSpendStore, connect
from tests.support.redis_server import RedisServer

# "unit" costs $1 per million input tokens: N input tokens cost exactly N micro-USD.
PRICES = PricingTable.from_dict(
    {"prices": {"openai": {"unit": {"input": 1.0, "output": 0.0}}}}, strict=True
)
EXCEEDED = "llm_router.budget.exceeded"
SPENT = "llm_router.budget.spent.micro_usd"
FRACTION = "llm_router.budget.used_fraction"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Router:
    """Feeds requests of a known micro-USD cost through a real observer; reads spans back."""

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        exporter: InMemorySpanExporter,
        tracker: SpendTracker,
        opt_in: frozenset[str] = frozenset(),
    ) -> None:
        settings = TelemetrySettings(cost=PRICES.cost, metric_opt_in=opt_in)
        self.observer = OTelObserver(
            tracer_provider, meter_provider, settings, spend_tracker=tracker
        )
        self.exporter = exporter

    def request(self, micro_usd: int, caller: CallerContext, model: str = "unit") -> dict[str, Any]:
        self.exporter.clear()
        self.observer.record_success(
            RequestSuccessEvent(
                RequestContext("route", "openai", model, caller, latency_ms=5),
                LanguageModelUsage(InputTokens(total=micro_usd), OutputTokens(total=0)),
            )
        )
        (span,) = self.exporter.get_finished_spans()
        return dict(span.attributes or {})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["process", "redis"])
def tracker(request: pytest.FixtureRequest, clock: Clock) -> Iterator[SpendTracker]:
    if request.param == "process":
        yield SpendTracker(max_accounts=100, clock=clock)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    # A generous timeout: on a loaded test machine a fallback would change the figures.
    store = RedisSpendStore(
        connect(server.url, timeout=5.0), clock=clock, prefix=f"test:{uuid.uuid4().hex}:"
    )
    tracker = SpendTracker(max_accounts=100, clock=clock, store=store)
    yield tracker
    assert tracker.fallbacks == 0, "the Redis store did not answer"


@pytest.fixture
def router(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    tracker: SpendTracker,
) -> Router:
    return Router(tracer_provider, meter_provider, span_exporter, tracker)


def rounds(n: int, budget: Optional[int] = 1000, account: str = "acct") -> CallerContext:
    return CallerContext(
        account_id=account,
        budget=budget,
        budget_scope="account",
        budget_range=BudgetRange.rounds(n),
    )


def seconds(s: int, budget: Optional[int] = 1000, account: str = "acct") -> CallerContext:
    return CallerContext(
        account_id=account,
        budget=budget,
        budget_scope="account",
        budget_range=BudgetRange.duration(s),
    )


# --------------------------------------------------------------------------------------------
# Windows


def test_rounds_window_is_the_last_n_requests(router: Router) -> None:
    caller = rounds(3, budget=1000)
    spent = [router.request(cost, caller)[SPENT] for cost in (100, 200, 300, 400, 50, 0, 0)]
    assert spent == [100, 300, 600, 900, 750, 450, 50]
    fractions = [router.request(10, caller)[FRACTION] for _ in range(3)]
    assert fractions == [pytest.approx(0.01), pytest.approx(0.02), pytest.approx(0.03)]


def test_long_rounds_window_is_coarse_but_bounded(router: Router, tracker: SpendTracker) -> None:
    n = 1000  # > MAX_BUCKETS: 63 buckets of ceil(1000 / 64) = 16 requests
    caller = rounds(n, budget=None)
    values = [router.request(1, caller)[SPENT] for _ in range(3 * n)]
    # Every request counts until the first bucket can leave; after that the window holds
    # N - 16 .. N + 16 requests (here 993 .. 1008).
    assert values[:993] == list(range(1, 994))
    assert all(n - 16 <= v <= n + 16 for v in values[n:])
    assert min(values[n:]) < n < max(values[n:])
    assert 0 < buckets_held(tracker) <= MAX_BUCKETS


def buckets_held(tracker: SpendTracker) -> int:
    """How many buckets the tracker's store holds for its one caller."""
    store = tracker.store
    if isinstance(store, RedisSpendStore):
        (key,) = store.client.keys(store.prefix + "*")
        return sum(1 for field in store.client.hkeys(key) if field.startswith("b"))
    (spend,) = store._spends.values()  # type: ignore[attr-defined]
    assert spend.window is not None
    return len(spend.window._amounts)


def test_duration_window_slides_with_the_clock(router: Router, clock: Clock) -> None:
    caller = seconds(64, budget=1000)  # 64 buckets of 1 second
    assert router.request(100, caller)[SPENT] == 100  # t = 1000
    clock.now += 30
    assert router.request(200, caller)[SPENT] == 300  # t = 1030
    clock.now += 33.5
    assert router.request(0, caller)[SPENT] == 300  # t = 1063.5: first still inside (63.5 s)
    clock.now += 1
    assert router.request(0, caller)[SPENT] == 200  # t = 1064.5: the first has left
    clock.now += 64
    assert router.request(7, caller)[SPENT] == 7  # everything old has left
    assert router.request(3, caller)[FRACTION] == pytest.approx(0.01)


def test_duration_window_keeps_amounts_between_s_minus_one_bucket_and_s(
    router: Router, clock: Clock
) -> None:
    caller = seconds(640, budget=None)  # buckets of 10 s
    router.request(100, caller)
    clock.now += 629.9  # still inside whatever the bucket boundary
    assert router.request(0, caller)[SPENT] == 100
    clock.now += 10.2  # 640.1 s later: certainly gone
    assert router.request(0, caller)[SPENT] == 0


def test_no_range_accumulates_and_no_budget_gives_no_fraction(router: Router) -> None:
    caller = CallerContext(account_id="acct")
    first = router.request(100, caller)
    second = router.request(250, caller)
    assert (first[SPENT], second[SPENT]) == (100, 350)
    assert FRACTION not in second


def test_range_change_restarts_the_window(router: Router) -> None:
    router.request(500, rounds(10))
    assert router.request(100, rounds(10))[SPENT] == 600
    assert router.request(100, seconds(60))[SPENT] == 100


def test_session_and_account_scopes_are_separate_keys(router: Router) -> None:
    account = CallerContext(account_id="a", budget=1000, budget_scope="account")
    session = CallerContext(account_id="a", budget=1000, budget_scope="session")
    other = CallerContext(account_id="b", budget=1000, budget_scope="account")
    assert router.request(100, account)[SPENT] == 100
    assert router.request(30, session)[SPENT] == 30
    assert router.request(7, other)[SPENT] == 7
    assert router.request(1, account)[SPENT] == 101


def test_unpriced_or_anonymous_requests_are_not_tracked(
    router: Router, tracker: SpendTracker
) -> None:
    unpriced = router.request(100, rounds(3), model="no-price")
    assert SPENT not in unpriced and "llm_router.cost.usd" not in unpriced
    anonymous = router.request(100, CallerContext(budget=1000))
    assert SPENT not in anonymous
    assert len(tracker) == 0
    assert router.request(5, rounds(3))[SPENT] == 5  # the unpriced one was not a round


def test_zero_rounds_and_zero_seconds_hold_only_the_request(router: Router) -> None:
    assert [router.request(10, rounds(0))[SPENT] for _ in range(3)] == [10, 10, 10]
    assert [router.request(10, seconds(0))[SPENT] for _ in range(3)] == [10, 10, 10]


def test_spent_micro_usd_query(router: Router, tracker: SpendTracker, clock: Clock) -> None:
    caller = seconds(64)
    assert tracker.spent_micro_usd(caller) is None
    router.request(40, caller)
    assert tracker.spent_micro_usd(caller) == 40
    clock.now += 65
    assert tracker.spent_micro_usd(caller) == 0
    by_rounds = rounds(2, account="r")
    for cost in (1, 2, 4):
        router.request(cost, by_rounds)
    assert tracker.spent_micro_usd(by_rounds) == 6


# --------------------------------------------------------------------------------------------
# Crossing the budget


def _exceeded(metric_points: Callable[[str], list[Any]]) -> list[Any]:
    return metric_points(EXCEEDED)


def test_crossing_counts_once_then_again_after_sliding_back(
    router: Router, metric_points: Callable[[str], list[Any]]
) -> None:
    caller = rounds(3, budget=1000)
    flags = [router.request(c, caller).get(EXCEEDED) for c in (400, 600, 1, 1, 1, 1, 999, 1)]
    # 400, 1000 (exactly the budget: not over), 1001 (crosses), 602, 3, 3, 1001 (crosses), 1001
    assert flags == [None, None, True, None, None, None, True, None]
    (point,) = _exceeded(metric_points)
    assert point.value == 2
    assert point.attributes["llm_router.budget.scope"] == "account"
    assert point.attributes["llm_router.budget.range.type"] == "rounds"
    assert point.attributes["gen_ai.provider.name"] == "openai"
    assert "llm_router.account.id" not in point.attributes


def test_zero_budget_is_crossed_by_the_first_paid_request(
    router: Router, metric_points: Callable[[str], list[Any]]
) -> None:
    caller = CallerContext(account_id="z", budget=0, budget_scope="session")
    free = router.request(0, caller)
    assert EXCEEDED not in free and FRACTION not in free
    assert router.request(1, caller)[EXCEEDED] is True
    assert router.request(1, caller).get(EXCEEDED) is None
    (point,) = _exceeded(metric_points)
    assert point.value == 1 and point.attributes["llm_router.budget.scope"] == "session"
    assert "llm_router.budget.range.type" not in point.attributes


def test_fraction_goes_above_one_when_over(router: Router) -> None:
    caller = seconds(60, budget=200)
    assert router.request(300, caller)[FRACTION] == pytest.approx(1.5)


def test_exceeded_counter_has_the_account_only_with_opt_in(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
    clock: Clock,
) -> None:
    tracker = SpendTracker(clock=clock)
    opted = Router(tracer_provider, meter_provider, span_exporter, tracker, frozenset({"account"}))
    for account in ("a", "b", "a"):
        opted.request(2000, seconds(60, budget=1000, account=account))
    by_account = {p.attributes["llm_router.account.id"]: p.value for p in _exceeded(metric_points)}
    assert by_account == {"a": 1, "b": 1}
    by_account_cost = {
        p.attributes["llm_router.account.id"]: p.value for p in metric_points("llm_router.cost")
    }
    assert by_account_cost == {"a": pytest.approx(0.004), "b": pytest.approx(0.002)}


# --------------------------------------------------------------------------------------------
# Bounds


def test_lru_bound_with_100k_accounts_keeps_memory_flat() -> None:
    """100k distinct callers through a 1,000-account tracker: it never holds more than 1,000."""
    telemetry = GenAITelemetry(TracerProvider(sampler=ALWAYS_OFF), MeterProvider())
    tracker = SpendTracker(max_accounts=1000, clock=Clock())
    budget_range = BudgetRange.duration(3600)

    call = telemetry.start_call("chat", "openai", "unit")  # one open call takes every record

    def feed(start: int, stop: int) -> None:
        for i in range(start, stop):
            caller = CallerContext(account_id=f"acct-{i}", budget=10, budget_range=budget_range)
            tracker.record(call, caller, 0.000001)

    tracemalloc.start()
    try:
        feed(0, 2000)  # the table is full from here on
        gc.collect()
        full, _ = tracemalloc.get_traced_memory()
        feed(2000, 100_000)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tracker) == 1000
    assert tracker.evicted == 99_000
    # 98k more accounts seen; the tracked set stays 1,000, so memory stays where it was.
    assert after - full < 100_000, f"grew from {full} to {after} bytes"
    # Recently seen accounts are kept, long-unseen ones are gone.
    recent = CallerContext(account_id="acct-99999", budget_range=budget_range)
    assert tracker.spent_micro_usd(recent) == pytest.approx(1.0)
    assert tracker.spent_micro_usd(CallerContext(account_id="acct-5")) is None


def test_least_recently_seen_is_evicted_first(router: Router) -> None:
    tracker = SpendTracker(max_accounts=2)
    telemetry = GenAITelemetry(TracerProvider(sampler=ALWAYS_OFF), MeterProvider())

    def record(account: str) -> None:
        tracker.record(telemetry.start_call("chat", "openai", "unit"), CallerContext(account), 1e-6)

    record("a")
    record("b")
    record("a")  # a is now the most recent
    record("c")  # evicts b
    assert tracker.spent_micro_usd(CallerContext("a")) == pytest.approx(2.0)
    assert tracker.spent_micro_usd(CallerContext("b")) is None
    assert tracker.spent_micro_usd(CallerContext("c")) == pytest.approx(1.0)


def test_tracker_rejects_a_zero_bound() -> None:
    with pytest.raises(ValueError):
        SpendTracker(max_accounts=0)


def test_record_never_raises() -> None:
    tracker = SpendTracker()
    telemetry = GenAITelemetry(TracerProvider(sampler=ALWAYS_OFF), MeterProvider())
    call = telemetry.start_call("chat", "openai", "unit")
    tracker.record(call, CallerContext("a"), float("nan"))
    tracker.record(call, CallerContext("a"), -1.0)
    tracker.record(call, None, 1.0)
    tracker.record(None, CallerContext("a"), 1.0)  # type: ignore[arg-type]
    assert tracker.spent_micro_usd(CallerContext("a")) == pytest.approx(1_000_000.0)


# --------------------------------------------------------------------------------------------
# Opt-in from the environment


def test_spend_tracker_from_env(caplog: pytest.LogCaptureFixture) -> None:
    assert spend_tracker_from_env({}) is None
    assert spend_tracker_from_env({TRACK_SPEND_ENV: "false"}) is None
    tracker = spend_tracker_from_env({TRACK_SPEND_ENV: "true"})
    assert tracker is not None and tracker.max_accounts == 10_000
    tracker = spend_tracker_from_env({TRACK_SPEND_ENV: "on", TRACKED_ACCOUNTS_ENV: "50"})
    assert tracker is not None and tracker.max_accounts == 50
    with caplog.at_level("WARNING"):
        bad = spend_tracker_from_env({TRACK_SPEND_ENV: "true", TRACKED_ACCOUNTS_ENV: "-3"})
        assert bad is not None and bad.max_accounts == 10_000
        assert spend_tracker_from_env({TRACK_SPEND_ENV: "maybe"}) is None
    messages = [r.getMessage() for r in caplog.records]
    assert any(TRACKED_ACCOUNTS_ENV in m for m in messages)
    assert any(TRACK_SPEND_ENV in m for m in messages)


def test_observer_makes_a_tracker_only_when_the_environment_asks(
    monkeypatch: pytest.MonkeyPatch,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    settings = TelemetrySettings(cost=PRICES.cost)
    event = RequestSuccessEvent(
        RequestContext("r", "openai", "unit", CallerContext("a", budget=100)),
        LanguageModelUsage(InputTokens(total=50), OutputTokens(total=0)),
    )
    monkeypatch.delenv(TRACK_SPEND_ENV, raising=False)
    OTelObserver(tracer_provider, meter_provider, settings).record_success(event)
    monkeypatch.setenv(TRACK_SPEND_ENV, "true")
    OTelObserver(tracer_provider, meter_provider, settings).record_success(event)
    without, with_ = span_exporter.get_finished_spans()
    assert SPENT not in (without.attributes or {})
    assert with_.attributes[SPENT] == 50
    assert with_.attributes[FRACTION] == pytest.approx(0.5)


def test_call_attribute_values_through_genai_call(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    """The tracker only uses GenAICall's public hooks; the span gets exactly these values."""
    telemetry = GenAITelemetry(tracer_provider, meter_provider, TelemetrySettings(cost=PRICES.cost))
    tracker = SpendTracker(clock=Clock())
    caller = rounds(5, budget=400)
    for cost in (150, 150, 150):
        call = telemetry.start_call("chat", "openai", "unit", caller=caller)
        call.set_usage(TokenCounts(cost, 0))
        tracker.record(call, caller, call.price())
        call.end()
    spans = span_exporter.get_finished_spans()
    assert [s.attributes[SPENT] for s in spans] == [150, 300, 450]
    assert [s.attributes.get(EXCEEDED) for s in spans] == [None, None, True]
    assert spans[2].attributes["llm_router.budget.micro_usd"] == 400
    assert spans[2].attributes["llm_router.budget.range.count"] == 5


def test_concurrent_records_lose_nothing() -> None:
    import threading

    tracker = SpendTracker(max_accounts=10)
    telemetry = GenAITelemetry(TracerProvider(sampler=ALWAYS_OFF), MeterProvider())
    call = telemetry.start_call("chat", "openai", "unit")
    callers = [CallerContext("shared", budget_range=BudgetRange.rounds(10**6)), CallerContext("x")]

    def work() -> None:
        for i in range(5000):
            tracker.record(call, callers[i % 2], 1e-6)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.spent_micro_usd(callers[0]) == pytest.approx(10_000)
    assert tracker.spent_micro_usd(callers[1]) == pytest.approx(10_000)
