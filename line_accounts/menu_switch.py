"""Each LINE reader's rich menu follows the stage of the youngest child they follow: pregnancy,
baby (under 1) or toddler. Daily, and only for readers whose menu changes: one query finds them,
LINE's bulk link moves them (500 a request), one upsert records it."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from content.stages import add_months
from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber, Subscription

from .models import RichMenuLink
from .rich_menus import PREFIX, RichMenuApi

FOLLOWED = [Child.Status.EXPECTING, Child.Status.BORN]


def wanted_menus(municipality: Municipality, on: datetime.date) -> dict[str, str]:
    """LINE user id -> the menu key, for readers whose menu differs from the one linked."""
    following = Subscription.objects.filter(
        subscriber=OuterRef("pk"), ended_at__isnull=True, child__status__in=FOLLOWED
    )
    one_year_ago = last_birth_date_turned_one(on)
    readers = (
        Subscriber.objects.filter(
            municipality=municipality,
            channel="line",
            line_user_id__isnull=False,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            channel_stopped_at__isnull=True,
            erased_at__isnull=True,
        )
        .annotate(
            expecting=Exists(following.filter(child__status=Child.Status.EXPECTING)),
            youngest=Max(
                "subscriptions__child__birth_date",
                filter=Q(
                    subscriptions__ended_at__isnull=True,
                    subscriptions__child__status=Child.Status.BORN,
                ),
            ),
        )
        .annotate(
            menu=Case(
                When(expecting=True, then=Value("pregnancy")),
                When(youngest__gt=one_year_ago, then=Value("baby")),
                When(youngest__isnull=False, then=Value("toddler")),
                default=Value(""),
                output_field=CharField(),
            ),
            linked=Subquery(
                RichMenuLink.objects.filter(
                    municipality=municipality, line_user_id=OuterRef("line_user_id")
                ).values("menu")[:1]
            ),
        )
        .exclude(menu="")
        .filter(Q(linked__isnull=True) | ~Q(linked=F("menu")))
    )
    return {str(r.line_user_id): str(r.menu) for r in readers.only("line_user_id")}


def last_birth_date_turned_one(on: datetime.date) -> datetime.date:
    """The latest birth date of a child who is 1 on ``on`` (its 1st birthday by add_months)."""
    day = add_months(on, -12)
    while add_months(day + datetime.timedelta(days=1), 12) <= on:
        day += datetime.timedelta(days=1)
    while add_months(day, 12) > on:
        day -= datetime.timedelta(days=1)
    return day


def switch(municipality: Municipality, api: RichMenuApi, on: datetime.date) -> int:
    """Link the readers whose stage menu changed; returns how many were moved."""
    changes = wanted_menus(municipality, on)
    if not changes:
        return 0
    aliases = api.aliases()
    by_menu: dict[str, list[str]] = defaultdict(list)
    for user, menu in changes.items():
        by_menu[menu].append(user)
    now = clock.now()
    moved = 0
    for menu, users in by_menu.items():
        menu_id = aliases.get(PREFIX + menu)
        if menu_id is None:  # the menus are not on this account yet (sync_line_rich_menus)
            continue
        api.link_users(menu_id, sorted(users))
        RichMenuLink.objects.bulk_create(
            [
                RichMenuLink(municipality=municipality, line_user_id=u, menu=menu, linked_at=now)
                for u in users
            ],
            update_conflicts=True,
            unique_fields=["municipality", "line_user_id"],
            update_fields=["menu", "linked_at"],
        )
        moved += len(users)
    return moved
