"""Hugging Face's native embeddings: ``feature_extraction`` (TEI and the HF Inference router).

| path | operation |
| --- | --- |
| ``/`` and ``/embed`` (a Text Embeddings Inference server) | ``embeddings`` |
| ``.../models/<model>/pipeline/feature-extraction`` (``router.huggingface.co/hf-inference``) | ``embeddings`` |
| ``/pipeline/feature-extraction/<model>``, ``/hf-inference/pipeline/feature-extraction/<model>`` (``huggingface_hub`` < 0.30) | ``embeddings`` |

Inference Endpoints (``*.endpoints.huggingface.cloud``) run TEI (``/``, ``/embed``) or TGI
(``/v1/chat/completions``: the ``openai`` format).

The request is ``{"inputs": ..., "normalize": ..., ...}`` with no model: the model is the path's
(TEI serves one model and does not say which, so there is none). The response is a bare JSON array
of vectors: no id, no usage. Errors are ``{"error": "text", "error_type": "overloaded"}``
(``error.type`` is the ``error_type``, else the HTTP status). Chat on these hosts
(``/v1/chat/completions``, ``.../models/<model>/v1/chat/completions``) is the ``openai`` format.
"""

from __future__ import annotations

from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._errors import read_error
from opentelemetry.instrumentation.llm_router._wire._format import JsonFormat
from opentelemetry.instrumentation.llm_router._wire._request import strip_query
from opentelemetry.instrumentation.llm_router._wire._stream import EventStreamParser
from opentelemetry.instrumentation.llm_router._wire._values import text

FEATURES = "feature_extraction"
_PIPELINE = "/pipeline/feature-extraction"
_MODELS = "/models/"


def _model(path: str) -> Optional[str]:
    at = path.find(_MODELS)
    if at < 0:
        return None
    return text(path[at + len(_MODELS) : len(path) - len(_PIPELINE)])


_PIPELINE_ROUTES = ("/pipeline/feature-extraction/", "/hf-inference/pipeline/feature-extraction/")
"""The older routes, model last: ``huggingface_hub`` before 0.30 sent feature extraction there
(``api-inference.huggingface.co`` at the root, ``router.huggingface.co`` under ``/hf-inference``)."""


def _pipeline_model(path: str) -> Optional[str]:
    """The model of an older route (:data:`_PIPELINE_ROUTES`), ``None`` for any other path."""
    for prefix in _PIPELINE_ROUTES:
        if path.startswith(prefix):
            return text(path[len(prefix) :])
    return None


class _ErrorOnly(EventStreamParser):
    """Feature extraction is never streamed: this reads an error sent where a stream was asked."""

    __slots__ = ("_result",)

    def __init__(self) -> None:
        EventStreamParser.__init__(self)
        self._result = ResponseSummary()

    def _event(self, raw: bytes) -> None:
        pass

    def _whole(self, body: bytes) -> None:
        self._result = HUGGINGFACE.parse_response(_FEATURES, body, False)

    def _summary(self) -> ResponseSummary:
        return self._result


class HuggingFaceFormat(JsonFormat):
    """Feature extraction (embeddings) in Hugging Face's native shape. The request body (the
    inputs) is never read: it names neither model nor parameters."""

    name = "huggingface"

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        if method != "POST":
            return None
        path = strip_query(path)
        if path in ("", "/", "/embed"):
            model = None
        elif path.endswith(_PIPELINE):
            model = _model(path)
        else:
            model = _pipeline_model(path)
            if model is None:
                return None
        return RequestInfo(operation="embeddings", request_model=model, kind=FEATURES)

    def summarise(
        self, kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary
    ) -> None:
        read_error(obj, summary)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return _ErrorOnly()


HUGGINGFACE = HuggingFaceFormat()
_FEATURES = RequestInfo(operation="embeddings", kind=FEATURES)
