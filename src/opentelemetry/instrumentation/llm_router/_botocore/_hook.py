"""boto3 / botocore calls to Bedrock Runtime: one span per HTTP attempt, ended when its body ends.

botocore sends on urllib3, which the httpx/aiohttp hooks do not see, so ``Endpoint._send`` (one
call per attempt, retries included) is wrapped: the request is looked up in the same host table
(``bedrock-runtime.<region>.amazonaws.com``, or the user's entries for an ``endpoint_url``) and
read by the same wire format as over httpx. The response's raw urllib3 body is replaced by a thin
proxy that hands every piece to the observation as it passes. botocore has already read the body of
a non-streaming operation (Converse) inside ``_send``: that body is summarised at once. An
InvokeModel ``StreamingBody`` and an event stream (ConverseStream, InvokeModelWithResponseStream)
are read by the caller, piece by piece, through the proxy, so nothing is buffered or read ahead. The call ends when the body is exhausted, closed or released,
or fails with the error reading it raised; a failed send ends it at once.

aiobotocore needs no hook here: its ``AioEndpoint._send`` (its own, not this one) sends through
``aiohttp.ClientSession`` or httpx2, which the aiohttp and httpx hooks already wrap, so wrapping
it too would trace each attempt twice (tests/aiobotocore_venv/bedrock_async_cases.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterator, Optional
from urllib.parse import urlsplit

from opentelemetry import context
from opentelemetry.instrumentation.llm_router._clients._core import IN_CALL, CallCore, Started
from opentelemetry.instrumentation.llm_router._clients._credentials import credential_values
from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation

_logger = logging.getLogger(__name__)


def request_credentials(request: Any) -> list[str]:
    """The SigV4 ``Authorization`` and ``X-Amz-Security-Token`` values (and any other credential
    header) of a botocore request, for redaction."""
    return credential_values(request.headers.items(), ())


def _no_route(host: str, port: Optional[int]) -> None:
    return None


class ObservedRaw:
    """The urllib3 response botocore reads, with every piece also handed to the observation."""

    def __init__(self, raw: Any, observation: ResponseObservation) -> None:
        self._raw = raw
        self._observation = observation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def read(self, amt: Optional[int] = None, *args: Any, **kwargs: Any) -> bytes:
        try:
            data = self._raw.read(amt, *args, **kwargs)
        except BaseException as exc:
            self._observation.fail(exc)
            raise
        if data:
            self._observation.feed(data)
        if not data or amt is None:
            self._observation.finish()
        return data

    def stream(self, amt: int = 2**16, decode_content: Optional[bool] = None) -> Iterator[bytes]:
        observation = self._observation
        try:
            for chunk in self._raw.stream(amt, decode_content=decode_content):
                observation.feed(chunk)
                yield chunk
        except GeneratorExit:  # the caller stopped reading: what it read is what there was
            observation.finish()
            raise
        except BaseException as exc:
            observation.fail(exc)
            raise
        observation.finish()

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            self._observation.finish()

    def release_conn(self) -> None:
        try:
            self._raw.release_conn()
        finally:
            self._observation.finish()


class BotocoreHook:
    """Wraps ``botocore.endpoint.Endpoint._send(request)``."""

    def __init__(self, core: CallCore) -> None:
        self._core = core
        self._lookup: Callable[[str, Optional[int]], Any] = core.lookup

    def disable(self) -> None:
        """Record nothing from now on (``uninstrument()`` when another wrapper holds ours)."""
        self._lookup = _no_route

    def send(self, wrapped: Callable[..., Any], endpoint: Any, args: Any, kwargs: Any) -> Any:
        started = None
        try:
            if not context.get_value(IN_CALL):
                started = self._start(args[0] if args else kwargs["request"])
        except Exception:
            _logger.debug("llm_router: not tracing a botocore request", exc_info=True)
        if started is None:
            return wrapped(*args, **kwargs)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            self._core.raised(started, exc)
            raise
        finally:
            context.detach(started.token)
        self._responded(started, response)
        return response

    def _start(self, request: Any) -> Optional[Started]:
        url = urlsplit(request.url)
        host = url.hostname
        if host is None:
            return None
        route = self._lookup(host, url.port)
        if route is None:
            return None
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = None  # a file or stream upload: not ours to read
        return self._core.start(
            route,
            request,
            request.url,
            request.method,
            url.scheme,
            host,
            url.port,
            url.path,
            body,
            request_credentials,
        )

    def _responded(self, started: Started, response: Any) -> None:
        """``_send`` returned: summarise the body botocore read, or watch the one the caller
        will read. Whatever goes wrong here ends the call (no span is left open)."""
        call = started.call
        try:
            status_code = response.status_code
            call.set_status_code(status_code)
            headers = response.headers
            content_type = headers.get("content-type") or headers.get("Content-Type") or ""
            content = getattr(response, "_content", None)
            if isinstance(content, bytes):  # a non-streaming operation: botocore read it in send()
                if self._core.complete(started, status_code, content_type, content, headers):
                    return  # parsed, and the call ended
                observation = self._core.observation(
                    started, status_code, content_type, None, False, response
                )
                observation.complete(content)
                return
            observation = self._core.observation(
                started,
                status_code,
                content_type,
                None,
                self._core.config.settings.record_time_per_output_chunk,
                response,
            )
            response.raw = ObservedRaw(response.raw, observation)
        except Exception:
            _logger.debug("llm_router: could not observe a botocore response", exc_info=True)
            call.end(time.time_ns())
