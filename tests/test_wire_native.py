"""The native formats added for issue 13 (Ollama, Cohere v2, Hugging Face feature extraction),
Claude on Vertex AI, OpenAI-compatible paths on native hosts, and provider error bodies.

Each case goes through the built-in host table (host and path choose the format), the request
reader, and the response reader: whole body, and stream cut at every byte boundary.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import httpx2
import pytest

from opentelemetry.instrumentation.llm_router._wire import ResponseSummary, lookup
from opentelemetry.instrumentation.llm_router._wire._ndjson import LineSplitter
from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES
from tests.support.scripted_server import Reply, ScriptedServer


def _request(host: str, path: str, body: Any, capture: bool = False) -> tuple[Any, Any]:
    route = lookup(host, 11434 if host == "localhost" else None)
    assert route is not None, host
    data = json.dumps(body).encode() if body is not None else None
    info = route.format.request_info("POST", path, data, capture)
    return route, info


def _whole(host: str, path: str, body: Any, response: bytes, capture: bool = False) -> Any:
    route, info = _request(host, path, body, capture)
    assert info is not None, path
    return info, route.format.parse_response(info, response, capture)


def _streamed(
    host: str, path: str, body: Any, pieces: list[bytes], capture: bool = False
) -> tuple[Any, ResponseSummary]:
    route, info = _request(host, path, body, capture)
    assert info is not None and info.stream, path
    parser = route.format.stream_parser(info, capture)
    for piece in pieces:
        parser.feed(piece)
    return info, parser.summary()


def _every_cut(
    host: str, path: str, body: Any, stream: bytes, capture: bool = False
) -> ResponseSummary:
    """The summary of ``stream`` fed whole, and cut in two at every byte: all must agree."""
    _, reference = _streamed(host, path, body, [stream], capture)
    for cut in range(1, len(stream)):
        _, summary = _streamed(host, path, body, [stream[:cut], stream[cut:]], capture)
        assert summary == reference, cut
    return reference


# Ollama -----------------------------------------------------------------------------------------

OLLAMA_LINES = [
    {
        "model": "llama3.2",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "Hel"},
        "done": False,
    },
    {
        "model": "llama3.2",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "lo"},
        "done": False,
    },
    {
        "model": "llama3.2",
        "created_at": "2026-01-01T00:00:01Z",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "total_duration": 5191566416,
        "load_duration": 2154458,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383809000,
        "eval_count": 298,
        "eval_duration": 4799921000,
    },
]
OLLAMA_STREAM = b"".join(
    json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in OLLAMA_LINES
)


def test_ollama_chat_stream_is_the_default() -> None:
    body = {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "hi"}],
        "options": {"num_predict": 64, "temperature": 0.2, "seed": 7, "stop": ["\n"]},
    }
    _, info = _request("localhost", "/api/chat", body)
    assert (info.operation, info.request_model, info.stream) == ("chat", "llama3.2", True)
    assert info.parameters.max_tokens == 64 and info.parameters.seed == 7
    assert info.parameters.stop_sequences == ["\n"]
    _, info = _request("localhost", "/api/chat", {**body, "stream": False})
    assert info.stream is False
    summary = _every_cut("localhost", "/api/chat", body, OLLAMA_STREAM)
    assert summary.response_model == "llama3.2"
    assert summary.response_id is None
    assert summary.finish_reasons == ["stop"]
    assert (summary.usage.input_tokens, summary.usage.output_tokens) == (26, 298)


def test_ollama_stream_capture_and_spaced_json() -> None:
    spaced = b"".join(json.dumps(line).encode() + b"\n" for line in OLLAMA_LINES)
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
    summary = _every_cut("localhost", "/api/chat", body, spaced, capture=True)
    assert summary.output_messages == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Hello"}],
            "finish_reason": "stop",
        }
    ]
    assert _every_cut("localhost", "/api/chat", body, spaced).usage.output_tokens == 298
    # The stream without its final line end still ends with its usage.
    _, summary = _streamed("localhost", "/api/chat", body, [OLLAMA_STREAM.rstrip(b"\n")])
    assert summary.usage.output_tokens == 298


def test_ollama_generate_embed_and_errors() -> None:
    body = {"model": "llama3.2", "prompt": "Why?", "stream": False, "system": "Be brief."}
    response = {
        "model": "llama3.2",
        "response": "Because.",
        "done": True,
        "done_reason": "length",
        "context": [1, 2],
        "prompt_eval_count": 5,
        "eval_count": 9,
    }
    info, summary = _whole("localhost", "/api/generate", body, json.dumps(response).encode(), True)
    assert info.operation == "text_completion" and not info.stream
    assert summary.finish_reasons == ["length"] and summary.usage.input_tokens == 5
    assert summary.output_messages[0]["parts"] == [{"type": "text", "content": "Because."}]
    embed = {
        "model": "all-minilm",
        "embeddings": [[0.1, 0.2]],
        "total_duration": 14143917,
        "load_duration": 1019500,
        "prompt_eval_count": 8,
    }
    info, summary = _whole(
        "localhost", "/api/embed", {"model": "all-minilm", "input": "x"}, json.dumps(embed).encode()
    )
    assert (info.operation, info.stream) == ("embeddings", False)
    assert summary.usage.input_tokens == 8 and summary.usage.output_tokens is None
    info, summary = _whole(
        "localhost",
        "/api/chat",
        {"model": "nope", "messages": []},
        b'{"error":"model \\"nope\\" not found, try pulling it first"}',
    )
    assert summary.error_type is None  # the status is the type
    assert summary.error_message.startswith("model")
    # an error line in the middle of a stream
    stream = OLLAMA_STREAM.split(b"\n")[0] + b'\n{"error":"an unknown error was encountered"}\n'
    summary = _every_cut("localhost", "/api/chat", {"model": "m", "messages": []}, stream)
    assert summary.error_message == "an unknown error was encountered"
    # the OpenAI-compatible API on the same port is the openai format
    _, info = _request("localhost", "/v1/chat/completions", {"model": "m", "messages": []})
    assert info.wire_format.name == "openai"
    assert _request("localhost", "/api/tags", None)[1] is None


_JSON_STYLES = {
    "compact": {"separators": (",", ":")},
    "spaced": {},
    "odd-whitespace": {"separators": (" ,\t", " \t:  ")},
    "sorted-keys": {"sort_keys": True},
}


@pytest.mark.parametrize("count", ["counting", "count-first"])
@pytest.mark.parametrize("style", sorted(_JSON_STYLES))
def test_ollama_last_line_is_found_in_any_json_spacing(style: str, count: str) -> None:
    """The last line's usage and reason, whatever whitespace and key order a re-serialising
    proxy writes, read line by line, all at once, byte by byte and in odd cuts, with the output
    count on throughout or off after the first output line (as the hook turns it off)."""
    lines = OLLAMA_LINES[:1] + OLLAMA_LINES[1:2] * 6 + OLLAMA_LINES[2:]
    pieces = [json.dumps(line, **_JSON_STYLES[style]).encode() + b"\n" for line in lines]
    body = b"".join(pieces)
    _, info = _request("localhost", "/api/chat", {"model": "llama3.2", "messages": []})
    cuts = {
        "per-line": pieces,
        "coalesced": [body],
        "byte-by-byte": [body[i : i + 1] for i in range(len(body))],
        "cuts-of-7": [body[i : i + 7] for i in range(0, len(body), 7)],
    }
    for delivery, reads in cuts.items():
        parser = info.wire_format.stream_parser(info, False)
        parser.count_first = count == "count-first"
        for read in reads:
            parser.feed(read)
            if count == "count-first" and parser.output_events:
                parser.counting = False
        summary = parser.summary()
        where = f"{style} {delivery}"
        assert summary.response_model == "llama3.2", where
        assert summary.finish_reasons == ["stop"], where
        assert (summary.usage.input_tokens, summary.usage.output_tokens) == (26, 298), where


def test_ndjson_long_line_is_dropped_and_bounded() -> None:
    seen: list[bytes] = []

    class Collect(LineSplitter):
        def _lines(self, data: bytes) -> None:
            seen.extend(data.split(b"\n"))

    collect = Collect()
    collect.feed(b'{"a":1}\n')
    for _ in range(3):
        collect.feed(b"x" * (MAX_EVENT_BYTES // 2))
    assert collect._size <= MAX_EVENT_BYTES
    collect.feed(b'yyy\n{"b":2}\n')
    collect.feed(b'{"c":3}')
    collect.flush_lines()
    assert seen == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


# Cohere -----------------------------------------------------------------------------------------


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(
        b"event: %s\ndata: %s\n\n" % (e["type"].encode(), json.dumps(e).encode()) for e in events
    )


COHERE_EVENTS = [
    {
        "id": "29f14a5a-11de-4cae-9800-25e4747408ea",
        "type": "message-start",
        "delta": {
            "message": {
                "role": "assistant",
                "content": [],
                "tool_plan": "",
                "tool_calls": [],
                "citations": [],
            }
        },
    },
    {
        "type": "content-start",
        "index": 0,
        "delta": {"message": {"content": {"type": "text", "text": ""}}},
    },
    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hello"}}}},
    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": " there"}}}},
    {"type": "content-end", "index": 0},
    {
        "type": "message-end",
        "delta": {
            "finish_reason": "COMPLETE",
            "usage": {
                "billed_units": {"input_tokens": 3, "output_tokens": 2},
                "tokens": {"input_tokens": 69, "output_tokens": 2},
                "cached_tokens": 64,
            },
        },
    },
]


def test_cohere_chat_and_stream() -> None:
    body = {
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10,
        "p": 0.9,
        "k": 5,
        "stop_sequences": ["END"],
        "stream": True,
    }
    summary = _every_cut("api.cohere.com", "/v2/chat", body, _sse(COHERE_EVENTS), capture=True)
    assert summary.response_id == "29f14a5a-11de-4cae-9800-25e4747408ea"
    assert summary.finish_reasons == ["COMPLETE"]
    usage = summary.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (69, 2, 64)
    assert summary.output_messages[0]["parts"] == [{"type": "text", "content": "Hello there"}]
    assert _every_cut("api.cohere.com", "/v2/chat", body, _sse(COHERE_EVENTS)) == ResponseSummary(
        response_id=summary.response_id, finish_reasons=["COMPLETE"], usage=usage
    )
    _, info = _request("api.cohere.com", "/v2/chat", body)
    assert (info.parameters.top_p, info.parameters.top_k, info.parameters.max_tokens) == (
        0.9,
        5.0,
        10,
    )
    whole = {
        "id": "c-1",
        "finish_reason": "MAX_TOKENS",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
        "usage": {"billed_units": {"input_tokens": 1, "output_tokens": 10}},
    }
    info, summary = _whole(
        "api.cohere.com", "/v2/chat", {**body, "stream": False}, json.dumps(whole).encode()
    )
    assert not info.stream
    assert (summary.response_id, summary.finish_reasons) == ("c-1", ["MAX_TOKENS"])
    assert summary.usage.output_tokens == 10  # billed units when `tokens` is missing


def test_cohere_stream_error_embed_and_compat() -> None:
    events = [
        *COHERE_EVENTS[:3],
        {
            "type": "message-end",
            "delta": {"finish_reason": "ERROR", "error": "internal server error"},
        },
    ]
    summary = _every_cut("api.cohere.com", "/v2/chat", {"model": "m", "stream": True}, _sse(events))
    assert (summary.error_type, summary.error_message) == ("ERROR", "internal server error")
    embed = {
        "id": "e-1",
        "texts": ["hi"],
        "embeddings": {"float": [[0.5]]},
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 2}},
        "response_type": "embeddings_by_type",
    }
    info, summary = _whole(
        "api.cohere.com",
        "/v2/embed",
        {"model": "embed-v4.0", "texts": ["hi"], "embedding_types": ["float"]},
        json.dumps(embed).encode(),
    )
    assert info.operation == "embeddings" and info.parameters.encoding_formats == ["float"]
    assert (summary.response_id, summary.usage.input_tokens) == ("e-1", 2)
    _, summary = _whole(
        "api.cohere.com",
        "/v2/chat",
        {"model": "m"},
        b'{"id":"4f1c","message":"You are using a Trial key, which is limited"}',
    )
    assert summary.error_type is None and summary.error_message.startswith("You are")
    _, info = _request("api.cohere.com", "/compatibility/v1/chat/completions", {"model": "m"})
    assert info.wire_format.name == "openai"


# Through the hook: the parsers' output count and fast path as the hook drives them -------------


@pytest.mark.parametrize("per_chunk", [False, True], ids=["defaults", "per-chunk-metric"])
@pytest.mark.parametrize("coalesced", [False, True], ids=["per-event", "coalesced"])
@pytest.mark.parametrize("name", ["cohere", "ollama"])
def test_native_streams_through_the_hook(
    name: str,
    coalesced: bool,
    per_chunk: bool,
    instrument: Any,
    metric_points: Any,
    span_exporter: Any,
) -> None:
    """A real local server streams ten more text deltas than the samples above; with the
    defaults (the hook turns the output count off after the first, and the parser takes its fast
    path) and with the per-chunk metric on, the caller gets every byte, the span its usage and
    finish reason, and the metrics one first chunk and one point per further output event."""
    if name == "ollama":
        lines = OLLAMA_LINES[:1] + OLLAMA_LINES[1:2] * 10 + OLLAMA_LINES[2:]
        pieces = [json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines]
        path, content_type, usage, reason = "/api/chat", "application/x-ndjson", 298, "stop"
    else:
        events = COHERE_EVENTS[:3] + COHERE_EVENTS[3:4] * 10 + COHERE_EVENTS[4:]
        pieces = [_sse([event]) for event in events]
        path, content_type, usage, reason = "/v2/chat", "text/event-stream", 2, "COMPLETE"
    body = b"".join(pieces)
    reply = Reply(
        content_type=content_type,
        pieces=[body] if coalesced else pieces,
        chunked=True,
        pause_s=0.0 if coalesced else 0.002,
    )
    with ScriptedServer(reply) as server:
        instrument(
            f"{server.host_port}={name}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true" if per_chunk else "false",
        )
        request = json.dumps({"model": "m", "messages": [], "stream": True})
        with (
            httpx2.Client() as client,
            client.stream("POST", server.url + path, content=request) as response,
        ):
            received = b"".join(response.iter_bytes())
    assert received == body
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.usage.output_tokens"] == usage
    assert tuple(span.attributes["gen_ai.response.finish_reasons"]) == (reason,)
    ttfc = metric_points("gen_ai.client.operation.time_to_first_chunk")
    assert sum(p.count for p in ttfc) == 1
    points = metric_points("gen_ai.client.operation.time_per_output_chunk")
    assert sum(p.count for p in points) == (10 if per_chunk else 0)  # 11 output events


# Hugging Face, Vertex AI Anthropic, OpenAI-compatible paths on native hosts --------------------


def test_huggingface_feature_extraction() -> None:
    path = "/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction"
    info, summary = _whole("router.huggingface.co", path, {"inputs": "hi"}, b"[[0.1,0.2]]")
    assert (info.operation, info.request_model) == ("embeddings", "BAAI/bge-small-en-v1.5")
    assert summary == ResponseSummary()
    _, summary = _whole(
        "router.huggingface.co",
        path,
        {"inputs": "hi"},
        b'{"error":"Model too busy, unable to get response in less than 60 '
        b'second(s)","error_type":"overloaded"}',
    )
    assert summary.error_type == "overloaded"
    _, info = _request("router.huggingface.co", "/v1/chat/completions", {"model": "m"})
    assert (info.operation, info.wire_format.name) == ("chat", "openai")
    assert _request("router.huggingface.co", "/api/models", {})[1] is None


@pytest.mark.parametrize(
    ("host", "path", "model", "native"),
    [
        (
            "generativelanguage.googleapis.com",
            "/v1beta/openai/chat/completions",
            "gemini-2.5-flash",
            "openai",
        ),
        (
            "generativelanguage.googleapis.com",
            "/v1beta/openai/embeddings",
            "gemini-embedding-001",
            "openai",
        ),
        (
            "generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            "gemini-2.5-flash",
            "gemini",
        ),
        (
            "us-central1-aiplatform.googleapis.com",
            "/v1beta1/projects/p/locations/us-central1/endpoints/openapi/chat/completions",
            "google/gemini-2.5-flash",
            "openai",
        ),
        (
            "us-east5-aiplatform.googleapis.com",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514"
            ":rawPredict",
            "claude-sonnet-4@20250514",
            "anthropic",
        ),
        (
            "aiplatform.googleapis.com",
            "/v1/projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4@20250514"
            ":streamRawPredict",
            "claude-sonnet-4@20250514",
            "anthropic",
        ),
        ("api.anthropic.com", "/v1/chat/completions", "claude-sonnet-4-5", "openai"),
        ("api.anthropic.com", "/v1/messages", "claude-sonnet-4-5", "anthropic"),
    ],
)
def test_format_by_host_and_path(host: str, path: str, model: str, native: str) -> None:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}
    if native != "gemini" and not path.endswith("Predict"):
        body["model"] = model
    info = _request(host, path, body)[1]
    assert info is not None
    assert (info.request_model, info.wire_format.name) == (model, native)
    assert info.stream == path.endswith(":streamRawPredict")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/projects/p/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict",
        "/v1/projects/p/locations/us-east5/endpoints/1234:rawPredict",  # a custom model
        "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude:predict",
    ],
)
def test_vertex_paths_that_are_no_claude_call(path: str) -> None:
    assert _request("us-east5-aiplatform.googleapis.com", path, {"messages": []})[1] is None


def test_vertex_anthropic_stream() -> None:
    path = (
        "/v1/projects/p/locations/us-east5/publishers/anthropic/models/"
        "claude-3-5-haiku@20241022:streamRawPredict"
    )
    events = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_vrtx_01",'
        b'"type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],'
        b'"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"Hi"}}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
        b'"usage":{"output_tokens":4}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    body = {
        "anthropic_version": "vertex-2023-10-16",
        "messages": [],
        "max_tokens": 8,
        "stream": True,
    }
    summary = _every_cut("us-east5-aiplatform.googleapis.com", path, body, events)
    assert (summary.response_id, summary.response_model) == (
        "msg_vrtx_01",
        "claude-3-5-haiku-20241022",
    )
    assert (summary.usage.input_tokens, summary.usage.output_tokens) == (9, 4)


# Error bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "path", "body", "error_type", "message"),
    [
        # Fireworks' 429: a plain string is a message; error.type falls back to the status
        (
            "api.fireworks.ai",
            "/inference/v1/chat/completions",
            b'{"error":"Too Many Requests"}',
            None,
            "Too Many Requests",
        ),
        # Mistral's flat error object
        (
            "api.mistral.ai",
            "/v1/chat/completions",
            b'{"object":"error","message":"Requests rate limit exceeded","type":"rate_limited",'
            b'"param":null,"code":"1300"}',
            "rate_limited",
            "Requests rate limit exceeded",
        ),
        # Groq's (OpenAI's shape): code first
        (
            "api.groq.com",
            "/openai/v1/chat/completions",
            b'{"error":{"message":"Rate limit reached for model","type":"tokens",'
            b'"code":"rate_limit_exceeded"}}',
            "rate_limit_exceeded",
            "Rate limit reached for model",
        ),
        # Together: OpenAI's shape with a null code
        (
            "api.together.xyz",
            "/v1/chat/completions",
            b'{"error":{"message":"rate limit exceeded","type":"rate_limit","param":null,'
            b'"code":null}}',
            "rate_limit",
            "rate limit exceeded",
        ),
        # Gemini's OpenAI-compatible endpoint: Google's error, in an array
        (
            "generativelanguage.googleapis.com",
            "/v1beta/openai/chat/completions",
            b'[{"error":{"code":429,"message":"Resource has been exhausted","status":'
            b'"RESOURCE_EXHAUSTED"}}]',
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted",
        ),
        # Vertex AI quota error on a Claude call: Google's shape, not Anthropic's
        (
            "us-east5-aiplatform.googleapis.com",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude@1:rawPredict",
            b'{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}',
            "RESOURCE_EXHAUSTED",
            "Quota exceeded",
        ),
        # Anthropic's error through its OpenAI-compatible endpoint
        (
            "api.anthropic.com",
            "/v1/chat/completions",
            b'{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has '
            b'exceeded your rate limit"}}',
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
        ),
        # Hugging Face TGI
        (
            "router.huggingface.co",
            "/v1/chat/completions",
            b'{"error":"Model is overloaded","error_type":"overloaded"}',
            "overloaded",
            "Model is overloaded",
        ),
    ],
)
def test_error_bodies(
    host: str, path: str, body: bytes, error_type: Optional[str], message: str
) -> None:
    request = {"model": "m", "messages": []}
    _, summary = _whole(host, path, request, body)
    assert (summary.error_type, summary.error_message) == (error_type, message)


def test_localhost_base_url_against_a_127_entry(
    instrument: Any, span_exporter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: the entry says 127.0.0.1, the client says localhost: the request passes
    untouched (no span) and one WARNING says which entry to add; with it, there is a span."""
    import httpx

    from tests.support.scripted_server import ScriptedServer, json_reply

    reply = json_reply({"id": "c1", "model": "m-1", "choices": [{"finish_reason": "stop"}]})
    body = {"model": "m", "messages": []}
    with ScriptedServer(reply) as server:
        first = instrument(f"127.0.0.1:{server.port}=gateway")
        url = f"http://localhost:{server.port}/v1/chat/completions"
        with caplog.at_level("WARNING"), httpx.Client() as client:
            assert client.post(url, json=body).status_code == 200
            assert client.post(url, json=body).status_code == 200
        assert span_exporter.get_finished_spans() == ()
        hints = [r.getMessage() for r in caplog.records if "PROVIDERS" in r.getMessage()]
        assert len(hints) == 1, [r.getMessage() for r in caplog.records]
        assert f"'localhost:{server.port}=gateway/openai'" in hints[0]
        first.uninstrument()
        instrument(f"localhost:{server.port}=gateway")
        with httpx.Client() as client:
            assert client.post(url, json=body).status_code == 200
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.provider.name"] == "gateway"
    assert span.attributes["server.address"] == "localhost"


@pytest.mark.parametrize("cut", [None, 1, 7, 40])
def test_output_events_of_the_native_streams(cut: Optional[int]) -> None:
    """Stream timing counts events with output: two text lines / deltas here, whatever the cuts
    (the role-only start, the empty final line, message-end are no output)."""

    def pieces(stream: bytes) -> list[bytes]:
        if cut is None:
            return [stream]
        return [stream[i : i + cut] for i in range(0, len(stream), cut)]

    route, info = _request("localhost", "/api/chat", {"model": "llama3.2", "messages": []})
    parser = route.format.stream_parser(info, False)
    for piece in pieces(OLLAMA_STREAM):
        parser.feed(piece)
    parser.summary()
    assert parser.output_events == 2
    route, info = _request("api.cohere.com", "/v2/chat", {"model": "m", "stream": True})
    parser = route.format.stream_parser(info, False)
    for piece in pieces(_sse(COHERE_EVENTS)):
        parser.feed(piece)
    parser.summary()
    assert parser.output_events == 2
