"""Procedures done in the LINE chat, a tap at a time: signing up, inviting family, a loss report.

The webhook (delivery) hands follows, texts and date-picker postbacks to
:mod:`subscribers.line_chat`, which asks :data:`CHAT` first. Each step is kept on the server
(:class:`~conversations.models.Conversation`), so a typed reply where a tap was expected, a date
out of range, a stale picker or a restart halfway gets a clear answer and changes nothing else.
Registration and loss go through the same services the web pages use (subscribers.services),
with the same date rules (subscribers.forms.StageDatesMixin): nothing is decided twice.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from content.programme import programme_from
from content.stages import child_age, gestational_age
from kizuna import clock, japanese_dates
from kizuna.choices import Language
from municipalities.models import ConsultationContact, Municipality
from subscribers import links, services
from subscribers.forms import DUE_DATE_MAX_AHEAD, DUE_DATE_MAX_PAST, AddChildForm
from subscribers.line_chat import COMMANDS, DatePick, Reply, command_of, line_signup_url
from subscribers.models import Child, Subscriber
from subscribers.tokens import Purpose, link_lifetime_days

from .models import Conversation

Topic = Conversation.Topic

# Steps of the signup.
SITUATION, DUE, BIRTH, RELATIONSHIP, CONSENT = (
    "situation",
    "due",
    "birth",
    "relationship",
    "consent",
)
# Steps of a loss report.
WHICH_CHILD, LOSS_KIND, LOSS_CONFIRM = "which_child", "loss_kind", "loss_confirm"

EXPECTING_BUTTON, BORN_BUTTON = "妊娠中です", "生まれています"
AGREE_BUTTON, RESTART_BUTTON, CANCEL_BUTTON = "同意して登録", "はじめから", "やめる"
INVITE_BUTTON, SETTINGS_BUTTON = "家族を招待", "設定"
LOSS_CONFIRM_BUTTON = "止めてください"
RELATIONSHIP_BUTTONS = {
    "本人": Subscriber.Relationship.SELF,
    "パートナー": Subscriber.Relationship.PARTNER,
    "祖父母": Subscriber.Relationship.GRANDPARENT,
    "その他の家族": Subscriber.Relationship.OTHER,
}
LOSS_BUTTONS = {
    "流産": Child.Loss.MISCARRIAGE,
    "死産": Child.Loss.STILLBIRTH,
    "お子さまの死亡": Child.Loss.INFANT_DEATH,
}


def _words(*texts: str) -> frozenset[str]:
    return frozenset(command_of(t) for t in texts)


EXPECTING_WORDS = _words(EXPECTING_BUTTON, "妊娠中", "妊娠しています")
BORN_WORDS = _words(BORN_BUTTON, "すでに生まれています", "生まれました", "出産しました")
AGREE_WORDS = _words(AGREE_BUTTON, "同意する", "同意します")
CANCEL_WORDS = _words(CANCEL_BUTTON, "キャンセル", "中止", "登録をやめる")
RESTART_WORDS = _words(RESTART_BUTTON, "最初から", "やり直す", "登録", "登録する")
INVITE_WORDS = _words(INVITE_BUTTON, "招待", "家族招待", "家族を招待する")
TODAY_WORDS = _words("今日のメッセージ", "きょうのメッセージ")
CONTACT_WORDS = _words("相談窓口", "相談", "窓口")
LOSS_WORDS = _words(
    "悲しいお知らせ", "流産", "死産", "流産・死産", "流産・死産のお知らせ", "お子さまの死亡"
)
PICK_PREFIX = "kizuna:"  # the postback data of our date pickers: kizuna:due, kizuna:birth
DUE_PICK_AHEAD = datetime.timedelta(days=200)  # where the picker opens: most register ~week 11


def _date_ja(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# State ------------------------------------------------------------------------------------------


def _current(municipality: Municipality, user_id: str) -> Conversation | None:
    """The user's conversation in progress, locked for this event (one webhook at a time)."""
    return (
        Conversation.objects.select_for_update()
        .filter(municipality=municipality, line_user_id=user_id, expires_at__gt=clock.now())
        .first()
    )


def _begin(
    municipality: Municipality, user_id: str, topic: str, step: str, data: dict[str, object]
) -> Conversation:
    """Start (or restart) the user's conversation: one row per user, written in one upsert."""
    now = clock.now()
    Conversation.objects.filter(expires_at__lte=now).delete()  # expired ones of anyone
    conversation = Conversation(
        municipality=municipality,
        line_user_id=user_id,
        topic=topic,
        step=step,
        data=data,
        updated_at=now,
        expires_at=now + datetime.timedelta(hours=settings.KIZUNA_LINE_CONVERSATION_HOURS),
    )
    Conversation.objects.bulk_create(
        [conversation],
        update_conflicts=True,
        unique_fields=["municipality", "line_user_id"],
        update_fields=["topic", "step", "data", "updated_at", "expires_at"],
    )
    return _current(municipality, user_id) or conversation


def _move(conversation: Conversation, step: str, **data: object) -> None:
    now = clock.now()
    conversation.step = step
    conversation.data = {**conversation.data, **data}
    conversation.updated_at = now
    conversation.expires_at = now + datetime.timedelta(
        hours=settings.KIZUNA_LINE_CONVERSATION_HOURS
    )
    conversation.save()


def _end(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).delete()


# The chat ---------------------------------------------------------------------------------------


class ConversationChat:
    """What :mod:`subscribers.line_chat` asks before its own commands."""

    words = INVITE_WORDS | LOSS_WORDS | RESTART_WORDS | CONTACT_WORDS | TODAY_WORDS

    def followed(self, municipality: Municipality, user_id: str) -> Reply | None:
        """A newcomer (or a follow again halfway): the greeting and the first question."""
        restarted = _current(municipality, user_id) is not None
        lead = (
            f"友だち追加ありがとうございます。{municipality.service_name}です。\n"
            "妊娠中の方、お子さまが生まれた方に、その時期に合ったメッセージをこのトークで"
            "お届けします。登録はボタンを数回押すだけです。\n"
        )
        if restarted:
            lead += "途中までの入力はいったん取り消しました。\n"
        lead += (
            "\n（メールで受け取っている方は、ご案内メールの連携コードをこのトークに送ると、"
            "今の登録のままLINEに切り替わります）\n\n"
        )
        web = f"\n\nウェブのページから登録することもできます:\n{line_signup_url(municipality, user_id)}"
        reply = _start_signup(municipality, user_id, lead)
        return Reply(reply.text + web, reply.quick_replies)

    def wrote(
        self, municipality: Municipality, user_id: str, text: str, reader: Subscriber | None
    ) -> Reply | None:
        command = command_of(text)
        conversation = _current(municipality, user_id)
        if reader is None or not reader.is_active:
            if conversation is not None and conversation.topic == Topic.SIGNUP:
                return _signup_step(conversation, command, text)
            return _start_signup(
                municipality,
                user_id,
                "まだ登録がありません。このトークで、ボタンを数回押すだけで登録できます。\n\n",
            )
        if conversation is not None:
            if conversation.topic == Topic.LOSS:
                if command in COMMANDS and command not in CANCEL_WORDS:
                    _end(conversation)  # another command: the report is left, unchanged
                    return None
                return _loss_step(conversation, reader, command)
            _end(conversation)  # a signup halfway, registered meanwhile (on the web)
        if command in AGREE_WORDS:
            return Reply("登録は完了しています。", (SETTINGS_BUTTON, INVITE_BUTTON))
        if command in INVITE_WORDS:
            return _invite(reader)
        if command in TODAY_WORDS:
            return _today(reader)
        if command in CONTACT_WORDS:
            return Reply(
                "気になることや不安なことは、いつでも相談できます。\n" + _contacts(municipality)
            )
        if command in LOSS_WORDS:
            return _start_loss(municipality, user_id, reader)
        return None

    def picked(
        self, municipality: Municipality, user_id: str, data: str, date: datetime.date | None
    ) -> Reply | None:
        if not data.startswith(PICK_PREFIX):
            return None
        conversation = _current(municipality, user_id)
        if conversation is None or conversation.topic != Topic.SIGNUP:
            reader = (
                Subscriber.objects.filter(municipality=municipality, line_user_id=user_id)
                .exclude(erased_at__isnull=False)
                .first()
            )
            if reader is not None and reader.is_active:
                return Reply(
                    "登録はすでに完了しています。日付の変更は「設定」からどうぞ。",
                    (SETTINGS_BUTTON,),
                )
            return _start_signup(
                municipality,
                user_id,
                "この日付の選択は受付を終了しました（時間がたったため）。"
                "お手数ですが、はじめからお願いします。\n\n",
            )
        step = data.removeprefix(PICK_PREFIX)
        if conversation.step != step or date is None:
            return _ask_again(
                conversation, "いまは前の画面の日付ではなく、次の質問にお答えください。\n"
            )
        return _take_date(conversation, date)


CHAT = ConversationChat()


# Signing up -------------------------------------------------------------------------------------


def _start_signup(municipality: Municipality, user_id: str, lead: str) -> Reply:
    _begin(municipality, user_id, Topic.SIGNUP, SITUATION, {})
    return Reply(
        lead + "いまの状況を、下のボタンから選んでください。\n"
        f"（ボタンが表示されないときは「{EXPECTING_BUTTON}」または「{BORN_BUTTON}」と"
        "送ってください）",
        (EXPECTING_BUTTON, BORN_BUTTON),
    )


def _ask_again(conversation: Conversation, lead: str) -> Reply:
    """The question of the step the user is at, after ``lead`` saying what was wrong."""
    step = conversation.step
    if step in (DUE, BIRTH):
        return _ask_date(conversation, step, lead)
    if step == RELATIONSHIP:
        return _ask_relationship(conversation, lead)
    if step == CONSENT:
        return _ask_consent(conversation, lead)
    return Reply(
        lead + "いまの状況を、下のボタンから選んでください。", (EXPECTING_BUTTON, BORN_BUTTON)
    )


def _signup_step(conversation: Conversation, command: str, text: str) -> Reply:
    municipality, user_id = conversation.municipality, conversation.line_user_id
    if command in CANCEL_WORDS:
        _end(conversation)
        return Reply(
            "登録を取りやめました。入力いただいた内容は残していません。\n"
            "「登録」と送ると、いつでもはじめから登録できます。",
            ("登録",),
        )
    if command in RESTART_WORDS:
        return _start_signup(municipality, user_id, "はじめからやり直します。\n\n")
    step = conversation.step
    if step == SITUATION:
        if command in EXPECTING_WORDS:
            return _ask_date(conversation, DUE)
        if command in BORN_WORDS:
            return _ask_date(conversation, BIRTH)
        return _ask_again(conversation, "選択肢にない内容でした。\n")
    if step in (DUE, BIRTH):
        try:
            day = japanese_dates.parse_date(text)
        except japanese_dates.DateFormatError:
            return _ask_date(
                conversation, step, "日付として読み取れませんでした。ボタンから選んでください。\n"
            )
        return _take_date(conversation, day)
    if step == RELATIONSHIP:
        relationship = {command_of(k): v for k, v in RELATIONSHIP_BUTTONS.items()}.get(command)
        if relationship is None:
            return _ask_relationship(conversation, "選択肢にない内容でした。\n")
        _move(conversation, CONSENT, relationship=str(relationship))
        return _ask_consent(conversation)
    if command in AGREE_WORDS:
        return _register(conversation)
    return _ask_consent(
        conversation,
        f"登録するには「{AGREE_BUTTON}」を、やめるときは「{CANCEL_BUTTON}」を押してください。\n",
    )


def earliest_birth_date(municipality: Municipality, today: datetime.date) -> datetime.date:
    """The earliest birth date whose child is still within the municipality's programme."""
    programme = programme_from(municipality)
    low, high = today - datetime.timedelta(days=366 * 8), today
    while low < high:  # the programme's end grows with the birth date: bisect on it
        middle = low + (high - low) // 2
        if programme.end(middle) > today:
            high = middle
        else:
            low = middle + datetime.timedelta(days=1)
    return low


def _ask_date(conversation: Conversation, step: str, lead: str = "") -> Reply:
    today = clock.today()
    if step == DUE:
        earliest, latest = today - DUE_DATE_MAX_PAST, today + DUE_DATE_MAX_AHEAD
        pick = DatePick(
            "出産予定日を選ぶ", PICK_PREFIX + DUE, today + DUE_PICK_AHEAD, earliest, latest
        )
        question = "出産予定日を、下の「出産予定日を選ぶ」から選んでください。"
    else:
        earliest, latest = earliest_birth_date(conversation.municipality, today), today
        pick = DatePick("生年月日を選ぶ", PICK_PREFIX + BIRTH, today, earliest, latest)
        question = "お子さまの生年月日を、下の「生年月日を選ぶ」から選んでください。"
    if conversation.step != step:
        _move(conversation, step)
    return Reply(
        f"{lead}{question}\n（「{_date_ja(pick.initial)}」のように送っていただくこともできます）",
        (pick, RESTART_BUTTON),
    )


def _take_date(conversation: Conversation, day: datetime.date) -> Reply:
    """The date, checked by the web signup's own rules; kept only when they accept it."""
    step = conversation.step
    field = "due_date" if step == DUE else "birth_date"
    situation = AddChildForm.EXPECTING if step == DUE else AddChildForm.BORN
    form = AddChildForm(
        data={"situation": situation, field: day.isoformat()},
        municipality=conversation.municipality,
    )
    if not form.is_valid():
        problem = " ".join(str(e) for e in form.errors.get(field, [])) or "日付をご確認ください。"
        return _ask_date(conversation, step, f"{problem}\n")
    _move(conversation, RELATIONSHIP, **{field: day.isoformat()})
    label = "出産予定日" if step == DUE else "生年月日"
    return _ask_relationship(conversation, f"{label}は{_date_ja(day)}ですね。\n")


def _ask_relationship(conversation: Conversation, lead: str = "") -> Reply:
    return Reply(
        lead + "あなたとお子さまの関係を選んでください。",
        (*RELATIONSHIP_BUTTONS, RESTART_BUTTON),
    )


def _ask_consent(conversation: Conversation, lead: str = "") -> Reply:
    municipality = conversation.municipality
    policy = links.absolute(reverse("subscribers:privacy", args=[municipality.slug]))
    return Reply(
        f"{lead}最後に、プライバシーポリシーをご確認ください。\n{policy}\n\n"
        f"同意いただける場合は「{AGREE_BUTTON}」を押してください。登録はこれで完了です。",
        (AGREE_BUTTON, CANCEL_BUTTON),
    )


def _register(conversation: Conversation) -> Reply:
    data = conversation.data
    due = data.get("due_date")
    birth = data.get("birth_date")
    registration = services.Registration(
        email="",
        relationship=str(data.get("relationship") or Subscriber.Relationship.SELF),
        nickname="",
        language=Language.JA,
        due_date=datetime.date.fromisoformat(str(due)) if due else None,
        birth_date=datetime.date.fromisoformat(str(birth)) if birth else None,
        signup_tag="line-chat",
    )
    with transaction.atomic():
        services.sign_up_with_line(
            conversation.municipality, conversation.line_user_id, registration
        )
        _end(conversation)
    anchor = (
        f"出産予定日：{_date_ja(registration.due_date)}"
        if registration.due_date
        else f"生年月日：{_date_ja(registration.birth_date)}"
        if registration.birth_date
        else ""
    )
    return Reply(
        f"登録が完了しました。ありがとうございます。\n{anchor}\n"
        "これから、その時期に合ったメッセージをこのトークにお届けします。\n\n"
        f"・パートナーやご家族にも届けたいときは「{INVITE_BUTTON}」\n"
        f"・登録内容の確認や変更は「{SETTINGS_BUTTON}」\n"
        "・配信をやめたいときは「配信停止」\nと送ってください。",
        (INVITE_BUTTON, SETTINGS_BUTTON),
    )


# Family and loss --------------------------------------------------------------------------------


def _followed_children(reader: Subscriber) -> list[Child]:
    return list(
        Child.objects.filter(
            subscriptions__subscriber=reader,
            subscriptions__ended_at__isnull=True,
            status__in=[Child.Status.EXPECTING, Child.Status.BORN],
        ).order_by("pk")
    )


def _child_label(child: Child) -> str:
    if child.status == Child.Status.BORN and child.birth_date:
        return f"{_date_ja(child.birth_date)}生まれ"
    if child.due_date:
        return f"{_date_ja(child.due_date)}予定"
    return "お子さま"


def share_url(text: str) -> str:
    """LINE's share screen (choose friends, then send ``text``): LINE URL scheme ``share``."""
    return "https://line.me/R/share?text=" + quote(text, safe="")


def _invite(reader: Subscriber) -> Reply:
    children = _followed_children(reader)
    if not children:
        return Reply("いまお届けしているお子さまの登録がないため、ご家族を招待できません。")
    service = reader.municipality.service_name
    days = link_lifetime_days(Purpose.INVITE)
    parts = [
        "パートナーやご家族にも、同じメッセージを届けられます。\n"
        f"下のリンクを開いて送る相手を選ぶと、招待の案内が届きます（{days}日間使えます）。"
    ]
    for child in children:
        message = (
            f"{service}で、赤ちゃんの時期に合ったメッセージを一緒に受け取りませんか。"
            f"こちらから登録できます。\n{links.invite_url(reader, child)}"
        )
        title = f"{_child_label(child)}のお子さま\n" if len(children) > 1 else ""
        parts.append(f"{title}{share_url(message)}")
    return Reply("\n\n".join(parts))


def _start_loss(municipality: Municipality, user_id: str, reader: Subscriber) -> Reply:
    children = _followed_children(reader)
    if not children:
        return Reply(
            "いまお届けしているお子さまの登録はありません。"
            "お困りのことがあれば、いつでも窓口にご相談ください。\n" + _contacts(municipality)
        )
    if len(children) == 1:
        conversation = _begin(
            municipality, user_id, Topic.LOSS, LOSS_KIND, {"child": children[0].pk}
        )
        return _ask_loss_kind(conversation, children[0])
    labels = _child_choices(children)
    conversation = _begin(municipality, user_id, Topic.LOSS, WHICH_CHILD, {"choices": labels})
    return Reply(
        "お知らせくださり、ありがとうございます。どのお子さまについてのお知らせですか。",
        (*labels, CANCEL_BUTTON),
    )


def _child_choices(children: list[Child]) -> dict[str, int]:
    labels: dict[str, int] = {}
    for child in children:
        label = _child_label(child)
        if label in labels:  # twins share a date
            label = f"{label}（{sum(1 for k in labels if k.startswith(label)) + 1}）"
        labels[label] = child.pk
    return labels


def _loss_child(conversation: Conversation, reader: Subscriber) -> Child | None:
    child_id = conversation.data.get("child")
    return next((c for c in _followed_children(reader) if c.pk == child_id), None)


def _kinds_for(child: Child) -> list[str]:
    if child.status == Child.Status.EXPECTING:
        return ["流産", "死産"]
    return ["お子さまの死亡"]


def _ask_loss_kind(conversation: Conversation, child: Child, lead: str = "") -> Reply:
    _move(conversation, LOSS_KIND, child=child.pk)
    return Reply(
        f"{lead}おつらいなか、お知らせくださりありがとうございます。\n"
        "あてはまるものを選んでください。",
        (*_kinds_for(child), CANCEL_BUTTON),
    )


def _loss_step(conversation: Conversation, reader: Subscriber, command: str) -> Reply:
    if command in CANCEL_WORDS:
        _end(conversation)
        return Reply("お知らせの手続きをやめました。何も変更していません。")
    if conversation.step == WHICH_CHILD:
        raw = conversation.data.get("choices")
        choices = raw if isinstance(raw, dict) else {}
        chosen = {command_of(k): v for k, v in choices.items()}.get(command)
        child = next((c for c in _followed_children(reader) if c.pk == chosen), None)
        if child is None:
            return Reply(
                "下のボタンから、どのお子さまについてのお知らせかを選んでください。",
                (*choices, CANCEL_BUTTON),
            )
        return _ask_loss_kind(conversation, child)
    child = _loss_child(conversation, reader)
    if child is None:  # reported meanwhile (by a family member, on the web)
        _end(conversation)
        return Reply("このお子さまについてのお知らせは、すでに承っています。")
    if conversation.step == LOSS_KIND:
        kinds = {command_of(k): k for k in _kinds_for(child)}
        kind = kinds.get(command)
        if kind is None:
            return _ask_loss_kind(conversation, child, "下のボタンから選んでください。\n")
        _move(conversation, LOSS_CONFIRM, loss=str(LOSS_BUTTONS[kind]))
        return Reply(
            "このお子さまについてのメッセージを、ご家族の分も含めてすべて止めます。"
            "よろしいですか。",
            (LOSS_CONFIRM_BUTTON, CANCEL_BUTTON),
        )
    if command != command_of(LOSS_CONFIRM_BUTTON):
        return Reply(
            f"止める場合は「{LOSS_CONFIRM_BUTTON}」を、やめる場合は「{CANCEL_BUTTON}」を"
            "押してください。",
            (LOSS_CONFIRM_BUTTON, CANCEL_BUTTON),
        )
    services.report_loss(child.pk, str(conversation.data.get("loss")))
    _end(conversation)
    return Reply(
        "お知らせいただき、ありがとうございました。\n"
        "このお子さまについてのメッセージは、今後お送りしません。\n\n"
        "からだや気持ちのことで話したいときは、いつでもご相談ください。\n"
        + _contacts(reader.municipality)
    )


def _today(reader: Subscriber) -> Reply:
    """The rich menu's 「今日のメッセージ」: where each followed child is today, and when
    messages arrive."""
    today = clock.today()
    lines = []
    for child in _followed_children(reader):
        if child.status == Child.Status.BORN and child.birth_date:
            age = child_age(child.birth_date, today)
            lines.append(f"・{_child_label(child)}のお子さま：{age.label_ja}（生後{age.days}日）")
        elif child.due_date:
            lines.append(
                f"・{_child_label(child)}：{gestational_age(child.due_date, today).label_ja}"
            )
    if not lines:
        return Reply("いまお届けしているお子さまの登録はありません。")
    at = reader.municipality.delivery_time
    return Reply(
        "今日は\n" + "\n".join(lines) + "\nです。\n\n"
        f"メッセージは、届く日の{at.hour}時{at.minute:02d}分ごろにこのトークへお送りしています。"
    )


def _contacts(municipality: Municipality) -> str:
    lines = []
    for contact in ConsultationContact.objects.filter(municipality=municipality).order_by(
        "order", "pk"
    ):
        details = " ".join(
            p for p in (contact.phone, contact.hours and f"（{contact.hours}）") if p
        )
        lines.append(f"・{contact.name} {details}".rstrip())
    return "\n".join(lines) or f"・{municipality.name}の子育て・母子保健の窓口"
