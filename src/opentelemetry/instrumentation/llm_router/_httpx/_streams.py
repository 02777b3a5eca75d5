"""Byte-stream wrappers that watch a response body pass by without holding it up.

The hook replaces ``response.stream`` with one of these. Each chunk is yielded unchanged first and
handed to the observation only when the caller comes back for more, so the caller sees the same
bytes at the same time: no parse (of a first read holding a whole stream, say) and no record of the
opt-in per-chunk metric stands between a read and the caller. While reads are timed, the read's
arrival is noted before the yield, so time to first chunk is the read's, not the parse's. A read the
caller was handed and that is not fed yet when the stream ends is fed by the ending (the
observation holds it). The call ends when the stream is exhausted, fails, is closed
(``response.close()``, a ``with`` block, the SDK stopping at ``[DONE]``), is abandoned
mid-iteration (generator closed) or is garbage-collected unread.

The classes are built per httpx module (httpx and httpx2 have distinct ``SyncByteStream`` /
``AsyncByteStream`` bases), so ``isinstance`` checks in httpx and in the SDKs still pass.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from time import time_ns
from typing import Any, AsyncIterator, Iterator

from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation

_logger = logging.getLogger(__name__)

_OWN = frozenset(("_inner", "_observation"))


def stream_classes(sync_base: type, async_base: type) -> tuple[type, type]:
    """``(ObservedSyncStream, ObservedAsyncStream)`` subclassing one httpx module's bases."""

    class ObservedSyncStream(sync_base):  # type: ignore[misc, valid-type]
        __slots__ = ("_inner", "_observation")

        def __init__(self, inner: Any, observation: ResponseObservation) -> None:
            self._inner = inner
            self._observation = observation

        def __iter__(self) -> Iterator[bytes]:
            observation = self._observation
            chunks = iter(self._inner)
            try:
                for chunk in chunks:
                    if observation.timing:  # the read's time, taken before it is handed on
                        observation.arrived_ns = time_ns()
                    observation.held = chunk  # fed by finish()/fail() if the stream ends here
                    yield chunk
                    observation.held = None
                    try:  # parsed once the caller has had the bytes and comes back for more
                        observation.feed_chunk(chunk)
                    except Exception:  # the parser broke: the caller must not notice
                        observation.broken()
                    if observation.pending:  # per-chunk points, after the bytes were handed on
                        observation.record_pending()
            except GeneratorExit:
                observation.finish()
                raise
            except BaseException as exc:
                observation.fail(exc)
                raise
            else:
                observation.finish()
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._observation.finish()

        def __getattr__(self, name: str) -> Any:
            # e.g. ``elapsed``, which httpx reads back from the stream it bound.
            if name in _OWN:
                raise AttributeError(name)
            return getattr(self._inner, name)

        def __del__(self) -> None:
            try:
                self._observation.finish()
            except Exception:  # pragma: no cover - finish() already swallows everything
                pass

    class ObservedAsyncStream(async_base):  # type: ignore[misc, valid-type]
        __slots__ = ("_inner", "_observation")

        def __init__(self, inner: Any, observation: ResponseObservation) -> None:
            self._inner = inner
            self._observation = observation

        async def __aiter__(self) -> AsyncIterator[bytes]:
            observation = self._observation
            chunks = self._inner.__aiter__()
            try:
                async for chunk in chunks:
                    if observation.timing:  # the read's time, taken before it is handed on
                        observation.arrived_ns = time_ns()
                    observation.held = chunk  # fed by finish()/fail() if the stream ends here
                    yield chunk
                    observation.held = None
                    try:  # parsed once the caller has had the bytes and comes back for more
                        observation.feed_chunk(chunk)
                    except Exception:  # the parser broke: the caller must not notice
                        observation.broken()
                    if observation.pending:  # per-chunk points, after the bytes were handed on
                        observation.record_pending()
            except GeneratorExit:
                observation.finish()
                raise
            except BaseException as exc:
                await observation.afinish(exc)
                raise
            else:
                await observation.afinish()
            finally:
                if isinstance(chunks, AsyncGenerator):
                    await chunks.aclose()

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                await self._observation.afinish()

        def __getattr__(self, name: str) -> Any:
            if name in _OWN:
                raise AttributeError(name)
            return getattr(self._inner, name)

        def __del__(self) -> None:
            try:
                self._observation.finish()
            except Exception:  # pragma: no cover
                pass

    return ObservedSyncStream, ObservedAsyncStream
