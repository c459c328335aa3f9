"""What the LINE account settings say, for the sender and the staff pages."""

from __future__ import annotations

from municipalities.models import Municipality
from subscribers.models import Subscriber

from .models import LineAccountSettings, RichMenuLink


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


def forget_readers(subscriber_ids: list[int]) -> None:
    """Erasure: the rich menu links of these readers' LINE accounts go with them."""
    for municipality_id, user_id in Subscriber.objects.filter(
        pk__in=subscriber_ids, line_user_id__isnull=False
    ).values_list("municipality_id", "line_user_id"):
        RichMenuLink.objects.filter(municipality_id=municipality_id, line_user_id=user_id).delete()
