import datetime

from django.core.management.base import CommandError

from municipalities.models import Municipality


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"日付は YYYY-MM-DD の形で指定してください: {value!r}") from error


def municipalities(slug: str | None) -> list[Municipality]:
    if slug is None:
        return list(Municipality.objects.order_by("pk"))
    found = list(Municipality.objects.filter(slug=slug))
    if not found:
        raise CommandError(f"URL名 {slug!r} の自治体はありません。")
    return found
