"""Static checks of the viewing stack: collector config, docker compose, Prometheus and Grafana
provisioning agree with each other. No container engine runs here, so these files cannot be
started in a test; what can be checked is that every name and port one file uses is one another
file defines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _load(path: Path) -> Dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


@pytest.fixture(scope="module")
def collector() -> Dict[str, Any]:
    return _load(REPO / "collector-config.yaml")


@pytest.fixture(scope="module")
def compose() -> Dict[str, Any]:
    return _load(EXAMPLES / "docker-compose.yaml")


def _host_port(endpoint: str) -> Tuple[str, int]:
    if "://" not in endpoint:
        endpoint = "//" + endpoint
    parts = urlsplit(endpoint)
    assert parts.hostname and parts.port, f"no host:port in {endpoint!r}"
    return parts.hostname, parts.port


def _mounts(service: Dict[str, Any]) -> Dict[str, str]:
    """Bind mounts as container path -> host path (``host:container[:mode]``)."""
    return {str(v).split(":")[1]: str(v).split(":")[0] for v in service.get("volumes", [])}


def _container_ports(service: Dict[str, Any]) -> List[int]:
    return [int(str(mapping).split(":")[-1].split("/")[0]) for mapping in service.get("ports", [])]


def test_every_component_a_pipeline_names_is_defined(collector: Dict[str, Any]) -> None:
    service = collector["service"]
    for extension in service.get("extensions", []):
        assert extension in collector.get("extensions", {}), extension
    pipelines = service["pipelines"]
    assert {"traces", "metrics"} <= set(pipelines)
    for name, pipeline in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in (collector.get(kind) or {}), f"{name}: {kind} {component}"
        assert pipeline["receivers"] and pipeline["exporters"], name
        # memory_limiter first, batch last: the order the collector documentation asks for.
        assert pipeline["processors"][0] == "memory_limiter", name
        assert pipeline["processors"][-1] == "batch", name
    assert pipelines["traces"]["exporters"] == ["otlp/jaeger"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    # Nothing defined and left unused (a typo in a pipeline would show up here too).
    used = {c for p in pipelines.values() for k in p.values() for c in k}
    for kind in ("receivers", "processors", "exporters"):
        assert set(collector[kind]) <= used, f"unused {kind}: {set(collector[kind]) - used}"


def test_otlp_receiver_ports_and_health_check(collector: Dict[str, Any]) -> None:
    protocols = collector["receivers"]["otlp"]["protocols"]
    assert _host_port(protocols["grpc"]["endpoint"]) == ("0.0.0.0", 4317)
    assert _host_port(protocols["http"]["endpoint"]) == ("0.0.0.0", 4318)
    assert _host_port(collector["extensions"]["health_check"]["endpoint"])[1] == 13133


def test_compose_mounts_the_collector_config(compose: Dict[str, Any]) -> None:
    service = compose["services"]["otel-collector"]
    assert "contrib" in service["image"]
    config_arg = next(a for a in service["command"] if a.startswith("--config="))
    target = config_arg.split("=", 1)[1]
    assert (EXAMPLES / _mounts(service)[target]).resolve() == REPO / "collector-config.yaml"
    exposed = _container_ports(service)
    assert {4317, 4318, 8889, 13133} <= set(exposed)


def test_every_bind_mount_source_exists(compose: Dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (EXAMPLES / source).exists(), f"{name}: {source} does not exist"
        build = service.get("build")
        if build:
            context = EXAMPLES / build["context"]
            assert (context / build["dockerfile"]).is_file(), f"{name}: no Dockerfile"


def test_traces_go_to_the_jaeger_service(
    collector: Dict[str, Any], compose: Dict[str, Any]
) -> None:
    host, port = _host_port(collector["exporters"]["otlp/jaeger"]["endpoint"])
    assert host in compose["services"], f"{host} is not a compose service"
    jaeger = compose["services"][host]
    assert str(jaeger["environment"]["COLLECTOR_OTLP_ENABLED"]).lower() == "true"
    assert port == 4317  # Jaeger's OTLP gRPC port


def test_prometheus_scrapes_the_collector_exporter(
    collector: Dict[str, Any], compose: Dict[str, Any]
) -> None:
    exporter_port = _host_port(collector["exporters"]["prometheus"]["endpoint"])[1]
    prometheus = compose["services"]["prometheus"]
    mounted = [v for v in prometheus["volumes"] if "prometheus.yml" in v]
    assert mounted, "prometheus.yml is not mounted"
    scrape = _load(EXAMPLES / "prometheus.yml")
    targets = [
        t for job in scrape["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    ]
    assert targets == [f"otel-collector:{exporter_port}"]
    assert "otel-collector" in compose["services"]
    # The project's rules (examples/prometheus-rules.yaml) are mounted where rule_files says.
    mounts = _mounts(prometheus)
    for rule_file in scrape["rule_files"]:
        target = f"/etc/prometheus/{rule_file}"
        assert target in mounts, f"{rule_file} is not mounted"
        assert (EXAMPLES / mounts[target]).resolve() == EXAMPLES / "prometheus-rules.yaml"


def test_grafana_datasources_point_at_compose_services(compose: Dict[str, Any]) -> None:
    provisioning = EXAMPLES / "grafana" / "provisioning"
    datasources = _load(provisioning / "datasources" / "datasources.yaml")["datasources"]
    by_type = {d["type"]: d for d in datasources}
    assert set(by_type) == {"prometheus", "jaeger"}
    expected_ports = {"prometheus": 9090, "jaeger": 16686}
    for kind, source in by_type.items():
        host, port = _host_port(source["url"])
        assert host in compose["services"], f"{kind} datasource host {host} is not a service"
        assert port == expected_ports[kind]
    assert 9090 in _container_ports(compose["services"]["prometheus"])
    assert 16686 in _container_ports(compose["services"]["jaeger"])
    # The dashboard provider reads the directory the compose file mounts the dashboards into.
    providers = _load(provisioning / "dashboards" / "dashboards.yaml")["providers"]
    grafana_mounts = _mounts(compose["services"]["grafana"])
    assert "/etc/grafana/provisioning" in grafana_mounts
    assert providers[0]["options"]["path"] in grafana_mounts


def test_router_sends_otlp_to_the_collector_and_knows_the_fake_hosts(
    collector: Dict[str, Any], compose: Dict[str, Any]
) -> None:
    router = compose["services"]["router"]
    env = router["environment"]
    host, port = _host_port(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert host == "otel-collector"
    protocol = env["OTEL_EXPORTER_OTLP_PROTOCOL"]
    receiver = collector["receivers"]["otlp"]["protocols"]["grpc" if protocol == "grpc" else "http"]
    assert port == _host_port(receiver["endpoint"])[1]
    fake = compose["services"]["fake-provider"]
    command = fake["command"]
    fake_ports = {int(command[i + 1]) for i, arg in enumerate(command) if arg == "--port"}
    declared = dict(
        item.split("=", 1) for item in env["OTEL_PYTHON_LLM_ROUTER_PROVIDERS"].split(",")
    )
    assert declared == {
        f"fake-provider:{p}": name for p, name in zip(sorted(fake_ports), ("openai", "anthropic"))
    }
    for variable in ("ROUTER_OPENAI_BASE_URL", "ROUTER_ANTHROPIC_BASE_URL"):
        upstream = _host_port(env[variable])
        assert f"{upstream[0]}:{upstream[1]}" in declared, variable
    pricing = env.get("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE")
    if pricing:  # the image copies examples/ to /src/examples
        assert (EXAMPLES / Path(pricing).relative_to("/src/examples")).is_file()


def test_traces_are_tail_sampled_keeping_errors_slow_and_over_budget(
    collector: Dict[str, Any],
) -> None:
    """The sampling policy docs/fleet.md recommends: every error, slow and over-budget request's
    trace, a share of the rest; traces only (metrics are never sampled)."""
    pipelines = collector["service"]["pipelines"]
    assert "tail_sampling" in pipelines["traces"]["processors"]
    assert "tail_sampling" not in pipelines["metrics"]["processors"]
    policies = {p["type"]: p for p in collector["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["latency"]["latency"]["threshold_ms"] > 0
    assert policies["boolean_attribute"]["boolean_attribute"] == {
        "key": "llm_router.budget.exceeded",
        "value": True,
    }
    assert 0 < policies["probabilistic"]["probabilistic"]["sampling_percentage"] < 100
    # The attribute the policy keys on is the one the mapping sets on the crossing span.
    from opentelemetry.instrumentation.llm_router._genai import _attributes as A

    assert A.LLM_ROUTER_BUDGET_EXCEEDED == "llm_router.budget.exceeded"
