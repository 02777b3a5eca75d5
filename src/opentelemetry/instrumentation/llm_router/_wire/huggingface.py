"""Hugging Face's native embeddings: ``feature_extraction`` (TEI and the HF Inference router).

| path | operation |
| --- | --- |
| ``/`` and ``/embed`` (a Text Embeddings Inference server) | ``embeddings`` |
| ``.../models/<model>/pipeline/feature-extraction`` (``router.huggingface.co/hf-inference``) | ``embeddings`` |

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
