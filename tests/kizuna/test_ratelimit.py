"""Fixed-window rate limits (kizuna.ratelimit): several limits counted together, each window
starting at its first hit and not pushed on by later ones."""

import pytest
import redis
from django.conf import settings

from kizuna.ratelimit import Limit, allow, allow_all


def _ttl(limit: Limit) -> int:
    return redis.Redis.from_url(settings.REDIS_URL).ttl(limit.redis_key)


def test_a_limit_allows_its_hits_then_refuses():
    assert [allow("tries", "203.0.113.7", limit=3, window_seconds=60) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert allow("tries", "203.0.113.8", limit=3, window_seconds=60)  # another key, its own count


def test_every_limit_is_counted_and_any_one_over_refuses():
    per_client = Limit("signup-ip", "203.0.113.7", 10, 3600)
    answers = [allow_all(per_client, Limit("signup-email", "1:hana@example.jp", 2, 3600))]
    answers += [allow_all(per_client, Limit("signup-email", "1:hana@example.jp", 2, 3600))]
    answers += [allow_all(per_client, Limit("signup-email", "1:hana@example.jp", 2, 3600))]
    assert answers == [True, True, False]
    # The client's count went on while the address was over: 3 of its 10.
    assert [allow_all(per_client) for _ in range(8)] == [True] * 7 + [False]


def test_the_window_starts_at_the_first_hit_and_later_hits_do_not_extend_it():
    limit = Limit("tries", "203.0.113.7", 5, 3600)
    assert allow_all(limit)
    assert 3590 <= _ttl(limit) <= 3600
    redis.Redis.from_url(settings.REDIS_URL).expire(limit.redis_key, 30)  # the window nearly over
    assert allow_all(limit)
    assert _ttl(limit) <= 30


def test_without_redis_the_cache_keeps_the_counts(settings):
    settings.REDIS_URL = ""  # `make run`: the shared cache instead
    answers = [allow_all(Limit("tries", "203.0.113.9", 2, 60)) for _ in range(3)]
    assert answers == [True, True, False]


@pytest.mark.parametrize("count", [1, 2])
def test_the_counts_start_again_with_each_test(count):
    # tests/conftest.py clears the cache, and with it the Redis database the limits use.
    assert allow("fresh", "key", limit=1, window_seconds=60)
