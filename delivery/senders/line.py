"""LINE through line-bot-sdk: multicast for identical texts, push for personal ones.

Every request carries an ``X-Line-Retry-Key`` derived from the deliveries it sends, so a retry
after a timeout (the request may have been accepted) is never a second message: LINE answers
409 for a key it has already accepted, which counts as sent.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator

import urllib3
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from .. import pacing
from .base import Outcome, OutgoingMessage, Result, retry_after_seconds

MULTICAST_LIMIT = 500
TRANSIENT = {408, 429, 500, 502, 503, 504}
CHANNEL_SETUP = {401, 403}


def channel_access_token(slug: str) -> str:
    """Each municipality's LINE channel token comes from LINE_CHANNEL_ACCESS_TOKEN_<SLUG>."""
    return os.environ.get(f"LINE_CHANNEL_ACCESS_TOKEN_{_env_suffix(slug)}", "")


def channel_secret(slug: str) -> str:
    return os.environ.get(f"LINE_CHANNEL_SECRET_{_env_suffix(slug)}", "")


def _env_suffix(slug: str) -> str:
    return slug.upper().replace("-", "_")


def retry_key(delivery_ids: list[int]) -> str:
    """The same deliveries always give the same key, whichever worker sends them."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, "kizuna-line:" + ",".join(map(str, sorted(delivery_ids))))
    )


class LineSender:
    channel = "line"
    # A request resent after a crash carries its stored retry key: LINE answers 409, no copy.
    record_every = 500

    def __init__(
        self,
        slug_by_municipality: dict[int, str],
        remember_keys: Callable[[dict[str, list[int]]], None] | None = None,
    ) -> None:
        """``remember_keys({key: delivery ids})`` stores requests' retry keys before they leave."""
        self._slugs = slug_by_municipality
        self._remember_keys = remember_keys or (lambda keys: None)

    def send(self, messages: list[OutgoingMessage]) -> Iterator[list[Result]]:
        by_municipality: dict[int, list[OutgoingMessage]] = defaultdict(list)
        for message in messages:
            by_municipality[message.municipality_id].append(message)
        for municipality_id, group in by_municipality.items():
            token = channel_access_token(self._slugs[municipality_id])
            if not token:
                yield [
                    Result(
                        m.delivery_id,
                        Outcome.RETRY,
                        error="LINEのチャネルアクセストークンが未設定です",
                    )
                    for m in group
                ]
                continue
            configuration = Configuration(host=settings.LINE_API_BASE_URL, access_token=token)
            with ApiClient(configuration) as client:
                slug = self._slugs[municipality_id]
                yield from self._send_group(MessagingApi(client), group, slug)

    def _send_group(
        self, api: MessagingApi, messages: list[OutgoingMessage], slug: str
    ) -> Iterator[list[Result]]:
        # A message whose earlier request got no answer goes again with that request's key
        # (never regrouped under a new one), so LINE answers 409 if it did accept it.
        unanswered: dict[str, list[OutgoingMessage]] = defaultdict(list)
        fresh = []
        for message in messages:
            if message.retry_key:
                unanswered[message.retry_key].append(message)
            else:
                fresh.append(message)
        for key, same in unanswered.items():
            yield self._send_chunk(api, same[0].line_text, same, key, slug)
        requests = [
            (text, same[start : start + MULTICAST_LIMIT])
            for text, same in _by_text_in_order(fresh)
            for start in range(0, len(same), MULTICAST_LIMIT)
        ]
        # Every request's key is stored before the first leaves, in one statement: a worker
        # killed after LINE took a request resends it under the same key.
        keys = [retry_key([m.delivery_id for m in chunk]) for _, chunk in requests]
        if keys:
            self._remember_keys(
                {
                    key: [m.delivery_id for m in chunk]
                    for key, (_, chunk) in zip(keys, requests, strict=True)
                }
            )
        for key, (text, chunk) in zip(keys, requests, strict=True):
            yield self._send_chunk(api, text, chunk, key, slug)

    def _send_fresh(
        self, api: MessagingApi, text: str, chunk: list[OutgoingMessage], slug: str
    ) -> list[Result]:
        key = retry_key([m.delivery_id for m in chunk])
        self._remember_keys({key: [m.delivery_id for m in chunk]})
        return self._send_chunk(api, text, chunk, key, slug)

    def _send_chunk(
        self, api: MessagingApi, text: str, chunk: list[OutgoingMessage], key: str, slug: str
    ) -> list[Result]:
        ids = [m.delivery_id for m in chunk]
        message = _text_message(text, chunk[0].line_postbacks)
        endpoint = "push" if len(chunk) == 1 else "multicast"
        account = pacing.line_account(slug, endpoint)
        pacing.wait_for_slot(account, pacing.line_rate(endpoint))
        try:
            if len(chunk) == 1:
                response = api.push_message(
                    PushMessageRequest(to=chunk[0].to, messages=[message]),
                    x_line_retry_key=key,
                    _request_timeout=settings.LINE_TIMEOUT_SECONDS,
                )
                sent = response.sent_messages or []
                provider_id = sent[0].id if sent else key
            else:
                api.multicast(
                    MulticastRequest(to=[m.to for m in chunk], messages=[message]),
                    x_line_retry_key=key,
                    _request_timeout=settings.LINE_TIMEOUT_SECONDS,
                )
                provider_id = key
        except ApiException as error:
            if len(chunk) > 1 and error.status == 400:
                # One bad user id fails a whole multicast (nothing was sent): find it by
                # sending one by one.
                return [r for m in chunk for r in self._send_fresh(api, text, [m], slug)]
            if error.status == 429:  # someone else shares the channel: everyone waits
                pacing.hold_back(account, retry_after_seconds(error.headers) or 1.0)
            return [_result_for_error(m.delivery_id, error, key) for m in chunk]
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as error:  # timeouts, resets
            return [
                Result(i, Outcome.RETRY, error=f"{type(error).__name__}: {error}"[:500])
                for i in ids
            ]
        return [Result(i, Outcome.SENT, provider_message_id=provider_id) for i in ids]


def _by_text_in_order(
    messages: list[OutgoingMessage],
) -> list[tuple[str, list[OutgoingMessage]]]:
    """Messages sharing a text, grouped so that each reader's messages keep their order.

    A reader with several messages in the batch (catching up after downtime) has them in
    rounds: their first message is in a group sent before the group of their second.
    """
    seen: dict[str, int] = defaultdict(int)
    groups: dict[tuple[int, str, tuple[tuple[str, str], ...]], list[OutgoingMessage]] = defaultdict(
        list
    )
    for message in messages:
        groups[(seen[message.to], message.line_text, message.line_postbacks)].append(message)
        seen[message.to] += 1
    ordered = sorted(groups.items(), key=lambda item: item[0][0])  # stable: first come first
    return [(text, same) for (_, text, _), same in ordered]


def _text_message(text: str, postbacks: tuple[tuple[str, str], ...]) -> TextMessage:
    if not postbacks:
        return TextMessage(text=text)
    items = [
        QuickReplyItem(action=PostbackAction(label=label, data=data, displayText=label))
        for label, data in postbacks
    ]
    return TextMessage(text=text, quickReply=QuickReply(items=items))


def _result_for_error(delivery_id: int, error: ApiException, key: str) -> Result:
    status = error.status or 0
    if status == 409:  # this retry key was already accepted: the message went out before
        return Result(delivery_id, Outcome.SENT, provider_message_id=key)
    body = (
        (error.body or b"").decode("utf-8", "replace")
        if isinstance(error.body, bytes)
        else str(error.body or "")
    )
    if status in CHANNEL_SETUP:
        # A bad token or plan is ours to fix, not the reader's: never stop their LINE for it.
        return Result(
            delivery_id,
            Outcome.RETRY,
            error=f"LINE {status}: チャネルの設定（アクセストークン・プラン）を確認してください {body}"[
                :500
            ],
        )
    if status in TRANSIENT or status == 0:
        return Result(
            delivery_id,
            Outcome.RETRY,
            error=f"LINE {status}: {body}"[:500],
            retry_after=retry_after_seconds(error.headers),
        )
    return Result(delivery_id, Outcome.FAILED, error=f"LINE {status}: {body}"[:500])


def reply(slug: str, reply_token: str, text: str) -> None:
    """Answer a LINE event (follow, a text command) with one text message."""
    configuration = Configuration(
        host=settings.LINE_API_BASE_URL, access_token=channel_access_token(slug)
    )
    with ApiClient(configuration) as client:
        MessagingApi(client).reply_message(
            ReplyMessageRequest(reply_token=reply_token, messages=[TextMessage(text=text)]),
            _request_timeout=settings.LINE_TIMEOUT_SECONDS,
        )
