"""Starting, failing and observing one traced call: the part of a hook no client library changes.

A client library hook looks the host up (:attr:`CallCore.lookup`, one dictionary lookup for
unrelated traffic), and for a provider host hands the request's method, URL parts and in-memory body
to :meth:`CallCore.start`, which reads what the request asks for, starts the GenAI span and makes it
current while the request is sent. What the library's ``send`` raises goes to :meth:`CallCore.raised`;
a response gets a :class:`ResponseObservation` from :meth:`CallCore.observation`, fed by the
library's own body reader.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router._attempts import COUNTER_KEY
from opentelemetry.instrumentation.llm_router._clients._coexist import metrics_recorded_by
from opentelemetry.instrumentation.llm_router._clients._credentials import CredentialReader
from opentelemetry.instrumentation.llm_router._clients._observation import (
    ResponseObservation,
    content_json,
    exception_text,
    summarise_body,
)
from opentelemetry.instrumentation.llm_router._clients._user_hooks import (
    ResponseHookCall,
    UserHooks,
)
from opentelemetry.instrumentation.llm_router._config import HookConfig
from opentelemetry.instrumentation.llm_router._genai import GenAICall, GenAITelemetry
from opentelemetry.instrumentation.llm_router._genai._error_type import exception_error_type
from opentelemetry.instrumentation.llm_router._genai._telemetry import SCOPE_NAME
from opentelemetry.instrumentation.llm_router._redact import Redactor
from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo, WireFormat
from opentelemetry.instrumentation.llm_router._wire._hosts import ProviderRoute

_logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"https": 443, "http": 80}
IN_CALL = context.create_key("llm_router.in_call")
"""Set in the context while a traced request is sent: a client library underneath the one that
started the call (an httpx client on an aiohttp transport) sees it and adds no second span."""
_GENAI_MARKER = "gen_ai.provider.name"


class Started:
    """A request we are tracing: its call, format, what it asked for, and the context token."""

    __slots__ = ("_body", "_capture", "_credentials", "call", "format", "info", "request", "token")

    def __init__(
        self,
        call: GenAICall,
        wire_format: WireFormat,
        info: RequestInfo,
        token: object,
        request: Any,
        credentials: CredentialReader,
        body: Optional[bytes],
        capture_content: bool,
    ):
        self.call = call
        self.format = wire_format
        self.info = info
        self.token = token
        self.request = request
        self._credentials = credentials
        self._body = body  # the in-memory request body (already held by the request)
        self._capture = capture_content

    def redactor(self) -> Redactor:
        """The one redaction step for this request's error text: its credentials and, with
        content capture off, its message text. Built only when the call failed."""
        return Redactor.for_call(self._credentials(self.request), self._body, self._capture)


class CallCore:
    """Per-instrumentation state shared by the hooks of every client library."""

    def __init__(
        self,
        telemetry: GenAITelemetry,
        config: HookConfig,
        url_excluded: Optional[Callable[[str], bool]],
        hooks: Optional[UserHooks] = None,
    ) -> None:
        self.telemetry = telemetry
        self.config = config
        self.url_excluded = url_excluded
        self.hooks = hooks
        """The user's request/response hooks; ``None`` when none were given."""
        self.lookup: Callable[[str, Optional[int]], Optional[ProviderRoute]] = config.hosts.lookup

    def start(
        self,
        route: ProviderRoute,
        request: Any,
        url: Any,
        method: str,
        scheme: str,
        host: str,
        port: Optional[int],
        path: str,
        body: Optional[bytes],
        credentials: CredentialReader,
    ) -> Optional[Started]:
        """Start the call for a GenAI request to a provider host (``None``: not one of ours).

        ``url`` is only turned into a string when excluded URLs are configured; ``port`` is
        ``None`` for the scheme's default port; ``body`` is ``None`` when it is not in memory.
        ``credentials`` reads the request's credential values (for redaction, on failure only).
        """
        if self.url_excluded is not None and self.url_excluded(str(url)):
            return None
        config = self.config
        wire_format = route.format
        info = wire_format.request_info(method, path, body, config.capture_content)
        if info is None:
            return None
        current = context.get_current()  # read once: the span, the attempt counter, the parent
        parent_span = trace.get_current_span(current)
        call = self.telemetry.start_call(
            info.operation,
            info.provider or route.provider,
            info.request_model,
            server_address=host,
            server_port=port or DEFAULT_PORTS.get(scheme),
            stream=info.stream,
            parameters=info.parameters,
            parent=current,
        )
        counter = current.get(COUNTER_KEY)  # what next_attempt() reads, without two calls
        if counter is not None:  # inside a router request that counts its upstream calls
            call.set_attempt(counter.next())
        if parent_span is not trace.INVALID_SPAN:
            sdk_span_name = _enclosing_sdk_span(parent_span)
            if sdk_span_name is not None:
                call.set_inside_sdk_span(sdk_span_name)
        if metrics_recorded_by(request, info.kind) is not None:  # openai-v2, OpenLLMetry
            call.without_genai_metrics()
        if config.capture_content:
            self._capture_input(call, wire_format, info)
        token = context.attach(
            context.set_value(IN_CALL, True, trace.set_span_in_context(call.span, current))
        )
        return Started(
            call, wire_format, info, token, request, credentials, body, config.capture_content
        )

    def _capture_input(self, call: GenAICall, wire_format: WireFormat, info: RequestInfo) -> None:
        try:
            messages, system = wire_format.input_messages(info)
        except Exception:
            _logger.debug("llm_router: could not read input messages", exc_info=True)
            return
        limit = self.config.content_max_length
        call.set_content(
            input_messages=content_json(messages, limit),
            system_instructions=content_json(system, limit),
        )

    def raised(self, started: Started, exc: BaseException) -> None:
        """Sending raised (connect error, timeout, cancellation): the call failed."""
        try:
            started.call.fail(
                exception_error_type(exc), exception_text(exc), exc, started.redactor()
            )
            started.call.end()
        except Exception as error:
            # Logged without the caller's exception chained to it: that one may quote a key
            # (h11 quotes a refused header value) and only ever reaches telemetry redacted.
            error.__suppress_context__ = True
            _logger.debug("llm_router: could not record a failed request", exc_info=True)

    def complete(
        self,
        started: Started,
        status_code: int,
        content_type: str,
        body: bytes,
        headers: Any = None,
    ) -> bool:
        """A whole JSON body the client library already read: parse it, put what it says on the
        call and end the call, here and now; ``False`` (nothing done) when the body needs an
        :meth:`observation` instead: an event stream, or a user's response hook to call.

        The same outcome as an observation fed the whole body, without building one: this is
        every non-streamed call, so it is kept short."""
        info = started.info
        if (
            content_type.startswith("text/event-stream")
            or (info.stream and status_code < 400)
            or (self.hooks is not None and self.hooks.has_response_hook)
        ):
            return False
        if headers is not None and getattr(started.format, "response_headers", None):
            _response_headers(started, headers)
        config = self.config
        summarise_body(
            started.call,
            started.format,
            info,
            status_code,
            body,
            config.capture_content,
            config.content_max_length,
            started.redactor,
        )
        return True

    def observation(
        self,
        started: Started,
        status_code: int,
        content_type: str,
        decoder: Optional[Callable[[bytes], bytes]],
        per_chunk_metric: bool,
        response: Any = None,
    ) -> ResponseObservation:
        """The observation of the response to ``started``, to be fed its body; it calls the
        user's response hook (given ``response``) when the body ends."""
        if response is not None and getattr(started.format, "response_headers", None):
            _response_headers(started, getattr(response, "headers", None))
        config = self.config
        observation = ResponseObservation.for_response(
            started.call,
            started.format,
            started.info,
            status_code,
            content_type,
            config.capture_content,
            config.content_max_length,
            decoder,
            per_chunk_metric,
            started.redactor,
        )
        hooks = self.hooks
        if hooks is not None and hooks.has_response_hook:
            observation.hook = ResponseHookCall(hooks, started.call.span, started.request, response)
        return observation

    def request_hook(self, started: Started) -> None:
        """The user's request hook, if any (our attributes are set, the span is current).

        It runs without the in-call marker: a call the hook makes itself is a call of its own,
        not the traced request being sent, and gets its span whatever its client library."""
        if self.hooks is not None:
            token = context.attach(context.set_value(IN_CALL, None))
            try:
                self.hooks.call_request(started.call.span, started.request)
            finally:
                context.detach(token)

    async def async_request_hook(self, started: Started) -> None:
        """The user's async request hook (else the plain one), for an async client; without
        the in-call marker, as :meth:`request_hook`."""
        if self.hooks is not None:
            token = context.attach(context.set_value(IN_CALL, None))
            try:
                await self.hooks.acall_request(started.call.span, started.request)
            finally:
                context.detach(token)


def _response_headers(started: Started, headers: Any) -> None:
    """The values of the response headers the format reads beside the body (Bedrock's
    ``x-amzn-ErrorType`` and token counts), handed to it with the request info."""
    if headers is None:
        return
    found = {}
    for name in started.format.response_headers:
        value = headers.get(name)
        if isinstance(value, str) and value:
            found[name] = value
    if found:
        started.info.response_headers = found


def _enclosing_sdk_span(span: Any) -> Optional[str]:
    """The name of an SDK's own GenAI span around this request (e.g. anthropic's), if any."""
    attributes = getattr(span, "attributes", None)
    if not attributes or _GENAI_MARKER not in attributes:
        return None
    scope = getattr(span, "instrumentation_scope", None)
    if scope is not None and scope.name == SCOPE_NAME:
        return None
    return getattr(span, "name", None)
