"""LINE webhook calls as LINE makes them: events built with line-bot-sdk's models, the body
signed with the channel secret (HMAC-SHA256, Base64) and checked with the SDK's validator."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from contextlib import contextmanager

from linebot.v3 import WebhookParser
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import (
    DeliveryContext,
    FollowDetail,
    FollowEvent,
    GroupSource,
    MessageEvent,
    PostbackContent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

EPOCH_MS = 1764000000000  # 2025-11-24T16:00:00Z


def _source(user_id: str, where: str):
    if where == "group":
        return GroupSource(group_id="C" + "1" * 32, user_id=user_id)
    if where == "room":
        return RoomSource(room_id="R" + "2" * 32, user_id=user_id)
    return UserSource(user_id=user_id)


def _common(user_id: str, where: str, at: int, event_id: str | None, redelivery: bool) -> dict:
    return {
        "source": _source(user_id, where),
        "timestamp": at,
        "mode": "active",
        "webhook_event_id": event_id or uuid.uuid4().hex.upper()[:26],
        "delivery_context": DeliveryContext(is_redelivery=redelivery),
    }


def follow(user_id: str, *, at: int = EPOCH_MS, event_id=None, redelivery=False) -> dict:
    return FollowEvent(
        **_common(user_id, "user", at, event_id, redelivery),
        reply_token=uuid.uuid4().hex,
        follow=FollowDetail(is_unblocked=False),
    ).to_dict()


def unfollow(user_id: str, *, at: int = EPOCH_MS, event_id=None, redelivery=False) -> dict:
    return UnfollowEvent(**_common(user_id, "user", at, event_id, redelivery)).to_dict()


def text(
    user_id: str,
    words: str,
    *,
    where="user",
    at=EPOCH_MS,
    event_id=None,
    redelivery=False,
    read_token=None,
) -> dict:
    """A text message event; like LINE's, it carries a ``markAsReadToken`` (``read_token``)."""
    return MessageEvent(
        **_common(user_id, where, at, event_id, redelivery),
        reply_token=uuid.uuid4().hex,
        message=TextMessageContent(
            id="1", text=words, quote_token="q", mark_as_read_token=read_token or uuid.uuid4().hex
        ),
    ).to_dict()


def postback(
    user_id: str,
    data: str,
    *,
    date=None,
    where="user",
    at=EPOCH_MS,
    event_id=None,
    redelivery=False,
) -> dict:
    """A tap on a postback button (a quick reply's ``data``), in the one-to-one chat or a group
    or room; ``date`` (YYYY-MM-DD) as a date picker sends it."""
    return PostbackEvent(
        **_common(user_id, where, at, event_id, redelivery),
        reply_token=uuid.uuid4().hex,
        postback=PostbackContent(data=data, params={"date": date} if date else None),
    ).to_dict()


def redelivered(event: dict) -> dict:
    """The same event as LINE sends it again: same id and time, ``isRedelivery: true``."""
    return {**event, "deliveryContext": {"isRedelivery": True}}


def signed(events: list[dict], secret: str) -> tuple[str, str]:
    """The body and its ``X-Line-Signature``, as LINE signs it (and the SDK accepts it)."""
    body = json.dumps({"destination": "U" + "f" * 32, "events": events}, ensure_ascii=False)
    signature = base64.b64encode(
        hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    ).decode()
    assert SignatureValidator(secret).validate(body, signature)
    assert len(WebhookParser(secret).parse(body, signature)) == len(events)
    return body, signature


def post(client, events: list[dict], *, secret: str, slug: str = "koto"):
    body, signature = signed(events, secret)
    return client.post(
        f"/webhooks/line/{slug}/",
        data=body.encode(),
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=signature,
    )


@contextmanager
def answers_in_process():
    """Run the answer tasks in the test's process, as a worker would (no worker needed)."""
    from kizuna.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
