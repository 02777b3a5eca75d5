"""Bedrock content capture (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``): Converse's
messages and system blocks, its output message, and InvokeModel bodies by model family, in the
GenAI content schema the other formats produce; media bytes never copied; nothing without capture.
Through the hook with httpx and the real boto3 client against a local server."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.config import Config

from opentelemetry.instrumentation.llm_router._wire import get_format
from tests.support.scripted_server import Reply, ScriptedServer, json_reply
from tests.test_bedrock_streams import DELIVERIES, STREAMS

BEDROCK = get_format("bedrock")
IMAGE = b"\x89PNG-not-for-telemetry-" * 4
CAPTURE = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}

CONVERSE_REQUEST = {
    "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"text": "What is in this picture, and the weather in Paris?"},
                {"image": {"format": "png", "source": {"bytes": base64.b64encode(IMAGE).decode()}}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "Need the tool.", "signature": "s"}}},
                {"toolUse": {"toolUseId": "t1", "name": "weather", "input": {"city": "Paris"}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"json": {"c": 21}}], "status": "success"}}
            ],
        },
    ],
}  # fmt: skip
CONVERSE_INPUT = [
    {
        "role": "user",
        "parts": [
            {"type": "text", "content": "What is in this picture, and the weather in Paris?"},
            {"type": "image"},
        ],
    },
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Need the tool."},
            {"type": "tool_call", "name": "weather", "id": "t1", "arguments": {"city": "Paris"}},
        ],
    },
    {
        "role": "user",
        "parts": [{"type": "tool_call_response", "response": [{"c": 21}], "id": "t1"}],
    },
]
CONVERSE_REPLY = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "A cat. Paris: 21 C."},
                {"toolUse": {"toolUseId": "t2", "name": "log", "input": {"done": True}}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 30, "outputTokens": 9, "totalTokens": 39},
    "metrics": {"latencyMs": 100},
}
CONVERSE_OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "A cat. Paris: 21 C."},
            {"type": "tool_call", "name": "log", "id": "t2", "arguments": {"done": True}},
        ],
        "finish_reason": "tool_use",
    }
]


def _text_out(text: str, reason: str) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": reason}
    ]


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"type": "text", "content": text}]}


# model, request body, reply body, expected (input messages, system), expected output
INVOKE = {
    "claude": (
        "anthropic.claude-3-haiku-20240307-v1:0",
        {
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 9, "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        },
        {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-haiku-20240307",
            "content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
        ([_user("hi")], [{"type": "text", "content": "Be brief."}]),
        _text_out("Hello", "end_turn"),
    ),
    "nova": (
        "amazon.nova-micro-v1:0",
        {
            "schemaVersion": "messages-v1", "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "inferenceConfig": {"maxTokens": 9},
        },
        {
            "output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}},
            "stopReason": "end_turn", "usage": {"inputTokens": 4, "outputTokens": 1},
        },
        ([_user("hi")], [{"type": "text", "content": "Be brief."}]),
        _text_out("Hello", "end_turn"),
    ),
    "gpt-oss": (
        "openai.gpt-oss-20b-1:0",
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]},
        {
            "id": "chatcmpl-b", "object": "chat.completion", "model": "openai.gpt-oss-20b-1:0",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
        },
        ([{"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}, _user("hi")], None),
        _text_out("Hello", "stop"),
    ),
    "llama": (
        "meta.llama3-8b-instruct-v1:0",
        {"prompt": "<|begin_of_text|>hi", "max_gen_len": 20},
        {"generation": "Hello", "prompt_token_count": 5, "generation_token_count": 1, "stop_reason": "stop"},
        ([_user("<|begin_of_text|>hi")], None),
        _text_out("Hello", "stop"),
    ),
    "mistral": (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "<s>[INST] hi [/INST]", "max_tokens": 5},
        {"outputs": [{"text": "Hello", "stop_reason": "stop"}]},
        ([_user("<s>[INST] hi [/INST]")], None),
        _text_out("Hello", "stop"),
    ),
    "titan": (
        "amazon.titan-text-express-v1",
        {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 30}},
        {"inputTextTokenCount": 3, "results": [{"tokenCount": 1, "outputText": "Hello", "completionReason": "FINISH"}]},
        ([_user("hi")], None),
        _text_out("Hello", "FINISH"),
    ),
}  # fmt: skip


def _span(span_exporter: Any) -> Any:
    (span,) = span_exporter.get_finished_spans()
    return span


def _content(span: Any) -> tuple[Any, Any, Any]:
    a = span.attributes
    return tuple(
        json.loads(a[key]) if key in a else None
        for key in ("gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.output.messages")
    )


def _boto3(server: Any) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.mark.parametrize("client", ["httpx", "boto3"])
def test_converse_content(client: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock", **CAPTURE)
        if client == "httpx":
            httpx.post(f"{server.url}/model/amazon.nova-pro-v1%3A0/converse", json=CONVERSE_REQUEST)
        else:
            request = json.loads(json.dumps(CONVERSE_REQUEST))
            request["messages"][0]["content"][1]["image"]["source"]["bytes"] = IMAGE
            _boto3(server).converse(modelId="amazon.nova-pro-v1:0", **request)
    span = _span(span_exporter)
    messages, system, output = _content(span)
    assert messages == CONVERSE_INPUT
    assert system == [{"type": "text", "content": "You are terse."}]
    assert output == CONVERSE_OUTPUT
    exported = json.dumps(dict(span.attributes))
    assert "PNG-not-for-telemetry" not in exported
    assert base64.b64encode(IMAGE).decode()[:40] not in exported


@pytest.mark.parametrize("client", ["httpx", "boto3"])
def test_nothing_captured_by_default(client: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply(CONVERSE_REPLY)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        if client == "httpx":
            httpx.post(f"{server.url}/model/amazon.nova-pro-v1%3A0/converse", json=CONVERSE_REQUEST)
        else:
            _boto3(server).converse(
                modelId="amazon.nova-pro-v1:0",
                messages=[{"role": "user", "content": [{"text": "x"}]}],
            )
        stream = STREAMS["converse"]()
        server.responder = Reply(
            content_type="application/vnd.amazon.eventstream", pieces=stream.frames, chunked=True
        )
        with httpx.stream(
            "POST", f"{server.url}/model/m/converse-stream", json=stream.request
        ) as response:
            response.read()
    for span in span_exporter.get_finished_spans():
        assert _content(span) == (None, None, None)
        assert span.attributes["gen_ai.response.finish_reasons"]  # the call itself was read


@pytest.mark.parametrize("family", INVOKE)
@pytest.mark.parametrize("client", ["httpx", "boto3"])
def test_invoke_content_by_family(
    family: str, client: str, instrument: Any, span_exporter: Any
) -> None:
    model, request, reply, (messages, system), output = INVOKE[family]
    with ScriptedServer(json_reply(reply)) as server:
        instrument(f"{server.host_port}=aws.bedrock", **CAPTURE)
        if client == "httpx":
            httpx.post(f"{server.url}/model/{quote(model, safe='')}/invoke", json=request)
        else:
            body = _boto3(server).invoke_model(modelId=model, body=json.dumps(request))["body"]
            assert json.loads(body.read()) == reply
    assert _content(_span(span_exporter)) == (messages, system, output)


@pytest.mark.parametrize("name", STREAMS)
def test_streamed_content_through_boto3(name: str, instrument: Any, span_exporter: Any) -> None:
    """The message a stream carried, reassembled from its events as the boto3 caller reads
    them (ConverseStream and every InvokeModel family), and its request's input."""
    stream = STREAMS[name]()
    with ScriptedServer(
        Reply(
            content_type="application/vnd.amazon.eventstream",
            pieces=DELIVERIES["per-frame"](stream.frames),
            chunked=True,
        )
    ) as server:
        instrument(f"{server.host_port}=aws.bedrock", **CAPTURE)
        client = _boto3(server)
        if stream.action == "converse-stream":
            reply = client.converse_stream(modelId=stream.model, **stream.request)
            list(reply["stream"])
        else:
            reply = client.invoke_model_with_response_stream(
                modelId=stream.model, body=json.dumps(stream.request)
            )
            list(reply["body"])
    messages, _, output = _content(_span(span_exporter))
    assert output == [stream.message]
    assert messages and messages[-1]["role"] == "user"
