"""Misuse by the code that feeds us: accepted where the meaning is clear, reported once, never raised.

The observer and the recorder sit on a router's serving path. A wrong value there (a dict where a
dataclass belongs, a count that is a string, an error that is not a ``RouterError``) must not
raise into the router, must not silently lose the request, and must not write a log line per
request either: the first occurrence of each kind is logged at WARNING (what a developer needs to
fix it), later ones at DEBUG.
"""

from __future__ import annotations

import logging
import threading

_logger = logging.getLogger("opentelemetry.instrumentation.llm_router")

_reported: set[str] = set()
_reported_lock = threading.Lock()


def misuse(kind: str, message: str) -> None:
    """Say once (per kind, per process) at WARNING what was wrong with what the router passed.

    The observer sits on the router's serving path: a wrong value must never raise there, and a
    log line per request would flood; the first one of each kind is what a developer needs.
    """
    with _reported_lock:
        if kind in _reported:
            _logger.debug("llm_router: %s", message)
            return
        _reported.add(kind)
    _logger.warning("llm_router: %s (reported once; later ones at DEBUG)", message)
