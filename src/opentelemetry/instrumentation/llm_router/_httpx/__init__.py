"""The httpx / httpx2 hook: wrapped ``send`` methods and stream wrappers over the shared ``_clients`` core."""
