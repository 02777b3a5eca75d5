"""What the instrumentor instruments: any one of httpx, httpx2 and aiohttp satisfies it."""

_instruments: tuple[str, ...] = ()
_instruments_any = ("httpx >= 0.23", "httpx2 >= 2.0", "aiohttp >= 3.12")
