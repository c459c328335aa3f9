"""Fixed-window rate limits kept in Redis (in the cache's file store under `make run`).

A page that checks two limits (the signup: per client address and per e-mail address) counts
both in one Redis round trip, through one client per process: Django's Redis cache builds a
new client for every operation and needs an ``add`` and an ``incr`` per limit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

from kizuna.security import client_ip  # noqa: F401 (the limits' key, one definition)

KEY_PREFIX = "kizuna:ratelimit"


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` hits for ``key`` in ``bucket`` per window of ``window_seconds``."""

    bucket: str
    key: str
    limit: int
    window_seconds: int

    @property
    def redis_key(self) -> str:
        return f"{KEY_PREFIX}:{self.bucket}:{self.key}"


def allow(bucket: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for ``key`` in ``bucket``; False once ``limit`` hits fall in the window."""
    return allow_all(Limit(bucket, key, limit, window_seconds))


def allow_all(*limits: Limit) -> bool:
    """Count one hit in every one of ``limits``; False when any of them is over.

    Every limit is counted, even after one is found over: an address tried from a blocked
    client still counts for that address.
    """
    client = _redis()
    if client is None:
        return all([_allow_in_cache(each) for each in limits])
    pipeline = client.pipeline(transaction=True)
    for each in limits:
        # The window starts with the first hit: EXPIRE … NX sets the TTL only on a new key.
        pipeline.incr(each.redis_key)
        pipeline.expire(each.redis_key, each.window_seconds, nx=True)
    counts = pipeline.execute()[::2]
    return all(hits <= each.limit for hits, each in zip(counts, limits, strict=True))


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis | None:
    return _redis_for(settings.REDIS_URL) if settings.REDIS_URL else None


def _allow_in_cache(each: Limit) -> bool:
    """Without Redis (`make run`'s file cache): add, then increment."""
    if cache.add(each.redis_key, 1, timeout=each.window_seconds):
        return True
    try:
        hits = cache.incr(each.redis_key)
    except ValueError:  # expired between add and incr
        cache.add(each.redis_key, 1, timeout=each.window_seconds)
        return True
    return hits <= each.limit
