"""Bedrock streams: output events for stream timing, and content capture, for every shape.

Each stream is built for ConverseStream and for InvokeModelWithResponseStream of every model
family Bedrock streams (Claude, Nova, gpt-oss, Llama, Mistral, Titan), with a known number of
output events (text, reasoning text and tool input deltas) among the events that carry none
(``messageStart``, block starts and stops, a reasoning signature, ``messageStop``, ``metadata``,
Claude's ``message_start``, the closing metrics chunk). Every frame is checked with botocore's
own parser. The parser must count the same output events and report the same summary however
the bytes are cut; through the hook (httpx and the real boto3 client against a local server),
time to first chunk is taken at the first output event, not the first frame, and the per-chunk
metric has one point per output event after the first. With content capture, the streamed
message is reassembled into what the whole (non-streamed) answer gives; without it nothing is
kept."""

from __future__ import annotations

import json
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer

from opentelemetry.instrumentation.llm_router._wire import get_format
from tests.support.aws_eventstream import chunk, event
from tests.support.scripted_server import Reply, ScriptedServer, json_reply

BEDROCK = get_format("bedrock")
WORDS = ["Hel", "lo ", "wör", 'ld "x"', "!"]
TEXT = "".join(WORDS)
TOOL_ARGS = ['{"city":', ' "Paris"}']
THOUGHT = ["Let me ", "think."]


class Stream(NamedTuple):
    action: str  # converse-stream | invoke-with-response-stream
    model: str
    request: dict[str, Any]
    frames: list[bytes]
    outputs: int  # output events among the frames
    first_output: int  # index of the first frame with output
    finish: str
    usage: tuple[int, int]
    message: dict[str, Any]  # the output message a capturing parser reassembles


def _converse() -> Stream:
    frames = [event("messageStart", {"role": "assistant"})]
    frames += [
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": piece}}},
        )
        for piece in THOUGHT
    ]
    frames += [
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}},
        ),
        event("contentBlockStop", {"contentBlockIndex": 0}),
    ]
    frames += [
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": word}})
        for word in WORDS
    ]
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 1}),
        event(
            "contentBlockStart",
            {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "t1", "name": "weather"}}},
        ),
    ]
    frames += [
        event("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": a}}})
        for a in TOOL_ARGS
    ]
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 2}),
        event("messageStop", {"stopReason": "tool_use"}),
        event(
            "metadata",
            {"usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {}},
        ),
    ]
    message = {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "".join(THOUGHT)},
            {"type": "text", "content": TEXT},
            {"type": "tool_call", "name": "weather", "id": "t1", "arguments": {"city": "Paris"}},
        ],
        "finish_reason": "tool_use",
    }
    request = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    outputs = len(THOUGHT) + len(WORDS) + len(TOOL_ARGS)
    return Stream(
        "converse-stream", "amazon.nova-pro-v1:0", request, frames, outputs, 1, "tool_use",
        (12, 9), message,
    )  # fmt: skip


def _metrics(inputs: int, outputs: int) -> dict[str, Any]:
    return {
        "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": inputs,
            "outputTokenCount": outputs,
            "invocationLatency": 300,
            "firstByteLatency": 100,
        }
    }


def _text_message(reason: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "parts": [{"type": "text", "content": TEXT}],
        "finish_reason": reason,
    }


def _claude() -> Stream:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_bdrk_1", "type": "message", "role": "assistant",
            "model": "claude-3-5-haiku-20241022", "content": [], "stop_reason": None,
            "usage": {"input_tokens": 11, "output_tokens": 1},
        },
    }  # fmt: skip
    frames = [
        chunk(start),
        chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        *[
            chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}})
            for w in WORDS
        ],
        chunk({"type": "content_block_stop", "index": 0}),
        chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 5}}),
        chunk({"type": "message_stop", **_metrics(11, 5)}),
    ]  # fmt: skip
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hi"}],
    }
    return Stream(
        "invoke-with-response-stream", "us.anthropic.claude-3-5-haiku-20241022-v1:0", request,
        frames, len(WORDS), 2, "end_turn", (11, 5), _text_message("end_turn"),
    )  # fmt: skip


def _nova() -> Stream:
    frames = [
        chunk({"messageStart": {"role": "assistant"}}),
        *[chunk({"contentBlockDelta": {"delta": {"text": w}, "contentBlockIndex": 0}}) for w in WORDS],
        chunk({"contentBlockStop": {"contentBlockIndex": 0}}),
        chunk({"messageStop": {"stopReason": "end_turn"}}),
        chunk({"metadata": {"usage": {"inputTokens": 4, "outputTokens": 5}}, **_metrics(4, 5)}),
    ]  # fmt: skip
    request = {
        "schemaVersion": "messages-v1",
        "system": [{"text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"max_new_tokens": 20},
    }
    return Stream(
        "invoke-with-response-stream", "amazon.nova-lite-v1:0", request, frames, len(WORDS), 1,
        "end_turn", (4, 5), _text_message("end_turn"),
    )  # fmt: skip


def _gpt_oss() -> Stream:
    def choice(delta: dict[str, Any], reason: Optional[str] = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-b1", "object": "chat.completion.chunk", "created": 1,
            "model": "openai.gpt-oss-20b-1:0",
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }  # fmt: skip

    frames = [
        chunk(choice({"role": "assistant", "content": ""})),
        *[chunk(choice({"content": w})) for w in WORDS],
        chunk({**choice({}, "stop"), **_metrics(9, 5)}),
    ]
    request = {
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": 8,
        "stream": True,
    }
    return Stream(
        "invoke-with-response-stream", "openai.gpt-oss-20b-1:0", request, frames, len(WORDS), 1,
        "stop", (9, 5), _text_message("stop"),
    )  # fmt: skip


def _llama() -> Stream:
    def piece(text: str, reason: Optional[str] = None, first: bool = False) -> dict[str, Any]:
        return {
            "generation": text,
            "prompt_token_count": 6 if first else None,
            "generation_token_count": 1,
            "stop_reason": reason,
        }

    frames = [chunk(piece(w, first=i == 0)) for i, w in enumerate(WORDS)]
    frames.append(chunk({**piece("", "stop"), **_metrics(6, 5)}))
    return Stream(
        "invoke-with-response-stream", "meta.llama3-8b-instruct-v1:0", {"prompt": "hi", "max_gen_len": 20},
        frames, len(WORDS), 0, "stop", (6, 5), _text_message("stop"),
    )  # fmt: skip


def _mistral() -> Stream:
    frames = [chunk({"outputs": [{"text": w, "stop_reason": None}]}) for w in WORDS]
    frames.append(chunk({"outputs": [{"text": "", "stop_reason": "length"}], **_metrics(7, 5)}))
    return Stream(
        "invoke-with-response-stream", "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "<s>[INST] hi [/INST]", "max_tokens": 5}, frames, len(WORDS), 0, "length",
        (7, 5), _text_message("length"),
    )  # fmt: skip


def _titan() -> Stream:
    def piece(text: str, reason: Optional[str] = None) -> dict[str, Any]:
        return {
            "outputText": text, "index": 0, "totalOutputTextTokenCount": 1,
            "completionReason": reason, "inputTextTokenCount": 3,
        }  # fmt: skip

    frames = [chunk(piece(w)) for w in WORDS]
    frames.append(chunk({**piece("", "FINISH"), **_metrics(3, 5)}))
    return Stream(
        "invoke-with-response-stream", "amazon.titan-text-express-v1",
        {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 30}}, frames, len(WORDS), 0,
        "FINISH", (3, 5), _text_message("FINISH"),
    )  # fmt: skip


STREAMS: dict[str, Callable[[], Stream]] = {
    "converse": _converse,
    "claude": _claude,
    "nova": _nova,
    "gpt-oss": _gpt_oss,
    "llama": _llama,
    "mistral": _mistral,
    "titan": _titan,
}

DELIVERIES: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "per-frame": lambda frames: frames,
    "coalesced": lambda frames: [b"".join(frames)],
    "byte-by-byte": lambda frames: [bytes([b]) for b in b"".join(frames)],
    "odd-cuts": lambda frames: (lambda body: [body[i : i + 13] for i in range(0, len(body), 13)])(
        b"".join(frames)
    ),
}


def _path(stream: Stream) -> str:
    return f"/model/{quote(stream.model, safe='')}/{stream.action}"


def _parse(stream: Stream, pieces: list[bytes], capture: bool, stop_counting: bool = False) -> Any:
    info = BEDROCK.request_info("POST", _path(stream), json.dumps(stream.request).encode(), capture)
    parser = BEDROCK.stream_parser(info, capture)
    for piece in pieces:
        parser.feed(piece)
        if stop_counting and parser.output_events:
            parser.counting = False
    return parser, parser.summary()


@pytest.mark.parametrize("name", STREAMS)
def test_frames_are_what_botocore_parses(name: str) -> None:
    frames = STREAMS[name]().frames
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(frames))
    assert len(list(buffer)) == len(frames)  # raises on a bad CRC or length


@pytest.mark.parametrize("name", STREAMS)
def test_output_events_do_not_depend_on_how_the_bytes_arrive(name: str) -> None:
    stream = STREAMS[name]()
    parser, reference = _parse(stream, stream.frames, False)
    assert parser.output_events == stream.outputs
    assert reference.finish_reasons == [stream.finish]
    assert (reference.usage.input_tokens, reference.usage.output_tokens) == stream.usage
    assert reference.output_messages is None  # no capture: nothing kept
    head, _ = _parse(stream, stream.frames[: stream.first_output], False)
    assert head.output_events == 0  # nothing before the first output frame counts
    head, _ = _parse(stream, stream.frames[: stream.first_output + 1], False)
    assert head.output_events == 1
    for delivery, cut in DELIVERIES.items():
        for capture in (False, True):
            parser, summary = _parse(stream, cut(stream.frames), capture)
            assert parser.output_events == stream.outputs, (delivery, capture)
            summary.output_messages = None
            assert summary == reference, (delivery, capture)
        parser, summary = _parse(stream, cut(stream.frames), False, stop_counting=True)
        assert summary == reference, delivery
        assert 1 <= parser.output_events <= stream.outputs


@pytest.mark.parametrize("name", STREAMS)
def test_capture_reassembles_the_streamed_message(name: str) -> None:
    stream = STREAMS[name]()
    for delivery, cut in DELIVERIES.items():
        _, summary = _parse(stream, cut(stream.frames), True)
        assert summary.output_messages == [stream.message], delivery


def _boto3(server: Any) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def _read(client: str, server: Any, stream: Stream) -> None:
    if client == "httpx":
        with (
            httpx.Client() as http,
            http.stream(
                "POST", server.url + _path(stream), content=json.dumps(stream.request).encode()
            ) as response,
        ):
            for _ in response.iter_bytes():
                pass
        return
    bedrock = _boto3(server)
    if stream.action == "converse-stream":
        reply = bedrock.converse_stream(modelId=stream.model, messages=stream.request["messages"])
        assert len(list(reply["stream"])) == len(stream.frames)
    else:
        reply = bedrock.invoke_model_with_response_stream(
            modelId=stream.model, body=json.dumps(stream.request)
        )
        assert len(list(reply["body"])) == len(stream.frames)


_PER_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
PAUSE_S = 0.3


class _Paused:
    """The frames before the first output at once, then a pause, then the rest as ``cut``."""

    def __init__(self, stream: Stream, cut: Callable[[list[bytes]], list[bytes]]) -> None:
        head = b"".join(stream.frames[: stream.first_output])
        tail = cut(stream.frames[stream.first_output :])
        self.pieces = ([head] if head else []) + tail
        self.pause_before = 1 if head else 0

    def reply(self, received: Any) -> Reply:
        pieces = self.pieces
        if self.pause_before:  # one pause, before the first output frame only
            pieces = [pieces[0], b"".join(pieces[1:])]
        return Reply(
            content_type="application/vnd.amazon.eventstream",
            pieces=pieces,
            chunked=True,
            pause_s=PAUSE_S if self.pause_before else 0.0,
        )


@pytest.mark.parametrize("client", ["httpx", "boto3"])
@pytest.mark.parametrize("name", ["converse", "claude", "nova", "gpt-oss"])
def test_time_to_first_chunk_is_the_first_output_event(
    name: str, client: str, instrument: Any, span_exporter: Any
) -> None:
    """The frames before the first output come at once; the first output 0.3 s later."""
    stream = STREAMS[name]()
    assert stream.first_output > 0
    with ScriptedServer(_Paused(stream, lambda f: f).reply) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        _read(client, server, stream)
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= PAUSE_S


@pytest.mark.parametrize("client", ["httpx", "boto3"])
@pytest.mark.parametrize("name", STREAMS)
def test_per_chunk_points_are_one_per_output_event(
    name: str, client: str, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    stream = STREAMS[name]()
    with ScriptedServer(json_reply({})) as server:
        instrument(
            f"{server.host_port}=aws.bedrock", OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true"
        )
        counts = {}
        for delivery, cut in DELIVERIES.items():
            if delivery == "byte-by-byte":
                continue  # thousands of reads through a real socket: the parser test covers it
            server.responder = Reply(
                content_type="application/vnd.amazon.eventstream",
                pieces=cut(stream.frames),
                chunked=True,
            )
            before = sum(p.count for p in metric_points(_PER_CHUNK))
            _read(client, server, stream)
            counts[delivery] = sum(p.count for p in metric_points(_PER_CHUNK)) - before
    assert set(counts.values()) == {stream.outputs - 1}, counts
    spans = span_exporter.get_finished_spans()
    assert all(s.attributes["gen_ai.response.time_to_first_chunk"] >= 0 for s in spans)
    assert all(s.attributes["gen_ai.response.finish_reasons"] == (stream.finish,) for s in spans)
