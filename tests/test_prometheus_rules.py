"""The Prometheus rules of examples/prometheus-rules.yaml: ``promtool`` unit tests, then end to
end with three replica processes scraped by a real Prometheus that evaluates the rules.

The replicas (tests/support/prometheus_replica.py) share their budgets through a real
``redis-server`` and serve their metrics with the OpenTelemetry Prometheus exporter. The test
computes each account's spend from the requests it hands them (one input token = one micro-USD)
and checks that the recorded fleet-wide spend equals it, that the one budget crossed is counted
once in the fleet, and that the over-budget alert fires for that account and no other.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List

import pytest

from tests.support.apps import EXAMPLES, REPO, free_port
from tests.support.prometheus import Prometheus
from tests.support.redis_server import RedisServer
from tests.support.system import require_program

RULES = EXAMPLES / "prometheus-rules.yaml"
RULE_TESTS = REPO / "tests" / "data" / "prometheus-rules-test.yaml"
ACCOUNTS = [
    {"id": "acct-over", "budget": 40_000},  # crossed by the traffic below
    {"id": "acct-rich", "budget": 10**12},
    {"id": "acct-none", "budget": None},
]
REPLICAS = 3


def test_promtool_checks_and_unit_tests_pass() -> None:
    promtool = require_program("promtool", "prometheus")
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def _plan(seed: int) -> List[List[Any]]:
    rng = random.Random(seed)
    return [
        [rng.randrange(len(ACCOUNTS)), rng.randint(1, 3000), "rate_limit_exceeded" if rng.random() < 0.1 else None]
        for _ in range(60)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("rules")
    redis = RedisServer(workdir)
    redis.start()
    stop = workdir / "stop"
    plans = [_plan(n) for n in range(REPLICAS)]
    ports = [free_port() for _ in range(REPLICAS)]
    replicas = []
    prometheus = Prometheus(workdir, [f"127.0.0.1:{port}" for port in ports], [RULES])
    try:
        prometheus.wait_ready()
        for n, (plan, port) in enumerate(zip(plans, ports)):
            spec = {
                "port": port,
                "redis": redis.url,
                "accounts": ACCOUNTS,
                "requests": plan,
                "pause": 2.5,
                "done_file": str(workdir / f"done-{n}"),
                "go_file": str(workdir / "go"),
                "stop_file": str(stop),
            }
            (workdir / f"spec-{n}.json").write_text(json.dumps(spec))
            replicas.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.support.prometheus_replica", str(workdir / f"spec-{n}.json")],
                    cwd=REPO,
                )
            )  # fmt: skip
        prometheus.wait_for(f'count(up{{job="llm-router"}} == 1) == {REPLICAS}', timeout=60)
        (workdir / "go").touch()
        deadline = time.monotonic() + 120
        while not all((workdir / f"done-{n}").exists() for n in range(REPLICAS)):
            assert all(r.poll() is None for r in replicas), "a replica exited"
            assert time.monotonic() < deadline, "the replicas did not finish"
            time.sleep(0.1)
        yield {"prometheus": prometheus, "plans": plans}
    finally:
        stop.touch()
        for replica in replicas:
            try:
                replica.wait(20)
            except subprocess.TimeoutExpired:
                replica.kill()
        prometheus.stop()
        redis.kill()


def _expected_usd(plans: List[List[List[Any]]]) -> Dict[str, float]:
    micro: Dict[str, int] = {account["id"]: 0 for account in ACCOUNTS}
    for plan in plans:
        for account, tokens, error in plan:
            if error is None:
                micro[ACCOUNTS[account]["id"]] += tokens
    return {account: value / 1e6 for account, value in micro.items()}


def _wait(check: Any, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_recorded_fleet_spend_equals_the_computed_sum(fleet: Dict[str, Any]) -> None:
    prometheus: Prometheus = fleet["prometheus"]
    expected = _expected_usd(fleet["plans"])
    assert expected["acct-over"] * 1e6 > ACCOUNTS[0]["budget"]  # the plan does cross it

    def check() -> None:
        result = prometheus.query("llm_router_account:llm_router_cost_USD:sum")
        recorded = {s["metric"]["llm_router_account_id"]: float(s["value"][1]) for s in result}
        assert set(recorded) == set(expected)
        for account, usd in expected.items():
            assert abs(recorded[account] - usd) < 0.5e-6, (account, recorded[account], usd)

    _wait(check)
    # Every replica contributed (the sum is over three instances).
    instances = prometheus.query("count(count by (instance) (llm_router_cost_USD_total))")
    assert float(instances[0]["value"][1]) == REPLICAS


def test_the_crossing_is_counted_once_and_alerts_for_that_account(fleet: Dict[str, Any]) -> None:
    prometheus: Prometheus = fleet["prometheus"]

    def firing() -> List[Dict[str, Any]]:
        alerts = [
            alert
            for alert in prometheus.alerts()
            if alert["labels"]["alertname"] == "LLMRouterAccountOverBudget"
        ]
        assert alerts and all(alert["state"] == "firing" for alert in alerts), alerts
        return alerts

    alerts = _wait(firing)
    assert [alert["labels"]["llm_router_account_id"] for alert in alerts] == ["acct-over"]
    assert float(alerts[0]["value"]) == 1
    crossings = prometheus.query(
        "sum by (llm_router_account_id) (llm_router_budget_exceeded_total)"
    )
    assert {s["metric"]["llm_router_account_id"]: s["value"][1] for s in crossings} == {
        "acct-over": "1"
    }


def test_error_ratio_is_recorded_by_provider_and_error_type(fleet: Dict[str, Any]) -> None:
    prometheus: Prometheus = fleet["prometheus"]
    name = "llm_router_provider_error_type:gen_ai_client_operation_error_ratio:rate5m"

    def check() -> None:
        result = prometheus.query(name)
        assert [s["metric"]["error_type"] for s in result] == ["rate_limit_exceeded"]
        assert 0 < float(result[0]["value"][1]) < 1

    _wait(check)
