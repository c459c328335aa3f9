from django import template

from content import honorifics

register = template.Library()


@register.filter
def addressed(nickname: str) -> str:
    """「はなさん」, or 「はなちゃん」 as the reader wrote it: one honorific, never two."""
    return honorifics.addressed(nickname)
