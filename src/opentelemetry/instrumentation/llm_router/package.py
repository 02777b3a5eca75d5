"""What the instrumentor instruments: either httpx or httpx2 satisfies it."""

_instruments: tuple[str, ...] = ()
_instruments_any = ("httpx >= 0.23", "httpx2 >= 2.0")
