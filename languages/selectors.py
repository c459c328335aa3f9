"""A municipality's languages, and how many of its readers read each one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from content.language_policy import DEFAULT_OFFERED, default_chain
from kizuna import request_memo
from kizuna.choices import Language
from municipalities.models import Municipality
from subscribers.models import Subscriber

from .models import MunicipalityLanguages

SMALL = 10  # counts below this are shown as 「10未満」, as on every staff page
HIDDEN = "10未満"


def settings_of(municipality_id: int) -> MunicipalityLanguages | None:
    """The municipality's language settings (read once per parent page: kizuna.request_memo)."""
    return request_memo.remember(
        ("languages", municipality_id),
        lambda: MunicipalityLanguages.objects.filter(municipality_id=municipality_id).first(),
    )


def keep_settings(municipality: Municipality) -> None:
    """Remember for this request the settings read along with ``municipality``
    (``select_related("language_settings")``), so that :func:`settings_of` asks no more."""
    try:
        found = municipality.language_settings
    except MunicipalityLanguages.DoesNotExist:
        found = None
    request_memo.keep(("languages", municipality.pk), found)


def offered(municipality_id: int) -> tuple[str, ...]:
    """The languages a municipality offers (Japanese and English without settings)."""
    found = settings_of(municipality_id)
    return found.offered_languages() if found else DEFAULT_OFFERED


def chain(municipality_id: int, language: str) -> tuple[str, ...]:
    """Where a reader's texts are looked for, best first."""
    found = settings_of(municipality_id)
    return found.chain(language) if found else default_chain(language, DEFAULT_OFFERED)


@dataclass(frozen=True)
class LanguageCount:
    code: str
    label: str
    readers: int
    offered: bool

    @property
    def shown(self) -> str:
        return HIDDEN if 0 < self.readers < SMALL else f"{self.readers:,}"


def readers_per_language(municipality_id: int) -> list[LanguageCount]:
    """Current readers (confirmed, not unsubscribed) per language: one grouped query."""
    counts = dict(
        Subscriber.objects.confirmed()
        .filter(municipality_id=municipality_id)
        .order_by()
        .values_list("language")
        .annotate(n=Count("pk"))
    )
    offered_now = set(offered(municipality_id))
    return [
        LanguageCount(code, str(label), counts.get(code, 0), code in offered_now)
        for code, label in Language.choices
        if code in offered_now or counts.get(code)
    ]
