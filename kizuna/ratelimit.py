"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from django.core.cache import cache


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


def client_ip(request) -> str:
    """The client's address as Django sees it (a trusted proxy sets REMOTE_ADDR upstream)."""
    return request.META.get("REMOTE_ADDR", "unknown")
