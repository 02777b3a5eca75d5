"""Hugging Face's other routes: the feature-extraction paths huggingface_hub sent before 0.30,
and Inference Endpoints (``*.endpoints.huggingface.cloud``, TEI or TGI). The wire level is checked
through the host table; the hook through real httpx requests to a local server, and the real
``huggingface_hub`` client against a TEI-like endpoint."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from opentelemetry.instrumentation.llm_router._wire import DEFAULT_TABLE
from tests.support.scripted_server import ScriptedServer, json_reply

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("host", "path", "model", "operation"),
    [
        (
            "api-inference.huggingface.co",
            f"/pipeline/feature-extraction/{MODEL}",
            MODEL,
            "embeddings",
        ),
        (
            "router.huggingface.co",
            f"/hf-inference/pipeline/feature-extraction/{MODEL}",
            MODEL,
            "embeddings",
        ),
        (
            "router.huggingface.co",
            f"/hf-inference/models/{MODEL}/pipeline/feature-extraction",
            MODEL,
            "embeddings",
        ),
        ("my-tei.us-east-1.aws.endpoints.huggingface.cloud", "/", None, "embeddings"),
        ("my-tei.us-east-1.aws.endpoints.huggingface.cloud", "/embed", None, "embeddings"),
        ("my-tgi.eu-west-1.aws.endpoints.huggingface.cloud", "/v1/chat/completions", "tgi", "chat"),
    ],
)
def test_routes(host: str, path: str, model: Any, operation: str) -> None:
    route = DEFAULT_TABLE.lookup(host, 443)
    assert route is not None and route.provider == "huggingface"
    info = route.format.request_info(
        "POST", path, json.dumps({"inputs": "hi", "model": "tgi"}).encode()
    )
    assert info is not None
    assert (info.operation, info.request_model) == (operation, model)


@pytest.mark.parametrize(
    "path",
    ["/pipeline/text-generation/gpt2", "/other/pipeline/feature-extraction/m", "/api/models"],
)
def test_other_paths_get_no_span(path: str) -> None:
    route = DEFAULT_TABLE.lookup("api-inference.huggingface.co", 443)
    assert route.format.request_info("POST", path, b"{}") is None


def _spans(span_exporter: Any) -> list[Any]:
    return [
        s
        for s in span_exporter.get_finished_spans()
        if s.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
    ]


def test_old_route_through_the_hook(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(json_reply([[0.1, 0.2, 0.3]])) as server:
        instrument(f"{server.host_port}=huggingface")
        reply = httpx.post(
            f"{server.url}/hf-inference/pipeline/feature-extraction/{MODEL}",
            json={"inputs": "hi"},
            headers={"Authorization": "Bearer hf_canary"},
        )
    assert reply.json() == [[0.1, 0.2, 0.3]]
    (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert "hf_canary" not in json.dumps(dict(span.attributes))


def test_huggingface_hub_on_an_endpoint(
    instrument: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import InferenceClient

    # The SDK matrix's conftest sets HF_HUB_OFFLINE for the whole session when it runs first;
    # offline mode would refuse this call to a loopback endpoint.
    monkeypatch.setattr("huggingface_hub.constants.is_offline_mode", lambda: False)

    with ScriptedServer(json_reply([[0.5, 0.25]])) as server:
        instrument(f"{server.host_port}=huggingface")
        vector = InferenceClient(model=server.url, token="hf_canary").feature_extraction("hi")
        (request,) = server.received
    assert vector.tolist() == [[0.5, 0.25]]
    (span,) = _spans(span_exporter)
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert request.path in ("/", "")
