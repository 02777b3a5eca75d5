"""A small LLM router: OpenAI-format chat in, the right provider out, every request observed.

It shows the library inside a router (``OTelObserver`` for each client request,
``ForwardEventRecorder`` around each upstream call) and, when run under ``opentelemetry-instrument``,
the httpx hook's spans nested under the ASGI server span. It forwards to the bundled fake provider
unless a real provider's base URL and key are configured (see :mod:`.routes`).

Run it from ``examples/``: ``opentelemetry-instrument python -m router_app``.
"""
