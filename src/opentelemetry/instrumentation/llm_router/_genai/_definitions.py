"""Which request and provider attributes each span definition of the conventions lists.

The GenAI conventions v1.41.0 give each client span a definition that lists its attributes:
``span.openai.inference.client`` (provider ``openai``), ``span.anthropic.inference.client``
(``anthropic``), ``span.gen_ai.embeddings.client`` (operation ``embeddings``) and
``span.gen_ai.inference.client`` for every other provider. They differ in what they list: only
the OpenAI span lists ``openai.*``; ``gen_ai.request.top_k`` is listed by the generic inference
span but neither by the OpenAI nor by the Anthropic one; the embeddings span lists only its own
two request attributes. A request may say more (an Anthropic request with ``top_k``, a Groq
response with a ``system_fingerprint``); those values are left off the span rather than put where
the definition does not have them.

Kept by hand, checked against the table generated from the conventions' YAML model
(``tests/test_semconv_table.py``), so a new release that lists more shows up as a failing test.
"""

from __future__ import annotations

from . import _attributes as A

OPENAI_ONLY = frozenset(
    {
        A.OPENAI_API_TYPE,
        A.OPENAI_REQUEST_SERVICE_TIER,
        A.OPENAI_RESPONSE_SERVICE_TIER,
        A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
    }
)
"""Listed by ``span.openai.inference.client`` only (and, for the two response ones, the OpenAI
metric attribute group on duration and token usage)."""

REQUEST_PARAMETERS = frozenset(
    {
        A.GEN_AI_REQUEST_MAX_TOKENS,
        A.GEN_AI_REQUEST_TEMPERATURE,
        A.GEN_AI_REQUEST_TOP_P,
        A.GEN_AI_REQUEST_TOP_K,
        A.GEN_AI_REQUEST_FREQUENCY_PENALTY,
        A.GEN_AI_REQUEST_PRESENCE_PENALTY,
        A.GEN_AI_REQUEST_STOP_SEQUENCES,
        A.GEN_AI_REQUEST_SEED,
        A.GEN_AI_REQUEST_CHOICE_COUNT,
        A.GEN_AI_REQUEST_ENCODING_FORMATS,
        A.GEN_AI_OUTPUT_TYPE,
        A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
        A.GEN_AI_CONVERSATION_ID,
        A.OPENAI_API_TYPE,
        A.OPENAI_REQUEST_SERVICE_TIER,
    }
)
"""Every attribute a request's parameters (``RequestParameters``) can give."""

RESPONSE_ATTRIBUTES = frozenset(
    {
        A.GEN_AI_RESPONSE_ID,
        A.GEN_AI_RESPONSE_MODEL,
        A.GEN_AI_RESPONSE_FINISH_REASONS,
        A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        A.GEN_AI_USAGE_INPUT_TOKENS,
        A.GEN_AI_USAGE_OUTPUT_TOKENS,
        A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
        A.OPENAI_RESPONSE_SERVICE_TIER,
        A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
    }
)
"""Every attribute a response can give the span."""

CANDIDATES = REQUEST_PARAMETERS | RESPONSE_ATTRIBUTES
"""What a definition may or may not list; the rest (operation, provider, model, server,
``error.type``, stream, content) every definition we emit lists."""

_INFERENCE = (CANDIDATES - OPENAI_ONLY) - {
    A.GEN_AI_REQUEST_ENCODING_FORMATS,
    A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
}
LISTED: dict[str, frozenset[str]] = {
    "span.gen_ai.inference.client": _INFERENCE,
    "span.openai.inference.client": (_INFERENCE | OPENAI_ONLY) - {A.GEN_AI_REQUEST_TOP_K},
    "span.anthropic.inference.client": _INFERENCE - {A.GEN_AI_REQUEST_TOP_K},
    "span.gen_ai.embeddings.client": frozenset(
        {
            A.GEN_AI_REQUEST_ENCODING_FORMATS,
            A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
            A.GEN_AI_RESPONSE_MODEL,
            A.GEN_AI_USAGE_INPUT_TOKENS,
        }
    ),
}
"""Per definition: which of :data:`CANDIDATES` it lists."""

UNLISTED: dict[str, frozenset[str]] = {d: CANDIDATES - listed for d, listed in LISTED.items()}
"""Per definition: what it does not list, left off its span."""


def definition_of(operation: str, provider: str) -> str:
    """The span definition that applies to a call."""
    if operation == "embeddings":
        return "span.gen_ai.embeddings.client"
    if provider == "openai":
        return "span.openai.inference.client"
    if provider == "anthropic":
        return "span.anthropic.inference.client"
    return "span.gen_ai.inference.client"


def unlisted(operation: str, provider: str) -> frozenset[str]:
    return UNLISTED[definition_of(operation, provider)]
