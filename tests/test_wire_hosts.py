"""The provider host table and OTEL_PYTHON_LLM_ROUTER_PROVIDERS parsing."""

from __future__ import annotations

import pytest

from opentelemetry.instrumentation.llm_router._wire import (
    FORMATS,
    HostTable,
    lookup,
    parse_providers,
)


@pytest.mark.parametrize(
    ("host", "port", "provider", "fmt"),
    [
        ("api.openai.com", 443, "openai", "openai"),
        ("API.OpenAI.com", None, "openai", "openai"),
        ("myres.openai.azure.com", 443, "azure.ai.openai", "azure"),
        ("myres.cognitiveservices.azure.com", 443, "azure.ai.openai", "azure"),
        ("api.anthropic.com", 443, "anthropic", "anthropic"),
        ("generativelanguage.googleapis.com", 443, "gcp.gemini", "gemini"),
        ("aiplatform.googleapis.com", 443, "gcp.vertex_ai", "gemini"),
        ("us-central1-aiplatform.googleapis.com", 443, "gcp.vertex_ai", "gemini"),
        ("api.mistral.ai", 443, "mistral_ai", "openai"),
        ("api.groq.com", 443, "groq", "openai"),
        ("api.deepseek.com", 443, "deepseek", "openai"),
        ("api.x.ai", 443, "x_ai", "openai"),
        ("api.eu.mistral.ai", 443, "mistral_ai", "openai"),
        ("api.us.mistral.ai", 443, "mistral_ai", "openai"),
        ("api.cohere.com", 443, "cohere", "cohere"),
        ("api.cohere.ai", 443, "cohere", "cohere"),
        ("api.together.ai", 443, "together", "openai"),
        ("api-inference.together.ai", 443, "together", "openai"),
        ("router.huggingface.co", 443, "huggingface", "huggingface"),
        ("myproject.services.ai.azure.com", 443, "azure.ai.openai", "azure"),
        ("myres.openai.azure.us", 443, "azure.ai.openai", "azure"),
        ("api.perplexity.ai", 443, "perplexity", "openai"),
        ("openrouter.ai", 443, "openrouter", "openai"),
        ("api.together.xyz", 443, "together", "openai"),
        ("api.fireworks.ai", 443, "fireworks", "openai"),
        ("localhost", 11434, "ollama", "ollama"),
        ("127.0.0.1", 11434, "ollama", "ollama"),
        ("::1", 11434, "ollama", "ollama"),
    ],
)
def test_builtin_hosts(host: str, port: int, provider: str, fmt: str) -> None:
    route = lookup(host, port)
    assert route is not None
    assert (route.provider, route.format) == (provider, FORMATS[fmt])


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("example.com", 443),
        ("openai.azure.com", 443),  # the bare suffix is no resource
        ("api.openai.com.evil.example", 443),
        ("localhost", 8080),
        ("127.0.0.1", None),
        ("aiplatform.googleapis.com.example", 443),
        ("", None),
    ],
)
def test_misses(host: str, port: int) -> None:
    assert lookup(host, port) is None


def test_parse_and_precedence() -> None:
    overrides, warnings = parse_providers(
        " gateway.internal=my-gateway/openai, 127.0.0.1:9000=anthropic ,"
        "API.OPENAI.COM=my-proxy/anthropic,[::1]:8080=gcp.vertex_ai,llm.local=gemini,"
        "localhost=lm-studio,"
    )
    assert warnings == []
    table = HostTable(overrides)
    route = table.lookup("gateway.internal", 443)
    assert (route.provider, route.format.name) == ("my-gateway", "openai")
    assert table.lookup("Gateway.Internal", 8443).provider == "my-gateway"  # any port
    route = table.lookup("127.0.0.1", 9000)
    assert (route.provider, route.format.name) == ("anthropic", "anthropic")
    assert table.lookup("127.0.0.1", 9001) is None  # a port entry matches only that port
    assert table.lookup("127.0.0.1", 11434).provider == "ollama"  # built-in still there
    route = table.lookup("api.openai.com", 443)  # user entries win over built-ins
    assert (route.provider, route.format.name) == ("my-proxy", "anthropic")
    route = table.lookup("::1", 8080)
    assert (route.provider, route.format.name) == ("gcp.vertex_ai", "gemini")
    route = table.lookup("llm.local", None)  # a known provider keeps its own format
    assert (route.provider, route.format.name) == ("gemini", "gemini")
    route = table.lookup("localhost", 11434)  # the user claimed localhost for every port
    assert (route.provider, route.format.name) == ("lm-studio", "openai")
    assert table.lookup("api.anthropic.com", 443).provider == "anthropic"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("gateway.internal", "missing '='"),
        ("=openai", "empty host"),
        (":8080=openai", "empty host"),
        ("host:abc=openai", "bad port 'abc'"),
        ("host:0=openai", "bad port '0'"),
        ("host:70000=openai", "bad port '70000'"),
        ("host:=openai", "bad port ''"),
        ("host=", "empty provider"),
        ("host=/openai", "empty provider"),
        ("host=p/", "empty format"),
        ("host=p/sagemaker", "unknown format 'sagemaker'"),
        ("https://host=openai", "not a URL"),
        ("host/v1=openai", "not a URL"),
        ("::1:80=openai", "IPv6 host must be written in brackets"),
        ("[::1=openai", "unclosed '['"),
        ("[::1]x=openai", "unexpected 'x'"),
        ("my host=openai", "whitespace"),
    ],
)
def test_malformed_entries_warn(entry: str, problem: str) -> None:
    overrides, warnings = parse_providers(f"good.example=openai,{entry},other.example=anthropic")
    assert len(warnings) == 1
    assert repr(entry) in warnings[0] and problem in warnings[0]
    assert "OTEL_PYTHON_LLM_ROUTER_PROVIDERS" in warnings[0]
    assert set(overrides) == {("good.example", None), ("other.example", None)}


def test_duplicate_entry_warns_and_later_wins() -> None:
    overrides, warnings = parse_providers("h=a,h=b/anthropic")
    assert len(warnings) == 1 and "replaces" in warnings[0]
    assert overrides[("h", None)].provider == "b"
    assert parse_providers("") == ({}, [])
    assert parse_providers(" , ,") == ({}, [])


def test_memo_is_bounded_and_consistent() -> None:
    table = HostTable(parse_providers("gw.example=gw")[0])
    for i in range(10_000):
        assert table.lookup(f"host{i}.example", 443) is None
    assert len(table._cache) <= 4096
    for _ in range(2):  # first answer resolved, second memoised: the same
        assert table.lookup("GW.example", 1).provider == "gw"
        assert table.lookup("api.openai.com", 443).provider == "openai"
        assert table.lookup("localhost", 11435) is None


def test_default_port_reported_as_none() -> None:
    """httpx gives ``url.port is None`` for https://host and https://host:443 alike."""
    table = HostTable(
        parse_providers("secure.example:443=s,plain.example:80=p,odd.example:8443=o")[0]
    )
    assert table.lookup("secure.example", None).provider == "s"
    assert table.lookup("plain.example", None).provider == "p"
    assert table.lookup("odd.example", None) is None
    assert table.lookup("odd.example", 8443).provider == "o"


@pytest.mark.parametrize(
    ("entry", "target", "shown"),
    [
        ("127.0.0.1", "localhost", "localhost:8000"),
        ("localhost", "127.0.0.1", "127.0.0.1:8000"),
        ("[::1]", "localhost", "localhost:8000"),
        ("127.0.0.1", "::1", "[::1]:8000"),
    ],
)
def test_another_name_of_this_machine_gets_one_hint(
    entry: str, target: str, shown: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: the entry says 127.0.0.1, the base URL localhost: no span (names are matched
    exactly), but one WARNING that names the entry to add."""
    table = HostTable(parse_providers(f"{entry}:8000=gateway")[0])
    with caplog.at_level("WARNING", logger="opentelemetry.instrumentation.llm_router"):
        assert table.lookup(target, 8000) is None
        assert table.lookup(target, 8000) is None
        assert table.lookup(target, 8001) is None  # no entry on that port anywhere: no hint
        third = next(
            n for n in ("localhost", "127.0.0.1", "::1") if n not in (entry.strip("[]"), target)
        )
        assert table.lookup(third, 8000) is None  # the hint is given once per table
    (record,) = caplog.records
    assert f"'{shown}=gateway/openai'" in record.getMessage()
    assert "OTEL_PYTHON_LLM_ROUTER_PROVIDERS" in record.getMessage()


def test_no_hint_without_a_loopback_entry(caplog: pytest.LogCaptureFixture) -> None:
    table = HostTable(parse_providers("gw.example:8000=gateway,localhost=lm")[0])
    with caplog.at_level("WARNING"):
        assert table.lookup("127.0.0.2", 8000) is None  # not a name we know as this machine
        assert table.lookup("localhost", 1).provider == "lm"
        assert table.lookup("127.0.0.1", 1) is None  # hinted: localhost has an any-port entry
    assert len(caplog.records) == 1
    assert HostTable().lookup("localhost", 8000) is None


@pytest.mark.parametrize(
    ("provider", "fmt"),
    [("ollama", "ollama"), ("cohere", "cohere"), ("huggingface", "huggingface"), ("x", "openai")],
)
def test_new_formats_by_provider_name(provider: str, fmt: str) -> None:
    overrides, warnings = parse_providers(f"h.example={provider},g.example=p/{fmt}")
    assert warnings == []
    assert overrides[("h.example", None)].format is FORMATS[fmt]
    assert overrides[("g.example", None)].format is FORMATS[fmt]
