"""The aiohttp hook: ``ClientSession._request`` wrapped, a client middleware per traced request,
and an observed response body reader, over the shared ``_clients`` core."""
