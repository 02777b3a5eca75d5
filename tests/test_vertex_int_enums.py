"""Vertex AI with integer enums: the google-cloud-aiplatform REST transport asks for
``$alt=json;enum-encoding=int``, so ``finishReason`` (and request ``responseModalities``) come as
proto numbers. Every number is read as the proto's name, the same names the real google-genai SDK
lists, whether the response is a whole body, SSE, or a streamed JSON array."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.genai import types

from opentelemetry.instrumentation.llm_router._wire import get_format
from opentelemetry.instrumentation.llm_router._wire.gemini import _FINISH_REASONS

PATH = "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash"
GEMINI = get_format("gemini")


def _response(reason: Any) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": reason}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "trafficType": 1},
        "modelVersion": "gemini-2.0-flash-001",
        "responseId": "r1",
    }


def test_names_are_the_sdks() -> None:
    names = {member.value for member in types.FinishReason}
    # the oldest google-genai the package supports (Python 3.10) predates MODEL_ARMOR (10)
    assert set(_FINISH_REASONS) - names <= {"MODEL_ARMOR"}
    assert len(set(_FINISH_REASONS) & names) >= 10
    assert _FINISH_REASONS[1:3] == ("STOP", "MAX_TOKENS")


@pytest.mark.parametrize("number", range(len(_FINISH_REASONS) + 2))
def test_whole_body(number: int) -> None:
    info = GEMINI.request_info("POST", PATH + ":generateContent?$alt=json;enum-encoding=int", b"{}")
    summary = GEMINI.parse_response(info, json.dumps(_response(number)).encode(), False)
    expected = _FINISH_REASONS[number] if number < len(_FINISH_REASONS) else str(number)
    assert summary.finish_reasons == [expected]
    # the same as when the name is sent
    by_name = GEMINI.parse_response(info, json.dumps(_response(expected)).encode(), False)
    assert by_name.finish_reasons == summary.finish_reasons


@pytest.mark.parametrize("shape", ["sse", "array"])
@pytest.mark.parametrize("number", [1, 2, 3])
def test_streams(shape: str, number: int) -> None:
    info = GEMINI.request_info("POST", PATH + ":streamGenerateContent", b"{}")
    first = _response(None)
    del first["candidates"][0]["finishReason"]
    last = _response(number)
    if shape == "sse":
        body = b"".join(b"data: " + json.dumps(o).encode() + b"\r\n\r\n" for o in (first, last))
    else:
        body = ("[" + json.dumps(first) + ",\r\n" + json.dumps(last) + "]").encode()
    for size in (len(body), 7):
        parser = GEMINI.stream_parser(info, False)
        for at in range(0, len(body), size):
            parser.feed(body[at : at + size])
        summary = parser.summary()
        assert summary.finish_reasons == [_FINISH_REASONS[number]]
        assert summary.usage.input_tokens == 3


@pytest.mark.parametrize(("modality", "output"), [(2, "image"), (3, "speech")])
def test_request_modalities_as_numbers(modality: int, output: str) -> None:
    body = {"contents": [], "generationConfig": {"responseModalities": [modality]}}
    info = GEMINI.request_info("POST", PATH + ":generateContent", json.dumps(body).encode())
    assert info.parameters.output_type == output
