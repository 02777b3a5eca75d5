"""The single mapping of LLM calls onto the GenAI semantic conventions."""

from opentelemetry.instrumentation.llm_router._genai._telemetry import (
    CallPricer,
    GenAICall,
    GenAITelemetry,
    Priced,
    RequestParameters,
    TelemetrySettings,
    TokenCounts,
)

__all__ = [
    "CallPricer",
    "GenAICall",
    "GenAITelemetry",
    "Priced",
    "RequestParameters",
    "TelemetrySettings",
    "TokenCounts",
]
