"""Reading municipalities for the parent pages."""

from __future__ import annotations

from kizuna import request_memo

from .models import Municipality


def by_slug(slug: str, *, related: tuple[str, ...] = ()) -> Municipality | None:
    """The municipality whose pages live under ``/m/<slug>/`` (read once per parent page, with
    the ``related`` rows of the first call)."""
    return request_memo.remember(
        ("municipality", slug),
        lambda: Municipality.objects.select_related(*related).filter(slug=slug).first(),
    )
