"""What redaction costs a failed call, against what the SDK's own exception recording costs.

Redaction runs only when a call failed (docs/reliability.md): the request's redactor is built
then (its credentials, and its body's text with content capture off), and the error type, the
message and the exception event go through it. The baseline is what any instrumentation pays
for the same failure without redaction: the SDK's ``span.record_exception`` and ``set_status`` on
a recording span. Both run in interleaved rounds, so a busy machine slows them alike; the figure
is the ratio of the medians.

    python -m benchmarks.redaction [--rounds 7] [--calls 300] [--prompt-bytes 1024]

For instruction counts, run one side N times under an instructions-per-unit counter (callgrind;
both sides' start-up cancels out between two values of N):

    N=... python -m benchmarks.redaction --only ours|baseline [--prompt-bytes 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Callable

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

from opentelemetry.instrumentation.llm_router._redact import Redactor

KEY = "sk-proj-" + "0123456789abcdef" * 3
CREDENTIALS = [f"Bearer {KEY}", KEY]
MESSAGE = (
    "Incorrect API key provided: sk-proj-********************************cdef. You can find"
    " your API key at https://platform.openai.com/account/api-keys."
)
ERROR_TYPE = "invalid_api_key"


def _failure() -> BaseException:
    try:
        raise RuntimeError(
            "error sending request for url (https://api.example.com/v1/chat/completions"
            "?key=0123456789abcdef0123): operation timed out"
        )
    except RuntimeError as exc:
        return exc


def _body(prompt_bytes: int) -> bytes:
    prompt = ("Summarise the following text in one sentence. " * (prompt_bytes // 47 + 1))[
        :prompt_bytes
    ]
    return json.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    ).encode()


def ours(body: bytes, error: BaseException) -> Callable[[], None]:
    """A failed call's redaction: build the step, then error type, message, exception event."""

    def run() -> None:
        redactor = Redactor.for_call(CREDENTIALS, body, False)
        redactor.identifier(ERROR_TYPE)
        redactor(MESSAGE)
        redactor.exception_attributes(error)

    return run


def baseline(error: BaseException) -> Callable[[], None]:
    """The SDK recording the same failure on a recording span, unredacted."""
    tracer = TracerProvider().get_tracer("bench")

    def run() -> None:
        span = tracer.start_span("chat m")
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, MESSAGE))

    return run


def _median_us(run: Callable[[], None], calls: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(calls):
        run()
    return (time.perf_counter_ns() - started) / calls / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--prompt-bytes", type=int, default=1024)
    parser.add_argument("--only", choices=("ours", "baseline"))
    args = parser.parse_args()
    error = _failure()
    sides = {"ours": ours(_body(args.prompt_bytes), error), "baseline": baseline(error)}
    if args.only:
        run = sides[args.only]
        for _ in range(int(os.environ.get("N", "1"))):
            run()
        return
    for run in sides.values():  # warm-up
        _median_us(run, 20)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, run in sides.items():
            times[name].append(_median_us(run, args.calls))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"prompt {args.prompt_bytes} B: redaction {medians['ours']:.1f} us, SDK record_exception"
        f" {medians['baseline']:.1f} us per failed call; ratio"
        f" {medians['ours'] / medians['baseline']:.2f}"
    )


if __name__ == "__main__":
    main()
