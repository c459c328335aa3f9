"""Keeping under a provider's rate limit, together, from every worker process and machine.

LINE limits each channel per endpoint (multicast 200 requests/s, push 2,000 requests/s); an ESP
account allows so many calls a second. A worker that sent as fast as it could would get 429s,
and several workers each pacing themselves would add up past the limit. So every request first
reserves the next free slot of its (provider account, endpoint) in Redis, with a generic cell
rate algorithm: slots are ``1 / rate`` seconds apart, read from Redis's own clock, so the
requests of all workers together never exceed the rate in any second. Without Redis (``make
run``: one worker) the slots are kept in the process.

A sender that knows it is about to make several requests to one account (a LINE channel's pushes
of a batch) reserves a run of consecutive slots in one round trip (:class:`Pace`): the same
slots one request at a time would have got, without a round trip to Redis for each.

A 429 that comes anyway (another system sharing the channel) holds the whole account back for
its ``Retry-After``, not just the one request.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis
    from redis.commands.core import Script

# KEYS[1]: the account's next free slot (seconds, Redis clock). ARGV: interval, hold (seconds),
# count (slots wanted, one after the other; 1 if absent). Returns how long the caller must wait
# before its first slot, as text (Redis truncates numbers); the others follow every interval.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = tonumber(ARGV[1])
local hold = tonumber(ARGV[2])
local count = tonumber(ARGV[3] or '1')
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if hold > 0 then
    next_free = math.max(next_free, now + hold)
    redis.call('SET', KEYS[1], tostring(next_free), 'EX', math.ceil(hold) + 60)
    return '0'
end
local slot = math.max(next_free, now)
redis.call('SET', KEYS[1], tostring(slot + count * interval), 'EX', 60 + math.ceil(count * interval))
return tostring(slot - now)
"""

_local_lock = threading.Lock()
_local_next_free: dict[str, float] = {}
_client: redis.Redis | None = None
_script: Script | None = None


def _redis() -> Script | None:
    global _client, _script
    if not settings.REDIS_URL:
        return None
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
        _script = _client.register_script(_RESERVE)
    return _script


def _reserve(account: str, interval: float, hold: float = 0.0, count: int = 1) -> float:
    """Reserve ``count`` consecutive slots; returns the wait before the first of them."""
    script = _redis()
    key = f"kizuna:pace:{account}"
    if script is not None:
        return float(script(keys=[key], args=[repr(interval), repr(hold), count]))
    with _local_lock:
        now = time.monotonic()
        next_free = _local_next_free.get(key, 0.0)
        if hold > 0:
            _local_next_free[key] = max(next_free, now + hold)
            return 0.0
        slot = max(next_free, now)
        _local_next_free[key] = slot + count * interval
        return slot - now


def wait_for_slot(account: str, per_second: float) -> float:
    """Block until this request's turn under ``per_second`` for ``account``; returns the wait.

    ``per_second`` of 0 (or less) means no limit, but a provider's hold is still honoured.
    """
    wait = _reserve(account, _interval(per_second))
    if wait > 0:
        time.sleep(wait)
    return wait


def _interval(per_second: float) -> float:
    return 1.0 / per_second if per_second > 0 else 0.0


class Pace:
    """One account's requests of a batch, in slots reserved a run at a time.

    ``reserve(n)`` takes the next ``n`` slots in one round trip; each ``wait()`` then blocks
    until the next of them (reserving one more if none is left). The slots are the account's
    own, shared with every worker, so the guarantee is :func:`wait_for_slot`'s.
    """

    def __init__(self, account: str, per_second: float) -> None:
        self.account = account
        self._interval = _interval(per_second)
        self._deadlines: deque[float] = deque()  # time.monotonic() of each reserved slot

    def reserve(self, count: int) -> None:
        if count <= 0:
            return
        first = time.monotonic() + _reserve(self.account, self._interval, count=count)
        self._deadlines.extend(first + n * self._interval for n in range(count))

    def wait(self) -> float:
        """Block until the next reserved slot; returns the wait."""
        if not self._deadlines:
            self.reserve(1)
        wait = self._deadlines.popleft() - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return max(wait, 0.0)

    def hold_back(self, seconds: float) -> None:
        """:func:`hold_back`; the slots reserved before the hold are given up for new ones."""
        hold_back(self.account, seconds)
        unused = len(self._deadlines)
        self._deadlines.clear()
        self.reserve(unused)


def hold_back(account: str, seconds: float) -> None:
    """The provider said 429 with ``Retry-After``: nobody sends to this account until then."""
    if seconds and seconds > 0:
        _reserve(account, 0.0, hold=seconds)


def line_account(slug: str, endpoint: str) -> str:
    return f"line:{slug}:{endpoint}"


def line_rate(endpoint: str) -> float:
    per_second = {
        "multicast": settings.KIZUNA_LINE_MULTICAST_PER_SECOND,
        "push": settings.KIZUNA_LINE_PUSH_PER_SECOND,
    }[endpoint]
    return float(per_second)
