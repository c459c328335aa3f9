"""The health-check messages as kinds of the delivery engine (``delivery.kinds``).

Every text here is product text: ``FACTS`` lists what a medical reviewer checks, and all of it
is ``medical_review: pending`` (December 2026). Kizuna keeps no child's name, so the texts say
「お子さん」 and greet the reader by their nickname where they gave one.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from content import honorifics
from delivery.compose import Composed, Composer
from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from delivery.outbox import MessageKey
from kizuna import i18n
from kizuna.choices import Channel

from . import ics, links
from .models import CheckupSettings, Session, SessionChange
from .timings import BY_NUMBER, Basis, window

MEDICAL_REVIEW = "pending"
FACTS = {
    "reminder": (
        "各健診の時期（checkups/timings.py の facts）",
        "1歳6か月児・3歳児健診は母子保健法第12条で市区町村が行う法定健診",
        "1か月児・5歳児健診の国の費用補助（令和6年度から、要確認）",
    ),
    "invitation": ("持ち物として母子健康手帳を挙げていること（自治体の案内と一致するか要確認）",),
}
_WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class CheckText:
    subject: str
    body: str
    language: str = "ja"
    kind: str = "checkup"


def day_text(day: datetime.date) -> str:
    return f"{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"


def when_text(held_on: datetime.date, starts_at: datetime.time) -> str:
    return f"{day_text(held_on)}{starts_at:%H:%M}から"


def _greeting(nickname: str) -> str:
    name = honorifics.addressed(nickname)
    return f"{name}、" if name else ""


def reminder_text(
    check_number: int, birth: datetime.date, note: str, language: str = "ja"
) -> CheckText:
    """The reminder of a national check, its fixed words in ``language`` (the message's)."""
    check = BY_NUMBER[check_number]
    span = window(check, birth)
    with translation.override(language):
        label = _(check.label)
        parts = [
            "## " + _("受ける時期の目安"),
            _("%(opens)sから%(last)sごろまでが、%(check)sを受ける時期の目安です。")
            % {
                "opens": i18n.local_date(span.opens, "month_day_weekday"),
                "last": i18n.local_date(span.last_day, "month_day_weekday"),
                "check": label,
            },
        ]
        if check.basis == Basis.STATUTORY:
            parts.append(_("母子保健法で、すべての市区町村が行うと定められている健診です。"))
        parts.append(
            _(
                "集団健診か医療機関で受けるか、受診票が必要かは市区町村によって違います。"
                "届いたご案内と母子健康手帳を確かめておきましょう。"
                "ふだん気になっていることをメモしておくと、当日相談しやすくなります。"
            )
        )
        if note.strip():
            parts.append(note.strip())
        subject = _("%(check)sの時期が近づいています") % {"check": label}
    return CheckText(subject=subject, body="\n\n".join(parts), language=language)


def _session_lines(session: Session) -> list[str]:
    return [
        "母子健康手帳をお持ちください。持ち物や受付の時間は、届いたご案内でご確認ください。",
        "お子さんの体調がすぐれないときや都合が悪くなったときは、無理をせず"
        f"{session.municipality.name}にご連絡ください。別の日程をご案内できることがあります。",
    ]


def invitation_text(session: Session, nickname: str, note: str) -> CheckText:
    label = BY_NUMBER[session.check_number].label
    parts = [
        f"## {label}のご案内",
        f"{_greeting(nickname)}お子さんの{label}は"
        f"{when_text(session.held_on, session.starts_at)}、{session.venue}です。",
        *_session_lines(session),
    ]
    if note.strip():
        parts.append(note.strip())
    return CheckText(
        subject=f"{label}のご案内（{day_text(session.held_on)}）", body="\n\n".join(parts)
    )


def eve_text(session: Session, nickname: str) -> CheckText:
    label = BY_NUMBER[session.check_number].label
    parts = [
        f"## 明日は{label}です",
        f"{_greeting(nickname)}明日{when_text(session.held_on, session.starts_at)}、"
        f"{session.venue}で{label}があります。",
        *_session_lines(session),
    ]
    return CheckText(subject=f"明日は{label}です", body="\n\n".join(parts))


def correction_text(
    session: Session, change: SessionChange, before: SessionChange | None, nickname: str
) -> CheckText:
    label = BY_NUMBER[session.check_number].label
    earlier = (
        f"（先のご案内：{when_text(before.held_on, before.starts_at)}、{before.venue}）"
        if before
        else ""
    )
    if change.kind == SessionChange.Kind.CANCELLED:
        body = [
            f"## {label}は中止になりました",
            f"{_greeting(nickname)}先にご案内したお子さんの{label}{earlier}は、中止になりました。"
            f"あらためての日程は{session.municipality.name}からお知らせします。"
            "ご不便をおかけしてすみません。",
        ]
        return CheckText(subject=f"【中止】{label}のご案内", body="\n\n".join(body))
    body = [
        f"## {label}の日時・会場が変わりました",
        f"{_greeting(nickname)}お子さんの{label}は"
        f"**{when_text(change.held_on, change.starts_at)}、{change.venue}**に変わりました{earlier}。",
        *_session_lines(session),
    ]
    return CheckText(subject=f"【変更】{label}のご案内", body="\n\n".join(body))


class CheckReminders(TextKind):
    """The national check reminder: a section of the day's stage text, or its own message."""

    def __init__(self) -> None:
        self.notes: dict[int, str] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = {d.municipality_id for d in deliveries} - set(self.notes)
        for setting in CheckupSettings.objects.filter(municipality_id__in=ids):
            self.notes[setting.municipality_id] = setting.note
        self.notes.update({pk: "" for pk in ids if pk not in self.notes})

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        child = delivery.child
        if child is None or child.birth_date is None or key.record_id not in BY_NUMBER:
            return "健診の対象のお子さんがわかりません"
        if delivery.municipality_id not in self.notes:
            self.prepare([delivery])
        text = reminder_text(
            key.record_id, child.birth_date, self.notes[delivery.municipality_id], self.language
        )
        return ExtraText(text, {"checkup": key.record_id, "review": MEDICAL_REVIEW})


class _SessionKind:
    late_is_fine = False

    def __init__(self) -> None:
        self.sessions: dict[int, Session] = {}
        self.changes: dict[int, SessionChange] = {}
        self.notes: dict[int, str] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def _session(self, session_id: int) -> Session | None:
        if session_id not in self.sessions:
            found = Session.objects.select_related("municipality").filter(pk=session_id).first()
            if found is None:
                return None
            self.sessions[session_id] = found
        return self.sessions[session_id]

    def _change(self, change_id: int) -> SessionChange | None:
        if change_id not in self.changes:
            found = SessionChange.objects.filter(pk=change_id).first()
            if found is None:
                return None
            self.changes[change_id] = found
        return self.changes[change_id]

    def _note(self, municipality_id: int) -> str:
        if municipality_id not in self.notes:
            setting = CheckupSettings.objects.filter(municipality_id=municipality_id).first()
            self.notes[municipality_id] = setting.note if setting else ""
        return self.notes[municipality_id]

    def _compose(
        self,
        delivery: Delivery,
        key: MessageKey,
        composer: Composer,
        text: CheckText,
        session: Session,
        sequence: int,
        cancelled: bool = False,
    ) -> Composed:
        if delivery.channel == Channel.LINE:
            url = links.calendar_url(delivery.subscriber_id, session.pk, delivery.child_id or 0)
            text = dataclasses.replace(text, body=text.body + f"\n\n[カレンダーに登録する]({url})")
        composed = composer.compose_text(
            delivery, key, text, {"session": session.pk, "review": MEDICAL_REVIEW}
        )
        if delivery.channel != Channel.EMAIL or not isinstance(composed, Composed):
            return composed
        attachment = calendar_file(
            session, delivery.child_id or 0, sequence=sequence, cancelled=cancelled
        )
        message = dataclasses.replace(
            composed.message, attachments=(("kenshin.ics", attachment, "text/calendar"),)
        )
        return dataclasses.replace(composed, message=message)


def calendar_file(
    session: Session, child_id: int, *, sequence: int | None = None, cancelled: bool = False
) -> bytes:
    """The session's .ics for one child: its current date, time and venue."""
    label = BY_NUMBER[session.check_number].label
    if sequence is None:
        sequence = max(session.changes.count() - 1, 0)
    starts = datetime.datetime.combine(
        session.held_on, session.starts_at, tzinfo=datetime.timezone(datetime.timedelta(hours=9))
    )
    domain = session.municipality.sender_email.rpartition("@")[2]
    return ics.event(
        uid=ics.uid(session.pk, child_id, domain),
        summary=f"{label}（{session.municipality.name}）",
        location=session.venue,
        description="母子健康手帳をお持ちください。",
        starts=starts,
        sequence=sequence,
        stamp=session.created_at,
        cancelled=cancelled or session.status == Session.Status.CANCELLED,
    )


class SessionInvitations(_SessionKind):
    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        session = self._session(key.record_id or 0)
        if session is None or session.status == Session.Status.CANCELLED:
            return "健診が中止になったため送りません"
        if session.held_on <= composer.today:
            return "健診の日を過ぎたため送りません"
        text = invitation_text(
            session, delivery.subscriber.nickname, self._note(session.municipality_id)
        )
        sequence = max(session.changes.count() - 1, 0)
        return self._compose(delivery, key, composer, text, session, sequence)


class SessionEveReminders(_SessionKind):
    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        change = self._change(key.record_id or 0)
        session = self._session(change.session_id) if change else None
        if change is None or session is None or session.status == Session.Status.CANCELLED:
            return "健診が中止になったため送りません"
        if session.changes.order_by("-pk").values_list("pk", flat=True).first() != change.pk:
            return "健診の日時が変わったため送りません"
        if session.held_on < composer.today:
            return "健診の日を過ぎたため送りません"
        text = eve_text(session, delivery.subscriber.nickname)
        sequence = max(session.changes.count() - 1, 0)
        return self._compose(delivery, key, composer, text, session, sequence)


class SessionCorrections(_SessionKind):
    # A correction matters until the session's (old or new) day.
    late_is_fine = True

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        change = self._change(key.record_id or 0)
        session = self._session(change.session_id) if change else None
        if change is None or session is None:
            return "健診の記録がありません"
        before = (
            session.changes.filter(pk__lt=change.pk)
            .exclude(kind=SessionChange.Kind.CANCELLED)
            .order_by("-pk")
            .first()
        )
        text = correction_text(session, change, before, delivery.subscriber.nickname)
        sequence = session.changes.filter(pk__lte=change.pk).count() - 1
        cancelled = change.kind == SessionChange.Kind.CANCELLED
        return self._compose(delivery, key, composer, text, session, sequence, cancelled)
