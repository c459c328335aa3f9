import pytest
from django.conf import settings


def pytest_sessionstart(session) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or not settings.REDIS_URL:
        raise pytest.UsageError(
            "Kizuna's tests run on PostgreSQL and Redis: use `make test`, or set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/kizuna and "
            "REDIS_URL=redis://127.0.0.1:6379/15 (see README.md)."
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the shared Redis cache: start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
