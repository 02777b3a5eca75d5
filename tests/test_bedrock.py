"""Amazon Bedrock Runtime over httpx: Converse, ConverseStream, InvokeModel and
InvokeModelWithResponseStream against a local server speaking the real wire formats, the binary
AWS event stream included. Every frame is checked with botocore's own event-stream parser (CRCs
included), the server's replies are read by the real boto3 client, and requests are SigV4-signed
by botocore, whose ``Authorization`` / ``X-Amz-*`` values must never reach telemetry."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from opentelemetry.instrumentation.llm_router._wire import DEFAULT_TABLE
from tests.support.aws_eventstream import chunk, event, exception
from tests.support.scripted_server import Reply, ScriptedServer, json_reply

ACCESS, SECRET, SESSION = "AKIDEXAMPLECANARY1", "secret/canary+key+9f3", "session-canary-token-77"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
GUARDRAIL = "gr-abc123"

CONVERSE_REPLY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}},
    "stopReason": "end_turn",
    "usage": {
        "inputTokens": 10,
        "outputTokens": 3,
        "totalTokens": 25,
        "cacheReadInputTokens": 8,
        "cacheWriteInputTokens": 4,
    },
    "metrics": {"latencyMs": 120},
}
CONVERSE_STREAM = [
    event("messageStart", {"role": "assistant", "p": "abcd"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}, "p": "a"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo"}, "p": "ab"}),
    event("contentBlockStop", {"contentBlockIndex": 0, "p": "abc"}),
    event("messageStop", {"stopReason": "max_tokens", "p": "ab"}),
    event(
        "metadata",
        {
            "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9},
            "metrics": {"latencyMs": 80},
            "p": "a",
        },
    ),
]
CLAUDE_STREAM = [
    chunk(
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_01",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-5-haiku-20241022",
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 11, "output_tokens": 1},
            },
        }
    ),
    chunk(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    ),
    chunk(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}
    ),
    chunk({"type": "content_block_stop", "index": 0}),
    chunk(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        }
    ),
    chunk(
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 11,
                "outputTokenCount": 4,
                "invocationLatency": 500,
                "firstByteLatency": 200,
            },
        }
    ),
]


def _stream_reply(frames: list[bytes]) -> Reply:
    return Reply(content_type="application/vnd.amazon.eventstream", pieces=frames, chunked=True)


@pytest.mark.parametrize(
    "frames", [CONVERSE_STREAM, CLAUDE_STREAM, [exception("throttlingException", "slow down")]]
)
def test_frames_are_what_botocore_parses(frames: list[bytes]) -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(frames))
    messages = list(buffer)  # raises on a bad CRC or length
    assert len(messages) == len(frames)
    for message in messages:
        assert message.headers[":message-type"] in ("event", "exception")
        json.loads(message.payload)


def _signed(url: str, body: bytes) -> dict[str, str]:
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS, SECRET, SESSION), "bedrock", "us-east-1").add_auth(request)
    return dict(request.headers)


def _spans(span_exporter: Any) -> list[Any]:
    return [
        s
        for s in span_exporter.get_finished_spans()
        if s.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
    ]


def _no_credentials(span: Any) -> None:
    exported = json.dumps(dict(span.attributes)) + json.dumps(
        [dict(e.attributes or {}) for e in span.events]
    )
    for secret in (ACCESS, SECRET, SESSION, "AWS4-HMAC-SHA256", "Signature="):
        assert secret not in exported


def _call(
    server: Any, model: str, action: str, body: dict[str, Any], stream: bool = False
) -> httpx.Response:
    url = f"{server.url}/model/{quote(model, safe='')}/{action}"
    raw = json.dumps(body).encode()
    with httpx.Client() as client:
        request = client.build_request("POST", url, content=raw, headers=_signed(url, raw))
        reply = client.send(request, stream=stream)
        if stream:
            for _ in reply.iter_bytes(5):
                pass
            reply.close()
        return reply


def test_converse(instrument: Any, span_exporter: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {
            "maxTokens": 64,
            "temperature": 0.2,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
        "guardrailConfig": {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "1"},
    }
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        reply = _call(server, ARN, "converse", body)
        (received,) = server.received
    assert reply.json() == CONVERSE_REPLY
    assert received.path == "/model/" + quote(ARN, safe="") + "/converse"
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.provider.name"] == "aws.bedrock"
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == ARN
    assert (
        a["gen_ai.request.max_tokens"],
        a["gen_ai.request.temperature"],
        a["gen_ai.request.top_p"],
    ) == (64, 0.2, 0.9)
    assert a["aws.bedrock.guardrail.id"] == GUARDRAIL
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert a["gen_ai.usage.input_tokens"] == 22  # 10 uncached + 8 read + 4 written
    assert a["gen_ai.usage.output_tokens"] == 3
    assert a["gen_ai.usage.cache_read.input_tokens"] == 8
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 4
    _no_credentials(span)


def test_converse_stream(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(_stream_reply(CONVERSE_STREAM)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _call(server, "amazon.nova-lite-v1:0", "converse-stream", {"messages": []}, stream=True)
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.request.model"] == "amazon.nova-lite-v1:0"
    assert a["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (7, 2)
    _no_credentials(span)


def test_invoke_stream_claude(instrument: Any, span_exporter: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}],
    }
    with ScriptedServer(_stream_reply(CLAUDE_STREAM)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _call(
            server,
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "invoke-with-response-stream",
            body,
            stream=True,
        )
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.max_tokens"] == 50
    assert a["gen_ai.response.id"] == "msg_bdrk_01"
    assert a["gen_ai.response.model"] == "claude-3-5-haiku-20241022"
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (11, 4)


def test_stream_exception_frame(instrument: Any, span_exporter: Any) -> None:
    frames = [*CONVERSE_STREAM[:2], exception("throttlingException", "Too many requests")]
    with ScriptedServer(_stream_reply(frames)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _call(server, "amazon.nova-lite-v1:0", "converse-stream", {"messages": []}, stream=True)
    (span,) = _spans(span_exporter)
    assert span.attributes["error.type"] == "throttlingException"


@pytest.mark.parametrize(
    ("model", "request_body", "reply", "operation", "reasons", "tokens"),
    [
        (
            "meta.llama3-8b-instruct-v1:0",
            {"prompt": "hi", "max_gen_len": 20, "temperature": 0.1},
            {
                "generation": "Hi",
                "prompt_token_count": 5,
                "generation_token_count": 2,
                "stop_reason": "stop",
            },
            "text_completion",
            ("stop",),
            (5, 2),
        ),
        (
            "amazon.titan-text-express-v1",
            {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 30}},
            {
                "inputTextTokenCount": 3,
                "results": [{"tokenCount": 6, "outputText": "x", "completionReason": "FINISH"}],
            },
            "text_completion",
            ("FINISH",),
            (3, 6),
        ),
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "hi"},
            {"embedding": [0.1], "inputTextTokenCount": 2},
            "embeddings",
            None,
            (2, None),
        ),
        (
            "amazon.nova-micro-v1:0",
            {
                "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                "inferenceConfig": {"max_new_tokens": 9},
            },
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 4, "outputTokens": 1, "cacheReadInputTokenCount": 2},
            },
            "chat",
            ("end_turn",),
            (6, 1),
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "<s>[INST] hi [/INST]", "max_tokens": 5},
            {"outputs": [{"text": "x", "stop_reason": "length"}]},
            "text_completion",
            ("length",),
            None,
        ),
        (
            "openai.gpt-oss-20b-1:0",
            {"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8},
            {
                "id": "chatcmpl-b",
                "object": "chat.completion",
                "model": "openai.gpt-oss-20b-1:0",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "x"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
            },
            "chat",
            ("stop",),
            (9, 1),
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 9,
                "messages": [{"role": "user", "content": "hi"}],
            },
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-haiku-20240307",
                "content": [{"type": "text", "text": "x"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 3, "output_tokens": 1},
            },
            "chat",
            ("end_turn",),
            (3, 1),
        ),
    ],
)
def test_invoke_families(
    instrument: Any,
    span_exporter: Any,
    model: str,
    request_body: Any,
    reply: Any,
    operation: str,
    reasons: Any,
    tokens: Any,
) -> None:
    with ScriptedServer(json_reply(reply)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _call(server, model, "invoke", request_body)
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert a["gen_ai.operation.name"] == operation
    assert a["gen_ai.request.model"] == model
    assert a.get("gen_ai.response.finish_reasons") == reasons
    if tokens is not None:
        assert (a.get("gen_ai.usage.input_tokens"), a.get("gen_ai.usage.output_tokens")) == tokens
    _no_credentials(span)


def test_error_body(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(
        json_reply({"message": "The provided model identifier is invalid."}, status=400)
    ) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _call(server, "nope", "converse", {"messages": []})
    (span,) = _spans(span_exporter)
    assert span.attributes["error.type"] == "400"


def test_boto3_reads_the_servers_wire(instrument: Any) -> None:
    """The local server's replies are Bedrock's wire: the real boto3 client parses them."""
    config = Config(retries={"max_attempts": 1})
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            config=config,
        )
        result = client.converse(
            modelId=ARN, messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
        assert result["usage"]["cacheWriteInputTokens"] == 4
        server.responder = _stream_reply(CONVERSE_STREAM)
        events = list(client.converse_stream(modelId=ARN, messages=[])["stream"])
        (received, _) = server.received
    assert [next(iter(e)) for e in events] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert received.path == "/model/" + quote(ARN, safe="") + "/converse"


@pytest.mark.parametrize(
    "host",
    ["bedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime-fips.us-gov-west-1.amazonaws.com"],
)
def test_bedrock_hosts(host: str) -> None:
    route = DEFAULT_TABLE.lookup(host, 443)
    assert (route.provider, route.format.name) == ("aws.bedrock", "bedrock")
    assert DEFAULT_TABLE.lookup("s3.us-east-1.amazonaws.com", 443) is None


# boto3 itself (botocore on urllib3) ---------------------------------------------------------


def _boto3(server: Any) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        aws_session_token=SESSION,
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_converse(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        result = _boto3(server).converse(
            modelId=ARN,
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
            inferenceConfig={"maxTokens": 64},
            guardrailConfig={"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "1"},
        )
    assert result["stopReason"] == "end_turn"
    (span,) = _spans(span_exporter)
    a = span.attributes
    assert (a["gen_ai.provider.name"], a["gen_ai.request.model"]) == ("aws.bedrock", ARN)
    assert a["aws.bedrock.guardrail.id"] == GUARDRAIL
    assert a["gen_ai.usage.input_tokens"] == 22
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",)
    _no_credentials(span)
    if a.get("llm_router.cost.source") is not None or sys.version_info >= (3, 11):
        # the price database knows Bedrock's models, an inference-profile ARN included
        assert a["llm_router.cost.source"] == "genai-prices"
        assert a["llm_router.cost.usd"] > 0


def test_boto3_converse_stream_not_buffered(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(_stream_reply(CONVERSE_STREAM)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        stream = _boto3(server).converse_stream(modelId="amazon.nova-lite-v1:0", messages=[])
        assert _spans(span_exporter) == []  # nothing read yet: the span is still open
        kinds = [next(iter(e)) for e in stream["stream"]]
    assert kinds[-1] == "metadata"
    (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert span.attributes["gen_ai.usage.output_tokens"] == 2
    _no_credentials(span)


def test_boto3_invoke_stream_and_body(instrument: Any, span_exporter: Any) -> None:
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": []})
    with ScriptedServer(_stream_reply(CLAUDE_STREAM)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        client = _boto3(server)
        reply = client.invoke_model_with_response_stream(
            modelId="anthropic.claude-3-5-haiku-20241022-v1:0", body=body
        )
        chunks = list(reply["body"])
        assert len(chunks) == len(CLAUDE_STREAM)
        server.responder = json_reply(
            {
                "generation": "x",
                "prompt_token_count": 5,
                "generation_token_count": 2,
                "stop_reason": "stop",
            }
        )
        whole = client.invoke_model(
            modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi"})
        )
        assert json.loads(whole["body"].read())["stop_reason"] == "stop"
    first, second = _spans(span_exporter)
    assert first.attributes["gen_ai.response.id"] == "msg_bdrk_01"
    assert first.attributes["gen_ai.usage.output_tokens"] == 4
    assert second.attributes["gen_ai.operation.name"] == "text_completion"
    assert second.attributes["gen_ai.usage.input_tokens"] == 5


def test_boto3_error_and_stream_exception(instrument: Any, span_exporter: Any) -> None:
    import botocore.exceptions

    with ScriptedServer(json_reply({"message": "bad model"}, status=400)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        client = _boto3(server)
        with pytest.raises(botocore.exceptions.ClientError):
            client.converse(modelId="nope", messages=[])
        server.responder = _stream_reply(
            [*CONVERSE_STREAM[:2], exception("throttlingException", "slow")]
        )
        stream = client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=[])["stream"]
        with pytest.raises(botocore.exceptions.EventStreamError):
            list(stream)
        stream.close()  # what the caller does with a stream it stops reading
    first, second = _spans(span_exporter)
    assert first.attributes["error.type"] == "400"
    assert first.attributes["http.response.status_code"] == 400
    assert second.attributes["error.type"] == "throttlingException"
    assert second.attributes["http.response.status_code"] == 200


def test_boto3_status_code_on_every_operation(instrument: Any, span_exporter: Any) -> None:
    """``http.response.status_code`` on the span of each operation, read whole or streamed."""
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        client = _boto3(server)
        client.converse(modelId="amazon.nova-lite-v1:0", messages=[])
        server.responder = json_reply({"generation": "x", "stop_reason": "stop"})
        client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=b"{}")["body"].read()
        server.responder = _stream_reply(CONVERSE_STREAM)
        list(client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=[])["stream"])
    assert [s.attributes.get("http.response.status_code") for s in _spans(span_exporter)] == [
        200,
        200,
        200,
    ]


def test_boto3_failed_stream_abandoned(instrument: Any, span_exporter: Any) -> None:
    """A stream whose reader stops at the error and drops it unclosed ends once collected."""
    import gc

    import botocore.exceptions

    frames = [*CONVERSE_STREAM[:2], exception("throttlingException", "slow")]
    with ScriptedServer(_stream_reply(frames)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        client = _boto3(server)
        with pytest.raises(botocore.exceptions.EventStreamError):
            for _ in client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=[])["stream"]:
                pass
        gc.collect()
        (span,) = _spans(span_exporter)
    assert span.attributes["error.type"] == "throttlingException"
