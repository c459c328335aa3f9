"""The vaccination reminder as a message kind: 「来週から受けられる予防接種」 and
「○○の接種期限まであと1か月」, a section of the day's stage message or a message of its own.

Which doses a reminder lists is decided here, at sending, from the child's schedule and records:
a dose recorded since the plan drops out, and a reminder with none left is not sent.

Texts: medical_review: pending. Facts for the reviewer are in vaccinations/data/*.toml
(each vaccine's ``facts`` and ``sources``) and in README「予防接種のお知らせ」.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from delivery.outbox import MessageKey
from kizuna import i18n
from subscribers.models import Child

from . import links, schedule, services
from .models import ReminderSettings

WEEKDAYS = "月火水木金土日"


def japanese_date(day: date) -> str:
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def full_date(day: date) -> str:
    return f"{day.year}年{japanese_date(day)}"


def _day(day: date) -> str:
    """「12月3日（木）」 in the active language."""
    return i18n.local_date(day, "month_day_weekday")


@dataclass(frozen=True)
class ReminderText:
    """What render_message reads from a text: a subject, a Markdown body, a language."""

    subject: str
    body: str
    language: str = "ja"
    kind: str = "vaccine"


def lead_words(days: int) -> str:
    if days == 7:
        return _("1週間")
    if 28 <= days <= 31:
        return _("1か月")
    return _("%(days)s日") % {"days": days}


def opens_subject(target: date, on: date) -> str:
    if (target - on).days == 7:
        return _("来週から受けられる予防接種")
    return _("%(date)sから受けられる予防接種") % {"date": _day(target)}


def _line(entry: schedule.DoseDates) -> str:
    product = f"（{entry.product}）" if entry.vaccine.products and entry.product else ""
    return f"- {entry.name}{product}"


CHILD_CLOSING = gettext_noop(
    "予約や受け方は、かかりつけの小児科に相談してください。"
    "当日は母子健康手帳と予診票を忘れずに。体調がすぐれない日は、無理をせず日を改めましょう。"
)
PREGNANCY_CLOSING = gettext_noop(
    "受けるかどうかや日程は、妊婦健診を受けている医療機関で相談してください。"
    "当日は母子健康手帳を持っていきましょう。"
)


def reminder_text(
    reminder: schedule.Reminder,
    target: date,
    on: date,
    doses: Sequence[schedule.DoseDates],
    *,
    note: str,
    channel: str,
    schedule_url: str,
    language: str = "ja",
) -> ReminderText:
    """The reminder for these doses (all opening, or all closing, on ``target``), its fixed
    words in ``language`` (the language of the message it goes out in)."""
    with translation.override(language):
        subject, body = _reminder_words(
            reminder,
            target,
            on,
            doses,
            note=note,
            channel=channel,
            schedule_url=schedule_url,
        )
    return ReminderText(subject=subject, body=body, language=language)


def _reminder_words(
    reminder: schedule.Reminder,
    target: date,
    on: date,
    doses: Sequence[schedule.DoseDates],
    *,
    note: str,
    channel: str,
    schedule_url: str,
) -> tuple[str, str]:
    pregnancy = any(entry.vaccine.pregnancy for entry in doses)
    listed = "\n".join(_line(entry) for entry in doses)
    if reminder == schedule.Reminder.OPENS:
        subject = opens_subject(target, on)
        if pregnancy:
            last = max(entry.last_day for entry in doses if entry.last_day)
            lead = _(
                "%(date)sに妊娠28週になり、RSウイルスワクチンの定期接種が"
                "受けられるようになります（%(last)sの妊娠36週6日まで）。"
                "おなかの赤ちゃんに抗体を届け、生まれてからのRSウイルス感染症の重症化を防ぐための接種です。"
            ) % {"date": _day(target), "last": _day(last)}
        else:
            lead = _("%(date)sから、次の予防接種を受ける時期になります。") % {"date": _day(target)}
            lead = f"{lead}\n\n{listed}"
    else:
        first = doses[0].vaccine.short
        several = len({entry.vaccine.code for entry in doses}) > 1
        words = {"vaccine": first, "lead": lead_words((target - on).days)}
        if several:
            subject = _("%(vaccine)sなどの接種期限まであと%(lead)s") % words
        else:
            subject = _("%(vaccine)sの接種期限まであと%(lead)s") % words
        lead = "\n\n".join(
            [
                _("次の予防接種を定期接種として受けられるのは、%(date)sまでです。")
                % {"date": i18n.local_date(target, "weekday")},
                listed,
                _("もう受けていたら、記録しておくとこのお知らせは届かなくなります。"),
            ]
        )
    parts = [lead, _(PREGNANCY_CLOSING if pregnancy else CHILD_CLOSING)]
    if note.strip():
        parts.append(note.strip())
    if channel == "line":
        parts.append(_("受けたら、このトークに「接種しました」と送ると記録できます。"))
    elif schedule_url:
        parts.append(f"[{_('予防接種の予定と記録を見る')}]({schedule_url})")
    return subject, "\n\n".join(parts)


class VaccineReminders(TextKind):
    """Composes the reminders of a sending run: the children's records looked up per batch."""

    def __init__(self) -> None:
        self._given: dict[int, list[schedule.Given]] = {}
        self._settings: dict[int, ReminderSettings | None] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        child_ids = {d.child_id for d in deliveries if d.child_id is not None}
        new = child_ids - set(self._given)
        if new:
            found = services.given_by_child(new)
            for child_id in new:
                self._given[child_id] = found.get(child_id, [])
        municipality_ids = {d.municipality_id for d in deliveries} - set(self._settings)
        if municipality_ids:
            rows = {
                s.municipality_id: s
                for s in ReminderSettings.objects.filter(municipality_id__in=municipality_ids)
            }
            for municipality_id in municipality_ids:
                self._settings[municipality_id] = rows.get(municipality_id)

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        child: Child | None = delivery.child
        if child is None or key.record_id is None:
            return "お知らせの対象がありません"
        if delivery.child_id not in self._given or delivery.municipality_id not in self._settings:
            self.prepare([delivery])
        settings = self._settings.get(delivery.municipality_id)
        if settings is None or not settings.reminders_on:
            return "予防接種のお知らせは自治体の設定で止まっています"
        reminder, target = schedule.read_reminder_id(key.record_id)
        entries = services.schedule_of(
            child, self._given.get(child.pk, []), settings.optional_vaccines or []
        )
        doses = schedule.due_for_reminder(entries, reminder, target)
        if not doses:
            return "お知らせする接種がありません（記録済み、または予定が変わりました）"
        schedule_url = ""
        if delivery.channel != "line":
            schedule_url = links.schedule_url(delivery.subscriber)
        text = reminder_text(
            reminder,
            target,
            delivery.due_on,
            doses,
            note=settings.note,
            channel=delivery.channel,
            schedule_url=schedule_url,
            language=self.language,
        )
        versions = {"vaccinations": schedule.rules_version(), "doses": [d.dose.code for d in doses]}
        return ExtraText(text, versions)
