from django import template

from content import honorifics
from kizuna import i18n

register = template.Library()


@register.filter
def addressed(nickname: str) -> str:
    """「はなさん」, or 「はなちゃん」 as the reader wrote it: one honorific, never two."""
    return honorifics.addressed(nickname)


@register.filter(expects_localtime=True)
def local_date(value: object, style: str = "date") -> str:
    """A date as the page's language writes it: 「2026年12月3日」, 「03/12/2026」 (kizuna.i18n)."""
    return i18n.local_date(value, style)
