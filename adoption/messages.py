"""The one message each imported reader gets: where their data came from and how to leave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from delivery.outbox import MessageKey

from .models import IMPORT_MESSAGE_KIND, MOVE_MESSAGE_KIND, ImportBatch

IMPORT_KIND = IMPORT_MESSAGE_KIND
MOVE_KIND = MOVE_MESSAGE_KIND

WELCOME = {
    "ja": (
        "「{{ service_name }}」へ引き継ぎました",
        "{{ municipality }}の妊娠・子育て応援メッセージは、これまでの「{source}」から"
        "「{{ service_name }}」に引き継がれました。\n\n"
        "## 引き継いだ情報\n"
        "- 配信先（メールアドレスまたはLINE）とニックネーム\n"
        "- 出産予定日または生年月日\n"
        "- 「{source}」の登録で同意いただいた日\n\n"
        "これらは、{{ municipality }}が「{source}」から受け取った登録情報です。"
        "明日の朝から、今の時期に合ったメッセージをお届けします。"
        "これまでの分がまとめて届くことはありません。\n\n"
        "## 受け取りをやめたいとき\n"
        "このメッセージの下にある案内から、いつでも配信を停止できます"
        "（LINEでは「配信停止」と送ってください）。登録内容の確認・変更もできます。",
    ),
    "en": (
        "Your messages now come from {{ service_name }}",
        "{{ municipality }}'s pregnancy and parenting messages have moved from "
        '"{source}" to {{ service_name }}.\n\n'
        "## What was moved\n"
        "- where we send messages (email or LINE) and your nickname\n"
        "- the due date or the birth date\n"
        '- the date you gave your consent to "{source}"\n\n'
        '{{ municipality }} received these details from "{source}". From tomorrow morning '
        "you will get the message for your current stage; past messages are not sent.\n\n"
        "## If you want to stop\n"
        'Use the link at the bottom of this message (on LINE, send "stop"). You can also '
        "check or change your details there.",
    ),
}


@dataclass(frozen=True)
class WelcomeText:
    subject: str
    body: str
    language: str
    kind: str = "import-welcome"


def welcome_text(batch: ImportBatch, language: str) -> WelcomeText:
    subject, body = WELCOME.get(language, WELCOME["ja"])
    # The source name is staff input: braces and markup were refused on upload.
    return WelcomeText(subject, body.replace("{source}", batch.source_name), language)


class ImportWelcomeTexts(TextKind):
    def __init__(self) -> None:
        self.batches: dict[int, ImportBatch | None] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = {MessageKey.parse(d.message_key).record_id for d in deliveries} - set(self.batches)
        found = ImportBatch.objects.in_bulk(ids)
        self.batches.update({pk: found.get(pk) for pk in ids})

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        batch_id = key.record_id
        if batch_id not in self.batches:
            self.prepare([delivery])
        batch = self.batches[batch_id]
        if batch is None:
            return "取り込みの記録がありません"
        language = delivery.subscriber.language
        return ExtraText(welcome_text(batch, language), {"import_batch": batch.pk})


MOVE_SUBJECT = "{{ service_name }}をLINEでも受け取れるようになりました"
MOVE_BODY = (
    "{{ municipality }}の「{{ service_name }}」は、LINEでもお届けできるようになりました。\n\n"
    "下のリンクから手続きをすると、今の登録（お子さまの時期やこれまでの記録）のまま、"
    "次のメッセージからLINEでお届けします。手続きは1分ほどです。\n\n"
    "[LINEでの受け取りに切り替える]({url})\n\n"
    "このままメールで受け取る場合は、何もする必要はありません。"
    "このリンクはあなた専用です。ほかの人に転送しないでください。"
)


TO_EMAIL_SUBJECT = "{{ service_name }}をメールで受け取れます"
TO_EMAIL_BODY = (
    "{{ municipality }}の「{{ service_name }}」は、メールでもお届けできます。\n\n"
    "下のリンクからメールアドレスを登録すると、今の登録（お子さまの時期やこれまでの記録）の"
    "まま、次のメッセージからメールでお届けします。登録したアドレスに届く確認メールの"
    "リンクを開くと切り替わります。\n\n"
    "[メールでの受け取りに切り替える]({url})\n\n"
    "このままLINEで受け取る場合は、何もする必要はありません。"
    "このリンクはあなた専用です。ほかの人に転送しないでください。"
)


class ChannelMoveTexts(TextKind):
    """The announcement: the same words for everyone, with each reader's own signed link."""

    def __init__(self) -> None:
        self.moves: dict[int, Any] = {}

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        from .models import ChannelMove

        ids = {MessageKey.parse(d.message_key).record_id for d in deliveries} - set(self.moves)
        found = ChannelMove.objects.in_bulk(ids)
        self.moves.update({pk: found.get(pk) for pk in ids})

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        from .moves import move_url

        move_id = key.record_id
        if move_id not in self.moves:
            self.prepare([delivery])
        move = self.moves[move_id]
        if move is None:
            return "移行の案内の記録がありません"
        url = move_url(move, delivery.subscriber_id)
        if move.direction == move.Direction.TO_EMAIL:
            if delivery.subscriber.channel == "email":
                return "すでにメールで受け取っています"
            # The one LINE text that carries a personal link: the move cannot work without it.
            body = TO_EMAIL_BODY.replace("{url}", url)
            return ExtraText(
                WelcomeText(TO_EMAIL_SUBJECT, body, "ja", "channel-move"), {"move": move_id}
            )
        if delivery.subscriber.line_user_id:
            return "すでにLINEと連携済みです"
        body = MOVE_BODY.replace("{url}", url)
        return ExtraText(WelcomeText(MOVE_SUBJECT, body, "ja", "channel-move"), {"move": move_id})
