"""Real recorded Vertex AI exchanges with integer enums (``$alt=json;enum-encoding=int``, what the
google-cloud-aiplatform REST transport asks for), from OpenTelemetry's own Vertex AI
instrumentation cassettes (``tests/data/vertex-int-enums/README.md``): whole bodies, streamed JSON
arrays and error answers, replayed through the hook from a local server.

What the recording says is read with plain rules: the finish reason is the name google-genai's
``FinishReason`` enum gives the recorded number (its members are in the proto's order), the
token counts are ``usageMetadata``'s. And the same body with every enum number replaced by its
name (finish reason, modality, traffic type) must read exactly the same."""

from __future__ import annotations

import json
from typing import Any, Optional

import httpx
import pytest
from google.genai import types

from opentelemetry.instrumentation.llm_router._wire import get_format
from tests.support.cassettes import Interaction, interactions
from tests.support.scripted_server import Reply, ScriptedServer

RECORDED = interactions("vertex-int-enums", "aiplatform.googleapis.com")
FINISH = [member.value for member in types.FinishReason]
MODALITY = [member.value for member in types.MediaModality]
TRAFFIC = [member.value for member in types.TrafficType]
GEMINI = get_format("gemini")


def test_the_recordings_are_there() -> None:
    assert len(RECORDED) == 21
    assert all("enum-encoding%3Dint" in i.query for i in RECORDED)
    assert sum(":streamGenerateContent" in i.path for i in RECORDED) >= 4
    assert sum(i.status >= 400 for i in RECORDED) >= 3
    numbers = [c.get("finishReason") for body in map(_chunks, RECORDED) for c in _candidates(body)]
    assert {1, 2} <= set(numbers)  # STOP and MAX_TOKENS, as numbers


def _chunks(item: Interaction) -> list[dict[str, Any]]:
    """The body's objects; none for a body that is no JSON (one cassette's error body was edited
    by hand and kept a trailing comma)."""
    try:
        value = json.loads(item.body)
    except ValueError:
        return []
    return value if isinstance(value, list) else [value]


def _candidates(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for chunk in chunks for c in chunk.get("candidates") or []]


def _named(value: Any) -> Any:
    """The body with every enum number replaced by google-genai's name for it."""
    if isinstance(value, list):
        return [_named(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, inner in value.items():
        if key == "finishReason" and type(inner) is int:
            out[key] = FINISH[inner]
        elif key == "modality" and type(inner) is int:
            out[key] = MODALITY[inner]
        elif key == "trafficType" and type(inner) is int:
            out[key] = TRAFFIC[inner]
        else:
            out[key] = _named(inner)
    return out


class Said:
    def __init__(self, item: Interaction) -> None:
        chunks = _chunks(item)
        self.error: Optional[str] = None
        self.finish: Optional[tuple[str, ...]] = None
        self.model: Optional[str] = None
        self.input: Optional[int] = None
        self.output: Optional[int] = None
        if item.status >= 400:  # Google's status string; for an unreadable body, the HTTP status
            self.error = chunks[0]["error"]["status"] if chunks else str(item.status)
            return
        reasons = [FINISH[c["finishReason"]] for c in _candidates(chunks) if "finishReason" in c]
        self.finish = tuple(reasons) or None
        self.model = chunks[-1].get("modelVersion")
        usage: dict[str, Any] = {}
        for chunk in chunks:  # a stream repeats usage; the last counts are the call's
            usage.update(chunk.get("usageMetadata") or {})
        if "promptTokenCount" in usage:
            self.input = usage["promptTokenCount"] + usage.get("toolUsePromptTokenCount", 0)
        if "candidatesTokenCount" in usage or "thoughtsTokenCount" in usage:
            self.output = usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)


@pytest.mark.parametrize("item", RECORDED, ids=str)
def test_recorded_exchange(item: Interaction, instrument: Any, span_exporter: Any) -> None:
    reply = Reply(status=item.status, content_type=item.content_type, pieces=[item.body])
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=gcp.vertex_ai")
        response = httpx.post(
            f"{server.url}{item.path}?{item.query}",
            content=item.request_body,
            headers={"content-type": "application/json"},
        )
    assert (response.status_code, response.content) == (item.status, item.body)
    said = Said(item)
    (span,) = span_exporter.get_finished_spans()
    a = span.attributes
    assert a["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert a["gen_ai.request.model"] == item.path.rsplit("/", 1)[1].split(":")[0]
    if said.error is not None:
        assert a["error.type"] == said.error
        return
    assert a.get("gen_ai.response.finish_reasons") == said.finish
    assert a.get("gen_ai.response.model") == said.model
    assert a.get("gen_ai.usage.input_tokens") == said.input
    assert a.get("gen_ai.usage.output_tokens") == said.output


@pytest.mark.parametrize("item", [i for i in RECORDED if i.status < 400], ids=str)
def test_numbers_read_as_their_names(item: Interaction) -> None:
    path = f"{item.path}?{item.query}"
    info = GEMINI.request_info("POST", item.path, item.request_body, True)
    named = json.dumps(_named(json.loads(item.body))).encode()
    if ":streamGenerateContent" in path:  # a streamed JSON array, fed in pieces
        summaries = []
        for body in (item.body, named):
            parser = GEMINI.stream_parser(info, True)
            for at in range(0, len(body), 64):
                parser.feed(body[at : at + 64])
            summaries.append(parser.summary())
    else:
        summaries = [GEMINI.parse_response(info, body, True) for body in (item.body, named)]
    numbers, names = summaries
    assert numbers == names
    assert numbers.finish_reasons
