"""LINE through line-bot-sdk: multicast for identical texts, push for personal ones.

Every request carries an ``X-Line-Retry-Key``, a random UUID stored on its deliveries before it
leaves, so a retry after a timeout (the request may have been accepted) is never a second
message: LINE answers 409 for a key it has already accepted, which counts as sent. Random, not
derived from delivery ids: a second database on the same channel (staging, a restored copy)
has the same ids, and LINE would take its requests for retries of ours and drop them.

LINE's errors are of two kinds (Messaging API reference, "Status codes" and "Error responses"):
a request refused as a whole (400 for an invalid message object such as a text over 5,000
characters, 401 for our token, 403 for our plan, 413 for the size) is our fault and stops no
reader; only what LINE says about a recipient (a push answered "Failed to send messages": the
user blocked the account or never added it; an invalid ``to``) is a per-user signal.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import urllib3
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    DatetimePickerAction,
    FlexMessage,
    MarkMessagesAsReadByTokenRequest,
    MessageAction,
    MessagingApi,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import (
    ForbiddenException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)
from linebot.v3.messaging.rest import RESTResponse

from .. import line_flex, pacing
from .base import Outcome, OutgoingMessage, Result, retry_after_seconds

logger = logging.getLogger(__name__)

Json: TypeAlias = dict[str, Any]
MULTICAST_LIMIT = 500
PUSH, MULTICAST = "/v2/bot/message/push", "/v2/bot/message/multicast"
TRANSIENT = {408, 429, 500, 502, 503, 504}
CHANNEL_SETUP = {401, 403}
# What LINE answers a push to a user it can't deliver to (blocked, unfollowed, never a friend).
UNREACHABLE_USER = "Failed to send messages"


# Where a municipality's token comes from when it is not the static one in the environment:
# an app above (line_accounts, tokens v2.1 and stateless) registers ``slug -> token``, or None
# for "this municipality uses LINE_CHANNEL_ACCESS_TOKEN_<SLUG>".
TokenSource = Callable[[str], str | None]
TOKEN_SOURCES: list[TokenSource] = []


def register_token_source(source: TokenSource) -> None:
    if source not in TOKEN_SOURCES:
        TOKEN_SOURCES.append(source)


def channel_access_token(slug: str) -> str:
    """The one place every LINE call gets its token: one Kizuna issued for itself (v2.1 or
    stateless) where the account is set up so, else LINE_CHANNEL_ACCESS_TOKEN_<SLUG>."""
    for source in TOKEN_SOURCES:
        token = source(slug)
        if token is not None:
            return token
    return static_channel_access_token(slug)


def static_channel_access_token(slug: str) -> str:
    return os.environ.get(f"LINE_CHANNEL_ACCESS_TOKEN_{_env_suffix(slug)}", "")


def channel_secret(slug: str) -> str:
    return os.environ.get(f"LINE_CHANNEL_SECRET_{_env_suffix(slug)}", "")


def _env_suffix(slug: str) -> str:
    return slug.upper().replace("-", "_")


# Which municipalities send stage texts as Flex Messages: an app above registers the switch
# (``ids -> the ids of those with Flex on``), read once per batch.
FlexSwitch = Callable[[list[int]], set[int]]
FLEX_SWITCHES: list[FlexSwitch] = []


def register_flex_switch(switch: FlexSwitch) -> None:
    if switch not in FLEX_SWITCHES:
        FLEX_SWITCHES.append(switch)


def _flex_on(municipality_ids: list[int]) -> set[int]:
    return set().union(*(switch(municipality_ids) for switch in FLEX_SWITCHES))


@dataclass(frozen=True)
class AccountOptions:
    """How Kizuna behaves on one municipality's LINE account (line_accounts' settings)."""

    push_only: bool = False  # the webhook belongs to another tool: no events reach Kizuna
    mark_as_read: bool = False  # mark the messages Kizuna answers as read
    loading_animation: bool = False  # show LINE's loading animation while an answer is queued
    stage_statistics: bool = False  # push stage texts with a customAggregationUnits name


OptionsSource = Callable[[list[int]], dict[int, AccountOptions]]
OPTIONS_SOURCES: list[OptionsSource] = []


def register_account_options(source: OptionsSource) -> None:
    if source not in OPTIONS_SOURCES:
        OPTIONS_SOURCES.append(source)


def account_options(municipality_id: int) -> AccountOptions:
    return _options([municipality_id]).get(municipality_id, AccountOptions())


def _options(municipality_ids: list[int]) -> dict[int, AccountOptions]:
    found: dict[int, AccountOptions] = {}
    for source in OPTIONS_SOURCES:
        found.update(source(municipality_ids))
    return found


QUICK_REPLY_LIMIT = 13  # LINE: at most 13 quick reply buttons under a message
LABEL_LIMIT = 20  # LINE: a quick reply button's label, in characters


@dataclass(frozen=True)
class QuickButton:
    """One quick-reply button under a LINE message, of the three kinds Kizuna uses: a message
    action (tapping sends ``text`` back as the user's message), a postback (sends ``data``,
    showing the label) and a date picker (sends ``data`` with the chosen date, ``mode: date``
    between ``earliest`` and ``latest``, dates as YYYY-MM-DD)."""

    label: str
    text: str = ""
    data: str = ""
    initial: str = ""
    earliest: str = ""
    latest: str = ""

    @classmethod
    def message(cls, label: str) -> QuickButton:
        return cls(label, text=label)

    @classmethod
    def postback(cls, label: str, data: str) -> QuickButton:
        return cls(label, data=data)

    @classmethod
    def from_json(cls, value: str | dict[str, str]) -> QuickButton:
        """A button as the answer task carries it (``subscribers.line_chat.Reply.buttons``): a
        text is a message action, a dict a date picker."""
        if isinstance(value, str):
            return cls.message(value)
        return cls(
            value["label"],
            data=value["data"],
            initial=value["initial"],
            earliest=value["min"],
            latest=value["max"],
        )

    def action(self) -> MessageAction | PostbackAction | DatetimePickerAction:
        label = self.label[:LABEL_LIMIT]
        if self.initial:
            return DatetimePickerAction(
                label=label,
                data=self.data,
                mode="date",
                initial=self.initial,
                min=self.earliest,
                max=self.latest,
            )
        if self.data:
            return PostbackAction(label=label, data=self.data, displayText=self.label)
        return MessageAction(label=label, text=self.text)

    def action_json(self) -> Json:
        """:meth:`action` as the SDK serialises it, built without its models."""
        label = self.label[:LABEL_LIMIT]
        if self.initial:
            return {
                "type": "datetimepicker",
                "label": label,
                "data": self.data,
                "mode": "date",
                "initial": self.initial,
                "max": self.latest,
                "min": self.earliest,
            }
        if self.data:
            return {
                "type": "postback",
                "label": label,
                "data": self.data,
                "displayText": self.label,
            }
        return {"type": "message", "label": label, "text": self.text}


def _within_limit(
    buttons: tuple[QuickButton, ...] | list[QuickButton],
) -> tuple[QuickButton, ...] | list[QuickButton]:
    if len(buttons) > QUICK_REPLY_LIMIT:
        logger.warning("%d quick reply buttons: LINE shows %d", len(buttons), QUICK_REPLY_LIMIT)
    return buttons[:QUICK_REPLY_LIMIT]


def quick_reply(buttons: tuple[QuickButton, ...] | list[QuickButton]) -> QuickReply | None:
    """The buttons under a message, within LINE's limits (13 buttons, labels of 20 characters):
    the one place they are checked, for stage texts and chat answers alike."""
    if not buttons:
        return None
    return QuickReply(items=[QuickReplyItem(action=b.action()) for b in _within_limit(buttons)])


def line_message(
    text: str, header: str, flex: bool, buttons: tuple[QuickButton, ...] = ()
) -> TextMessage | FlexMessage:
    """The message object for a text: its Flex Message where that is on and it fits, with the
    quick-reply ``buttons`` under it."""
    quick_reply_ = quick_reply(buttons)
    built = line_flex.stage_flex(text, header) if flex else None
    if built is None:
        return TextMessage(text=text, quickReply=quick_reply_)
    flex_message = FlexMessage.from_dict(built)
    flex_message.quick_reply = quick_reply_
    return flex_message


def line_message_json(
    text: str, header: str, flex: bool, buttons: tuple[QuickButton, ...] = ()
) -> Json:
    """:func:`line_message` as the JSON the SDK sends. A text message is built as plain data:
    with a push per reader it is the hot path, where the SDK's models cost more than sending."""
    if flex:  # rarer, and a Flex Message has many more rules: the SDK's model checks it
        built: Json = line_message(text, header, flex, buttons).to_dict()
        return built
    if not buttons:
        return {"type": "text", "text": text}
    items = [{"action": b.action_json(), "type": "action"} for b in _within_limit(buttons)]
    return {"type": "text", "quickReply": {"items": items}, "text": text}


def request_json(to: list[str], message: Json, units: list[str] | None) -> Json:
    """A push's (one recipient) or a multicast's body, as the SDK's request models give it."""
    body: Json = (
        {"to": to[0], "messages": [message], "notificationDisabled": False}
        if len(to) == 1
        else {"messages": [message], "to": to, "notificationDisabled": False}
    )
    if units:
        body["customAggregationUnits"] = units
    return body


# One ApiClient (its connection pool) per channel token, kept for the process: a new one per
# batch cost a TCP connection (a TLS handshake with LINE) per municipality and batch.
CLIENTS_KEPT = 512
_clients: OrderedDict[tuple[str, str], ApiClient] = OrderedDict()
_clients_lock = threading.Lock()


def _forget_clients() -> None:
    global _clients_lock
    _clients.clear()  # a forked child must not share its parent's sockets
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_clients)


def api_client(token: str) -> ApiClient:
    """The process's client for this token, at LINE_API_BASE_URL."""
    key = (settings.LINE_API_BASE_URL, token)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = _clients[key] = ApiClient(
            Configuration(host=settings.LINE_API_BASE_URL, access_token=token)
        )
        if len(_clients) > CLIENTS_KEPT:
            _, oldest = _clients.popitem(last=False)
            oldest.rest_client.pool_manager.clear()
    return client


# The SDK's own error classes, as its REST client picks them by status.
_ERRORS_BY_STATUS: dict[int, type[ApiException]] = {
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
}


def _post(client: ApiClient, path: str, body: Json, key: str) -> str:
    """POST a built body on the SDK client's own connection pool, with the headers and
    authentication of its ``push_message`` and ``multicast`` and its errors
    (:class:`ApiException` and subclasses, the body decoded); returns the answer.

    The pool is asked directly: the SDK's generic layers above it (parameter sanitising, URL
    parsing, redirects, which LINE's API never answers) cost more CPU per push than the
    request itself."""
    config = client.configuration
    pool = client.rest_client.pool_manager.connection_from_url(config.host)
    response = pool.urlopen(
        "POST",
        _base_path(config.host) + path,
        body=json.dumps(body).encode(),
        headers={
            **client.default_headers,
            "X-Line-Retry-Key": key,
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
        timeout=urllib3.Timeout(total=settings.LINE_TIMEOUT_SECONDS),
        redirect=False,
        assert_same_host=False,
        preload_content=True,
    )
    if 200 <= response.status <= 299:
        return str(response.data.decode("utf-8"))
    answer = RESTResponse(response)
    error_class = _ERRORS_BY_STATUS.get(response.status) or (
        ServiceException if 500 <= response.status <= 599 else ApiException
    )
    error = error_class(http_resp=answer)
    if error.body:
        error.body = error.body.decode("utf-8")
    raise error


@functools.lru_cache(maxsize=64)
def _base_path(host: str) -> str:
    """The path of LINE_API_BASE_URL (empty for LINE's own host, a prefix behind a gateway)."""
    return (urllib3.util.parse_url(host).path or "").rstrip("/")


def _sent_message_id(answer: str) -> str:
    """The id LINE gave a push's message (``sentMessages[0].id``), or "" if there is none."""
    try:
        sent = json.loads(answer).get("sentMessages") or []
        return str(sent[0]["id"]) if sent else ""
    except (ValueError, AttributeError, LookupError, TypeError):
        return ""


def _postbacks(message: OutgoingMessage) -> tuple[QuickButton, ...]:
    return tuple(QuickButton.postback(label, data) for label, data in message.line_postbacks)


def new_retry_key() -> str:
    """A key no other request, from this database or any other on the channel, has used."""
    return str(uuid.uuid4())


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
        flex_on = _flex_on(list(by_municipality)) if FLEX_SWITCHES else set()
        options = _options(list(by_municipality))
        for municipality_id, group in by_municipality.items():
            slug = self._slugs[municipality_id]
            token = channel_access_token(slug)
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
            flex = municipality_id in flex_on
            units = options.get(municipality_id, AccountOptions()).stage_statistics
            channel = _Channel(api_client(token), slug)
            yield from self._send_group(channel, group, flex, units)

    def _send_group(
        self,
        channel: _Channel,
        messages: list[OutgoingMessage],
        flex: bool = False,
        units: bool = False,
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
        again = [
            (_message_json(same[0], flex), same, key, _unit(same[0], units))
            for key, same in unanswered.items()
        ]
        requests = [
            (_message_json(same[0], flex), same[start : start + MULTICAST_LIMIT])
            for _, same in _by_text_in_order(fresh)
            for start in range(0, len(same), MULTICAST_LIMIT)
        ]
        # The slots of all of the group's requests, reserved in one round trip per endpoint.
        chunks = [chunk for _, chunk, _, _ in again] + [chunk for _, chunk in requests]
        pushes = sum(1 for chunk in chunks if len(chunk) == 1)
        channel.pace(PUSH).reserve(pushes)
        channel.pace(MULTICAST).reserve(len(chunks) - pushes)
        for body, chunk, key, unit in again:
            yield self._send_chunk(channel, body, chunk, key, unit)
        # Every request's key is stored before the first leaves, in one statement: a worker
        # killed after LINE took a request resends it under the same key.
        keys = [new_retry_key() for _ in requests]
        if keys:
            self._remember_keys(
                {
                    key: [m.delivery_id for m in chunk]
                    for key, (_, chunk) in zip(keys, requests, strict=True)
                }
            )
        for key, (body, chunk) in zip(keys, requests, strict=True):
            yield self._send_chunk(channel, body, chunk, key, _unit(chunk[0], units))

    def _send_fresh(
        self, channel: _Channel, message: Json, chunk: list[OutgoingMessage], unit: str = ""
    ) -> list[Result]:
        key = new_retry_key()
        self._remember_keys({key: [m.delivery_id for m in chunk]})
        return self._send_chunk(channel, message, chunk, key, unit)

    def _send_chunk(
        self,
        channel: _Channel,
        message: Json,
        chunk: list[OutgoingMessage],
        key: str,
        unit: str = "",
    ) -> list[Result]:
        ids = [m.delivery_id for m in chunk]
        # LINE takes one aggregation unit per request; messages sharing a request share a text,
        # so they share a stage and its unit.
        body = request_json([m.to for m in chunk], message, [unit] if unit else None)
        path = PUSH if len(chunk) == 1 else MULTICAST
        pace = channel.pace(path)
        pace.wait()
        try:
            answer = _post(channel.client, path, body, key)
        except ApiException as error:
            if len(chunk) > 1 and error.status == 400 and _about_recipients(error):
                # One bad user id fails a whole multicast (nothing was sent): find it by
                # sending one by one. Any other 400 is the request's own fault, and would fail
                # each push the same way.
                return [r for m in chunk for r in self._send_fresh(channel, message, [m], unit)]
            if error.status == 429:  # someone else shares the channel: everyone waits
                pace.hold_back(retry_after_seconds(error.headers) or 1.0)
            return [_result_for_error(m.delivery_id, error, key) for m in chunk]
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as error:  # timeouts, resets
            return [
                Result(i, Outcome.RETRY, error=f"{type(error).__name__}: {error}"[:500])
                for i in ids
            ]
        provider_id = (_sent_message_id(answer) if path == PUSH else "") or key
        return [Result(i, Outcome.SENT, provider_message_id=provider_id) for i in ids]


class _Channel:
    """One LINE channel while a batch is sent to it: its client and its paces per endpoint."""

    def __init__(self, client: ApiClient, slug: str) -> None:
        self.client = client
        self.slug = slug
        self._paces: dict[str, pacing.Pace] = {}

    def pace(self, path: str) -> pacing.Pace:
        endpoint = "push" if path == PUSH else "multicast"
        if endpoint not in self._paces:
            self._paces[endpoint] = pacing.Pace(
                pacing.line_account(self.slug, endpoint), pacing.line_rate(endpoint)
            )
        return self._paces[endpoint]


def _message_json(message: OutgoingMessage, flex: bool) -> Json:
    return line_message_json(message.line_text, message.line_header, flex, _postbacks(message))


def _unit(message: OutgoingMessage, on: bool) -> str:
    return message.line_unit if on else ""


def _by_text_in_order(
    messages: list[OutgoingMessage],
) -> list[tuple[str, list[OutgoingMessage]]]:
    """Messages sharing a text, grouped so that each reader's messages keep their order.

    A reader with several messages in the batch (catching up after downtime) has them in
    rounds: their first message is in a group sent before the group of their second.
    """
    seen: dict[str, int] = defaultdict(int)
    groups: dict[tuple[int, str, str, tuple[tuple[str, str], ...], str], list[OutgoingMessage]] = (
        defaultdict(list)
    )
    for message in messages:
        key = (
            seen[message.to],
            message.line_text,
            message.line_header,
            message.line_postbacks,
            message.line_unit,
        )
        groups[key].append(message)
        seen[message.to] += 1
    ordered = sorted(groups.items(), key=lambda item: item[0][0])  # stable: first come first
    return [(text, same) for (_, text, _, _, _), same in ordered]


def _body(error: ApiException) -> str:
    return (
        (error.body or b"").decode("utf-8", "replace")
        if isinstance(error.body, bytes)
        else str(error.body or "")
    )


def _problems(error: ApiException) -> tuple[str, list[str]]:
    """LINE's error message and the properties its details name (``to``, ``messages[0].text``)."""
    try:
        answer = json.loads(_body(error))
    except ValueError:
        return "", []
    if not isinstance(answer, dict):
        return "", []
    raw = answer.get("details")
    details: list[object] = raw if isinstance(raw, list) else []
    properties = [str(d.get("property", "")) for d in details if isinstance(d, dict)]
    return str(answer.get("message", "")), properties


def _about_recipients(error: ApiException) -> bool:
    """True when LINE's 400 is about who the message is for, not about the message itself."""
    message, properties = _problems(error)
    if properties:
        return all(p == "to" or p.startswith("to[") for p in properties)
    return message == UNREACHABLE_USER or "'to'" in message


def _result_for_error(delivery_id: int, error: ApiException, key: str) -> Result:
    status = error.status or 0
    if status == 409:  # this retry key was already accepted: the message went out before
        return Result(delivery_id, Outcome.SENT, provider_message_id=key)
    body = _body(error)
    if status in TRANSIENT or status == 0:
        return Result(
            delivery_id,
            Outcome.RETRY,
            error=f"LINE {status}: {body}"[:500],
            retry_after=retry_after_seconds(error.headers),
        )
    if status in CHANNEL_SETUP:
        # A bad token or plan is ours to fix, not the reader's: never stop their LINE for it.
        return Result(
            delivery_id,
            Outcome.REFUSED,
            error=f"LINE {status}: チャネルの設定（アクセストークン・プラン）を確認してください {body}"[
                :500
            ],
        )
    if status == 400 and _about_recipients(error):
        return Result(delivery_id, Outcome.FAILED, error=f"LINE {status}: {body}"[:500])
    # The request itself was refused (an invalid message object, its size): nothing about the
    # reader, so nobody is stopped; operators see the reason and retry once it is fixed.
    return Result(
        delivery_id,
        Outcome.REFUSED,
        error=f"LINE {status}: リクエストが拒否されました（メッセージの内容・サイズ） {body}"[:500],
    )


def answer(
    slug: str,
    reply_token: str,
    user_id: str,
    text: str,
    quick_replies: tuple[str | dict[str, str], ...] = (),
    mark_as_read_token: str = "",
) -> str:
    """Answer a LINE event (a follow, a chat command) with one text; returns how it went.

    A reply token is good for one reply, soon after the event: one already spent or expired
    (LINE answers 400) falls back to a push to the user in a one-to-one chat (``user_id``),
    under a retry key of its own; in a group (no ``user_id``) the answer is dropped. Either
    way one log line, never a traceback: it is LINE's rule, not an error of ours.

    With ``mark_as_read_token`` (the answered message's, where the account marks messages as
    read) the user's messages up to that one are marked read first; that failing never stops
    the answer.
    """
    message = TextMessage(
        text=text, quick_reply=quick_reply([QuickButton.from_json(b) for b in quick_replies])
    )
    configuration = Configuration(
        host=settings.LINE_API_BASE_URL, access_token=channel_access_token(slug)
    )
    with ApiClient(configuration) as client:
        api = MessagingApi(client)
        if mark_as_read_token:
            _mark_as_read(api, slug, mark_as_read_token)
        try:
            api.reply_message(
                ReplyMessageRequest(reply_token=reply_token, messages=[message]),
                _request_timeout=settings.LINE_TIMEOUT_SECONDS,
            )
            return "replied"
        except ApiException as error:
            if error.status != 400 or not user_id:
                logger.warning("LINE reply for %s refused: %s %s", slug, error.status, _body(error))
                return "refused"
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as error:
            # The reply may have arrived: a push now could be a second copy.
            logger.warning("LINE reply for %s unanswered: %s", slug, type(error).__name__)
            return "unanswered"
        logger.info("LINE reply token for %s spent or expired: answered by push", slug)
        try:
            api.push_message(
                PushMessageRequest(to=user_id, messages=[message]),
                x_line_retry_key=new_retry_key(),
                _request_timeout=settings.LINE_TIMEOUT_SECONDS,
            )
            return "pushed"
        except (ApiException, OSError, ValueError, urllib3.exceptions.HTTPError) as error:
            logger.warning("LINE push answer for %s failed: %s", slug, type(error).__name__)
            return "refused"


def _mark_as_read(api: MessagingApi, slug: str, token: str) -> None:
    """``POST /v2/bot/chat/markAsRead``: the user's messages up to the token's are read."""
    try:
        api.mark_messages_as_read_by_token(
            MarkMessagesAsReadByTokenRequest(mark_as_read_token=token),
            _request_timeout=settings.LINE_TIMEOUT_SECONDS,
        )
    except (ApiException, OSError, ValueError, urllib3.exceptions.HTTPError) as error:
        logger.warning(
            "LINE mark-as-read for %s failed: %s", slug, getattr(error, "status", type(error))
        )


LOADING_SECONDS_RANGE = (5, 60)  # LINE: 5 to 60 seconds, in steps of 5


def loading_seconds(seconds: float) -> int:
    """``seconds`` as LINE accepts it: rounded up to a multiple of 5, between 5 and 60."""
    low, high = LOADING_SECONDS_RANGE
    steps = -(-int(seconds) // 5)
    return max(low, min(high, steps * 5))


def show_loading(slug: str, user_id: str, seconds: float, timeout: float) -> bool:
    """``POST /v2/bot/chat/loading/start``: LINE's loading animation in the user's one-to-one
    chat, until the answer arrives or ``seconds`` pass. Only ever for a user id (LINE refuses
    groups and rooms); a failure is logged and changes nothing else."""
    if not LINE_USER_ID.fullmatch(user_id):
        return False
    configuration = Configuration(
        host=settings.LINE_API_BASE_URL, access_token=channel_access_token(slug)
    )
    try:
        with ApiClient(configuration) as client:
            MessagingApi(client).show_loading_animation(
                ShowLoadingAnimationRequest(
                    chat_id=user_id, loading_seconds=loading_seconds(seconds)
                ),
                _request_timeout=timeout,
            )
    except (ApiException, OSError, ValueError, urllib3.exceptions.HTTPError) as error:
        logger.warning(
            "LINE loading animation for %s failed: %s", slug, getattr(error, "status", type(error))
        )
        return False
    return True


LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")
