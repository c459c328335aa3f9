"""「接種しました」 in LINE: the parent records a dose from the chat, with quick replies.

「予防接種」 lists what can be recorded now; 「接種しました」 records the one dose open now, or,
when several are, offers one quick reply per dose (「接種しました 五種混合 1期初回 1回目」) and
one for all of them. The dose is recorded as given today; the schedule page corrects the day.
"""

from __future__ import annotations

from dataclasses import dataclass

from kizuna import clock
from municipalities.models import Municipality
from subscribers.line_chat import Reply, command_of
from subscribers.models import Child, Subscriber

from . import links, messages, schedule, services
from .models import DoseRecord

DONE = "接種しました"
ALL = "ぜんぶ"
LIST_WORDS = {"予防接種", "ワクチン", "接種予定"}
QUICK_REPLIES_MAX = 13  # LINE's limit


@dataclass(frozen=True)
class Candidate:
    child: Child
    entry: schedule.DoseDates

    @property
    def button(self) -> str:
        label = f" {self.entry.dose.label}" if self.entry.dose.label else ""
        return f"{DONE} {self.entry.vaccine.short}{label}"


def _reader(municipality: Municipality, user_id: str) -> Subscriber | None:
    return Subscriber.objects.filter(
        municipality=municipality,
        line_user_id=user_id,
        erased_at__isnull=True,
        unsubscribed_at__isnull=True,
    ).first()


def candidates(reader: Subscriber) -> list[Candidate]:
    """Doses not recorded whose recommended time has come, for the children the reader follows."""
    today = clock.today()
    children = Child.objects.filter(
        subscriptions__subscriber=reader,
        subscriptions__ended_at__isnull=True,
        status__in=[Child.Status.EXPECTING, Child.Status.BORN],
    ).select_related("municipality")
    found = []
    for child in children:
        for entry in services.recordable(child, today):
            if entry.recommended_from is not None and entry.recommended_from <= today:
                found.append(Candidate(child, entry))
    return found


def answer(municipality: Municipality, user_id: str, text: str) -> str | Reply | None:
    command = command_of(text)
    if not command.startswith(DONE) and command not in LIST_WORDS:
        return None
    reader = _reader(municipality, user_id)
    if reader is None:
        return None  # the chat's own answer tells how to register
    found = candidates(reader)
    if command in LIST_WORDS:
        return _list(reader, found)
    if not found:
        return (
            "いま記録できる予防接種はありません。予定は予防接種のページで見られます:\n"
            + links.schedule_url(reader)
        )
    chosen_word = command[len(DONE) :]
    if not chosen_word:
        if len(found) == 1:
            return _record(reader, found)
        return _ask(found)
    if chosen_word == ALL:
        return _record(reader, [c for c in found if not c.entry.vaccine.choice_of])
    chosen = [c for c in found if command_of(c.button) == command]
    if not chosen:
        return _ask(found)
    return _record(reader, chosen)


def _list(reader: Subscriber, found: list[Candidate]) -> Reply:
    if not found:
        return Reply(
            "いま受ける時期の予防接種はありません。予定は予防接種のページで見られます:\n"
            + links.schedule_url(reader)
        )
    lines = "\n".join(f"・{c.entry.name}" for c in found)
    return Reply(
        f"いま受ける時期の予防接種です。\n{lines}\n\n受けたら「{DONE}」と送ると記録できます。",
        quick_replies=(DONE,),
    )


def _ask(found: list[Candidate]) -> Reply:
    buttons = list(dict.fromkeys(c.button for c in found))
    if len([c for c in found if not c.entry.vaccine.choice_of]) > 1:
        buttons = [*buttons[: QUICK_REPLIES_MAX - 1], f"{DONE} {ALL}"]
    lines = "\n".join(f"・{c.entry.name}" for c in found)
    return Reply(
        f"どの予防接種を受けましたか？ 下のボタンから選んでください（今日の日付で記録します）。\n{lines}",
        quick_replies=tuple(buttons[:QUICK_REPLIES_MAX]),
    )


def _record(reader: Subscriber, chosen: list[Candidate]) -> str:
    today = clock.today()
    done = []
    for candidate in chosen:
        try:
            services.record_dose(
                child=candidate.child,
                dose=candidate.entry.dose.code,
                given_on=today,
                by=reader,
                via=DoseRecord.Via.LINE,
            )
        except services.RecordError as error:
            return f"記録できませんでした: {error}"
        done.append(candidate.entry.name)
    names = "\n".join(f"・{name}" for name in dict.fromkeys(done))
    return (
        f"{messages.japanese_date(today)}の接種として記録しました。\n{names}\n"
        "この接種のお知らせはもう届きません。日付がちがうときは、予防接種のページで直せます:\n"
        + links.schedule_url(reader)
    )
