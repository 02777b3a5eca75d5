"""A plain openai-SDK script with no OpenTelemetry code in it: the zero-code path's subject.

Run it under ``opentelemetry-instrument`` and the ``llm_router`` instrumentor (loaded through its
entry point) turns its three calls into GenAI spans and metrics::

    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=fake-key \\
    OTEL_SERVICE_NAME=openai-app OTEL_PYTHON_LLM_ROUTER_PROVIDERS=127.0.0.1:8000=openai \\
    opentelemetry-instrument python examples/openai_app.py

``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` are read by the SDK itself; ``OPENAI_APP_MODEL`` and
``OPENAI_APP_EMBEDDING_MODEL`` choose the models (defaults suit the bundled fake provider and the
real API alike). ``OPENAI_APP_LINGER_S`` keeps the process alive that many seconds after its calls,
so that a Prometheus scrape (``OTEL_METRICS_EXPORTER=prometheus``) can read its metrics.
"""

from __future__ import annotations

import os
import time

from openai import OpenAI


def main() -> None:
    client = OpenAI(max_retries=0)
    model = os.environ.get("OPENAI_APP_MODEL", "gpt-4o-mini")
    embedding_model = os.environ.get("OPENAI_APP_EMBEDDING_MODEL", "text-embedding-3-small")

    reply = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Say hello in five words."}],
        max_tokens=50,
        temperature=0.2,
    )
    print("chat:", reply.choices[0].message.content)

    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Count to five."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    parts = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    print("stream:", "".join(parts))

    embedding = client.embeddings.create(model=embedding_model, input="hello world")
    print("embedding dimensions:", len(embedding.data[0].embedding), flush=True)
    time.sleep(float(os.environ.get("OPENAI_APP_LINGER_S", "0")))


if __name__ == "__main__":
    main()
