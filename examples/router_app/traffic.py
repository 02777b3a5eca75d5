"""Demo traffic for the router: a fixed, repeating mix of plain and streaming chats on both
providers, three accounts and a few failures, so every dashboard panel has something to show.

``python -m router_app.traffic [--url http://127.0.0.1:8080] [--requests 60] [--interval 0.5]``
(from ``examples/``; in compose: ``docker compose exec router python -m router_app.traffic``).
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Dict, List, Optional, Tuple

import httpx

# (model or route, stream, account)
MIX: Tuple[Tuple[str, bool, str], ...] = (
    ("fast", False, "acct-1"),
    ("smart", True, "acct-2"),
    ("fast", True, "acct-3"),
    ("smart", False, "acct-1"),
    ("gpt-4o", False, "acct-2"),
    ("claude-haiku-4-5", True, "acct-3"),
    ("error-429", False, "acct-1"),
    ("fast", True, "acct-2"),
    ("anthropic/error-529", False, "acct-3"),
    ("no-such-model", False, "acct-1"),
)


def send(client: httpx.Client, url: str, model: str, stream: bool, account: str) -> int:
    """One chat request; returns the HTTP status (streams are read to the end)."""
    body: Dict[str, object] = {
        "model": model,
        "messages": [{"role": "user", "content": "Tell me something short about observability."}],
        "stream": stream,
    }
    headers = {"x-account-id": account}
    if not stream:
        return client.post(f"{url}/v1/chat/completions", json=body, headers=headers).status_code
    with client.stream("POST", f"{url}/v1/chat/completions", json=body, headers=headers) as reply:
        for _ in reply.iter_lines():
            pass
        return reply.status_code


def run(url: str, requests: int, interval: float) -> List[int]:
    statuses: List[int] = []
    with httpx.Client(timeout=30.0) as client:
        for model, stream, account in itertools.islice(itertools.cycle(MIX), requests):
            statuses.append(send(client, url, model, stream, account))
            if interval:
                time.sleep(interval)
    return statuses


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Send demo traffic to the router example.")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="router base URL")
    parser.add_argument("--requests", type=int, default=60, help="number of requests")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between requests")
    args = parser.parse_args(argv)
    statuses = run(args.url.rstrip("/"), args.requests, args.interval)
    summary = ", ".join(f"{code}: {statuses.count(code)}" for code in sorted(set(statuses)))
    print(f"sent {len(statuses)} requests ({summary})")


if __name__ == "__main__":
    main()
