"""What the LINE account settings say, for the sender and the staff pages."""

from __future__ import annotations

from municipalities.models import Municipality

from .models import LineAccountSettings


def of(municipality: Municipality) -> LineAccountSettings:
    """The municipality's settings, created with the defaults when it has none yet."""
    settings, _ = LineAccountSettings.objects.get_or_create(municipality=municipality)
    return settings


def flex_municipality_ids(municipality_ids: list[int]) -> set[int]:
    """Those of ``municipality_ids`` that send stage texts as Flex Messages."""
    return set(
        LineAccountSettings.objects.filter(
            municipality_id__in=municipality_ids, flex_messages=True
        ).values_list("municipality_id", flat=True)
    )
