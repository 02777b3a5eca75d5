"""Azure's two inference APIs on the same hosts, told apart by path.

Both speak the OpenAI format; what differs is the provider the conventions name:

| path | API | ``gen_ai.provider.name`` |
| --- | --- | --- |
| ``/openai/deployments/<d>/...``, ``/openai/v1/...`` | Azure OpenAI | the host's (``azure.ai.openai``) |
| ``/models/chat/completions``, ``/models/embeddings`` (``?api-version=2024-05-01-preview``) | Azure AI model inference (``azure-ai-inference``) | ``azure.ai.inference`` |

An Azure AI Foundry resource (``*.services.ai.azure.com``) serves both; a serverless model
endpoint (``*.models.ai.azure.com``) serves only the model-inference API, at the root
(``/chat/completions``), so its host alone names it.
"""

from __future__ import annotations

from typing import Optional

from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo
from opentelemetry.instrumentation.llm_router._wire.openai import OpenAIFormat

INFERENCE = "azure.ai.inference"
_MODELS = "/models/"


class AzureFormat(OpenAIFormat):
    """The OpenAI format, with the model-inference API's paths reported as
    ``azure.ai.inference``."""

    name = "azure"

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        info = OpenAIFormat.request_info(self, method, path, body, capture_content)
        if info is not None and path.startswith(_MODELS):
            info.provider = INFERENCE
        return info


AZURE = AzureFormat()
