"""The httpx / httpx2 hook: wrapped ``send`` methods, response observation, stream wrappers."""
