"""The Redis spend store against a real ``redis-server``: the same windows as the in-process
store, bounded keys, and what happens when Redis is down, slow or flapping.

The fleet-wide test with several processes is tests/test_fleet_budgets.py.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from typing import Any, Optional

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import BudgetRange, CallerContext
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router._spend import (
    SPEND_STORE_ENV,
    TRACK_SPEND_ENV,
    SpendTracker,
    spend_tracker_from_env,
)
from opentelemetry.instrumentation.llm_router._spend_local import InProcessSpendStore
from opentelemetry.instrumentation.llm_router._spend_redis import (
    DEFAULT_TIMEOUT,
    RedisSpendStore,
    connect,
)
from tests.conftest import points_by_name
from tests.support.redis_server import RedisServer

STORE = "llm_router.budget.store"
SPENT = "llm_router.budget.spent.micro_usd"
FALLBACKS = "llm_router.budget.store.fallbacks"
LOGGER = "opentelemetry.instrumentation.llm_router._spend"


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def _prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


RANGES: list[Optional[BudgetRange]] = [
    None,
    BudgetRange.rounds(0),
    BudgetRange.rounds(1),
    BudgetRange.rounds(3),
    BudgetRange.rounds(64),
    BudgetRange.rounds(65),
    BudgetRange.rounds(1000),
    BudgetRange.duration(0),
    BudgetRange.duration(1),
    BudgetRange.duration(64),
    BudgetRange.duration(100),
    BudgetRange.duration(3600),
]


@pytest.mark.parametrize("seed", range(4))
def test_redis_windows_equal_the_in_process_windows(redis_server: RedisServer, seed: int) -> None:
    """Generated sequences of records (callers, every kind of range, range changes, clock
    jumps) give the same before/after figures and reads from both stores."""
    rng = random.Random(seed)
    clock = Clock()
    local = InProcessSpendStore(clock=clock)
    shared = RedisSpendStore(connect(redis_server.url, 5.0), clock=clock, prefix=_prefix())
    callers = [("account", f"a{i}") for i in range(4)]
    ranges = {caller: rng.choice(RANGES) for caller in callers}
    for step in range(600):
        caller = rng.choice(callers)
        if rng.random() < 0.02:  # the router changed the caller's range: the window restarts
            ranges[caller] = rng.choice(RANGES)
        clock.now += rng.choice([0.0, 0.01, 0.3, 1.7, 12.5, 70.0, 900.0])
        amount = rng.choice([0.0, 1.0, 7.0, 123.0, 4750.0, 0.25, rng.uniform(0, 10_000)])
        expected = local.add(caller, ranges[caller], amount)
        got = shared.add(caller, ranges[caller], amount)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), (step, ranges[caller])
        other = rng.choice(callers)
        expected_read = local.spent(other)
        if expected_read is None:  # not seen yet
            assert shared.spent(other) is None
        else:
            assert shared.spent(other) == pytest.approx(expected_read, rel=1e-9, abs=1e-6)
    assert shared.spent(("account", "never")) is None


def test_keys_expire_with_their_window(redis_server: RedisServer) -> None:
    """Duration windows expire after their own length, the others after ``idle_ttl``: Redis
    memory does not grow with callers that stopped calling."""
    client = connect(redis_server.url, 5.0)
    prefix = _prefix()
    store = RedisSpendStore(client, prefix=prefix, idle_ttl=0.3)
    store.add(("account", "hour"), BudgetRange.duration(3600), 5.0)
    store.add(("account", "rounds"), BudgetRange.rounds(10), 5.0)
    store.add(("account", "total"), None, 5.0)
    hour = client.pttl(prefix + '["account","hour"]')
    assert 3_600_000 < hour <= 3_601_000
    assert 0 < client.pttl(prefix + '["account","rounds"]') <= 300
    time.sleep(0.6)  # the real server expires them
    assert sorted(client.keys(prefix + "*")) == [prefix + '["account","hour"]']


def test_keys_cannot_collide() -> None:
    from opentelemetry.instrumentation.llm_router._spend_redis import redis_key

    keys = [("account", "a:b"), ("account:a", "b"), ("account", 'a","b'), ("session", "a:b")]
    assert len({redis_key("p:", key) for key in keys}) == len(keys)


# --------------------------------------------------------------------------------------------
# Faults


class Recorder:
    """A tracker on a Redis store plus a real SDK pipeline to read spans and the counter."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, retry_after: float = 0.2):
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.telemetry = GenAITelemetry(provider, MeterProvider(metric_readers=[self.reader]))
        self.store = RedisSpendStore(connect(url, timeout), prefix=_prefix())
        self.tracker = SpendTracker(store=self.store, retry_after=retry_after)
        self.caller = CallerContext("acct", budget=10**9)

    def record(self) -> tuple[dict[str, Any], float]:
        """One record of 1 micro-USD: the span's attributes and how long the record took."""
        call = self.telemetry.start_call("chat", "openai", "m", caller=self.caller)
        started = time.perf_counter()
        self.tracker.record(call, self.caller, 1e-6)
        took = time.perf_counter() - started
        call.end()
        return dict(self.exporter.get_finished_spans()[-1].attributes or {}), took

    def fallbacks_counted(self) -> int:
        points = points_by_name(self.reader.get_metrics_data(), FALLBACKS)
        return int(sum(point.value for point in points))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelname == "WARNING"]


def test_redis_down_then_back(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Down: every record is made in process at once, the span says so, the counter counts
    it, one WARNING. Back: the next probe finds it and records are shared again."""
    server = RedisServer(tmp_path)
    server.start()
    recorder = Recorder(server.url, timeout=2.0)  # refused connections fail at once anyway
    try:
        attributes, _ = recorder.record()
        assert attributes[STORE] == "redis"
        server.kill()
        with caplog.at_level(logging.INFO, logger=LOGGER):
            down = [recorder.record() for _ in range(50)]
            assert all(attributes[STORE] == "process" for attributes, _ in down)
            # Connection refused is immediate; nothing waits for the timeout here.
            assert max(took for _, took in down) < 1.0  # the timeout here is 2 s
            assert recorder.tracker.fallbacks == 50 == recorder.fallbacks_counted()
            assert len(_warnings(caplog)) == 1
            assert recorder.tracker.outages == 1
            server.start()
            time.sleep(0.3)  # past retry_after
            attributes, _ = recorder.record()
        assert attributes[STORE] == "redis"
        # The restarted Redis kept nothing (no persistence): the shared window starts again.
        assert attributes[SPENT] == 1
        assert any("answers again" in r.getMessage() for r in caplog.records)
        assert recorder.tracker.fallbacks == 50
    finally:
        server.kill()


def test_slow_redis_is_waited_for_at_most_the_timeout(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis busy for 1.5 s (DEBUG SLEEP on the real server): records during it wait at most
    the timeout, then go in process; once it answers, they are shared again."""
    recorder = Recorder(redis_server.url, timeout=0.25, retry_after=0.1)
    assert recorder.record()[0][STORE] == "redis"
    sleeper = threading.Thread(
        target=lambda: connect(redis_server.url, 5.0).execute_command("DEBUG", "SLEEP", "1.5")
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        sleeper.start()
        time.sleep(0.2)  # the server is now asleep
        slow = [recorder.record() for _ in range(5)]
        sleeper.join()
    assert [attributes[STORE] for attributes, _ in slow] == ["process"] * 5
    # The first waits for the timeout (0.25 s); the next ones skip Redis until retry_after.
    # Slack for a loaded machine, well under the 1.5 s the server sleeps.
    assert max(took for _, took in slow) < 1.2
    assert len(_warnings(caplog)) == 1
    assert "TimeoutError" in _warnings(caplog)[0]
    time.sleep(0.15)
    assert recorder.record()[0][STORE] == "redis"
    assert recorder.tracker.fallbacks == 5


def test_flapping_redis_never_fails_a_record(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Killed and restarted five times under four recording threads: no record raises or is
    lost (each is in Redis or in process), one WARNING per outage."""
    server = RedisServer(tmp_path)
    server.start()
    # A generous timeout: only the kills (refused connections, immediate) make outages here.
    recorder = Recorder(server.url, timeout=2.0, retry_after=0.05)
    results: list[tuple[dict[str, Any], float]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            result = recorder.record()
            with lock:
                results.append(result)
            time.sleep(0.002)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(5):
                time.sleep(0.15)
                server.kill()
                time.sleep(0.15)
                server.start()
            time.sleep(0.3)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            server.kill()
    stores = [attributes[STORE] for attributes, _ in results]
    assert set(stores) == {"redis", "process"}
    assert stores.count("process") == recorder.tracker.fallbacks == recorder.fallbacks_counted()
    assert 1 <= recorder.tracker.outages <= 5
    assert len(_warnings(caplog)) == recorder.tracker.outages
    assert all(SPENT in attributes for attributes, _ in results)


def test_a_bad_store_setting_never_stops_the_router(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tracker = SpendTracker(store="http://user:secret@example.invalid/")
    assert isinstance(tracker.store, InProcessSpendStore)
    assert "secret" not in caplog.text
    assert "not a redis://" in caplog.text


def test_the_environment_names_the_store(redis_server: RedisServer) -> None:
    tracker = spend_tracker_from_env({SPEND_STORE_ENV: redis_server.url})
    assert tracker is not None and isinstance(tracker.store, RedisSpendStore)
    assert (
        spend_tracker_from_env({SPEND_STORE_ENV: redis_server.url, TRACK_SPEND_ENV: "false"})
        is None
    )
    assert isinstance(spend_tracker_from_env({TRACK_SPEND_ENV: "true"}).store, InProcessSpendStore)  # type: ignore[union-attr]


def test_a_killed_test_process_takes_its_redis_with_it(tmp_path: Any) -> None:
    """The servers tests start die with the test process, even when it is killed (SIGKILL):
    an interrupted run leaves no redis-server behind."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import sys, time; from pathlib import Path; "
        "from tests.support.redis_server import RedisServer; "
        "server = RedisServer(Path(sys.argv[1])); server.start(); "
        "print(server.process.pid, flush=True); time.sleep(60)"
    )
    from tests.support.apps import REPO

    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(child, 0)  # running
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # A zombie until someone reaps it counts as gone: it serves nothing.
        try:
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    break
        except FileNotFoundError:
            break
        assert time.monotonic() < deadline, "redis-server outlived the killed test process"
        time.sleep(0.05)
