"""The survey invitation as a message: HTML mail, plain text mail and LINE text.

Built by content.rendering.render_message like every other message, so it has the same look,
sender line and unsubscribe links. Answering needs the reader's own signed link, so unlike
stage messages the LINE text carries it too.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from content.rendering import RenderedMessage, placeholder_values, render_message
from municipalities.models import Municipality

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


def invitation_text(survey: Survey) -> InvitationText:
    parts = [survey.intro.strip()] if survey.intro.strip() else []
    parts += [
        f"{survey.wareki}の「{survey.title}」にご協力ください。"
        "数分で答えられます。回答は時期や続柄ごとの集計にだけ使い、"
        "お名前や連絡先と結びつけて公表することはありません。",
        f"**回答の締め切り：{japanese_date(survey.closes_on)}**"
        "（締め切りまでは、同じリンクから回答を変更できます）",
        f"[アンケートに回答する]({_LINK_STAND_IN})",
    ]
    return InvitationText(
        subject=f"【{survey.wareki}】{survey.title}へのご協力のお願い",
        body="\n\n".join(parts),
    )


def render_invitation(
    survey: Survey,
    *,
    municipality: Municipality,
    nickname: str,
    survey_url: str,
    contacts=(),
    manage_url: str,
    unsubscribe_url: str,
) -> RenderedMessage:
    rendered = render_message(
        invitation_text(survey),
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
