"""The real LiteLLM proxy, run as an operator runs it, with the adapter on: what reaches OTLP.

``opentelemetry-instrument litellm -c tests/litellm_proxy/config.yaml`` (LiteLLM 1.106.12 in
``.venv-litellm``; 1.108.7, what an unpinned install gets, in ``.venv-litellm-next``), configured
only by environment variables, in front of the loopback fake provider, exporting OTLP/gRPC to a
real receiver. The openai SDK sends non-streaming, streaming, failing, retried, falling-back,
refused and concurrent traffic with custom-auth keys, the master key and a virtual key; next to
LiteLLM's own ``otel`` callback the same traffic must give the same router spans. The checks read
only what was exported. Each proxy starts once for the module (10-30 s each; four in all).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import openai
import pytest

from examples.fake_provider import FakeProvider
from tests.support.litellm_proxy import (
    MASTER_KEY,
    NEXT_VENV_BIN,
    PROXY_DIR,
    UPSTREAM_KEY,
    VENV_BIN,
    LiteLLMProxy,
    proxy_environment,
)
from tests.support.otlp_receiver import OTLPReceiver, ReceivedMetric, ReceivedSpan

KEY_A = "sk-team-a-0f1e2d3c4b5a69788796"
KEY_B = "sk-team-b-99aa88bb77cc66dd55ee"
REFUSED_KEY = "sk-refused-7e6d5c4b3a29181716"
VIRTUAL_KEY = "sk-virtual-5a4b3c2d1e0f9a8b7c6d"
"""A virtual key: LiteLLM looks it up in its database, and this proxy has none."""
SCOPE = "opentelemetry.instrumentation.llm_router"
DURATION = "gen_ai.client.operation.duration"
MESSAGES = [{"role": "user", "content": "hello through the gateway"}]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Exported:
    """What the receiver got from one proxy, read the way an operator's backend would."""

    def __init__(self, receiver: OTLPReceiver) -> None:
        self.receiver = receiver

    def router_span(self, call_id: str, timeout: float = 20.0) -> ReceivedSpan:
        def found(spans: list[ReceivedSpan]) -> bool:
            return any(_is_router_span(s, call_id) for s in spans)

        spans = self.receiver.wait_for_spans(found, timeout=timeout)
        (span,) = [s for s in spans if _is_router_span(s, call_id)]
        return span

    def children(self, span: ReceivedSpan) -> list[ReceivedSpan]:
        """The hook's upstream spans under ``span``, in attempt order."""
        kids = [
            s
            for s in self.receiver.spans()
            if s.parent_span_id == span.span_id and s.scope_name == SCOPE
        ]
        return sorted(kids, key=lambda s: s.start_time_unix_nano)

    def latest(self, name: str) -> dict[tuple[str, str], ReceivedMetric]:
        """The running total of metric ``name`` per instrumentation scope and layer."""
        latest: dict[tuple[str, str], ReceivedMetric] = {}
        for metric in self.receiver.metrics():
            if metric.name == name:
                latest[(metric.scope_name, metric.name)] = metric
        return latest


def _is_router_span(span: ReceivedSpan, call_id: str) -> bool:
    return span.attributes.get("llm_router.request.id") == call_id


def duration_counts(exported: Exported) -> dict[tuple[str, bool], int]:
    """Duration points by (scope, has server.address): router layer vs upstream layer."""
    counts: dict[tuple[str, bool], int] = {}
    for (scope, _), metric in exported.latest(DURATION).items():
        for point in metric.points:
            key = (scope, "server.address" in point.attributes)
            counts[key] = counts.get(key, 0) + (point.count or 0)
    return counts


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def start(
    config: str,
    provider: FakeProvider,
    tmp: Path,
    extra: Optional[dict[str, str]] = None,
    venv_bin: Path = VENV_BIN,
) -> tuple[LiteLLMProxy, OTLPReceiver]:
    receiver = OTLPReceiver().start()
    env = proxy_environment(receiver.grpc_endpoint, provider.port, extra)
    try:
        proxy = LiteLLMProxy(PROXY_DIR / config, env, tmp / "proxy.log", venv_bin=venv_bin)
    except BaseException:
        receiver.stop()
        raise
    return proxy, receiver


# The proxies this module starts, each at most once: (release, LiteLLM's callback) -> how.
RELEASES = {"1.106.12": VENV_BIN, "1.108.7": NEXT_VENV_BIN}
"""The pinned release, and the one an unpinned ``pip install 'litellm[proxy]'`` gets here."""
SETUPS = {
    # the adapter from the config line, LiteLLM's own callback off
    "adapter": ("config.yaml", {}),
    # the adapter from the environment, next to LiteLLM's `otel` callback (its spans)
    "adapter+otel": ("config-otel.yaml", {"OTEL_PYTHON_LLM_ROUTER_LITELLM": "true"}),
    # ... and its metrics
    "adapter+otel+metrics": (
        "config-otel.yaml",
        {
            "OTEL_PYTHON_LLM_ROUTER_LITELLM": "true",
            "LITELLM_OTEL_INTEGRATION_ENABLE_METRICS": "true",
        },
    ),
}


class Proxies:
    """Starts each (release, setup) proxy the first time a test asks for it (10-30 s each)."""

    def __init__(self, provider: FakeProvider, tmp: pytest.TempPathFactory) -> None:
        self._provider = provider
        self._tmp = tmp
        self._started: dict[tuple[str, str], tuple[LiteLLMProxy, Exported]] = {}

    def get(self, release: str, setup: str) -> tuple[LiteLLMProxy, Exported]:
        key = (release, setup)
        if key not in self._started:
            config, extra = SETUPS[setup]
            proxy, receiver = start(
                config,
                self._provider,
                self._tmp.mktemp(f"litellm-{release}-{setup}"),
                extra,
                RELEASES[release],
            )
            self._started[key] = (proxy, Exported(receiver))
        return self._started[key]

    def stop(self) -> None:
        for proxy, exported in self._started.values():
            proxy.stop()
            exported.receiver.stop()


@pytest.fixture(scope="module")
def proxies(provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxies]:
    started = Proxies(provider, tmp_path_factory)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def gateway(proxies: Proxies) -> tuple[LiteLLMProxy, Exported]:
    """The pinned release with the adapter alone: most checks run here."""
    return proxies.get("1.106.12", "adapter")


def client(proxy: LiteLLMProxy, key: str = KEY_A) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.base_url}/v1", api_key=key, max_retries=0)


def chat(proxy: LiteLLMProxy, model: str, key: str = KEY_A, **extra: Any) -> tuple[str, Any]:
    """One request; returns LiteLLM's call id (``x-litellm-call-id``) and the response."""
    raw = client(proxy, key).chat.completions.with_raw_response.create(
        model=model, messages=MESSAGES, **extra
    )
    return raw.headers["x-litellm-call-id"], raw.parse()


def failing_chat(proxy: LiteLLMProxy, model: str, key: str = KEY_A) -> tuple[str, int]:
    with pytest.raises(openai.APIStatusError) as raised:
        client(proxy, key).chat.completions.create(model=model, messages=MESSAGES)
    return raised.value.response.headers.get("x-litellm-call-id", ""), raised.value.status_code


# -- one request, one router span, its attempts under it ---------------------------------------


def test_a_request_shows_route_account_budget_and_its_upstream_call(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, response = chat(proxy, "gpt-fake")
    assert response.choices[0].message.content.startswith("Hello!")

    span = exported.router_span(call_id)
    a = span.attributes
    assert span.name == "chat gpt-4o-mini" and span.kind == "CLIENT"
    assert span.status_code != "ERROR"
    assert a["llm_router.route"] == "gpt-fake"
    assert a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "gpt-4o-mini"
    assert a["llm_router.account.id"] == sha256(KEY_A)
    assert a["llm_router.account.name"] == "team-a-app"
    assert a["llm_router.account.team.id"] == "team-a"
    assert a["llm_router.account.user.id"] == "alice"
    assert a["llm_router.account.org.id"] == "org-1"
    assert a["llm_router.budget.micro_usd"] == 50_000_000
    assert a["llm_router.budget.owner"] == "key"
    assert a["llm_router.budget.scope"] == "account"
    assert a["llm_router.budget.range.seconds"] == 30 * 86_400
    assert a["llm_router.budget.spent.micro_usd"] >= 12_500_000
    assert 0.25 <= a["llm_router.budget.used_fraction"] < 0.26
    assert a["llm_router.cost.usd"] > 0
    assert a["llm_router.attempts"] == 1
    assert a["gen_ai.usage.output_tokens"] == 8
    assert a["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens

    (upstream,) = exported.children(span)
    assert upstream.name == "chat gpt-4o-mini"
    assert upstream.attributes["llm_router.attempt"] == 1
    assert upstream.attributes["server.address"] == "127.0.0.1"
    assert upstream.trace_id == span.trace_id
    assert span.start_time_unix_nano <= upstream.start_time_unix_nano
    assert upstream.end_time_unix_nano <= span.end_time_unix_nano
    # the router span sits in the proxy's own server trace
    server = [
        s for s in exported.receiver.spans() if s.trace_id == span.trace_id and s.kind == "SERVER"
    ]
    assert server, "the router span is not in the proxy's request trace"


def test_a_stream_is_one_router_span_ending_with_the_stream(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    with client(proxy, KEY_B).chat.completions.with_streaming_response.create(
        model="gpt-fake",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    ) as raw:
        call_id = raw.headers["x-litellm-call-id"]
        chunks = list(raw.parse())
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 8

    span = exported.router_span(call_id)
    a = span.attributes
    assert a["llm_router.account.id"] == sha256(KEY_B)
    assert a["llm_router.account.team.id"] == "team-b"
    assert a["llm_router.budget.owner"] == "team"
    assert a["llm_router.budget.micro_usd"] == 100_000_000
    assert "llm_router.budget.range.type" not in a  # LiteLLM gives teams no window here
    assert a["gen_ai.usage.output_tokens"] == 8
    (upstream,) = exported.children(span)
    assert upstream.attributes["gen_ai.request.stream"] is True
    assert "gen_ai.response.time_to_first_chunk" in upstream.attributes
    assert upstream.end_time_unix_nano <= span.end_time_unix_nano


def test_a_provider_error_fails_the_request_and_each_attempt(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, status = failing_chat(proxy, "always-400")
    assert status == 400
    span = exported.router_span(call_id)
    attempts = exported.children(span)
    assert span.status_code == "ERROR"
    assert span.attributes["error.type"] == "invalid_request_error"  # the provider's own type
    assert span.attributes["http.response.status_code"] == 400
    assert span.attributes["llm_router.attempts"] == len(attempts) >= 1
    assert all(s.status_code == "ERROR" for s in attempts)


def test_a_retried_error_is_one_failed_request_over_numbered_attempts(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, status = failing_chat(proxy, "always-429")
    assert status == 429
    span = exported.router_span(call_id)
    attempts = exported.children(span)
    assert [s.attributes["llm_router.attempt"] for s in attempts] == [1, 2, 3]
    assert all(s.attributes["error.type"] == "rate_limit_exceeded" for s in attempts)
    assert span.status_code == "ERROR"
    assert span.attributes["error.type"] == "rate_limit_exceeded"  # what the provider said
    assert span.attributes["llm_router.attempts"] == 3
    assert span.attributes["llm_router.route"] == "always-429"


def test_a_fallback_keeps_the_route_asked_for_and_counts_every_attempt(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, _ = chat(proxy, "flaky")
    span = exported.router_span(call_id)
    attempts = exported.children(span)
    assert span.status_code != "ERROR"
    assert span.attributes["llm_router.route"] == "flaky"  # what the client asked for
    assert span.attributes["gen_ai.request.model"] == "gpt-4o-mini"  # what served it
    assert [s.attributes["gen_ai.request.model"] for s in attempts] == ["error-500"] * 3 + [
        "gpt-4o-mini"
    ]
    assert [s.attributes["llm_router.attempt"] for s in attempts] == [1, 2, 3, 4]
    assert span.attributes["llm_router.attempts"] == 4


def test_an_unknown_route_is_an_invalid_request_without_attempts(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, status = failing_chat(proxy, "no-such-model")
    assert status == 400
    span = exported.router_span(call_id)
    assert span.attributes["error.type"] == "invalid_request"
    assert span.attributes["llm_router.route"] == "no-such-model"
    assert span.attributes["llm_router.attempts"] == 0
    assert exported.children(span) == []


def test_a_refused_key_is_access_denied(gateway: tuple[LiteLLMProxy, Exported]) -> None:
    proxy, exported = gateway
    _, status = failing_chat(proxy, "gpt-fake", key=REFUSED_KEY)
    assert status == 401

    def refused(spans: list[ReceivedSpan]) -> bool:
        return any(s.attributes.get("llm_router.account.id") == sha256(REFUSED_KEY) for s in spans)

    spans = exported.receiver.wait_for_spans(refused, timeout=20)
    (span,) = [s for s in spans if s.attributes.get("llm_router.account.id") == sha256(REFUSED_KEY)]
    assert span.attributes["error.type"] == "access_denied"


def test_concurrent_requests_each_get_their_own_router_span(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway

    async def burst() -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=f"{proxy.base_url}/v1", api_key=KEY_A, max_retries=0
        ) as aclient:

            async def one(index: int) -> str:
                if index % 2:
                    async with aclient.chat.completions.with_streaming_response.create(
                        model="gpt-fake", messages=MESSAGES, stream=True
                    ) as raw:
                        async for _ in await raw.parse():
                            pass
                        return raw.headers["x-litellm-call-id"]
                raw = await aclient.chat.completions.with_raw_response.create(
                    model="gpt-fake", messages=MESSAGES
                )
                return raw.headers["x-litellm-call-id"]

            return await asyncio.gather(*(one(i) for i in range(16)))

    call_ids = asyncio.run(burst())
    assert len(set(call_ids)) == 16
    for call_id in call_ids:
        span = exported.router_span(call_id)
        (upstream,) = exported.children(span)
        assert upstream.attributes["llm_router.attempt"] == 1
        assert span.attributes["llm_router.attempts"] == 1


# -- counted once, no secrets ------------------------------------------------------------------


def test_metrics_count_each_request_and_each_attempt_exactly_once(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    call_id, _ = chat(proxy, "gpt-fake")  # make sure there is traffic even when run alone
    # its span ends after the response (LiteLLM's success event): counting before it arrived
    # could settle on one span fewer than the traffic made
    exported.router_span(call_id)
    receiver = exported.receiver

    def router_spans() -> list[ReceivedSpan]:
        return [s for s in receiver.spans() if "llm_router.route" in s.attributes]

    def upstream_spans() -> list[ReceivedSpan]:
        return [
            s
            for s in receiver.spans()
            if "server.address" in s.attributes and s.scope_name == SCOPE
        ]

    def settled(_: Any) -> bool:
        counts = duration_counts(exported)
        return counts.get((SCOPE, False)) == len(router_spans()) and counts.get(
            (SCOPE, True)
        ) == len(upstream_spans())

    receiver.wait_for_metrics(settled, timeout=30)
    counts = duration_counts(exported)
    # one point per router request (no server.address), one per upstream call, from us only
    assert set(counts) == {(SCOPE, False), (SCOPE, True)}
    assert counts[(SCOPE, False)] == len({s.span_id for s in router_spans()})
    assert counts[(SCOPE, True)] == len({s.span_id for s in upstream_spans()})


def test_no_key_reaches_the_exported_bytes(gateway: tuple[LiteLLMProxy, Exported]) -> None:
    proxy, exported = gateway
    chat(proxy, "gpt-fake", key=KEY_B)
    failing_chat(proxy, "gpt-fake", key=REFUSED_KEY)
    exported.receiver.wait_for_metrics(lambda m: bool(m), timeout=20)
    blob = b"".join(r.SerializeToString() for r in exported.receiver.trace_requests)
    blob += b"".join(r.SerializeToString() for r in exported.receiver.metric_requests)
    assert blob
    for secret in (KEY_A, KEY_B, REFUSED_KEY, UPSTREAM_KEY, MASTER_KEY):
        for fragment in (secret, secret[-12:], secret[3:15]):
            assert fragment.encode() not in blob, f"a fragment of {secret[:8]}… was exported"


# -- LiteLLM's own key checks (the master key; virtual keys, which need a database) ----------


def test_the_master_key_is_its_own_account(gateway: tuple[LiteLLMProxy, Exported]) -> None:
    proxy, exported = gateway
    call_id, _ = chat(proxy, "gpt-fake", key=MASTER_KEY)
    span = exported.router_span(call_id)
    assert span.status_code != "ERROR"
    assert span.attributes["llm_router.account.id"] == "litellm_proxy_master_key"
    assert len(exported.children(span)) == 1


def test_a_virtual_key_refused_for_want_of_a_database_is_access_denied(
    gateway: tuple[LiteLLMProxy, Exported],
) -> None:
    proxy, exported = gateway
    _, status = failing_chat(proxy, "gpt-fake", key=VIRTUAL_KEY)
    assert status == 400  # LiteLLM's answer without a database: 400 "No connected db."

    def refused(spans: list[ReceivedSpan]) -> bool:
        return any(s.attributes.get("llm_router.account.id") == sha256(VIRTUAL_KEY) for s in spans)

    spans = exported.receiver.wait_for_spans(refused, timeout=20)
    (span,) = [s for s in spans if s.attributes.get("llm_router.account.id") == sha256(VIRTUAL_KEY)]
    assert span.status_code == "ERROR"
    assert span.attributes["error.type"] == "access_denied"
    assert exported.children(span) == []


# -- next to LiteLLM's own OpenTelemetry callback ----------------------------------------------

# What an operator's clients send: (label, key, model group, stream). Custom-auth keys (A, B),
# LiteLLM's master key, a refused key, a virtual key the proxy cannot look up; successes, a
# stream, a provider 400, a 429 out of retries, a 429 and 500s ended by a fallback, an unknown
# group. The refused keys are used by these checks only, so each run's spans are found by them.
COMPARED_REFUSED_KEY = "sk-refused-compared-0a1b2c3d4e5f"
COMPARED_VIRTUAL_KEY = "sk-virtual-compared-9f8e7d6c5b4a"
TRAFFIC = [
    ("ok", KEY_A, "gpt-fake", False),
    ("stream", KEY_B, "gpt-fake", True),
    ("provider 400", KEY_A, "always-400", False),
    ("429 out of retries", KEY_A, "always-429", False),
    ("429, then the fallback", KEY_B, "limited", False),
    ("500s, then the fallback", KEY_A, "flaky", False),
    ("unknown model group", KEY_A, "no-such-model", False),
    ("master key", MASTER_KEY, "gpt-fake", False),
    ("master key, 429 out of retries", MASTER_KEY, "always-429", False),
    ("refused key", COMPARED_REFUSED_KEY, "gpt-fake", False),
    ("virtual key, no database", COMPARED_VIRTUAL_KEY, "gpt-fake", False),
]
PER_CALL = ("llm_router.request.id", "gen_ai.response.id")
"""Attributes whose values are each request's own (LiteLLM's call id, the provider's id)."""


def send(proxy: LiteLLMProxy, key: str, model: str, stream: bool) -> tuple[int, str]:
    """One request as a client sends it: its HTTP status and LiteLLM's call id ('' if none)."""
    extra: dict[str, Any] = {}
    if stream:
        extra = {"stream": True, "stream_options": {"include_usage": True}}
    try:
        with client(proxy, key).chat.completions.with_streaming_response.create(
            model=model, messages=MESSAGES, **extra
        ) as raw:
            if stream:
                list(raw.parse())
            else:
                raw.parse()
            return raw.status_code, raw.headers["x-litellm-call-id"]
    except openai.APIStatusError as failed:
        return failed.status_code, failed.response.headers.get("x-litellm-call-id", "")


def reading(exported: Exported, span: ReceivedSpan) -> dict[str, Any]:
    """All a backend shows of a router span and its attempts, but ids and times."""
    parent = exported.receiver.wait_for_spans(
        lambda spans: any(s.span_id == span.parent_span_id for s in spans), timeout=20
    )
    (parent_span,) = [s for s in parent if s.span_id == span.parent_span_id]
    return {
        "name": span.name,
        "kind": span.kind,
        "scope": span.scope_name,
        "status": (span.status_code, span.status_message),
        "attributes": {k: v for k, v in span.attributes.items() if k not in PER_CALL},
        "events": [(e.name, e.attributes) for e in span.events],
        "parent": parent_span.name,
        "attempts": [
            (
                s.name,
                s.status_code,
                s.attributes.get("llm_router.attempt"),
                s.attributes.get("error.type"),
            )
            for s in exported.children(span)
        ],
    }


def run_traffic(
    proxy: LiteLLMProxy, exported: Exported
) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    statuses: dict[str, int] = {}
    calls: dict[str, tuple[str, str]] = {}
    for label, key, model, stream in TRAFFIC:
        statuses[label], call_id = send(proxy, key, model, stream)
        calls[label] = (call_id, key)
    readings = {}
    for label, (call_id, key) in calls.items():
        if call_id:
            span = exported.router_span(call_id)
        else:  # refused before LiteLLM gave it a call id: the only span of that key

            def found(spans: list[ReceivedSpan], key: str = key) -> bool:
                return any(s.attributes.get("llm_router.account.id") == sha256(key) for s in spans)

            spans = exported.receiver.wait_for_spans(found, timeout=20)
            (span,) = [s for s in spans if s.attributes.get("llm_router.account.id") == sha256(key)]
        readings[label] = reading(exported, span)
    return statuses, readings


@pytest.mark.parametrize(
    ("release", "setup"),
    [("1.106.12", "adapter+otel+metrics"), ("1.108.7", "adapter+otel")],
)
def test_litellms_otel_callback_leaves_the_router_span_as_it_is(
    proxies: Proxies, release: str, setup: str
) -> None:
    """Every attribute, the status, the events, the parent and the attempts of each router span
    are the same with LiteLLM's ``otel`` callback on as with it off, and no prompt is on it."""
    alone_statuses, alone = run_traffic(*proxies.get(release, "adapter"))
    proxy, exported = proxies.get(release, setup)
    beside_statuses, beside = run_traffic(proxy, exported)

    assert beside_statuses == alone_statuses
    assert alone_statuses["429, then the fallback"] == 200
    assert alone_statuses["virtual key, no database"] == 400
    for label, _, _, _ in TRAFFIC:
        assert beside[label] == alone[label], label
        assert "gen_ai.input.messages" not in beside[label]["attributes"]
        assert MESSAGES[0]["content"] not in repr(beside[label])
    assert alone["429, then the fallback"]["status"][0] != "ERROR"
    assert [a[2] for a in alone["429, then the fallback"]["attempts"]] == [1, 2, 3, 4]
    assert alone["virtual key, no database"]["attributes"]["error.type"] == "access_denied"
    assert alone["master key"]["attributes"]["llm_router.account.id"] == "litellm_proxy_master_key"
    # LiteLLM's callback was on and wrote what it writes: onto the spans it finds, not ours
    theirs = [s for s in exported.receiver.spans() if s.scope_name != SCOPE]
    assert any(s.scope_name == "litellm" for s in theirs)
    assert any("litellm.call_id" in s.attributes for s in theirs)


@pytest.mark.parametrize(
    ("release", "setup"),
    [("1.106.12", "adapter+otel+metrics"), ("1.108.7", "adapter+otel")],
)
def test_with_litellms_own_otel_each_request_is_counted_once(
    proxies: Proxies, release: str, setup: str
) -> None:
    """Router layer: with LiteLLM's metrics on, its points count the successful requests and
    ours the failed ones; with them off, ours count all. Upstream layer: ours, one per attempt."""
    proxy, exported = proxies.get(release, setup)
    call_id, _ = chat(proxy, "gpt-fake")  # traffic even when run alone
    failed, _ = failing_chat(proxy, "always-429")
    exported.router_span(call_id)
    exported.router_span(failed)
    receiver = exported.receiver

    def expected() -> dict[tuple[str, bool], int]:
        routed = [s for s in receiver.spans() if "llm_router.route" in s.attributes]
        upstream = [
            s
            for s in receiver.spans()
            if "server.address" in s.attributes and s.scope_name == SCOPE
        ]
        failures = sum(s.status_code == "ERROR" for s in routed)
        if setup.endswith("metrics"):
            layers = {
                ("litellm.integrations.opentelemetry", False): len(routed) - failures,
                (SCOPE, False): failures,
            }
        else:
            layers = {(SCOPE, False): len(routed)}
        return {**layers, (SCOPE, True): len(upstream)}

    receiver.wait_for_metrics(lambda _: duration_counts(exported) == expected(), timeout=30)
    assert duration_counts(exported) == expected()
    # the failures we count carry what failed (with LiteLLM's metrics on, ours are only those)
    errors = [
        p.attributes.get("error.type")
        for (scope, _), metric in exported.latest(DURATION).items()
        if scope == SCOPE
        for p in metric.points
        if "server.address" not in p.attributes
    ]
    assert any(error is not None for error in errors)
    if setup.endswith("metrics"):
        assert None not in errors
