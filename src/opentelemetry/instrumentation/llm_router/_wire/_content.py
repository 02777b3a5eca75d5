"""Message parts in the GenAI content schema (``gen_ai.input.messages`` / ``gen_ai.output.messages``).

Only used when content capture is on. Each wire format turns its own message shapes into these
plain dicts: ``{"role": ..., "parts": [...]}`` with parts of type ``text``, ``reasoning``,
``tool_call``, ``tool_call_response``, and, for media we do not copy, just their type. Base64
images and audio are never copied into telemetry.
"""

from __future__ import annotations

import json
from typing import Any, Optional

MAX_PART_CHARS = 256 * 1024
"""A streamed text part stops growing beyond this many characters (memory bound while capturing)."""


def text_part(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def reasoning_part(content: str) -> dict[str, Any]:
    return {"type": "reasoning", "content": content}


def tool_call_part(call_id: Optional[str], name: Optional[str], arguments: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call", "name": name or ""}
    if call_id:
        part["id"] = call_id
    if arguments is not None:
        part["arguments"] = parse_arguments(arguments)
    return part


def tool_response_part(call_id: Optional[str], response: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call_response", "response": response}
    if call_id:
        part["id"] = call_id
    return part


def other_part(kind: Any) -> dict[str, Any]:
    """A part we do not copy (image, audio, file): its type only."""
    return {"type": kind if isinstance(kind, str) and kind else "unknown"}


def parse_arguments(arguments: Any) -> Any:
    """Tool-call arguments as JSON when the provider sent them as a JSON string."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def output_message(parts: list[dict[str, Any]], finish_reason: Optional[str]) -> dict[str, Any]:
    return {"role": "assistant", "parts": parts, "finish_reason": finish_reason or ""}


class TextBuffer:
    """Accumulates streamed text pieces with a size cap (capture mode only)."""

    __slots__ = ("_pieces", "_size")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._size = 0

    def add(self, piece: Any) -> None:
        if isinstance(piece, str) and piece and self._size < MAX_PART_CHARS:
            self._pieces.append(piece)
            self._size += len(piece)

    def value(self) -> str:
        text = "".join(self._pieces)
        return text[:MAX_PART_CHARS]

    def __bool__(self) -> bool:
        return self._size > 0
