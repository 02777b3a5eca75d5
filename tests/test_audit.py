"""Audit records (``OTEL_PYTHON_LLM_ROUTER_AUDIT=true``) and metrics with traces sampled at 0 %.

One process under ``opentelemetry-instrument`` (tests/support/audit_app.py), configured only by
the environment, with ``OTEL_TRACES_SAMPLER=always_off``, content capture on, and logs and
metrics exported over real OTLP to a receiver in the test. It sends requests through every
source: the httpx hook (plain httpx calls), ``OTelObserver``, ``ForwardEventRecorder`` and the
LiteLLM adapter (the proxy's hooks around a ``litellm.Router``, one request retried three times).
Every request must have exactly one audit record (no span arrives at all), carrying its trace
and span ids and what the docs list, never the prompt nor the API key; and the metrics must
count every request, sampled or not.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any, Dict, Iterator, List

import pytest

from examples.fake_provider import FakeProvider
from tests.support.apps import clean_env, otlp_env, run_instrumented
from tests.support.otlp_receiver import OTLPReceiver

if TYPE_CHECKING:
    from tests.support.otlp_receiver import ReceivedLogRecord

AUDIT = "llm_router.request.audit"
SECRET = "sk-audit-secret-0123456789abcdef"
PROMPT = "zebra quartz violet"
DURATION = "gen_ai.client.operation.duration"


@pytest.fixture(scope="module")
def run() -> Iterator[Dict[str, Any]]:
    with FakeProvider() as provider, OTLPReceiver() as receiver:
        env = clean_env(
            {
                **otlp_env("audit-app", receiver.grpc_endpoint, "grpc"),
                "OTEL_LOGS_EXPORTER": "otlp",
                "OTEL_TRACES_SAMPLER": "always_off",
                "OTEL_PYTHON_LLM_ROUTER_AUDIT": "true",
                "OTEL_PYTHON_LLM_ROUTER_LITELLM": "true",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
                "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"127.0.0.1:{provider.port}=openai",
                "FAKE_OPENAI_BASE": provider.openai_base_url,
                "AUDIT_SECRET": SECRET,
                "AUDIT_PROMPT": PROMPT,
            }
        )
        sent = json.loads(
            run_instrumented(["tests/support/audit_app.py"], env, timeout=180).splitlines()[-1]
        )
        # The process has exited: its providers flushed at shutdown.
        yield {
            "sent": sent,
            "logs": receiver.log_records(),
            "spans": receiver.spans(),
            "metrics": receiver.latest_metrics(),
        }


def _audits(run: Dict[str, Any]) -> List[ReceivedLogRecord]:
    return [record for record in run["logs"] if record.event_name == AUDIT]


def test_every_request_from_every_source_has_exactly_one_record(run: Dict[str, Any]) -> None:
    sent = run["sent"]
    audits = _audits(run)
    assert run["spans"] == []  # sampled at 0 %: no span left the process
    assert len(audits) == sum(len(requests) for requests in sent.values()) == 27
    hook = [r for r in audits if "server.address" in r.attributes]
    router = [r for r in audits if "llm_router.route" in r.attributes]
    forward = [r for r in audits if "llm_router.endpoint" in r.attributes]
    litellm = [
        r for r in router if str(r.attributes.get("llm_router.request.id")).startswith("call-")
    ]
    observed = [r for r in router if r not in litellm]
    # The hook: one record per call, failures included (attempts under LiteLLM have none).
    assert sorted(r.attributes["gen_ai.request.model"] for r in hook) == sorted(sent["hook"])
    # The observer: one per reported request, by account.
    assert Counter(r.attributes["llm_router.account.id"] for r in observed) == Counter(
        sent["observer"]
    )
    # Forward events: one per request id.
    assert sorted(r.attributes["llm_router.request.id"] for r in forward) == sorted(sent["forward"])
    # LiteLLM: one per proxy request, the retried one too (its three attempts have none).
    assert sorted(r.attributes["llm_router.request.id"] for r in litellm) == sorted(sent["litellm"])
    (retried,) = [r for r in litellm if r.attributes["llm_router.request.status"] == "error"]
    assert retried.attributes["llm_router.attempts"] == 3
    assert retried.attributes["error.type"] == "rate_limit_exceeded"  # the provider's code
    assert {r.attributes["llm_router.account.name"] for r in litellm} == {"team-a-key"}
    assert {r.attributes["llm_router.account.team.id"] for r in litellm} == {"team-a"}
    # Each record is its request's: its own span id, a trace id, in the span's context.
    assert len({r.span_id for r in audits}) == len(audits)
    assert all(int(r.trace_id, 16) and int(r.span_id, 16) for r in audits)


def test_a_record_says_who_what_when_tokens_cost_status(run: Dict[str, Any]) -> None:
    audits = _audits(run)
    for record in audits:
        attributes = record.attributes
        for key in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"):
            assert key in attributes, (key, attributes)
        assert attributes["llm_router.request.status"] in ("ok", "error")
        assert (attributes["llm_router.request.status"] == "error") == ("error.type" in attributes)
        start = attributes["llm_router.request.start_time_unix_nano"]
        assert 0 < start <= record.time_unix_nano
        assert attributes["llm_router.request.duration"] >= 0
        if attributes["llm_router.request.status"] == "ok":
            assert attributes["gen_ai.usage.input_tokens"] > 0
            assert attributes["llm_router.cost.usd"] > 0
    observed = [r for r in audits if r.attributes.get("llm_router.account.id") == "acct-0"]
    assert {r.attributes["llm_router.budget.micro_usd"] for r in observed} == {1_000_000}


def test_no_content_and_no_credential_ever(run: Dict[str, Any]) -> None:
    """Content capture is on and the key travels in headers and error texts: neither may be in
    an audit record (the allow-list), whatever the span would have carried."""
    for record in _audits(run):
        text = repr(record.attributes) + repr(record.body)
        assert SECRET not in text and "0123456789abcdef" not in text
        for word in PROMPT.split():
            assert word not in text
        assert not any(
            key.startswith("gen_ai.input") or "messages" in key for key in record.attributes
        )
        assert record.body is None


def test_metrics_count_every_request_with_traces_sampled_at_zero(run: Dict[str, Any]) -> None:
    """``always_off`` drops every span; the duration histogram still counts every call: the
    metrics are recorded from the call, never from the sampled span."""
    sent = run["sent"]
    duration = run["metrics"][DURATION]
    upstream = sum(p.count for p in duration.points if "server.address" in p.attributes)
    router = sum(p.count for p in duration.points if "server.address" not in p.attributes)
    litellm_attempts = (len(sent["litellm"]) - 1) + 3  # the retried request made three
    assert upstream == len(sent["hook"]) + litellm_attempts
    assert router == len(sent["observer"]) + len(sent["forward"]) + len(sent["litellm"])
    errors = sum(p.count for p in duration.points if "error.type" in p.attributes)
    assert errors == 2 + 2 + 3 + 1  # hook 429s, observer failures, LiteLLM attempts and request


def test_off_by_default() -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    from opentelemetry.instrumentation.llm_router import (
        CallerContext,
        InputTokens,
        LanguageModelUsage,
        OTelObserver,
        OutputTokens,
        RequestContext,
        RequestSuccessEvent,
        TelemetrySettings,
    )
    from tests.conftest import InMemoryLogExporter

    event = RequestSuccessEvent(
        RequestContext("r", "openai", "m", CallerContext("a")),
        LanguageModelUsage(InputTokens(total=5), OutputTokens(total=1)),
    )
    for audit, expected in ((False, 0), (True, 1)):
        exporter = InMemoryLogExporter()
        logs = LoggerProvider()
        logs.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        observer = OTelObserver(
            TracerProvider(sampler=ALWAYS_OFF),
            settings=TelemetrySettings(audit=audit),
            logger_provider=logs,
        )
        observer.record_success(event)
        assert len(exporter.get_finished_logs()) == expected
