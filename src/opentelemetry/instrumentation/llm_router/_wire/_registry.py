"""Wire format name -> :class:`~._base.WireFormat`: the one place a new format is registered.

A name stands for everything a provider's own host speaks: its native format first, then the
formats it also serves on other paths (see :mod:`._chain`). ``openai`` is the OpenAI format alone.
"""

from __future__ import annotations

from typing import Optional

from opentelemetry.instrumentation.llm_router._wire._base import WireFormat
from opentelemetry.instrumentation.llm_router._wire._chain import FormatChain
from opentelemetry.instrumentation.llm_router._wire.anthropic import ANTHROPIC
from opentelemetry.instrumentation.llm_router._wire.azure import AZURE
from opentelemetry.instrumentation.llm_router._wire.bedrock import BEDROCK
from opentelemetry.instrumentation.llm_router._wire.cohere import COHERE
from opentelemetry.instrumentation.llm_router._wire.gemini import GEMINI
from opentelemetry.instrumentation.llm_router._wire.huggingface import HUGGINGFACE
from opentelemetry.instrumentation.llm_router._wire.ollama import OLLAMA
from opentelemetry.instrumentation.llm_router._wire.openai import OPENAI

FORMATS: dict[str, WireFormat] = {
    OPENAI.name: OPENAI,
    # Azure OpenAI and, on /models/..., Azure AI model inference (azure.ai.inference).
    AZURE.name: AZURE,
    # Anthropic's host also serves the OpenAI SDK compatibility API (/v1/chat/completions).
    ANTHROPIC.name: FormatChain(ANTHROPIC, OPENAI),
    # Gemini API and Vertex AI: native, OpenAI-compatible (/v1beta/openai/..., Vertex's
    # /endpoints/openapi/...), and Claude on Vertex (:rawPredict / :streamRawPredict).
    GEMINI.name: FormatChain(GEMINI, OPENAI, ANTHROPIC),
    OLLAMA.name: FormatChain(OLLAMA, OPENAI),
    COHERE.name: FormatChain(COHERE, OPENAI),
    HUGGINGFACE.name: FormatChain(HUGGINGFACE, OPENAI),
    # Bedrock Runtime: Converse and InvokeModel (the body in the model family's format).
    BEDROCK.name: BEDROCK,
}


def get_format(name: str) -> Optional[WireFormat]:
    """The format called ``name`` (one of :data:`FORMATS`' keys), case-insensitive."""
    return FORMATS.get(name.strip().lower())
