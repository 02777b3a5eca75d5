"""Wire format name -> :class:`~._base.WireFormat`: the one place a new format is registered."""

from __future__ import annotations

from typing import Optional

from opentelemetry.instrumentation.llm_router._wire._base import WireFormat
from opentelemetry.instrumentation.llm_router._wire.anthropic import ANTHROPIC
from opentelemetry.instrumentation.llm_router._wire.gemini import GEMINI
from opentelemetry.instrumentation.llm_router._wire.openai import OPENAI

FORMATS: dict[str, WireFormat] = {
    OPENAI.name: OPENAI,
    ANTHROPIC.name: ANTHROPIC,
    GEMINI.name: GEMINI,
}


def get_format(name: str) -> Optional[WireFormat]:
    """The format called ``name`` (``openai``, ``anthropic``, ``gemini``), case-insensitive."""
    return FORMATS.get(name.strip().lower())
