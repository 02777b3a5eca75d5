"""The Grafana dashboard against a real Prometheus: every PromQL expression in
``examples/grafana/dashboards/llm-router.json`` must return data.

The router example runs under ``opentelemetry-instrument`` with ``OTEL_METRICS_EXPORTER=prometheus``
(the ``opentelemetry-exporter-prometheus`` reader, zero code), the real ``prometheus`` server
scrapes it every second, and the test runs each panel's ``expr`` (and each template variable's
``label_values`` query) through Prometheus's HTTP API. New panels are picked up automatically, so
the dashboard and the metric names cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import httpx
import pytest

from examples.fake_provider import FakeProvider
from examples.router_app import traffic
from tests.support.apps import EXAMPLES, RouterProcess, clean_env, free_port
from tests.support.system import require_program

DASHBOARD = EXAMPLES / "grafana" / "dashboards" / "llm-router.json"
PRICING = EXAMPLES / "pricing.json"

# What Grafana puts in for its built-in variables when the dashboard runs.
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "10m"}


def _dashboard() -> Dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def _panels(panels: List[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_exprs() -> List[Tuple[str, str]]:
    """(panel title / refId, expr) for every query target of every panel, rows included."""
    return [
        (f"{panel.get('title')} / {target.get('refId')}", target["expr"])
        for panel in _panels(_dashboard()["panels"])
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def _variables() -> List[Dict[str, Any]]:
    return list(_dashboard().get("templating", {}).get("list", []))


def substitutions() -> List[Dict[str, str]]:
    """Every combination of custom-variable options, with query variables set to their "All"."""
    combos: List[Dict[str, str]] = [dict(BUILTINS)]
    for variable in _variables():
        name = variable["name"]
        if variable.get("type") == "custom":
            values = [option["value"] for option in variable.get("options", [])]
            assert values, f"custom variable {name} has no options"
            combos = [{**combo, name: value} for combo in combos for value in values]
        else:
            value = variable.get("allValue") or ".*"
            combos = [{**combo, name: value} for combo in combos]
    return combos


def substitute(expr: str, values: Dict[str, str]) -> str:
    used = set(re.findall(r"\$\{?(\w+)", expr))
    assert used <= set(values), f"unknown Grafana variables {used - set(values)} in {expr!r}"
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return expr


# -- the running system --------------------------------------------------------------------------


class Prometheus:
    def __init__(self, workdir: Path, target: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: llm-router\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        self._proc = subprocess.Popen(
            [
                require_program("prometheus", "prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {self._proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("prometheus not ready")

    def query(self, expr: str) -> List[Dict[str, Any]]:
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert reply["status"] == "success", f"{expr}: {reply}"
        return list(reply["data"]["result"])

    def label_values(self, label: str, match: str) -> List[str]:
        reply = httpx.get(
            f"{self.url}/api/v1/label/{label}/values", params={"match[]": match}, timeout=10
        ).json()
        assert reply["status"] == "success", f"{label} {match}: {reply}"
        return list(reply["data"])

    def wait_for(self, expr: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query(expr):
                return
            time.sleep(0.25)
        raise AssertionError(f"no data for {expr} within {timeout}s")

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    metrics_port = free_port()
    with (
        FakeProvider(first_chunk_delay_s=0.02) as openai_side,
        FakeProvider(first_chunk_delay_s=0.02) as anthropic_side,
    ):
        env = clean_env(
            {
                "OTEL_SERVICE_NAME": "llm-router-example",
                "OTEL_TRACES_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_METRICS_EXPORTER": "prometheus",
                "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
                "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port),
                "ROUTER_OPENAI_BASE_URL": openai_side.openai_base_url,
                "ROUTER_ANTHROPIC_BASE_URL": anthropic_side.base_url,
                "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": (
                    f"127.0.0.1:{openai_side.port}=openai,127.0.0.1:{anthropic_side.port}=anthropic"
                ),
            }
        )
        if PRICING.exists():  # spend panels (llm_router.cost) need prices
            env["OTEL_PYTHON_LLM_ROUTER_PRICING_FILE"] = str(PRICING)
        # Account panels: the account id on metrics (opt-in), spend tracked against budgets, and
        # a budget small enough that the traffic below crosses it.
        env["OTEL_PYTHON_LLM_ROUTER_METRIC_ATTRIBUTES"] = "account"
        env["OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND"] = "true"
        env["ROUTER_BUDGETS"] = "acct-1=5/3600s,acct-2=5/2r"
        with RouterProcess(env) as router:
            server = Prometheus(tmp_path_factory.mktemp("prometheus"), f"127.0.0.1:{metrics_port}")
            try:
                server.wait_ready()
                # Two rounds of traffic with scrapes in between, so rate() and increase() see
                # every series grow rather than appear.
                server.wait_for('up{job="llm-router"} == 1')
                for _ in range(2):
                    statuses = traffic.run(router.url, requests=len(traffic.MIX), interval=0)
                    assert sorted(set(statuses)) == [200, 404, 429, 529]
                    server.wait_for("gen_ai_client_operation_duration_seconds_count")
                    time.sleep(2.5)
                yield server
            finally:
                server.stop()


# -- the checks ----------------------------------------------------------------------------------


def test_dashboard_has_the_panels_the_issue_asks_for() -> None:
    titles = " | ".join(title for title, _ in dashboard_exprs()).lower()
    for wanted in ("requests", "error rate", "p95", "time to first chunk", "tokens", "top models"):
        assert wanted in titles, wanted
    exprs = " ".join(expr for _, expr in dashboard_exprs())
    assert "histogram_quantile" in exprs
    assert "gen_ai_client_operation_duration_seconds_bucket" in exprs


@pytest.mark.parametrize("title, expr", dashboard_exprs(), ids=[t for t, _ in dashboard_exprs()])
def test_every_dashboard_expr_returns_data(prometheus: Prometheus, title: str, expr: str) -> None:
    for values in substitutions():
        query = substitute(expr, values)
        result = prometheus.query(query)
        assert result, f"{title}: no data for {query}"
        numbers = [float(sample["value"][1]) for sample in result]
        assert any(math.isfinite(n) for n in numbers), f"{title}: only NaN/Inf for {query}"


def test_template_variables_list_providers_and_models(prometheus: Prometheus) -> None:
    pattern = re.compile(r"label_values\((.+),\s*(\w+)\)\s*$")
    checked = 0
    for variable in _variables():
        if variable.get("type") != "query":
            continue
        query = (
            variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        )
        found = pattern.match(query)
        assert found, f"variable {variable['name']}: unsupported query {query!r}"
        match = substitute(found.group(1), {"provider": ".*", "model": ".*"})
        values = prometheus.label_values(found.group(2), match)
        assert values, f"variable {variable['name']} lists nothing"
        checked += 1
        if variable["name"] == "provider":
            assert {"openai", "anthropic"} <= set(values)
        if variable["name"] == "model":
            assert {"gpt-4o-mini", "claude-sonnet-4-5"} <= set(values)
    assert checked >= 2


def test_panels_use_the_provisioned_prometheus_datasource() -> None:
    provisioned = (
        EXAMPLES / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    ).read_text()
    for panel in _panels(_dashboard()["panels"]):
        if panel.get("type") == "row":
            continue
        uid = panel["datasource"]["uid"]
        assert f"uid: {uid}" in provisioned, f"{panel['title']}: datasource {uid} not provisioned"


def test_spend_comes_from_the_price_file_and_the_database(prometheus: Prometheus) -> None:
    """With examples/pricing.json (gpt-4o-mini at a negotiated rate) and genai-prices installed,
    the example's spend is priced by both: the file for its entry, the database for the rest,
    and the counter says which data priced it."""
    if sys.version_info < (3, 11):
        pytest.skip("genai-prices (the 'prices' extra) needs Python >= 3.11")
    result = prometheus.query(
        "sum by (llm_router_cost_source, llm_router_cost_prices, gen_ai_request_model)"
        " (llm_router_cost_USD_total)"
    )
    by_source: Dict[str, set] = {}
    for sample in result:
        labels = sample["metric"]
        by_source.setdefault(labels["llm_router_cost_source"], set()).add(
            (labels["gen_ai_request_model"], labels.get("llm_router_cost_prices", ""))
        )
    assert {model for model, _ in by_source["file"]} == {"gpt-4o-mini"}
    assert {prices for _, prices in by_source["file"]} == {"2026-11-29"}
    database_models = {model for model, _ in by_source["genai-prices"]}
    assert {"claude-sonnet-4-5", "gpt-4o"} <= database_models
    assert all(prices.startswith("genai-prices ") for _, prices in by_source["genai-prices"])
