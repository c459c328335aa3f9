"""How long a delivery waits before its next try, and how many tries it gets."""

from __future__ import annotations

import datetime
import random

from django.conf import settings

MAX_ATTEMPTS = 10
BACKOFF_CAP_SECONDS = 6 * 3600


def backoff(attempts: int, retry_after: float | None = None) -> datetime.timedelta:
    """Exponential backoff with jitter, or what the provider asked for when it said."""
    if retry_after is not None:
        return datetime.timedelta(seconds=max(retry_after, 1))
    base = settings.KIZUNA_RETRY_BACKOFF_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311
