"""The LiteLLM adapter (see ``opentelemetry.instrumentation.llm_router.litellm``).

``_payload`` reads LiteLLM's values (auth object, logging payload, exceptions) without importing
LiteLLM; ``_callback`` is the ``CustomLogger`` and the only module that imports it.
"""
