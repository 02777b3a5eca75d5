"""The SDK matrix runs offline: SDKs that fetch on import are told not to, before any import, and
every socket connection that is not to this machine fails the test that made it."""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Any, Iterator

import pytest

# Set before any SDK is imported (pytest imports this conftest before the test modules).
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # litellm: no cost-map download on import
os.environ["HF_HUB_OFFLINE"] = "1"  # huggingface_hub: no Hub calls of its own
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.pop("LANGCHAIN_TRACING_V2", None)
os.environ.pop("LANGSMITH_TRACING", None)
for _name in (
    "OLLAMA_HOST",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "MISTRAL_SERVER_URL",
    "GROQ_BASE_URL",
    "CO_API_URL",
    "TOGETHER_BASE_URL",
    "FIREWORKS_BASE_URL",
    "HF_INFERENCE_ENDPOINT",
    "GOOGLE_GENAI_USE_VERTEXAI",
):
    os.environ.pop(_name, None)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection to another machine raises (and so fails the call that tried it)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in _LOOPBACK:
            raise AssertionError(f"the SDK matrix tried to reach {address!r}")

    def connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    # huggingface_hub's offline mode (set above, so that nothing is fetched on import) also
    # refuses the InferenceClient's calls to our loopback provider: lift it for the calls, with
    # the guard above still refusing any other machine.
    if importlib.util.find_spec("huggingface_hub") is not None:  # not in .venv-aiobotocore
        monkeypatch.setattr("huggingface_hub.constants.is_offline_mode", lambda: False)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", raising=False)
    yield
    _restore_huggingface_clients()


def _restore_huggingface_clients() -> None:
    """The default-host cells set huggingface_hub's process-wide client factories to a forwarding
    client whose port dies with the cell: put the library's defaults back, or a later test's
    huggingface_hub call goes to that dead port (seen in a full run: connection refused)."""
    import sys

    http = sys.modules.get("huggingface_hub.utils._http")
    if http is None:
        return
    http.set_client_factory(http.default_client_factory)
    http.set_async_client_factory(http.default_async_client_factory)
