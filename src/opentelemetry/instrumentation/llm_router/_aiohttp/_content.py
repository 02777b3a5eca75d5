"""A response body reader that watches the body go by as the caller reads it.

The hook replaces ``ClientResponse.content`` (aiohttp's ``StreamReader``) with an
:class:`ObservedContent`. Every way of reading — ``read()`` (and so ``response.read()`` /
``.json()`` / ``.text()``), ``readany``, ``readchunk``, ``readline``, ``readuntil``,
``readexactly``, ``read_nowait``, ``iter_chunked`` / ``iter_any`` / ``iter_chunks`` and
``async for line in response.content`` — returns exactly what aiohttp's reader returns, and the
bytes are handed to the observation on the way: nothing is buffered, held up or read ahead.

The call ends exactly once: when the reader is at its end (``readexactly()`` says so by raising
``IncompleteReadError``: the end of a complete body, not a failure), when a read raises (network
error, timeout, cancellation), when the response is released or closed before the end (aiohttp then
tells the reader through ``set_exception``), or when the reader is garbage-collected unread.

It subclasses ``StreamReader`` so ``isinstance`` checks still pass; it does not use the base
class's state: every method the subclass does not read through itself is delegated to the
wrapped reader (generated from the base class, so a method a later aiohttp adds is delegated too).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation

_logger = logging.getLogger(__name__)

_READS = ("read", "readany", "readline", "readuntil", "readexactly")
"""Async reads that return bytes; ``readchunk`` returns ``(bytes, end_of_http_chunk)``."""
_OWN = frozenset(
    (
        *_READS,
        "readchunk",
        "read_nowait",
        "iter_chunked",
        "iter_any",
        "iter_chunks",
        "set_exception",
        "__aiter__",
        "__init__",
        "__repr__",
        "__del__",
        "__getattr__",
        "_inner",
        "_observation",
    )
)


def observed_content_class(aiohttp_streams: Any) -> type:
    """``ObservedContent`` for the installed aiohttp (its ``StreamReader`` and iterator types)."""
    base = aiohttp_streams.StreamReader
    stream_iterator = aiohttp_streams.AsyncStreamIterator
    chunk_iterator = aiohttp_streams.ChunkTupleAsyncStreamIterator

    class ObservedContent(base):  # type: ignore[misc, valid-type]
        __slots__ = ("_inner", "_observation")

        def __init__(self, inner: Any, observation: ResponseObservation) -> None:
            # The base class's __init__ is not called: its state is the wrapped reader's.
            self._inner = inner
            self._observation = observation

        def _fed(self, data: bytes) -> bool:
            """Hand a piece to the observation; whether the body is now at its end. The opt-in
            per-chunk metric's points are left to the event loop, after the read returns."""
            observation = self._observation
            observation.feed(data)
            if observation.pending:
                observation.schedule_pending()
            return self._inner.at_eof()  # type: ignore[no-any-return]

        read = _observed_read("read")
        readany = _observed_read("readany")
        readline = _observed_read("readline")
        readuntil = _observed_read("readuntil")
        readexactly = _observed_read("readexactly")
        readchunk = _observed_read("readchunk", chunk=True)

        def read_nowait(self, *args: Any, **kwargs: Any) -> bytes:
            try:
                data = self._inner.read_nowait(*args, **kwargs)
            except BaseException as exc:
                self._observation.fail(exc)
                raise
            if self._fed(data):
                self._observation.finish()
            return data

        def __aiter__(self) -> Any:
            return stream_iterator(self.readline)

        def iter_chunked(self, n: int) -> Any:
            async def read_chunk() -> bytes:
                return await self.read(n)

            return stream_iterator(read_chunk)

        def iter_any(self) -> Any:
            return stream_iterator(self.readany)

        def iter_chunks(self) -> Any:
            return chunk_iterator(self)

        def set_exception(self, *args: Any, **kwargs: Any) -> None:
            # aiohttp calls this when the response is released or closed before its end; the
            # caller is done with the body.
            try:
                self._inner.set_exception(*args, **kwargs)
            finally:
                self._observation.finish()

        def __getattr__(self, name: str) -> Any:
            # the base class's slots (``total_bytes``, ...) are unset here: read the wrapped ones
            if name in ("_inner", "_observation"):
                raise AttributeError(name)
            return getattr(self._inner, name)

        def __repr__(self) -> str:
            return repr(self._inner)

        def __del__(self) -> None:
            try:
                self._observation.finish()
            except Exception:  # pragma: no cover - finish() already swallows everything
                pass

    for name in _delegated(base):
        setattr(ObservedContent, name, _delegate(name, getattr(base, name)))
    return ObservedContent


def _observed_read(name: str, chunk: bool = False) -> Any:
    """The reader's async method ``name``, observed: what it returns is fed to the observation
    (``chunk``: its first item, for ``readchunk``'s ``(data, end_of_chunk)``), the end of the
    body or a failure ends the call. Built once per method name rather than through a shared
    coroutine, so that a read still costs one coroutine."""

    async def read(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await getattr(self._inner, name)(*args, **kwargs)
        except asyncio.IncompleteReadError as exc:
            # readexactly()'s way of saying "the body ended first": at the end of a complete
            # body that is no failure of the call; its last bytes are in the exception.
            if self._fed(exc.partial):
                await self._observation.afinish()
            else:  # pragma: no cover - aiohttp raises it only at the end of the body
                await self._observation.afinish(exc)
            raise
        except BaseException as exc:
            await self._observation.afinish(exc)
            raise
        if self._fed(result[0] if chunk else result):
            await self._observation.afinish()
        return result

    read.__name__ = read.__qualname__ = name
    return read


def _delegated(base: type) -> list[str]:
    """Names of ``base``'s methods and properties the wrapper hands to the wrapped reader."""
    names = []
    for klass in base.__mro__[:-1]:  # not object's
        for name, value in vars(klass).items():
            if name in _OWN or name in names or (name.startswith("__") and name.endswith("__")):
                continue
            if callable(value) or isinstance(value, property):
                names.append(name)
    return names


def _delegate(name: str, value: Any) -> Any:
    if isinstance(value, property):
        return property(lambda self: getattr(self._inner, name))

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, name)(*args, **kwargs)

    method.__name__ = name
    return method
