"""One POST, made the way each client library we hook makes it, for tests that run per library.

``post(kind, url, body, headers)`` sends a JSON body and reads the whole response;
``stream(kind, ...)`` reads it piece by piece as a streaming caller does. Both return
``(status, body bytes)`` so tests compare what the caller got with what the server sent.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import httpx2

try:
    import aiohttp
except ImportError:  # pragma: no cover - aiohttp is a test dependency
    aiohttp = None  # type: ignore[assignment]

KINDS = ("httpx", "httpx-async", "httpx2", "httpx2-async", "aiohttp")
ASYNC_KINDS = ("httpx-async", "httpx2-async", "aiohttp")


def _module(kind: str) -> Any:
    return httpx2 if kind.startswith("httpx2") else httpx


def post(kind: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, bytes]:
    return _run(kind, url, body, headers, stream=False)


def stream(kind: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, bytes]:
    return _run(kind, url, body, headers, stream=True)


def _run(kind: str, url: str, body: Any, headers: dict[str, str], stream: bool) -> Any:
    content = json.dumps(body).encode()
    if kind == "aiohttp":
        return asyncio.run(_aiohttp(url, content, headers, stream))
    module = _module(kind)
    if kind.endswith("-async"):
        return asyncio.run(_httpx_async(module, url, content, headers, stream))
    with module.Client() as client:
        if not stream:
            response = client.post(url, content=content, headers=headers)
            return response.status_code, response.content
        with client.stream("POST", url, content=content, headers=headers) as response:
            return response.status_code, b"".join(response.iter_raw())


async def _httpx_async(
    module: Any, url: str, content: bytes, headers: dict[str, str], stream: bool
) -> tuple[int, bytes]:
    async with module.AsyncClient() as client:
        if not stream:
            response = await client.post(url, content=content, headers=headers)
            return response.status_code, response.content
        async with client.stream("POST", url, content=content, headers=headers) as response:
            return response.status_code, b"".join([c async for c in response.aiter_raw()])


async def _aiohttp(
    url: str, content: bytes, headers: dict[str, str], stream: bool
) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9 syntax
        async with session.post(url, data=content, headers=headers) as response:
            if not stream:
                return response.status, await response.read()
            return response.status, b"".join([c async for c in response.content.iter_any()])
