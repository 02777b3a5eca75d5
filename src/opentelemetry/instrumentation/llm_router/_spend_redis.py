"""The Redis spend store: budget windows shared by every replica of a router fleet.

Each record is one Lua script run on the Redis server (``EVALSHA``, one round trip), so replicas
recording at the same moment never lose an update and exactly one of them sees a window cross
its budget. The script keeps the in-process store's window semantics (:mod:`._spend_local`: the
same bucket shapes, "before" and "after"), with the Redis server's clock for duration windows so
that every replica slides the same window.

One hash per caller (``{prefix}{key}``): the range it was made for (``r``, ``k``, ``w``, ``c``),
the caller's request count (``n``), the running total of a window without range (``t``), and at
most 64 bucket fields (``b<index>``). Every record renews the key's expiry: the window's own
length for duration windows (after that nothing in it still counts) and ``idle_ttl`` for the
others, so Redis memory does not grow with callers that stopped calling.

A Redis error or timeout is raised to the tracker, which falls back to its in-process store
(:class:`~._spend.SpendTracker`); this module never waits longer than ``timeout``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Hashable, Optional

from opentelemetry.instrumentation.llm_router._observe import BudgetRange
from opentelemetry.instrumentation.llm_router._spend_local import window_shape

DEFAULT_TIMEOUT = 0.05
"""Seconds a record may wait for Redis (connect and reply) before the tracker records locally."""
DEFAULT_IDLE_TTL = 30 * 24 * 3600
"""Seconds a rounds window or a window without range is kept after its caller's last request."""
DEFAULT_PREFIX = "llm_router:spend:"

_SCRIPT = """
local key = KEYS[1]
local function fmt(x) return string.format('%.17g', x) end
local function clock()
  if ARGV[8] ~= '' then return tonumber(ARGV[8]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
-- The sum of the buckets still in the window at position (index above floor(position / width)
-- - count); with drop, the buckets that have left it are deleted.
local function in_window(position, width, count, drop)
  local oldest = math.floor(position / width) - count
  local fields = redis.call('HGETALL', key)
  local total, stale = 0, {}
  for i = 1, #fields, 2 do
    local name = fields[i]
    if string.sub(name, 1, 1) == 'b' then
      if tonumber(string.sub(name, 2)) > oldest then
        total = total + tonumber(fields[i + 1])
      elseif drop then
        stale[#stale + 1] = name
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  return total
end

if ARGV[1] == 'read' then
  local state = redis.call('HMGET', key, 'k', 'w', 'c', 'n', 't')
  local kind = state[1]
  if not kind then return false end
  if kind == 'total' then return fmt(tonumber(state[5] or '0')) end
  if kind == 'instant' then return '0' end
  local position
  if kind == 'rounds' then position = tonumber(state[4]) - 1 else position = clock() end
  return fmt(in_window(position, tonumber(state[2]), tonumber(state[3]), false))
end

local kind = ARGV[3]
local width, count, amount = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('HGET', key, 'r') ~= ARGV[2] then
  redis.call('DEL', key)
  redis.call('HSET', key, 'r', ARGV[2], 'k', kind, 'w', ARGV[4], 'c', ARGV[5])
end
local number = redis.call('HINCRBY', key, 'n', 1) - 1
local before, after
if kind == 'total' then
  before = tonumber(redis.call('HGET', key, 't') or '0')
  after = before + amount
  redis.call('HSET', key, 't', fmt(after))
elseif kind == 'instant' then
  before, after = 0, amount
else
  local position
  if kind == 'rounds' then
    -- Before: the previous N requests; a caller already over stays over, not re-crossing.
    if number > 0 then before = in_window(number - 1, width, count, true) else before = 0 end
    position = number
    after = in_window(position, width, count, true) + amount
  else
    position = clock()
    before = in_window(position, width, count, true)
    after = before + amount
  end
  local field = 'b' .. string.format('%d', math.floor(position / width))
  redis.call('HSET', key, field, fmt(tonumber(redis.call('HGET', key, field) or '0') + amount))
end
redis.call('PEXPIRE', key, ARGV[7])
return {fmt(before), fmt(after), number}
"""


def redis_key(prefix: str, key: Hashable) -> str:
    """The Redis key of a caller: readable for the default ``(scope, account_id)`` keys.

    A tuple becomes a JSON array (``llm_router:spend:["account","acct-42"]``), so no account id
    can make two callers share a key; anything else its ``repr``.
    """
    if isinstance(key, str):
        return prefix + json.dumps(key, ensure_ascii=False)
    if isinstance(key, tuple) and all(isinstance(part, (str, int)) for part in key):
        return prefix + json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))
    return prefix + repr(key)


def _range_id(budget_range: Optional[BudgetRange]) -> str:
    if budget_range is None:
        return "none"
    return f"{budget_range.type}:{budget_range.count}:{budget_range.seconds}"


class RedisSpendStore:
    """Spend windows in Redis, shared by every process that records to the same server.

    Args:
        client: a ``redis.Redis`` client, or a ``redis://`` / ``rediss://`` / ``unix://`` URL
            (query parameters such as ``?socket_timeout=0.2`` override the defaults below).
        timeout: seconds to wait for a connection and for a reply (default
            :data:`DEFAULT_TIMEOUT`, 50 ms); used only when ``client`` is a URL. No retries:
            a failed record goes to the tracker's in-process fallback at once.
        prefix: what every key of this store starts with.
        idle_ttl: seconds a rounds window or a window without range outlives its caller's last
            request (duration windows expire after their own length).
        clock: seconds for duration windows; ``None`` (the default) uses the Redis server's
            clock, the one clock every replica shares. Tests pass their own.
    """

    kind = "redis"

    def __init__(
        self,
        client: Any,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        idle_ttl: float = DEFAULT_IDLE_TTL,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if isinstance(client, str):
            client = connect(client, timeout)
        self.client = client
        self.prefix = prefix
        self._idle_ttl_ms = max(int(idle_ttl * 1000), 1)
        self._clock = clock
        self._script = client.register_script(_SCRIPT)

    def add(
        self, key: Hashable, budget_range: Optional[BudgetRange], amount: float
    ) -> tuple[float, float]:
        """Add ``amount`` (micro-USD) to the caller's window: its spend before and with it."""
        before, after, _number = self.add_numbered(key, budget_range, amount)
        return before, after

    def add_numbered(
        self, key: Hashable, budget_range: Optional[BudgetRange], amount: float
    ) -> tuple[float, float, int]:
        """:meth:`add`, plus the request's number among its caller's (0 first), fleet-wide."""
        kind, width, count = window_shape(budget_range)
        # A duration window expires with its own length; the others after idle_ttl.
        ttl_ms = math.ceil(width * count * 1000) + 1000 if kind == "duration" else self._idle_ttl_ms
        now = "" if self._clock is None else repr(float(self._clock()))
        args = ["add", _range_id(budget_range), kind, repr(width), count, repr(float(amount))]
        before, after, number = self._run(redis_key(self.prefix, key), [*args, ttl_ms, now])
        return float(before), float(after), int(number)

    def spent(self, key: Hashable) -> Optional[float]:
        """The caller's spend in its window now, or ``None`` when Redis has no window for it."""
        now = "" if self._clock is None else repr(float(self._clock()))
        found = self._run(redis_key(self.prefix, key), ["read", "", "", "", "", "", "", now])
        return None if found is None else float(found)

    def _run(self, key: str, args: list[Any]) -> Any:
        try:
            return self._script(keys=[key], args=args)
        except Exception:
            # The server went away or stalled: every pooled connection may be stale now (a
            # restarted Redis resets them all), so drop them; the next record connects afresh
            # instead of failing once per stale connection.
            try:
                self.client.connection_pool.disconnect()
            except Exception:
                pass
            raise


def connect(url: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A ``redis.Redis`` client for ``url`` that never waits longer than ``timeout`` nor retries.

    Needs the ``redis`` extra (``python -m pip install '.[redis]'`` from a clone).
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        decode_responses=True,
    )
