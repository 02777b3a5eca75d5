"""Recorded HTTP exchanges from other projects' VCR cassettes (``tests/data/*-recorded``, with
their provenance in each directory's README), read as plain data.

A cassette is YAML: ``interactions`` of ``request`` (``method``, ``uri``, ``body``) and
``response`` (``status.code``, ``headers``, and the body as ``body.string``, which is bytes when
YAML stored it ``!!binary``: an AWS event stream, exactly as it came off the wire). One project
(pydantic-ai) stores JSON bodies decoded, as ``parsed_body``; those are re-encoded with ``json``,
equal in content to what was sent, not byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Interaction:
    cassette: str  # "<project>/<file name>"
    index: int
    method: str
    uri: str
    request_body: bytes
    status: int
    headers: dict[str, str]  # lower-cased names, first value
    body: bytes
    byte_exact: bool  # the body as sent (False: re-encoded from ``parsed_body``)

    @property
    def host(self) -> str:
        return urlsplit(self.uri).hostname or ""

    @property
    def path(self) -> str:
        """The path as sent (percent-encoding kept), without the query."""
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def __str__(self) -> str:
        return f"{self.cassette}#{self.index}"


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def load(path: Path, root: Path) -> list[Interaction]:
    data = yaml.safe_load(path.read_text())
    out = []
    for index, item in enumerate(data.get("interactions") or []):
        request, response = item["request"], item["response"]
        if "parsed_body" in response:
            body: bytes = json.dumps(response["parsed_body"]).encode()
            exact = False
        else:
            body = _bytes((response.get("body") or {}).get("string"))
            exact = True
        out.append(
            Interaction(
                cassette=str(path.relative_to(root)),
                index=index,
                method=request["method"],
                uri=request["uri"],
                request_body=_bytes(request.get("body")),
                status=int(response["status"]["code"]),
                headers={k.lower(): _first(v) for k, v in (response.get("headers") or {}).items()},
                body=body,
                byte_exact=exact,
            )
        )
    return out


def interactions(directory: str, host_part: Optional[str] = None) -> list[Interaction]:
    """Every interaction of the cassettes under ``tests/data/<directory>`` (whose host contains
    ``host_part``, if given), in a stable order."""
    root = DATA / directory
    found = []
    for path in sorted(root.rglob("*.yaml")):
        for item in load(path, root):
            if host_part is None or host_part in item.host:
                found.append(item)
    return found
