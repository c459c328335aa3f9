"""What the LINE account settings say, for the sender and the staff pages."""

from __future__ import annotations

from delivery.senders.line import AccountOptions
from municipalities.models import Municipality
from subscribers.models import Subscriber

from .models import LineAccountSettings, RichMenuLink


def of(municipality: Municipality) -> LineAccountSettings:
    """The municipality's settings, created with the defaults when it has none yet."""
    settings, _ = LineAccountSettings.objects.get_or_create(municipality=municipality)
    return settings


def flex_municipality_ids(municipality_ids: list[int]) -> set[int]:
    """Those of ``municipality_ids`` that send stage texts as Flex Messages. Not a push-only
    account: the card's buttons send chat commands, which would reach nobody there."""
    return set(
        LineAccountSettings.objects.filter(
            municipality_id__in=municipality_ids, flex_messages=True, push_only=False
        ).values_list("municipality_id", flat=True)
    )


def account_options(municipality_ids: list[int]) -> dict[int, AccountOptions]:
    """How Kizuna behaves on these municipalities' LINE accounts (those without settings have
    the defaults)."""
    return {
        row.municipality_id: AccountOptions(
            push_only=row.push_only,
            mark_as_read=row.mark_as_read,
            loading_animation=row.loading_animation,
            stage_statistics=row.stage_statistics,
        )
        for row in LineAccountSettings.objects.filter(municipality_id__in=municipality_ids)
    }


def forget_readers(subscriber_ids: list[int]) -> None:
    """Erasure: the rich menu links of these readers' LINE accounts go with them."""
    for municipality_id, user_id in Subscriber.objects.filter(
        pk__in=subscriber_ids, line_user_id__isnull=False
    ).values_list("municipality_id", "line_user_id"):
        RichMenuLink.objects.filter(municipality_id=municipality_id, line_user_id=user_id).delete()
