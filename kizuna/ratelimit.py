"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from django.core.cache import cache

from kizuna.security import client_ip  # noqa: F401 (the limits' key, one definition)


def allow(bucket: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for ``key`` in ``bucket``; False once ``limit`` hits fall in the window."""
    cache_key = f"ratelimit:{bucket}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return True
    return hits <= limit
