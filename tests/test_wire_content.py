"""Content capture (output and input messages) and the tolerance for malformed provider values."""

from __future__ import annotations

import json

import pytest

from opentelemetry.instrumentation.llm_router._redact import DEFAULT as DEFAULT_REDACTOR
from opentelemetry.instrumentation.llm_router._wire import get_format
from opentelemetry.instrumentation.llm_router._wire._values import count, scrub
from tests.support.wire_corpus import at_event_boundaries, entries

OPENAI = get_format("openai")
ANTHROPIC = get_format("anthropic")
GEMINI = get_format("gemini")
CORPUS = {entry.name.removesuffix(".json"): entry for entry in entries()}


def _whole(name: str, capture: bool = True):
    entry = CORPUS[name]
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body, capture)
    return fmt, info, fmt.parse_response(info, entry.response_body, capture)


def _streamed(name: str, capture: bool = True):
    entry = CORPUS[name]
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body, capture)
    parser = fmt.stream_parser(info, capture)
    for piece in at_event_boundaries(entry.response_body):
        parser.feed(piece)
    return fmt, info, parser.summary()


def test_openai_chat_output_and_input() -> None:
    fmt, info, summary = _whole("openai_chat__gpt-4o-mini-n2-two-choices")
    body = json.loads(CORPUS["openai_chat__gpt-4o-mini-n2-two-choices"].response_body)
    assert summary.output_messages == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": choice["message"]["content"]}],
            "finish_reason": choice["finish_reason"],
        }
        for choice in body["choices"]
    ]
    messages, system = fmt.input_messages(info)
    request = CORPUS["openai_chat__gpt-4o-mini-n2-two-choices"].data["request"]["body"]
    assert [m["role"] for m in messages] == [m["role"] for m in request["messages"]]
    assert system is None


def test_openai_tool_calls_whole_and_streamed_agree() -> None:
    _, _, whole = _whole("openai_chat__tool-calls-parallel")
    calls = [p for p in whole.output_messages[0]["parts"] if p["type"] == "tool_call"]
    assert len(calls) == 2 and all(isinstance(c["arguments"], dict) for c in calls)
    _, _, streamed = _streamed("openai_chat__stream-parallel-tool-calls-include-usage")
    streamed_calls = [p for p in streamed.output_messages[0]["parts"] if p["type"] == "tool_call"]
    assert [c["name"] for c in streamed_calls] == ["get_current_weather"] * 2
    assert all(isinstance(c["arguments"], dict) and c["id"] for c in streamed_calls)
    assert streamed.output_messages[0]["finish_reason"] == "tool_calls"


def test_openai_stream_text_is_reassembled() -> None:
    entry = CORPUS["openai_chat__gpt-4-stream-include-usage"]
    text = ""
    for block in entry.response_body.decode().split("\n\n"):
        if block.startswith("data: {"):
            for choice in json.loads(block[6:])["choices"]:
                text += choice["delta"].get("content") or ""
    _, _, summary = _streamed("openai_chat__gpt-4-stream-include-usage")
    assert summary.output_messages == [
        {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}
    ]


def test_responses_output_and_instructions() -> None:
    fmt, info, summary = _whole("openai_responses__gpt-4o-mini-basic-instructions")
    assert summary.output_messages[0]["parts"][0]["type"] == "text"
    messages, system = fmt.input_messages(info)
    request = CORPUS["openai_responses__gpt-4o-mini-basic-instructions"].data["request"]["body"]
    assert system == [{"type": "text", "content": request["instructions"]}]
    assert messages and messages[0]["role"] == "user"
    _, _, call = _whole("openai_responses__gpt-4o-mini-function-call-output")
    assert call.output_messages[0]["parts"][0]["type"] == "tool_call"
    _, _, streamed = _streamed("openai_responses__gpt-4o-mini-stream-completed-usage")
    assert streamed.output_messages[0]["parts"][0]["type"] == "text"


def test_anthropic_output_whole_and_streamed() -> None:
    fmt, info, whole = _whole("anthropic_messages__claude-sonnet-4-extended-thinking")
    kinds = [p["type"] for p in whole.output_messages[0]["parts"]]
    assert kinds == ["reasoning", "text"]
    _, _, streamed = _streamed(
        "anthropic_messages__claude-3-7-sonnet-stream-thinking-signature-delta"
    )
    kinds = [p["type"] for p in streamed.output_messages[0]["parts"]]
    assert kinds == ["reasoning", "text"]
    assert "strawberry" in streamed.output_messages[0]["parts"][0]["content"]
    _, _, tools = _streamed(
        "anthropic_messages__claude-3-5-sonnet-stream-tool-use-input-json-delta"
    )
    calls = [p for p in tools.output_messages[0]["parts"] if p["type"] == "tool_call"]
    assert len(calls) == 2 and all(isinstance(c["arguments"], dict) for c in calls)
    messages, _system = fmt.input_messages(info)
    assert messages[0]["role"] == "user"


def test_anthropic_system_instructions() -> None:
    fmt, info, _ = _whole("anthropic_messages__claude-3-5-sonnet-cache-read-1163-gzip")
    messages, system = fmt.input_messages(info)
    assert system and system[0]["type"] == "text"
    assert messages


def test_gemini_output_and_input() -> None:
    fmt, info, summary = _whole("gemini_generate_content__gemini-2.0-flash-function-response-turn")
    assert summary.output_messages[0]["role"] == "assistant"
    messages, system = fmt.input_messages(info)
    kinds = {p["type"] for m in messages for p in m["parts"]}
    assert {"tool_call", "tool_call_response"} <= kinds
    assert "model" not in {m["role"] for m in messages}
    assert system and system[0]["type"] == "text"
    _, _, streamed = _streamed(
        "gemini_generate_content__vertex-gemini-1.5-flash-stream-sse-usage-only-at-end"
    )
    parts = streamed.output_messages[0]["parts"]
    assert len(parts) == 1 and parts[0]["content"].startswith("The black box")


def test_no_content_without_capture() -> None:
    for name in ("openai_chat__gpt-4o-mini-basic", "anthropic_messages__claude-sonnet-4-basic"):
        fmt, info, summary = _whole(name, capture=False)
        assert summary.output_messages is None and info.body is None
        assert fmt.input_messages(info) == (None, None)
    _, _, summary = _streamed("openai_chat__gpt-4-stream-no-usage", capture=False)
    assert summary.output_messages is None


@pytest.mark.parametrize(
    ("value", "result"),
    [(5, 5), (0, 0), (-1, None), (True, None), (False, None), ("12", None), (12.0, 12),
     (12.5, None), (None, None), (10**15, None), ([3], None), (float("nan"), None)],
)  # fmt: skip
def test_token_count_sanitising(value, result) -> None:
    assert count(value) == result


def test_malformed_usage_is_dropped_not_raised() -> None:
    info = OPENAI.request_info("POST", "/v1/chat/completions", b'{"model":"m"}')
    body = {
        "id": 7,
        "model": ["x"],
        "choices": [{"finish_reason": 3}, "junk", {"finish_reason": "stop"}],
        "usage": {"prompt_tokens": -4, "completion_tokens": True, "prompt_tokens_details": "x",
                  "completion_tokens_details": {"reasoning_tokens": "9"}},
    }  # fmt: skip
    summary = OPENAI.parse_response(info, json.dumps(body).encode(), True)
    assert summary.response_id is None and summary.response_model is None
    assert summary.finish_reasons == ["stop"]
    assert summary.usage is None
    info = ANTHROPIC.request_info("POST", "/v1/messages", b'{"model":"m"}')
    body = {
        "id": "a",
        "usage": {"input_tokens": "5", "output_tokens": 3, "cache_read_input_tokens": -1},
    }
    usage = ANTHROPIC.parse_response(info, json.dumps(body).encode(), False).usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (
        None,
        3,
        None,
    )
    info = GEMINI.request_info("POST", "/v1beta/models/g:generateContent", b"{}")
    body = {"usageMetadata": {"promptTokenCount": 2.0, "candidatesTokenCount": "x"}}
    usage = GEMINI.parse_response(info, json.dumps(body).encode(), False).usage
    assert (usage.input_tokens, usage.output_tokens) == (2, None)


def test_error_shapes() -> None:
    info = OPENAI.request_info("POST", "/v1/chat/completions", b'{"model":"m"}')
    summary = OPENAI.parse_response(info, b'{"error":{"type":"server_error","code":null}}', False)
    assert summary.error_type == "server_error"
    summary = OPENAI.parse_response(info, b'{"error":{"message":"x","code":429}}', False)
    assert summary.error_type == "429"
    info = GEMINI.request_info("POST", "/v1beta/models/g:generateContent", b"{}")
    body = b'{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}'
    summary = GEMINI.parse_response(info, body, False)
    assert (summary.error_type, summary.error_message, summary.usage) == (
        "RESOURCE_EXHAUSTED",
        "quota",
        None,
    )
    info = ANTHROPIC.request_info("POST", "/v1/messages", b'{"model":"m","stream":true}')
    parser = ANTHROPIC.stream_parser(info, False)
    parser.feed(
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    assert parser.summary().error_type == "overloaded_error"


def test_responses_stream_failure_and_incomplete() -> None:
    info = OPENAI.request_info("POST", "/v1/responses", b'{"model":"m","stream":true}')
    parser = OPENAI.stream_parser(info, False)
    parser.feed(
        b'event: response.created\ndata: {"type":"response.created","response":{"id":"r","model":"m-1","status":"in_progress"}}\n\n'
    )
    parser.feed(
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"}\n\n'
    )
    parser.feed(
        b'event: response.incomplete\ndata: {"type":"response.incomplete","response":{"id":"r","model":"m-1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":3,"output_tokens":9}}}\n\n'
    )
    summary = parser.summary()
    assert (summary.response_id, summary.finish_reasons, summary.usage.output_tokens) == (
        "r",
        ["length"],
        9,
    )
    parser = OPENAI.stream_parser(info, False)
    parser.feed(
        b'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down"}\n\n'
    )
    assert parser.summary().error_type == "rate_limit_exceeded"


def test_key_shaped_tokens_are_masked_by_the_redaction_step() -> None:
    """``scrub`` only reads the message; the one redaction step masks keys (then cuts)."""
    message = (
        "Incorrect API key provided: sk-proj-abc***************************xyz1. Bearer abc.def"
    )
    assert scrub(message) == message
    cleaned = DEFAULT_REDACTOR(scrub(message))
    assert "sk-proj" not in cleaned and "abc.def" not in cleaned
    assert DEFAULT_REDACTOR("AIzaSyA-1234567890abcdef is invalid") == "[REDACTED] is invalid"
