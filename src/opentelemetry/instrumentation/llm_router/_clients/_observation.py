"""What the hook learns from one response, and the one place that ends its call.

A :class:`ResponseObservation` is fed the response body (whole, or chunk by chunk as the caller
reads a stream), hands it to the wire format's parser, and when the response is over — however it
ends — puts the parser's summary on the call and ends it exactly once. Nothing in here may raise
into the caller: every entry point swallows (and debug-logs) its own failures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import Any, Callable, Optional

from opentelemetry.instrumentation.llm_router._clients._user_hooks import ResponseHookCall
from opentelemetry.instrumentation.llm_router._genai import GenAICall
from opentelemetry.instrumentation.llm_router._genai._error_type import (
    answered_error_type,
    exception_error_type,
)
from opentelemetry.instrumentation.llm_router._redact import Redactor
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
    WireFormat,
)
from opentelemetry.instrumentation.llm_router._wire._values import exportable

_logger = logging.getLogger(__name__)

RedactorFactory = Callable[[], Redactor]
"""Makes the request's :class:`Redactor` (its credentials and content); called only on failure."""

MAX_BUFFERED_BODY = 8 * 1024 * 1024
"""A non-streamed body read through a stream is kept (for parsing at its end) up to this size."""


class _BodyBuffer:
    """Collects a JSON body that arrives through a stream, up to :data:`MAX_BUFFERED_BODY`."""

    __slots__ = ("_capture", "_format", "_info", "_parts", "_size")

    def __init__(self, wire_format: WireFormat, info: RequestInfo, capture: bool) -> None:
        self._format = wire_format
        self._info = info
        self._capture = capture
        self._parts: Optional[list[bytes]] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        parts = self._parts
        if parts is None:
            return
        self._size += len(chunk)
        if self._size > MAX_BUFFERED_BODY:
            self._parts = None  # too large to be an LLM JSON answer we should parse
            return
        parts.append(chunk)

    def response_model(self) -> Optional[str]:
        return None

    def summary(self) -> ResponseSummary:
        if not self._parts:
            return ResponseSummary()
        return self._format.parse_response(self._info, b"".join(self._parts), self._capture)


def content_json(value: Any, max_length: int) -> Optional[str]:
    """Message content as the JSON string the conventions want on spans, cut at ``max_length``."""
    if value is None:
        return None
    text = exportable(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if len(text) > max_length:
        return text[:max_length] + "...[truncated]"
    return text


class ResponseObservation:
    """Observation of one response; shared by the sync and async stream wrappers."""

    __slots__ = (
        "_call",
        "_capture",
        "_content_max",
        "_counts",
        "_decode_error",
        "_decoder",
        "_done",
        "_parse",
        "_parser",
        "_per_chunk",
        "_redactor",
        "_seen",
        "_status_code",
        "arrived_ns",
        "feed_chunk",
        "held",
        "hook",
        "pending",
        "timing",
    )

    def __init__(
        self,
        call: GenAICall,
        parser: StreamParser | _BodyBuffer,
        status_code: int,
        capture: bool,
        content_max_length: int,
        decoder: Optional[Callable[[bytes], bytes]] = None,
        per_chunk_metric: bool = False,
        redactor: Optional[RedactorFactory] = None,
    ) -> None:
        self._call = call
        self._redactor = redactor  # the one redaction step for this request's error text
        self._parser = parser
        # While output is counted, the parser's general feed (a parser's own ``feed`` may add a
        # fast path that pays only once nothing is counted any more: see :meth:`_shortcut`).
        self._parse: Callable[[bytes], None] = getattr(parser, "counting_feed", parser.feed)
        self._status_code = status_code
        self._capture = capture
        self._content_max = content_max_length
        self._decoder = decoder
        self._decode_error: Optional[BaseException] = None
        self._done = False
        self._per_chunk = per_chunk_metric
        # Stream timing: only a stream parser counts output events, and only a successful
        # response has any (an error body sent where a stream was asked for is no first chunk).
        self.timing = status_code < 400 and not isinstance(parser, _BodyBuffer)
        """Reads are still timed (the first output event, or every one for the per-chunk
        metric): a stream wrapper notes a read's arrival in :attr:`arrived_ns` before handing
        it on, and feeds it afterwards."""
        self.arrived_ns: Optional[int] = None
        """When the read being fed arrived (set by a wrapper that feeds after handing it on);
        ``None``: now."""
        self.held: Optional[bytes] = None
        """A read the caller has been handed and that is not fed yet: :meth:`finish` /
        :meth:`fail` feed it first, however the stream ends."""
        self._seen = 0  # output events already timed
        # A stream parser that does not count its output events (a format that has not said
        # which of its events carry output) is timed per read, as a fallback.
        self._counts = getattr(parser, "counts_output_events", False)
        self.hook: Optional[ResponseHookCall] = None
        """The user's response hook for this call, set by the core when there is one."""
        self.pending = False
        """``time_per_output_chunk`` intervals are noted and not yet recorded: the wrapper calls
        :meth:`record_pending` once it has handed the read's bytes on (or schedules it with
        :meth:`schedule_pending`), so no chunk waits for a record."""
        if self.timing and not per_chunk_metric:
            try:  # only the first output event is timed: the parser may stop counting there
                parser.count_first = True  # type: ignore[union-attr]
            except AttributeError:  # a body buffer, or a parser that always counts
                pass
        self.feed_chunk: Callable[[bytes], None] = self.feed
        """What a stream wrapper calls for each chunk: :meth:`feed`, or, once nothing is left to
        time or decode, the parser's own ``feed`` (one call a chunk instead of two). A wrapper
        must call :meth:`broken` if it raises."""
        self._shortcut()

    @classmethod
    def for_response(
        cls,
        call: GenAICall,
        wire_format: WireFormat,
        info: RequestInfo,
        status_code: int,
        content_type: str,
        capture: bool,
        content_max_length: int,
        decoder: Optional[Callable[[bytes], bytes]],
        per_chunk_metric: bool,
        redactor: Optional[RedactorFactory] = None,
    ) -> ResponseObservation:
        """An observation with the parser the response calls for: the format's stream parser
        for an event stream (or a stream request that succeeded), else a JSON body buffer.
        Used both for bodies ``send()`` already read and for bodies the caller will stream."""
        is_event_stream = content_type.startswith("text/event-stream")
        streamed = is_event_stream or (info.stream and status_code < 400)
        parser: StreamParser | _BodyBuffer = (
            wire_format.stream_parser(info, capture)
            if streamed
            else _BodyBuffer(wire_format, info, capture)
        )
        return cls(
            call,
            parser,
            status_code,
            capture,
            content_max_length,
            decoder,
            per_chunk_metric,
            redactor,
        )

    def feed(self, chunk: bytes) -> None:
        """A piece of the body as the caller receives it (raw, possibly compressed).

        Timing is per output event, not per read: after the parser has seen the piece, the
        events it completed that carry output are timed together (one clock read per piece).
        Once the first is timed and no per-chunk metric is wanted, nothing more is timed."""
        if self._done or not chunk:
            return
        try:
            if self._decoder is not None:
                try:
                    chunk = self._decoder(chunk)
                except Exception as exc:
                    # httpx decodes the same bytes with the same decoder for the caller, who
                    # gets this very error: the call failed (as it does when send() reads it).
                    self._decode_error = exc
                    self._decoder = None
                    self._parser = _NullParser()
                    self._parse = self._parser.feed
                    return
            parser = self._parser
            self._parse(chunk)
            if not self.timing:
                return
            seen = parser.output_events if self._counts else self._seen + 1  # type: ignore[union-attr]
            if seen <= self._seen:
                return
            call = self._call
            if not self._per_chunk:
                call.output_events(self.arrived_ns or time.time_ns(), seen - self._seen)
                self._seen = seen
                self.timing = False  # time to first chunk is known; nothing else is timed
                self._shortcut()
                return
            if call.response_model is None:
                # Per-chunk points carry the response model: take it once an event names it.
                model = parser.response_model()  # type: ignore[union-attr]
                if model is not None:
                    call.set_response(model)
            call.output_events(self.arrived_ns or time.time_ns(), seen - self._seen)
            self._seen = seen
            self.pending = True
        except Exception:
            self.broken()

    def record_pending(self) -> None:
        """Record the per-chunk intervals noted so far (after the bytes were handed on)."""
        self.pending = False
        self._call.record_pending()

    def schedule_pending(self) -> None:
        """For a reader whose read returns the bytes (aiohttp): record the intervals noted so far
        once the event loop next runs its callbacks, after the caller has had the bytes."""
        self.pending = False
        values = self._call.take_pending()
        if not values:
            return
        try:
            asyncio.get_running_loop().call_soon(self._call.record_values, values)
        except RuntimeError:  # no running loop (a synchronous read_nowait outside one)
            self._call.record_values(values)

    def _shortcut(self) -> None:
        """Once nothing is left to time: tell the parser its output count is no longer wanted,
        and let wrappers call it directly when this class has nothing to add per chunk."""
        if self.timing or self._done:
            return
        try:
            self._parser.counting = False  # type: ignore[union-attr]
        except AttributeError:  # a body buffer, or a parser that always counts
            pass
        # The parser's feed for when nothing is counted (its fast path, where it has one that
        # can apply: not with content captured or several choices).
        self._parse = getattr(self._parser, "steady_feed", self._parser.feed)
        if self._decoder is None:
            self.feed_chunk = self._parse

    def broken(self) -> None:
        """``feed_chunk`` raised: stop reading this body (the stream itself goes on)."""
        _logger.debug("could not parse a response chunk", exc_info=True)
        self._parser = _NullParser()
        self._parse = self._parser.feed
        self.feed_chunk = _ignore

    def complete(self, body: bytes) -> None:
        """The whole body, already read by httpx: parse it and end the call (no chunk timing)."""
        self.parse(body)
        self.finish()

    def parse(self, body: bytes) -> None:
        """The whole body, already read by the client library: parse it (no chunk timing); the
        caller then ends the call with :meth:`finish` or :meth:`afinish`."""
        if self._done:
            return
        try:
            self._parser.feed(body)
        except Exception:
            _logger.debug("could not parse a response body", exc_info=True)
            self._parser = _NullParser()

    def finish(self) -> None:
        """The body ended (exhausted, closed, abandoned): summarise and end the call, once."""
        if self._done:
            return
        summary = self._close(self._decode_error)
        try:
            if self.hook is not None and summary is not None:
                self._call.settle()
                self.hook(summary)
        finally:
            self._call.end()

    def fail(self, exc: BaseException) -> None:
        """Reading the body raised ``exc`` (network error, cancellation): end the call as failed."""
        if self._done:
            return
        summary = self._close(exc)
        try:
            if self.hook is not None and summary is not None:
                self._call.settle()
                self.hook(summary)
        finally:
            self._call.end()

    async def afinish(self, exc: Optional[BaseException] = None) -> None:
        """:meth:`finish` (or :meth:`fail` with ``exc``) for an async client: awaits the user's
        async response hook before the span ends."""
        if self._done:
            return
        if self.hook is None:
            if exc is None:
                self.finish()
            else:
                self.fail(exc)
            return
        summary = self._close(exc if exc is not None else self._decode_error)
        try:
            if summary is not None:
                self._call.settle()
                await self.hook.acall(summary)
        finally:
            self._call.end()

    def _close(self, exc: Optional[BaseException]) -> Optional[ResponseSummary]:
        """Put what the body said (and ``exc``, if reading it failed) on the call; the summary
        for the user's response hook, ``None`` if summarising failed."""
        held = self.held
        if held is not None:  # handed to the caller, not fed yet: the stream ended meanwhile
            self.held = None
            try:
                self.feed_chunk(held)
            except Exception:
                self.broken()
            if exc is None:  # that read did not decode: the caller got this very error
                exc = self._decode_error
        self._done = True
        self.feed_chunk = _ignore
        try:
            summary = self._apply_summary()
            if exc is not None:
                self._call.fail(
                    exception_error_type(exc), exception_text(exc), exc, self._redaction()
                )
            return summary
        except Exception:
            _logger.debug("could not summarise a response", exc_info=True)
            return None

    def _apply_summary(self) -> ResponseSummary:
        return apply_summary(
            self._call,
            self._parser.summary(),
            self._status_code,
            self._capture,
            self._content_max,
            self._redactor,
            self.hook is not None,
        )

    def _redaction(self) -> Optional[Redactor]:
        """The request's redaction step (credentials, and its message text unless content is
        captured), built only now that the call failed; ``None``: key shapes only."""
        return None if self._redactor is None else self._redactor()


def apply_summary(
    call: GenAICall,
    summary: ResponseSummary,
    status_code: int,
    capture: bool,
    content_max_length: int,
    redactor: Optional[RedactorFactory],
    for_hook: bool,
) -> ResponseSummary:
    """Put what a response said on its call (failing it for an error body or status); the
    summary for the user's response hook (``for_hook``: its error text redacted as the span's)."""
    call.set_response(
        summary.response_model,
        summary.response_id,
        summary.finish_reasons,
        service_tier=summary.service_tier,
        system_fingerprint=summary.system_fingerprint,
        conversation_id=summary.conversation_id,
    )
    call.set_usage(summary.usage)
    if capture and summary.output_messages is not None:
        call.set_content(output_messages=content_json(summary.output_messages, content_max_length))
    if summary.error_type is not None or status_code >= 400:
        error_type = answered_error_type(summary.error_type, status_code)
        message = summary.error_message or error_type
        # The request's redaction step, built only now that the call failed (None: key shapes).
        redaction = None if redactor is None else redactor()
        call.fail(error_type, message, None, redaction)
        if for_hook:  # the user's hook sees what the span sees
            summary = _redacted(summary, redaction or Redactor())
    return summary


def summarise_body(
    call: GenAICall,
    wire_format: WireFormat,
    info: RequestInfo,
    status_code: int,
    body: bytes,
    capture: bool,
    content_max_length: int,
    redactor: Optional[RedactorFactory],
) -> None:
    """A whole non-streamed body already read: summarise it onto ``call`` and end the call.

    What :class:`ResponseObservation` does with such a body (a body over
    :data:`MAX_BUFFERED_BODY` is not parsed; a failure to summarise is logged and the call still
    ends), for a call without a user's response hook; never raises."""
    try:
        summary = (
            wire_format.parse_response(info, body, capture)
            if len(body) <= MAX_BUFFERED_BODY
            else ResponseSummary()
        )
        apply_summary(call, summary, status_code, capture, content_max_length, redactor, False)
    except Exception:
        _logger.debug("could not summarise a response", exc_info=True)
    finally:
        call.end()


def exception_text(exc: BaseException) -> str:
    """The exception's text for the status description (redacted by ``GenAICall.fail``)."""
    try:
        return str(exc) or type(exc).__qualname__
    except Exception:  # an exception whose __str__ fails
        return type(exc).__qualname__


def _ignore(chunk: bytes) -> None:
    """``feed_chunk`` once the body is no longer read."""


def _redacted(summary: ResponseSummary, redaction: Redactor) -> ResponseSummary:
    """``summary`` with its provider error text through the call's redaction step."""
    return replace(
        summary,
        error_type=redaction.identifier(summary.error_type),
        error_message=redaction(summary.error_message),
    )


class _NullParser:
    """Stands in for a parser that broke: the stream goes on, we just stop reading it."""

    output_events = 0

    def feed(self, chunk: bytes) -> None:
        pass

    def response_model(self) -> Optional[str]:
        return None

    def summary(self) -> ResponseSummary:
        return ResponseSummary()
