"""LiteLLM's Bedrock path, in process: ``litellm.completion(model="bedrock/...")`` signs each
request with SigV4 (botocore's signer) and sends it over httpx to ``aws_bedrock_runtime_endpoint``,
here a local server speaking Bedrock's wire (the SDK matrix's, AWS event stream included).

LiteLLM picks the operation from the model string: ``bedrock/<id>`` (Converse for most models),
``bedrock/converse/<id>``, ``bedrock/invoke/<id>`` (InvokeModel, the family's own body). The hook's
span reads the bytes (``aws.bedrock``, the model from the path, usage, finish reasons, the error
type Bedrock names); the LiteLLM adapter's router span names the model LiteLLM sent, without its
route prefix. No access key, secret key, session token or signature reaches either.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm

from opentelemetry.instrumentation.llm_router._litellm._callback import OTelLiteLLMCallback
from tests.sdk_matrix.wire import BEDROCK, ERROR_MODEL
from tests.support.scripted_server import ScriptedServer
from tests.test_litellm_adapter import registered, router_spans, upstream_spans, wait_for

ACCESS = "AKIDLITELLMBEDROCK01"
SECRET = "litellm/bedrock+secret+canary"
TOKEN = "litellm-bedrock-session-token-canary"
SECRETS = (ACCESS, SECRET, TOKEN, "AWS4-HMAC-SHA256", "Signature=", "Credential=")
MESSAGES = [{"role": "user", "content": "Say hello."}]

ROUTES = [
    # (LiteLLM model, stream, path the request goes to, model on the wire, call type in BEDROCK)
    ("bedrock/us.amazon.nova-lite-v1:0", False, "converse", "us.amazon.nova-lite-v1:0", "chat"),
    ("bedrock/converse/amazon.nova-lite-v1:0", True, "converse-stream", "amazon.nova-lite-v1:0",
     "stream"),
    ("bedrock/invoke/anthropic.claude-3-5-haiku-20241022-v1:0", False, "invoke",
     "anthropic.claude-3-5-haiku-20241022-v1:0", "invoke"),
    ("bedrock/invoke/anthropic.claude-3-5-haiku-20241022-v1:0", True,
     "invoke-with-response-stream", "anthropic.claude-3-5-haiku-20241022-v1:0", "invoke_stream"),
]  # fmt: skip


def _kwargs(server: ScriptedServer) -> dict[str, Any]:
    return {
        "aws_bedrock_runtime_endpoint": server.url,
        "aws_access_key_id": ACCESS,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "aws_region_name": "us-east-1",
        "num_retries": 0,
    }


def _no_secret(spans: list[Any]) -> None:
    for span in spans:
        text = json.dumps(dict(span.attributes or {})) + repr(span.events) + repr(span.status)
        for secret in SECRETS:
            assert secret not in text, (secret, span.name)


def _hook_span(span_exporter: Any) -> Any:
    (span,) = upstream_spans(span_exporter.get_finished_spans())
    return span


@pytest.mark.parametrize(("model", "stream", "action", "wire_model", "call"), ROUTES)
def test_routes(
    instrument: Callable[..., Any],
    span_exporter: Any,
    model: str,
    stream: bool,
    action: str,
    wire_model: str,
    call: str,
) -> None:
    with ScriptedServer(BEDROCK.respond) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        reply = litellm.completion(model=model, messages=MESSAGES, stream=stream, **_kwargs(server))
        text = (
            "".join(c.choices[0].delta.content or "" for c in reply)
            if stream
            else reply.choices[0].message.content
        )
        (sent,) = server.received
    assert text == "Hello!"
    assert sent.path.rsplit("/", 1)[1] == action
    assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=" + ACCESS)
    assert sent.headers["X-Amz-Security-Token"] == TOKEN
    span = _hook_span(span_exporter)
    expect = BEDROCK.expect[call]
    a = span.attributes
    assert span.name == f"chat {wire_model}"
    assert (a["gen_ai.provider.name"], a["gen_ai.request.model"]) == ("aws.bedrock", wire_model)
    assert a.get("gen_ai.request.stream", False) is stream
    assert a.get("gen_ai.response.model") == expect.response_model
    assert a.get("gen_ai.response.id") == expect.response_id
    assert a["gen_ai.response.finish_reasons"] == expect.finish_reasons
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (
        expect.input_tokens,
        expect.output_tokens,
    )
    assert a.get("gen_ai.usage.cache_read.input_tokens") == expect.cache_read
    _no_secret([span])


def test_error(instrument: Callable[..., Any], span_exporter: Any) -> None:
    with ScriptedServer(BEDROCK.respond) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        with pytest.raises(litellm.RateLimitError):
            litellm.completion(
                model=f"bedrock/converse/{ERROR_MODEL}", messages=MESSAGES, **_kwargs(server)
            )
    span = _hook_span(span_exporter)
    assert span.attributes["error.type"] == "ThrottlingException"
    assert span.attributes["http.response.status_code"] == 429
    _no_secret([span])


@pytest.mark.parametrize(("model", "stream", "action", "wire_model", "call"), ROUTES)
async def test_adapter_view(
    instrument: Callable[..., Any],
    tracer_provider: Any,
    meter_provider: Any,
    span_exporter: Any,
    model: str,
    stream: bool,
    action: str,
    wire_model: str,
    call: str,
) -> None:
    """The adapter's router span over the hook's: the model LiteLLM sent (no ``converse/`` or
    ``invoke/`` route prefix), ``aws.bedrock``, the usage; no credential in either span."""
    with ScriptedServer(BEDROCK.respond) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        with registered(OTelLiteLLMCallback(tracer_provider, meter_provider)):
            reply = await litellm.acompletion(
                model=model, messages=MESSAGES, stream=stream, **_kwargs(server)
            )
            if stream:
                [c async for c in reply]
            await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))
    spans = span_exporter.get_finished_spans()
    (routed,) = router_spans(spans)
    hook = _hook_span(span_exporter)
    a = routed.attributes
    assert (a["gen_ai.provider.name"], a["gen_ai.request.model"]) == ("aws.bedrock", wire_model)
    assert routed.name == f"chat {wire_model}"
    assert a["gen_ai.usage.output_tokens"] == hook.attributes["gen_ai.usage.output_tokens"]
    _no_secret(list(spans))


ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "litellm_proxy" / "bedrock_calls.py"


@pytest.mark.parametrize("venv", [".venv-litellm", ".venv-litellm-next"])
def test_the_proxys_litellm_releases(venv: str, tmp_path: Path) -> None:
    """The same routes and the error through the LiteLLM releases the proxy tests run (their own
    venvs: the pinned one and the newest), in a subprocess there; and the error once more with
    the adapter registered, whose router span must say what the hook's span says."""
    python = ROOT / venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `bash scripts/setup.sh` (it makes {venv})")
    routes = [[model, stream] for model, stream, *_ in ROUTES]
    routes.append([f"bedrock/converse/{ERROR_MODEL}", False])
    credentials = {
        "aws_access_key_id": ACCESS,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
    }
    out = tmp_path / "calls.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [str(python), str(SCRIPT), json.dumps(routes), json.dumps(credentials), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0 and out.exists(), done.stderr[-4000:]
    calls = json.loads(out.read_text())["calls"]
    assert len(calls) == len(ROUTES) + 1
    for (_model, _stream, action, wire_model, call), outcome in zip(ROUTES, calls):
        assert outcome["text"] == "Hello!", outcome
        assert [p.rsplit("/", 1)[1] for p in outcome["paths"]] == [action]
        assert outcome["signed"] == [True]
        (span,) = outcome["spans"]
        a = span["attributes"]
        expect = BEDROCK.expect[call]
        assert (a["gen_ai.provider.name"], a["gen_ai.request.model"]) == (
            "aws.bedrock",
            wire_model,
        )
        assert tuple(a["gen_ai.response.finish_reasons"]) == expect.finish_reasons
        assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (
            expect.input_tokens,
            expect.output_tokens,
        )
        assert a.get("gen_ai.response.id") == expect.response_id
    error = calls[-1]
    assert error["error"] == "RateLimitError" and error["signed"] == [True]
    (span,) = error["spans"]
    assert span["attributes"]["error.type"] == "ThrottlingException"
    # The adapter's router span and the hook's span of one throttled call say the same.
    assert json.loads(out.read_text())["adapter"] == {
        "router": "ThrottlingException",
        "hook": "ThrottlingException",
    }
    for outcome in calls:
        for exported in outcome["spans"]:
            for secret in SECRETS:
                assert secret not in exported["exported"], secret


@pytest.mark.parametrize("fails", [False, True], ids=["ok", "throttled"])
async def test_library_mode_router_span_is_the_hooks_sibling(
    instrument: Callable[..., Any],
    tracer_provider: Any,
    meter_provider: Any,
    span_exporter: Any,
    fails: bool,
) -> None:
    """As docs/zero-code.md says: used as a library, the adapter's router span is not the parent
    of the hook's span; both are children of the span current at the call, in one trace."""
    model = f"bedrock/converse/{ERROR_MODEL}" if fails else ROUTES[1][0]
    with ScriptedServer(BEDROCK.respond) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        with registered(OTelLiteLLMCallback(tracer_provider, meter_provider)):
            tracer = tracer_provider.get_tracer("test")
            with tracer.start_as_current_span("caller") as caller:
                try:
                    await litellm.acompletion(model=model, messages=MESSAGES, **_kwargs(server))
                except litellm.RateLimitError:
                    assert fails
            await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))
    (routed,) = router_spans(span_exporter.get_finished_spans())
    hook = _hook_span(span_exporter)
    outer = caller.get_span_context()
    for span in (routed, hook):
        assert span.context.trace_id == outer.trace_id
        assert span.parent is not None and span.parent.span_id == outer.span_id
    if fails:
        assert routed.attributes["error.type"] == hook.attributes["error.type"]
