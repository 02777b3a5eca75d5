"""Secrets and prompt text in error text: the one redaction step, end to end and property-based.

- The real openai SDK with an API key that ends in a newline (a key file, a CRLF ``.env``): h11
  refuses the header and raises ``LocalProtocolError("Illegal header value b'Bearer sk-…\\n'")``
  on every retry. No part of the key (8 characters or more) may reach the span status, the
  exception event (message and stack trace), ``error.type`` or the OTLP bytes.
- Generated keys (Hypothesis), in every kind of credential header and in ``?key=``, echoed back by
  a real loopback provider in a 401 as sent, stripped, percent-encoded, cut, and past the message
  length bound: no 8-character prefix of any form of the key reaches telemetry.
- A 400 that quotes the request's messages, with content capture off: none of the prompt text
  reaches telemetry; with capture on (the control) the quote stays.
- ``help()`` on the package renders no environment value.
"""

from __future__ import annotations

import json
import pydoc
import string
import uuid
from typing import Any, Iterator
from urllib.parse import quote

import httpx2
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import opentelemetry.instrumentation.llm_router as package
from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router._bounds import MAX_MESSAGE
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from opentelemetry.instrumentation.llm_router._httpx._request import request_credentials
from opentelemetry.instrumentation.llm_router._redact import MIN_SECRET, Redactor
from tests.conftest import exception_events
from tests.support.scripted_server import Reply, ScriptedServer

GENERATED_KEYS = 120
GENERATED_REQUESTS = 40
GENERATED_PROMPTS = 100
PROMPT = "My social security number is 078-05-1120 and my card is 4111 1111 1111 1111"


def _texts(span: Any) -> Iterator[str]:
    """Every text of a span that could carry error text."""
    yield span.name
    yield str(span.status.description)
    # Values only: attribute names are our constants, and a generated key may be a word of one
    # ("response" of ``http.response.status_code``).
    yield from (str(value) for value in (span.attributes or {}).values())
    for event in span.events:
        yield event.name
        yield from (str(value) for value in (event.attributes or {}).values())


def _prefixes(secret: str) -> list[str]:
    """The 8-character-or-longer prefixes of every form the key can take in error text."""
    forms = {secret, secret.strip(), quote(secret.strip(), safe="")}
    return [form[:MIN_SECRET] for form in forms if len(form) >= MIN_SECRET]


def _record_texts(records: Any) -> Iterator[str]:
    """Every text of the exception log records (where a failure's message and stack go)."""
    for record in records:
        yield str(record.body)
        yield from (str(value) for value in (record.attributes or {}).values())


def _assert_clean(spans: Any, secret: str, records: Any = ()) -> None:
    everything = "\n".join(
        [*(text for span in spans for text in _texts(span)), *_record_texts(records)]
    )
    encoded = encode_spans(spans).SerializeToString()
    for prefix in _prefixes(secret):
        assert prefix not in everything, f"{prefix!r} of the key reached a span"
        assert prefix.encode() not in encoded, f"{prefix!r} of the key in the OTLP bytes"


@pytest.fixture
def recorded(
    log_exporter: Any, logger_provider: Any
) -> Iterator[tuple[InMemorySpanExporter, TracerProvider, Any, Any]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter, provider, log_exporter, logger_provider
    provider.shutdown()


@pytest.fixture
def instrumented(
    recorded: tuple[InMemorySpanExporter, TracerProvider, Any, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    exporter, provider, _, logger_provider = recorded

    def start(providers: str, capture: bool = False) -> InMemorySpanExporter:
        monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", providers)
        monkeypatch.setenv(
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", str(capture).lower()
        )
        LLMRouterInstrumentor().instrument(
            tracer_provider=provider, logger_provider=logger_provider
        )
        return exporter

    yield start
    LLMRouterInstrumentor().uninstrument()


# -- 1. a key with a trailing newline, through the real openai SDK ------------------------------


@pytest.mark.parametrize("ending", ["\n", "\r\n", " \n", "\t"])
def test_openai_key_with_a_line_ending_is_not_exported(
    instrumented: Any, recorded: Any, ending: str
) -> None:
    secret = f"sk-proj-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    with ScriptedServer(Reply(pieces=[b"{}"])) as server:
        exporter = instrumented(f"{server.host_port}=openai")
        client = openai.OpenAI(api_key=secret + ending, base_url=server.url + "/v1", max_retries=2)
        with pytest.raises(openai.APIConnectionError) as raised:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        assert secret in repr(raised.value.__cause__)  # the exception itself does carry it
        assert server.received == []  # h11 refused the header before anything was sent
    spans = exporter.get_finished_spans()
    assert len(spans) == 3  # the SDK's two retries: three calls, three spans
    records = exception_events(recorded[2])
    assert len(records) == 3
    for span, event in zip(spans, records):
        assert span.status.description and "[REDACTED]" in span.status.description
        assert not span.events  # the failure is the log event, not a span event
        assert event.attributes["exception.type"].endswith("LocalProtocolError")
        assert "[REDACTED]" in event.attributes["exception.message"]
        assert "Traceback" in event.attributes["exception.stacktrace"]
        assert span.attributes[A.ERROR_TYPE] == "LocalProtocolError"
    _assert_clean(spans, secret, records)


# -- generated keys, echoed back by a provider ---------------------------------------------------

_KEY_ALPHABET = string.ascii_letters + string.digits + "-_.~+/=:"
_HEADERS = ("Authorization", "x-api-key", "api-key", "x-goog-api-key", "X-Custom-Token")
keys = st.text(_KEY_ALPHABET, min_size=MIN_SECRET, max_size=120).filter(
    # "aaaaaaaa" also matches ordinary text, and a prefix like "response" matches the name of
    # an attribute in the OTLP bytes; real keys are random, with digits among their first chars.
    lambda k: len(set(k)) > 3 and any(c.isdigit() for c in k[:MIN_SECRET])
)


@st.composite
def echoed(draw: Any, secret: str) -> str:
    """A provider message quoting the key in one of the ways providers and proxies do."""
    form = draw(
        st.sampled_from(
            [
                secret,
                secret.strip(),
                quote(secret.strip(), safe=""),
                secret.strip()[: draw(st.integers(MIN_SECRET, max(MIN_SECRET, len(secret))))],
                json.dumps(secret)[1:-1],
            ]
        )
    )
    before = draw(st.text(string.ascii_letters + " :", max_size=MAX_MESSAGE + 40))
    after = draw(st.text(string.ascii_letters + " .*", max_size=60))
    return f"{before}{form}{after}"


@settings(
    max_examples=GENERATED_KEYS,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), secret=keys, padding=st.sampled_from(["", "\n", " ", "\r\n"]))
def test_generated_keys_never_survive_the_redaction_step(
    data: Any, secret: str, padding: str
) -> None:
    """The step itself, on real httpx2 requests carrying the key in a header or the query."""
    where = data.draw(st.sampled_from((*_HEADERS, "?key=", "?access_token=")))
    if where.startswith("?"):
        request = httpx2.Request(
            "POST", f"http://127.0.0.1/v1/chat?{where[1:]}{quote(secret + padding, safe='')}"
        )
    else:
        value = f"Bearer {secret}" if where == "Authorization" else secret
        request = httpx2.Request("POST", "http://127.0.0.1/v1/chat")
        request.headers[where] = value  # httpx2 validates values only when sending
    message = data.draw(echoed(secret + padding))
    redacted = Redactor.for_call(request_credentials(request), None, False)(message)
    assert redacted is not None and len(redacted) <= MAX_MESSAGE
    for prefix in _prefixes(secret):
        assert prefix not in redacted


@settings(
    max_examples=GENERATED_REQUESTS,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), secret=keys)
def test_generated_keys_echoed_in_401s_never_reach_telemetry(
    data: Any, secret: str, instrumented: Any, recorded: Any
) -> None:
    """End to end: a real loopback provider answers a 401 quoting the key it was sent."""
    header = data.draw(st.sampled_from(_HEADERS))
    message = data.draw(echoed(secret))
    code = data.draw(st.sampled_from(["invalid_api_key", f"bad_key_{secret}"]))
    body = json.dumps({"error": {"message": message, "type": code, "code": code}}).encode()
    with ScriptedServer(Reply(status=401, pieces=[body])) as server:
        exporter = instrumented(f"{server.host_port}=openai")
        exporter.clear()
        recorded[2].clear()
        value = f"Bearer {secret}" if header == "Authorization" else secret
        with httpx2.Client(headers={header: value}) as client:
            response = client.post(
                server.url + "/v1/chat/completions",
                content=b'{"model":"m","messages":[{"role":"user","content":"hi"}]}',
            )
        LLMRouterInstrumentor().uninstrument()
    assert response.content == body  # the caller still gets every byte
    (span,) = exporter.get_finished_spans()
    assert span.attributes[A.ERROR_TYPE]
    (record,) = exception_events(recorded[2])
    _assert_clean([span], secret, [record])


# -- 2. prompt text quoted in a provider error ---------------------------------------------------


@pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on(control)"])
@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
def test_prompt_quoted_in_a_400_is_not_exported(
    instrumented: Any, capture: bool, stream: bool
) -> None:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}
    quoted = json.dumps(request["messages"])
    error = {
        "error": {
            "message": f"Invalid request: messages={quoted} is not allowed",
            "type": "invalid_request_error",
            "code": None,
        }
    }
    with ScriptedServer(Reply(status=400, pieces=[json.dumps(error).encode()])) as server:
        exporter = instrumented(f"{server.host_port}=openai", capture=capture)
        with httpx2.Client() as client:
            if stream:
                with client.stream(
                    "POST", server.url + "/v1/chat/completions", json=request
                ) as response:
                    response.read()
            else:
                client.post(server.url + "/v1/chat/completions", json=request)
    (span,) = exporter.get_finished_spans()
    description = span.status.description
    assert description.startswith("Invalid request: messages=")
    everything = "\n".join(_texts(span))
    if capture:  # the control: the quote is there when content is captured
        assert "078-05-1120" in description
    else:
        assert "[content]" in description
        for word in ("078-05-1120", "4111 1111", "social security"):
            assert word not in everything


_PROMPT_ALPHABET = string.ascii_letters + string.digits + " .,:;!?'\"\n\t-_/é中✓"


@settings(max_examples=GENERATED_PROMPTS, deadline=None, derandomize=True)
@given(data=st.data())
def test_no_run_of_16_characters_of_the_request_survives(data: Any) -> None:
    """Generated prompts (several messages, a system prompt), quoted by an error message in
    pieces, whole, or JSON-escaped, between other text: with capture off, no run of 16 characters
    of the redacted message (outside the placeholders) occurs in any string of the request."""
    texts = data.draw(
        st.lists(st.text(_PROMPT_ALPHABET, min_size=1, max_size=300), min_size=1, max_size=4)
    )
    body = {
        "model": "gpt-4o-mini",
        "system": texts[0],
        "messages": [{"role": "user", "content": t} for t in texts[1:] or texts],
    }
    pieces = []
    for _ in range(data.draw(st.integers(1, 4))):
        source = data.draw(st.sampled_from(texts))
        start = data.draw(st.integers(0, len(source)))
        piece = source[start : start + data.draw(st.integers(0, 200))]
        if data.draw(st.booleans()):
            piece = json.dumps(piece)[1:-1]
        pieces.append(piece)
        pieces.append(data.draw(st.text(string.ascii_letters + " :", max_size=20)))
    message = "Invalid request: " + "".join(pieces)
    redactor = Redactor.for_call([], json.dumps(body).encode(), False)
    redacted = redactor.redact(message)
    forms = [
        f for t in texts for f in (t, json.dumps(t)[1:-1], json.dumps(t, ensure_ascii=False)[1:-1])
    ]
    for segment in redacted.replace("[REDACTED]", "[content]").split("[content]"):
        for at in range(len(segment) - 15):
            window = segment[at : at + 16]
            assert not any(window in form for form in forms), (window, redacted)
    # With capture on, only key shapes are masked: the quote stays (the control).
    captured = Redactor.for_call([], json.dumps(body).encode(), True)
    assert captured.redact(message) == Redactor().redact(message)


def test_openai_sdk_400_quoting_the_prompt(instrumented: Any) -> None:
    """The same through the openai SDK, whose request JSON is built by the SDK itself."""
    error = {"error": {"message": f"Your message '{PROMPT}' was flagged", "type": "flagged"}}
    with ScriptedServer(Reply(status=400, pieces=[json.dumps(error).encode()])) as server:
        exporter = instrumented(f"{server.host_port}=openai")
        client = openai.OpenAI(api_key="sk-test", base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}]
            )
    (span,) = exporter.get_finished_spans()
    assert span.status.description == "Your message '[content]' was flagged"


# -- 3. help() renders no environment ------------------------------------------------------------


def test_help_renders_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = f"sk-canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    import importlib

    for name in ("_config", "_pricing", "_spend"):
        importlib.import_module(f"opentelemetry.instrumentation.llm_router.{name}")
    rendered = pydoc.render_doc(package, renderer=pydoc.plaintext)
    for name in ("_config", "_pricing", "_spend", "_cli"):
        module = importlib.import_module(f"opentelemetry.instrumentation.llm_router.{name}")
        rendered += pydoc.render_doc(module, renderer=pydoc.plaintext)
    assert "OTelObserver" in rendered  # the control: the help was rendered
    assert canary not in rendered
    assert "environ({" not in rendered
