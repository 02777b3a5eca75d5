"""The single mapping of LLM calls onto the GenAI semantic conventions."""

from opentelemetry.instrumentation.llm_router._genai._telemetry import (
    GenAICall,
    GenAITelemetry,
    RequestParameters,
    TelemetrySettings,
    TokenCounts,
)

__all__ = ["GenAICall", "GenAITelemetry", "RequestParameters", "TelemetrySettings", "TokenCounts"]
