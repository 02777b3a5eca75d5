"""An unmodified app for ``opentelemetry-instrument`` (tests/test_coexist.py): three openai calls
(chat, a streamed chat, embeddings) to ``OPENAI_BASE_URL``."""

import openai

client = openai.OpenAI(max_retries=0)
messages = [{"role": "user", "content": "hello there"}]
client.chat.completions.create(model="gpt-4o-mini", messages=messages)
for _ in client.chat.completions.create(
    model="gpt-4o-mini", messages=messages, stream=True, stream_options={"include_usage": True}
):
    pass
client.embeddings.create(model="text-embedding-3-small", input="hello")
