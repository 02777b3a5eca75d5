"""aiobotocore's Bedrock Runtime client, instrumented, against a local server speaking Bedrock's
wire (the binary AWS event stream included). Runs in ``.venv-aiobotocore`` only (aiobotocore pins
an older botocore than the main venv has): tests/test_aiobotocore.py runs this file there.

aiobotocore sends every attempt through ``aiohttp.ClientSession`` (its default
``AIOHTTPSession``) or through httpx2 (``HttpxSession``), both of which the hook already wraps: its
``AioEndpoint._send`` is not wrapped a second time. These tests hold that this really covers
aiobotocore, through its own response classes (``AioAWSResponse``, ``AioStreamingBody``,
``AioEventStream``): every operation, one span per HTTP attempt, streams observed as the caller
reads them (not read ahead), the span ended on every path, the caller's results unchanged, and
no SigV4 credential in telemetry.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any, Optional

import aiobotocore.session
import botocore.exceptions
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.httpxsession import HttpxSession

from tests.support.aws_eventstream import exception
from tests.support.scripted_server import Received, Reply, ScriptedServer, json_reply
from tests.test_bedrock import (
    ACCESS,
    ARN,
    CLAUDE_STREAM,
    CONVERSE_REPLY,
    CONVERSE_STREAM,
    GUARDRAIL,
    SECRET,
    SESSION,
    _no_credentials,
    _spans,
)

BACKENDS = {"aiohttp": None, "httpx2": HttpxSession}
"""aiobotocore's HTTP sessions: its default (aiohttp) and its httpx backend (httpx2 here)."""
EVENT_STREAM_BACKENDS = ["aiohttp"]
"""aiobotocore 3.10's event stream reads ``raw.content.iter_chunks()``: aiohttp's API only (over
httpx2 ConverseStream fails without the hook too, so those cells would test nothing of ours)."""
NOVA = "amazon.nova-lite-v1:0"
LLAMA_REPLY = {
    "generation": "Hi",
    "prompt_token_count": 5,
    "generation_token_count": 2,
    "stop_reason": "stop",
}


def _stream_reply(frames: list[bytes], pause_s: float = 0.0) -> Reply:
    return Reply(
        content_type="application/vnd.amazon.eventstream",
        pieces=frames,
        chunked=True,
        pause_s=pause_s,
    )


def _client(server: Any, backend: str, attempts: int = 1) -> Any:
    options: dict[str, Any] = {"retries": {"max_attempts": attempts, "mode": "standard"}}
    if BACKENDS[backend] is not None:
        options["http_session_cls"] = BACKENDS[backend]
    return aiobotocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        aws_session_token=SESSION,
        config=AioConfig(**options),
    )


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    """A parsed result without what differs per call (request id, date)."""
    return {k: v for k, v in result.items() if k != "ResponseMetadata"}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: Any) -> str:
    return request.param


async def test_converse(backend: str, instrument: Any, span_exporter: Any) -> None:
    kwargs = {
        "modelId": ARN,
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": 64, "temperature": 0.2},
        "guardrailConfig": {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "1"},
    }
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        async with _client(server, backend) as client:
            without = await client.converse(**kwargs)
            instrument(f"{server.host_port}=aws.bedrock")
            with_hook = await client.converse(**kwargs)
        sent = server.received[-1]
    assert _plain(with_hook) == _plain(without)
    assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256")  # a signed request
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert span.name == f"chat {ARN}"
    assert (a["gen_ai.provider.name"], a["gen_ai.request.model"]) == ("aws.bedrock", ARN)
    assert (a["gen_ai.request.max_tokens"], a["gen_ai.request.temperature"]) == (64, 0.2)
    assert a["aws.bedrock.guardrail.id"] == GUARDRAIL
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (22, 3)
    assert a["gen_ai.usage.cache_read.input_tokens"] == 8
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 4
    assert a["llm_router.cost.source"] == "genai-prices"
    _no_credentials(span)


async def test_invoke_model_body_read_by_the_caller(
    backend: str, instrument: Any, span_exporter: Any
) -> None:
    with ScriptedServer(json_reply(LLAMA_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            reply = await client.invoke_model(
                modelId="meta.llama3-8b-instruct-v1:0",
                body=json.dumps({"prompt": "hi", "max_gen_len": 20}),
            )
            assert _spans(span_exporter) == []  # the body is the caller's to read
            body = await reply["body"].read()
    assert json.loads(body) == LLAMA_REPLY
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.operation.name"] == "text_completion"
    assert a["gen_ai.request.model"] == "meta.llama3-8b-instruct-v1:0"
    assert a["gen_ai.request.max_tokens"] == 20
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (5, 2)
    _no_credentials(span)


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_converse_stream_piece_by_piece(
    backend: str, instrument: Any, span_exporter: Any
) -> None:
    """The first event reaches the caller while the server is still sending (nothing buffered or
    read ahead), and the span ends only when the stream does."""
    pause = 0.2
    with ScriptedServer(_stream_reply(CONVERSE_STREAM, pause_s=pause)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            start = time.monotonic()
            reply = await client.converse_stream(modelId=NOVA, messages=[])
            events = []
            first_at: Optional[float] = None
            async for item in reply["stream"]:
                if first_at is None:
                    first_at = time.monotonic() - start
                    assert _spans(span_exporter) == []  # still open
                events.append(next(iter(item)))
            total = time.monotonic() - start
    assert events == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert first_at is not None and total >= pause * (len(CONVERSE_STREAM) - 1)
    assert first_at < total / 2, (first_at, total)
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.request.stream"] is True
    assert a["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (7, 2)
    assert 0 < a["gen_ai.response.time_to_first_chunk"] < total
    _no_credentials(span)


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_invoke_model_with_response_stream(
    backend: str, instrument: Any, span_exporter: Any
) -> None:
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        }
    )
    with ScriptedServer(_stream_reply(CLAUDE_STREAM)) as server:
        async with _client(server, backend) as client:
            model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
            reply = await client.invoke_model_with_response_stream(modelId=model, body=body)
            without = [_plain(c) async for c in reply["body"]]
            instrument(f"{server.host_port}=aws.bedrock")
            reply = await client.invoke_model_with_response_stream(modelId=model, body=body)
            with_hook = [_plain(c) async for c in reply["body"]]
    assert with_hook == without and len(with_hook) == len(CLAUDE_STREAM)
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert (a["gen_ai.operation.name"], a["gen_ai.request.model"]) == ("chat", model)
    assert a["gen_ai.response.id"] == "msg_bdrk_01"
    assert a["gen_ai.response.model"] == "claude-3-5-haiku-20241022"
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (11, 4)
    _no_credentials(span)


async def test_error_reply(backend: str, instrument: Any, span_exporter: Any) -> None:
    reply = Reply(
        status=429,
        headers={"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/"},
        pieces=[b'{"message":"Too many requests, please wait before trying again."}'],
    )
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            with pytest.raises(botocore.exceptions.ClientError) as raised:
                await client.converse(modelId=NOVA, messages=[])
    response = raised.value.response
    assert response["Error"]["Code"] == "ThrottlingException"
    spans = _spans(span_exporter)  # botocore retries a throttled call: a span per attempt
    assert len(spans) == response["ResponseMetadata"]["RetryAttempts"] + 1
    for span in spans:
        assert span.status.status_code.name == "ERROR"
        assert span.attributes["http.response.status_code"] == 429
        assert span.attributes["error.type"] == "ThrottlingException"  # x-amzn-ErrorType's
        _no_credentials(span)


async def test_one_span_per_attempt(backend: str, instrument: Any, span_exporter: Any) -> None:
    """A retried call (a 503, then a success) is two HTTP attempts: two spans."""
    replies = [json_reply({"message": "unavailable"}, status=503), json_reply(CONVERSE_REPLY)]

    def respond(received: Received) -> Reply:
        return replies.pop(0)

    with ScriptedServer(respond) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend, attempts=2) as client:
            result = await client.converse(modelId=NOVA, messages=[])
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    first, second = _spans(span_exporter)
    assert first.attributes["error.type"] == "503"
    assert "error.type" not in second.attributes
    assert second.attributes["gen_ai.usage.output_tokens"] == 3


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_stream_exception_frame(backend: str, instrument: Any, span_exporter: Any) -> None:
    frames = [*CONVERSE_STREAM[:2], exception("throttlingException", "Too many tokens")]
    with ScriptedServer(_stream_reply(frames)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            reply = await client.converse_stream(modelId=NOVA, messages=[])
            seen = []
            with pytest.raises(botocore.exceptions.EventStreamError):
                async for item in reply["stream"]:
                    seen.append(next(iter(item)))
            reply["stream"].close()  # what a caller does with a stream it stops reading
    assert seen == ["messageStart", "contentBlockDelta"]
    (span,) = _spans(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "throttlingException"


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_stream_closed_early(backend: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(_stream_reply(CONVERSE_STREAM, pause_s=0.05)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            stream = (await client.converse_stream(modelId=NOVA, messages=[]))["stream"]
            seen = []
            async for item in stream:
                seen.append(next(iter(item)))
                if len(seen) == 2:  # messageStart, then the first output (contentBlockDelta)
                    break
            assert _spans(span_exporter) == []
            stream.close()
            (span,) = _spans(span_exporter)  # ended by the close, before the client closes
    assert span.attributes["gen_ai.request.model"] == NOVA
    assert span.attributes["gen_ai.response.time_to_first_chunk"] > 0


async def test_body_closed_unread(backend: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply(LLAMA_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            reply = await client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=b"{}")
            await reply["body"].aclose()
            (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.request.model"] == "meta.llama3-8b-instruct-v1:0"


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_stream_reader_cancelled(backend: str, instrument: Any, span_exporter: Any) -> None:
    """A task reading the stream is cancelled mid-stream: the span ends (the caller's cancellation
    goes through untouched)."""
    with ScriptedServer(_stream_reply(CONVERSE_STREAM, pause_s=0.5)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            first = asyncio.Event()

            async def read() -> None:
                stream = (await client.converse_stream(modelId=NOVA, messages=[]))["stream"]
                async for _ in stream:
                    first.set()

            task = asyncio.ensure_future(read())
            await asyncio.wait_for(first.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.request.model"] == NOVA


@pytest.mark.parametrize("backend", EVENT_STREAM_BACKENDS)
async def test_stream_abandoned(backend: str, instrument: Any, span_exporter: Any) -> None:
    """A stream the caller drops unread (no close) ends once its client is closed."""
    with ScriptedServer(_stream_reply(CONVERSE_STREAM, pause_s=0.05)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        async with _client(server, backend) as client:
            reply = await client.converse_stream(modelId=NOVA, messages=[])
            del reply
            gc.collect()
        gc.collect()
        (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.request.model"] == NOVA


async def test_uninstrument(backend: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrumentor = instrument(f"{server.host_port}=aws.bedrock")
        instrumentor.uninstrument()
        async with _client(server, backend) as client:
            await client.converse(modelId=NOVA, messages=[])
    assert _spans(span_exporter) == []
