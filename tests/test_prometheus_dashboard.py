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
import sys
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from examples.fake_provider import FakeProvider
from examples.router_app import traffic
from tests.support.apps import EXAMPLES, RouterProcess, clean_env, free_port
from tests.support.prometheus import Prometheus

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


def _datasources(node: Any, where: str = "dashboard") -> Iterator[Tuple[str, Any]]:
    """Every ``datasource`` reference in the dashboard JSON, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield where, value
            else:
                title = node.get("title") or node.get("name") or node.get("refId") or ""
                yield from _datasources(value, f"{where} / {title}".rstrip(" /"))
    elif isinstance(node, list):
        for item in node:
            yield from _datasources(item, where)


def test_every_datasource_is_the_template_variable() -> None:
    """No hard-coded data source uid: every panel, query and variable reads ``${datasource}``, a
    variable of type ``datasource`` listing the Prometheus data sources, so the dashboard
    imports into any Grafana (its default Prometheus is picked, or the one chosen on import)."""
    dashboard = _dashboard()
    (variable,) = [v for v in _variables() if v["name"] == "datasource"]
    assert variable["type"] == "datasource" and variable["query"] == "prometheus"
    references = list(_datasources(dashboard))
    assert len(references) > 20
    for where, reference in references:
        assert reference == {"type": "prometheus", "uid": "${datasource}"}, where
    for panel in _panels(dashboard["panels"]):
        if panel.get("type") == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
    # The provisioned (compose) data source is the default Prometheus, which the variable picks.
    provisioned = (
        EXAMPLES / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    ).read_text()
    assert "type: prometheus" in provisioned and "isDefault: true" in provisioned


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
