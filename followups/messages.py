"""The questionnaire as a part of the child's message of its stage day (``delivery.kinds``).

Each family's text carries their own signed link, in mail and in LINE alike, so it is rendered
per reader; a questionnaire goes to few families a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from delivery.outbox import MessageKey
from subscribers.models import Child

from .links import questionnaire_url
from .models import Questionnaire, Response
from .services import LOSS_REASON, family_has_loss

PART_RANK = 30  # after the engine's parts and a reminder's, before nothing: the day's last word


@dataclass(frozen=True)
class QuestionnaireText:
    subject: str
    body: str
    language: str = "ja"
    kind: str = "questionnaire"


def questionnaire_text(
    questionnaire: Questionnaire, url: str, language: str = "ja"
) -> QuestionnaireText:
    """The invitation to a questionnaire, its fixed words in ``language``."""
    parts = [questionnaire.intro.strip()] if questionnaire.intro.strip() else []
    with translation.override(language):
        words = {"municipality": questionnaire.municipality.name, "title": questionnaire.title}
        parts += [
            _("%(municipality)sの保健師が読む「%(title)s」です。5分ほどで答えられます。") % words,
            "[" + _("%(title)sに答える") % words + f"]({url})",
        ]
    return QuestionnaireText(
        subject=questionnaire.title, body="\n\n".join(parts), language=language
    )


class QuestionnaireTexts(TextKind):
    late_is_fine = False

    def __init__(self) -> None:
        self.questionnaires: dict[int, Questionnaire] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = {MessageKey.parse(d.message_key).record_id for d in deliveries}
        wanted = {pk for pk in ids if pk is not None} - set(self.questionnaires)
        self.questionnaires.update(
            Questionnaire.objects.select_related("municipality").in_bulk(wanted)
        )

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        if key.record_id not in self.questionnaires:
            self.prepare([delivery])
        questionnaire = self.questionnaires.get(key.record_id or 0)
        if questionnaire is None or not questionnaire.active:
            return "アンケートが削除されたか、送らない設定になったため送りません"
        child: Child | None = delivery.child
        if child is None or child.status == Child.Status.LOST:
            return LOSS_REASON
        if family_has_loss(delivery.subscriber_id):
            return LOSS_REASON
        if Response.objects.filter(
            questionnaire=questionnaire, subscriber_id=delivery.subscriber_id, child=child
        ).exists():
            return "このアンケートには回答済みのため送りません"
        url = questionnaire_url(delivery.subscriber_id, child.pk, questionnaire.pk)
        return ExtraText(
            questionnaire_text(questionnaire, url), {"questionnaire": questionnaire.pk}
        )
