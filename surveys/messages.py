"""The survey invitation as a message: HTML mail, plain text mail and LINE text.

Built by content.rendering.render_message like every other message, so it has the same look,
sender line and unsubscribe links. Answering needs the reader's own signed link, so unlike
stage messages the LINE text carries it too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from content.rendering import RenderedMessage, placeholder_values, render_message
from delivery.compose import Composed, Composer, outgoing
from delivery.models import Delivery
from delivery.outbox import MessageKey
from kizuna import i18n
from municipalities.models import Municipality
from subscribers import links
from subscribers.models import Child, Subscription

from .links import survey_url
from .models import Survey

# The Markdown is the same for every reader of a survey, so its costly rendering is cached once
# (content.rendering caches by source); each reader's link replaces this stand-in afterwards.
_LINK_STAND_IN = "https://kizuna.invalid/survey-link"
_WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class InvitationText:
    """What render_message reads from a text: a subject, a Markdown body, a language."""

    subject: str
    body: str
    language: str = "ja"
    kind: str = "survey"


def japanese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"


def invitation_text(survey: Survey, language: str = "ja") -> InvitationText:
    """The invitation, its fixed words in ``language``; the survey's own words as staff wrote
    them."""
    parts = [survey.intro.strip()] if survey.intro.strip() else []
    with translation.override(language):
        closes = i18n.local_date(survey.closes_on, "weekday")
        parts += [
            _(
                "%(wareki)sの「%(title)s」にご協力ください。"
                "数分で答えられます。回答は時期や続柄ごとの集計にだけ使い、"
                "お名前や連絡先と結びつけて公表することはありません。"
            )
            % {"wareki": survey.wareki, "title": survey.title},
            "**"
            + _("回答の締め切り：%(date)s") % {"date": closes}
            + "**"
            + _("（締め切りまでは、同じリンクから回答を変更できます）"),
            "[" + _("アンケートに回答する") + f"]({_LINK_STAND_IN})",
        ]
        subject = _("【%(wareki)s】%(title)sへのご協力のお願い") % {
            "wareki": survey.wareki,
            "title": survey.title,
        }
    return InvitationText(subject=subject, body="\n\n".join(parts), language=language)


def render_invitation(
    survey: Survey,
    *,
    municipality: Municipality,
    nickname: str,
    survey_url: str,
    contacts: Sequence[Any] = (),
    manage_url: str,
    unsubscribe_url: str,
    language: str = "ja",
) -> RenderedMessage:
    rendered = render_message(
        invitation_text(survey, language),
        municipality=municipality,
        placeholders=placeholder_values(municipality=municipality, nickname=nickname),
        contacts=contacts,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )
    return RenderedMessage(
        subject=rendered.subject,
        html=rendered.html.replace(_LINK_STAND_IN, html.escape(survey_url)),
        text=rendered.text.replace(_LINK_STAND_IN, survey_url),
        line_text=rendered.line_text.replace(_LINK_STAND_IN, survey_url),
    )


class SurveyInvitations:
    """The invitation as a message kind of the delivery engine (``delivery.kinds``)."""

    # An invitation is not tied to a stage: late is fine while the survey is open.
    late_is_fine = True

    def __init__(self) -> None:
        self.surveys: dict[int, Survey | None] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = {MessageKey.parse(d.message_key).record_id for d in deliveries} - set(self.surveys)
        found = Survey.objects.in_bulk(ids)
        self.surveys.update({pk: found.get(pk) for pk in ids if pk is not None})

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        if key.record_id not in self.surveys:
            self.prepare([delivery])
        survey = self.surveys.get(key.record_id or 0)
        subscriber = delivery.subscriber
        if survey is None:
            return "アンケートが削除されたため送りません"
        if survey.state_on(composer.today) != "open":
            return "アンケートの受付期間外のため送りません"
        if Subscription.objects.filter(
            subscriber=subscriber, child__status=Child.Status.LOST
        ).exists():
            return "お別れの報告があったためアンケートは送りません"
        municipality = delivery.municipality
        rendered = render_invitation(
            survey,
            municipality=municipality,
            nickname=subscriber.nickname,
            survey_url=survey_url(subscriber, survey),
            contacts=composer.contacts_of(municipality),
            manage_url=links.manage_url(subscriber),
            unsubscribe_url=links.unsubscribe_url(subscriber),
            # The invitation's own words in the reader's language; the survey's title and
            # questions stay as staff wrote them, like a municipality's notice.
            language=subscriber.language,
        )
        return Composed(outgoing(delivery, subscriber, rendered), {"survey": survey.pk})
