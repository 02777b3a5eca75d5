"""Provider names as routers spell them -> ``gen_ai.provider.name`` values of the conventions.

Routers say ``gemini`` or ``bedrock``; the conventions say ``gcp.gemini`` and ``aws.bedrock``. Names
we do not know are kept as the router spells them (lower-cased), as the conventions allow.
"""

from __future__ import annotations

_CONVENTION_NAMES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azure-openai": "azure.ai.openai",
    "azure.ai.openai": "azure.ai.openai",
    "azure_ai_inference": "azure.ai.inference",
    "azure.ai.inference": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "google": "gcp.gemini",
    "google_genai": "gcp.gemini",
    "gcp.gemini": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "gcp.vertex_ai": "gcp.vertex_ai",
    "gcp.gen_ai": "gcp.gen_ai",
    "bedrock": "aws.bedrock",
    "aws_bedrock": "aws.bedrock",
    "aws.bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "mistral_ai": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "x-ai": "x_ai",
    "x_ai": "x_ai",
    "grok": "x_ai",
    "cohere": "cohere",
    "perplexity": "perplexity",
    "ibm": "ibm.watsonx.ai",
    "watsonx": "ibm.watsonx.ai",
    "ibm.watsonx.ai": "ibm.watsonx.ai",
}


def provider_name(name: str) -> str:
    """The conventions' name for a provider the router names ``name``."""
    key = name.strip().lower()
    return _CONVENTION_NAMES.get(key, key)
