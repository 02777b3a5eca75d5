"""Budgets shared by a fleet: four real processes of eight threads each record to one real
``redis-server``; the fleet-wide figures are checked against sums computed here.

Every span of every replica is read back. Per account, ordering its spans by the spend they
show must give a chain in which each request's figure is the one before plus its own price (no
update lost, none applied twice), ending at the sum of every price the replicas sent; and
exactly one request in the whole fleet is marked and counted as the crossing of each budget
that was crossed. Then Redis is killed and restarted mid-run (tests/support/redis_server.py:
no persistence, so it comes back empty) and the documented behaviour is checked: no record
fails, records made during the outage say ``llm_router.budget.store=process``, each replica
warns once per outage, and after the restart Redis holds exactly what was recorded to it since.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.llm_router._spend_redis import RedisSpendStore, connect
from tests.support.apps import REPO
from tests.support.redis_server import RedisServer

PROCESSES = 4
THREADS = 8
# The shared windows: two without range, one of an hour (the server's clock; nothing leaves it
# during the test), a session-scoped one, and a budget of 0 (crossed by the first request).
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "acct-0", "scope": "account", "budget": 60_000, "range": None},
    {"id": "acct-1", "scope": "account", "budget": 10**12, "range": None},
    {"id": "acct-2", "scope": "account", "budget": 90_000, "range": {"type": "duration", "seconds": 3600}},
    {"id": "sess-3", "scope": "session", "budget": 120_000, "range": None},
    {"id": "acct-4", "scope": "account", "budget": 0, "range": {"type": "duration", "seconds": 3600}},
]  # fmt: skip


def _run_fleet(tmp_path: Path, spec: dict[str, Any]) -> list[subprocess.Popen[bytes]]:
    workers = []
    for n in range(PROCESSES):
        spec_path = tmp_path / f"spec-{n}.json"
        spec_path.write_text(json.dumps({**spec, "seed": n}))
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.fleet_worker", str(spec_path), str(tmp_path / f"out-{n}.json")],
                cwd=REPO,
            )
        )  # fmt: skip
    return workers


def _results(tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> list[dict[str, Any]]:
    for worker in workers:
        assert worker.wait(240) == 0
    results = [json.loads((tmp_path / f"out-{n}.json").read_text()) for n in range(PROCESSES)]
    for result in results:
        # The spans carry exactly the requests the replica sent (the prices computed here).
        sent = sorted((r["account"], r["tokens"]) for r in result["records"])
        assert sorted((s["account_id"], s["tokens"]) for s in result["spans"]) == sent
    return results


def _chain(spans: list[dict[str, Any]]) -> None:
    """Ordered by the figure they show, each span's figure is the previous one plus its price."""
    previous = 0
    for span in sorted(spans, key=lambda s: s["spent"]):
        assert span["spent"] == previous + span["tokens"], "an update was lost or applied twice"
        previous = span["spent"]


def test_fleet_spend_is_exact_and_each_crossing_counted_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    url = f"{redis_server.url}?socket_timeout=5&socket_connect_timeout=5"
    spec = {"url": url, "threads": THREADS, "accounts": ACCOUNTS, "per_thread": 25}
    # The replicas use the store's default prefix; start from an empty database.
    client = connect(redis_server.url, 5.0)
    client.flushdb()
    results = _results(tmp_path, _run_fleet(tmp_path, spec))
    spans = [span for result in results for span in result["spans"]]
    assert len(spans) == PROCESSES * THREADS * 25 == 800
    assert {span["store"] for span in spans} == {"redis"}
    assert sum(result["fallbacks"] for result in results) == 0
    crossings = 0
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_account[span["account_id"]].append(span)
    for account in ACCOUNTS:
        mine = by_account[account["id"]]
        total = sum(span["tokens"] for span in mine)  # the sum computed here, in micro-USD
        assert len(mine) > 100
        _chain(mine)
        assert max(span["spent"] for span in mine) == total
        marked = [span for span in mine if span["exceeded"]]
        if total > account["budget"]:
            crossings += 1
            (crossing,) = marked  # exactly one in the whole fleet
            assert crossing["spent"] - crossing["tokens"] <= account["budget"] < crossing["spent"]
        else:
            assert marked == []
    assert crossings == 4  # every budget but acct-1's
    assert sum(result["exceeded"] for result in results) == crossings
    store = RedisSpendStore(client)
    for account in ACCOUNTS:
        total = sum(span["tokens"] for span in by_account[account["id"]])
        assert store.spent((account["scope"], account["id"])) == total


def test_redis_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    client = connect(server.url, 5.0)

    def recorded() -> int:
        try:
            return sum(int(client.hget(key, "n") or 0) for key in client.keys("llm_router:spend:*"))
        except Exception:
            return 0

    def wait_for(requests: int) -> None:
        deadline = time.monotonic() + 120
        while recorded() < requests:
            assert time.monotonic() < deadline, "the replicas recorded nothing"
            time.sleep(0.05)

    stop = tmp_path / "stop"
    url = f"{server.url}?socket_timeout=5&socket_connect_timeout=5"
    spec = {
        "url": url,
        "threads": THREADS,
        "accounts": ACCOUNTS,
        "stop_file": str(stop),
        "pause": 0.01,
    }
    workers = _run_fleet(tmp_path, spec)
    try:
        wait_for(200)
        killed_at = time.time()
        server.kill()
        time.sleep(1.0)  # every replica meets the dead Redis
        server.start()
        wait_for(200)
        stop.touch()
        results = _results(tmp_path, workers)
        store = RedisSpendStore(client)
        held = {a["id"]: store.spent((a["scope"], a["id"])) for a in ACCOUNTS}
    finally:
        stop.touch()
        server.kill()
    spans = [span for result in results for span in result["spans"]]
    stores = Counter(span["store"] for span in spans)
    # No record failed: every request has its figure, from Redis or from its own process.
    assert set(stores) == {"redis", "process"} and sum(stores.values()) == len(spans)
    assert all(span["spent"] is not None for span in spans)
    for result in results:
        assert result["outages"] >= 1
        assert result["warnings"] == result["outages"]  # one WARNING per outage
        assert result["fallbacks"] == result["fallbacks_counted"] > 0
        # Connection refused is immediate: nothing waited for the 5 s timeout (the bound leaves
        # room for a loaded machine's scheduling, not for the timeout).
        assert max(record["took"] for record in result["records"]) < 2.5
    # The restarted Redis holds exactly what was recorded to it after the kill (it came back
    # empty), and those records form one chain again; the outage's spend is not in it.
    for account in ACCOUNTS:
        since = [
            s
            for s in spans
            if s["account_id"] == account["id"] and s["store"] == "redis" and s["start"] > killed_at
        ]
        assert since, account
        _chain(since)
        assert held[account["id"]] == sum(s["tokens"] for s in since)
