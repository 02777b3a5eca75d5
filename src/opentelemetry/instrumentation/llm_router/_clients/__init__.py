"""What every HTTP client library hook shares: starting a call, observing a response, redaction.

A client library hook (``_httpx`` for httpx/httpx2, ``_aiohttp`` for aiohttp) knows only its own
library: where a request is sent, how to read its URL, headers and body, and how to watch the
response body go by. Everything else — host lookup, wire format, span, parsing, ending the call
once, masking credentials — is here, so two libraries cannot trace the same call differently.
"""
