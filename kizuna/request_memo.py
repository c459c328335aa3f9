"""Rows a parent page reads more than once, read once per request.

A municipality's page asks for the municipality, its language settings and the signed-in reader
from the language middleware, the view, the form and the language switch. Inside :func:`scope`
(one parent page's request) :func:`remember` answers all but the first from memory; outside it,
every call reads afresh, so tasks, commands and staff pages see each change at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, object] | None] = ContextVar("kizuna_request_memo", default=None)


@contextmanager
def scope() -> Iterator[None]:
    """Remember what is read inside the block, and forget it when the block ends."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remember(key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or what it returned the first time ``key`` was asked for in this scope."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[return-value]


def keep(key: Hashable, value: object) -> None:
    """Remember ``value`` for ``key`` in this scope (read along with something else)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def forget(key: Hashable) -> None:
    """Drop ``key`` from the scope: the next :func:`remember` reads it again."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)
