"""Wire formats of LLM provider APIs: one module per format, one registry of them."""
