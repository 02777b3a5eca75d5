"""Real recorded Bedrock Runtime exchanges (VCR cassettes of pydantic-ai and OpenInference, see
``tests/data/bedrock-recorded/README.md``), replayed from a local server, the AWS event streams
byte for byte, frame by frame as Bedrock sends them.

Each one is read twice through the hook: by the real boto3 client (whose own parse of the
recording is what the span is compared with: ``stopReason``, ``usage``, the stream's events, the
``ClientError`` code) and by httpx sending the recorded request body exactly. The span must say
what the recording says: the model of the path, the finish reason, the token counts (Converse's
``usage``; for InvokeModel, what AWS itself reports beside the family's body: the
``X-Amzn-Bedrock-*-Token-Count`` headers, a stream's ``amazon-bedrock-invocationMetrics``), and,
for streams, one output event per delta that carried text, reasoning or tool input."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import unquote

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer

from tests.support.cassettes import Interaction, interactions
from tests.support.scripted_server import Reply, ScriptedServer

RECORDED = interactions("bedrock-recorded", "bedrock-runtime")
CALLS = [i for i in RECORDED if not i.path.endswith("/count-tokens")]
EVENT_STREAM = "application/vnd.amazon.eventstream"
PER_CHUNK = "gen_ai.client.operation.time_per_output_chunk"


def _streamed(item: Interaction) -> bool:
    """An event stream answer. Some cassettes kept no response headers: a stream operation's
    successful answer is then known to be one by its operation (and botocore parses it)."""
    if item.content_type:
        return item.content_type.startswith(EVENT_STREAM)
    return item.status < 400 and item.path.endswith(
        ("/converse-stream", "/invoke-with-response-stream")
    )


def test_the_recordings_are_there() -> None:
    actions = {i.path.rsplit("/", 1)[1] for i in CALLS}
    assert actions == {"converse", "converse-stream", "invoke", "invoke-with-response-stream"}
    assert len(CALLS) >= 80
    assert sum(_streamed(i) for i in CALLS) == 14


def _frames(body: bytes) -> list[bytes]:
    """The event stream cut at its frames (each frame's total length is its first 4 bytes)."""
    frames, at = [], 0
    while at < len(body):
        size = int.from_bytes(body[at : at + 4], "big")
        frames.append(body[at : at + size])
        at += size
    assert b"".join(frames) == body
    return frames


def _reply(item: Interaction) -> Reply:
    headers = {k: v for k, v in item.headers.items() if k.startswith("x-amzn-")}
    if _streamed(item):
        return Reply(
            status=item.status,
            content_type=EVENT_STREAM,
            pieces=_frames(item.body),
            chunked=True,
            headers=headers,
        )
    return Reply(status=item.status, pieces=[item.body], headers=headers)


def _model(item: Interaction) -> str:
    return unquote(item.path[len("/model/") :].rsplit("/", 1)[0])


def _boto3(server: Any) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


# -- what the recording says, as botocore reads it ------------------------------------------------


class Said:
    """Finish reason, token counts and output events of one recorded answer."""

    def __init__(self) -> None:
        self.finish: Optional[str] = None
        self.input: Optional[int] = None
        self.output: Optional[int] = None
        self.cache_read: Optional[int] = None
        self.cache_write: Optional[int] = None
        self.outputs = 0  # output events in a stream
        self.error: Optional[str] = None


def _converse_usage(said: Said, usage: dict[str, Any]) -> None:
    said.cache_read = usage.get("cacheReadInputTokens")
    said.cache_write = usage.get("cacheWriteInputTokens")
    said.input = usage["inputTokens"] + (said.cache_read or 0) + (said.cache_write or 0)
    said.output = usage["outputTokens"]


def _delta_is_output(delta: dict[str, Any]) -> bool:
    reasoning = delta.get("reasoningContent") or {}
    return bool(
        delta.get("text") or (delta.get("toolUse") or {}).get("input") or reasoning.get("text")
    )


def _family_stop(said: Said, event: dict[str, Any]) -> None:
    """A decoded InvokeModel stream chunk (Claude, Nova) or whole body (Claude, Nova, OpenAI)."""
    if event.get("type") == "content_block_delta":
        delta = event["delta"]
        said.outputs += bool(
            delta.get("text") or delta.get("partial_json") or delta.get("thinking")
        )
    if "contentBlockDelta" in event:
        said.outputs += _delta_is_output(event["contentBlockDelta"]["delta"])
    reason = (
        (event.get("delta") or {}).get("stop_reason")  # Claude stream
        or event.get("stop_reason")  # Claude body
        or (event.get("messageStop") or {}).get("stopReason")  # Nova stream
        or event.get("stopReason")  # Nova body
        or next((c.get("finish_reason") for c in event.get("choices") or []), None)  # OpenAI
    )
    if reason:
        said.finish = reason
    metrics = event.get("amazon-bedrock-invocationMetrics")
    if metrics:
        said.input = metrics["inputTokenCount"]
        said.output = metrics["outputTokenCount"]
        said.cache_read = metrics.get("cacheReadInputTokenCount")
        said.cache_write = metrics.get("cacheWriteInputTokenCount")
        if said.cache_read or said.cache_write:
            said.input += (said.cache_read or 0) + (said.cache_write or 0)


def _said_by_boto3(item: Interaction, server: Any) -> Said:
    """Call the operation with the real client against the replaying server; what it parsed."""
    client, said = _boto3(server), Said()
    model, action = _model(item), item.path.rsplit("/", 1)[1]
    try:
        if action in ("converse", "converse-stream"):
            call = client.converse if action == "converse" else client.converse_stream
            try:  # the recorded request, where boto3 takes it as it was recorded
                result = call(modelId=model, **json.loads(item.request_body))
            except (botocore.exceptions.ParamValidationError, ValueError):
                # media as base64 text, or a body the cassette kept cut short
                result = call(
                    modelId=model, messages=[{"role": "user", "content": [{"text": "x"}]}]
                )
            if action == "converse":
                said.finish = result["stopReason"]
                _converse_usage(said, result["usage"])
            else:
                for event in result["stream"]:
                    if "contentBlockDelta" in event:
                        said.outputs += _delta_is_output(event["contentBlockDelta"]["delta"])
                    elif "messageStop" in event:
                        said.finish = event["messageStop"]["stopReason"]
                    elif "metadata" in event:
                        _converse_usage(said, event["metadata"]["usage"])
        elif action == "invoke":
            result = client.invoke_model(modelId=model, body=item.request_body)
            _family_stop(said, json.loads(result["body"].read()))
            headers = result["ResponseMetadata"]["HTTPHeaders"]
            if "x-amzn-bedrock-input-token-count" in headers:  # AWS's own count
                said.input = int(headers["x-amzn-bedrock-input-token-count"])
                said.output = int(headers["x-amzn-bedrock-output-token-count"])
        else:
            result = client.invoke_model_with_response_stream(modelId=model, body=item.request_body)
            for event in result["body"]:
                _family_stop(said, json.loads(event["chunk"]["bytes"]))
    except botocore.exceptions.ClientError as error:
        said.error = error.response["Error"]["Code"]
    return said


def _spans(span_exporter: Any) -> list[Any]:
    return list(span_exporter.get_finished_spans())


def _check(span: Any, item: Interaction, said: Said) -> None:
    a = span.attributes
    where = str(item)
    assert a["gen_ai.provider.name"] == "aws.bedrock", where
    assert a["gen_ai.request.model"] == _model(item), where
    if said.error is not None:
        assert a["error.type"] == said.error, where
        return
    assert "error.type" not in a, where
    assert a.get("gen_ai.response.finish_reasons") == (said.finish,), where
    assert a.get("gen_ai.usage.input_tokens") == said.input, where
    assert a.get("gen_ai.usage.output_tokens") == said.output, where
    # A cache count the recording states is reported as stated; one it leaves out (or states as
    # 0 in a shape the check above does not read) is absent or 0
    for key, value in (
        ("gen_ai.usage.cache_read.input_tokens", said.cache_read),
        ("gen_ai.usage.cache_creation.input_tokens", said.cache_write),
    ):
        assert a.get(key) in ((value,) if value else (None, 0)), where


@pytest.mark.parametrize("item", CALLS, ids=str)
def test_recorded_exchange(
    item: Interaction, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    streamed = _streamed(item)
    if streamed:  # botocore's own parser accepts every recorded frame (CRCs included)
        buffer = EventStreamBuffer()
        buffer.add_data(item.body)
        assert len(list(buffer)) == len(_frames(item.body))
    with ScriptedServer(_reply(item)) as server:
        instrument(
            f"{server.host_port}=aws.bedrock", OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true"
        )
        said = _said_by_boto3(item, server)
        points_boto3 = sum(p.count for p in metric_points(PER_CHUNK))
        with (
            httpx.Client() as client,
            client.stream(
                item.method,
                server.url + item.path,
                content=item.request_body,
                headers={"content-type": "application/json"},
            ) as response,
        ):
            body = response.read()
        (received_boto3, received_httpx) = server.received
    assert response.status_code == item.status
    assert body == item.body  # the caller got every recorded byte
    assert received_httpx.body == item.request_body
    assert received_boto3.path == item.path  # boto3 quotes the model id as the recording does
    by_boto3, by_httpx = _spans(span_exporter)
    for span in (by_boto3, by_httpx):
        _check(span, item, said)
    if streamed and said.error is None:
        assert said.outputs >= 1
        per_chunk = sum(p.count for p in metric_points(PER_CHUNK))
        assert points_boto3 == said.outputs - 1, item
        assert per_chunk - points_boto3 == said.outputs - 1, item
        for span in (by_boto3, by_httpx):
            assert span.attributes["gen_ai.response.time_to_first_chunk"] > 0


@pytest.mark.parametrize("item", [i for i in RECORDED if i.path.endswith("/count-tokens")], ids=str)
def test_count_tokens_is_no_generation_call(item: Interaction, instrument: Any) -> None:
    """Bedrock's CountTokens (``/model/<id>/count-tokens``) generates nothing: no GenAI span."""
    from opentelemetry.instrumentation.llm_router._wire import get_format

    assert get_format("bedrock").request_info("POST", item.path, item.request_body) is None


CONVERSE_STREAMS = [i for i in CALLS if _streamed(i) and i.path.endswith("/converse-stream")]


@pytest.mark.parametrize("item", CONVERSE_STREAMS, ids=str)
def test_recorded_stream_content(item: Interaction, instrument: Any, span_exporter: Any) -> None:
    """With content capture, the streamed message is the text, reasoning and tool input of the
    deltas botocore parsed from the same recorded bytes, block by block."""
    blocks: dict[int, dict[str, Any]] = {}
    with ScriptedServer(_reply(item)) as server:
        instrument(
            f"{server.host_port}=aws.bedrock",
            OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true",
        )
        stream = _boto3(server).converse_stream(
            modelId=_model(item), messages=[{"role": "user", "content": [{"text": "x"}]}]
        )["stream"]
        for event in stream:
            if "contentBlockStart" in event:
                start = event["contentBlockStart"]
                tool = start["start"].get("toolUse")
                if tool:
                    blocks[start["contentBlockIndex"]] = {"tool": tool, "text": ""}
            elif "contentBlockDelta" in event:
                delta = event["contentBlockDelta"]
                block = blocks.setdefault(delta["contentBlockIndex"], {"text": ""})
                piece = delta["delta"]
                if "text" in piece:
                    block.setdefault("kind", "text")
                    block["text"] += piece["text"]
                elif "toolUse" in piece:
                    block["text"] += piece["toolUse"]["input"]
                elif "text" in piece.get("reasoningContent", {}):
                    block.setdefault("kind", "reasoning")
                    block["text"] += piece["reasoningContent"]["text"]
    (span,) = span_exporter.get_finished_spans()
    (message,) = json.loads(span.attributes["gen_ai.output.messages"])
    expected = []
    for _, block in sorted(blocks.items()):
        if "tool" in block:
            expected.append(
                ("tool_call", block["tool"]["name"], json.loads(block["text"] or "null"))
            )
        elif "kind" in block:
            expected.append((block["kind"], None, block["text"]))
    got = [
        (p["type"], p.get("name"), p.get("arguments") if p["type"] == "tool_call" else p["content"])
        for p in message["parts"]
    ]
    assert got == expected
    assert message["finish_reason"] == span.attributes["gen_ai.response.finish_reasons"][0]
