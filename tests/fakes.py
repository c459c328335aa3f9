"""Loopback fakes of the outside world, checking what the real services check.

- :class:`FakeLine`: LINE Messaging API (push, multicast, reply): bearer token, user id format,
  reply tokens good for one reply, quick replies (13 buttons, labels of 20, message, postback
  and date picker actions with their fields and formats, as the API reference defines them),
  message count and the 5,000-character text limit, multicast's 500 recipients, and
  ``X-Line-Retry-Key`` (a UUID; a key already accepted gets 409, as LINE answers);
  ``customAggregationUnits`` (one name, 1–30 of [A-Za-z0-9_]); ``markAsRead`` and
  ``loading/start`` (a user id, 5–60 seconds in steps of 5); Insight's per-unit statistics; and
  the channel access token endpoints (v2.1 by a verified RS256 JWT assertion, stateless, revoke),
  an issued token answering 401 once it has expired.
- :class:`FakePostmark`: Postmark's ``/email`` (as django-anymail calls it) and ``/email/batch``.
- :class:`SmtpMailbox`: a real SMTP server (aiosmtpd) that stores what it accepts.

Each records receipts and can be told to answer 429, 500, to hang, or to accept a request and
then fail or hang (the message did arrive): the cases retries must survive without duplicates.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import json
import re
import socket
import threading
import time
import urllib.parse
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from aiosmtpd.controller import Controller

LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
UNIT_NAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Faults:
    """What the next requests should suffer. ``plan`` is consumed one entry per request."""

    plan: list[str] = field(
        default_factory=list
    )  # "429", "500", "hang", "accept-500", "accept-hang"
    hang_seconds: float = 3.0
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> str:
        with self.lock:
            return self.plan.pop(0) if self.plan else "ok"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _JsonHandler(BaseHTTPRequestHandler):
    fake: FakeHttpService
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs offer
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.fake.lock:
            self.fake.connections += 1

    def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._by_method("GET")

    def do_DELETE(self) -> None:
        self._by_method("DELETE")

    def _by_method(self, method: str) -> None:
        """Calls that are not a JSON POST (reads, deletes, uploads): ``fake.handle_raw``."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, answer, headers = self.fake.handle_raw(method, self.path, dict(self.headers), raw)
        self._reply(status, answer, headers)

    def do_POST(self) -> None:
        if self.fake.takes_raw(self.path):
            self._by_method("POST")
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._reply(400, {"message": "The request body has 1 error(s)"})
            return
        if self.fake.over_limit(self.path, dict(self.headers)):
            self._reply(
                429, {"message": "The API rate limit has been exceeded."}, {"Retry-After": "1"}
            )
            return
        fault = self.fake.faults.next()
        if self.fake.faults.delay_seconds:
            time.sleep(self.fake.faults.delay_seconds)
        if fault == "429":
            self._reply(
                429, {"message": "The API rate limit has been exceeded."}, {"Retry-After": "1"}
            )
            return
        if fault == "500":
            self._reply(500, {"message": "Internal server error"})
            return
        if fault == "hang":
            time.sleep(self.fake.faults.hang_seconds)
            self.close_connection = True
            return
        status, answer, headers = self.fake.handle(self.path, dict(self.headers), body)
        if self.fake.keep_requests and status < 300:
            with self.fake.lock:
                self.fake.kept_requests.append((self.path, raw))
        if fault == "accept-500" and status < 300:
            self._reply(500, {"message": "Internal server error"})
            return
        if fault == "accept-hang" and status < 300:
            time.sleep(self.fake.faults.hang_seconds)
            self.close_connection = True
            return
        self._reply(status, answer, headers)


class FakeHttpService:
    """``rate_limits`` maps a path to the requests per second one account may make (a sliding
    one-second window, as providers count); more get 429 with ``Retry-After: 1``."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.lock = threading.Lock()
        self.rate_limits: dict[str, float] = {}
        self.rate_limited = 0  # requests answered 429 for going over a limit
        self.connections = 0  # TCP connections clients opened (each may carry many requests)
        self.keep_requests = False  # benchmarks re-post what was taken with a bare client
        self.kept_requests: list[tuple[str, bytes]] = []  # (path, body) of accepted requests
        self._recent: dict[tuple[str, str], deque] = {}
        handler = type("Handler", (_JsonHandler,), {"fake": self})
        self.server = _Server(("127.0.0.1", free_port()), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: dict, body: dict) -> tuple[int, dict, dict]:
        raise NotImplementedError

    def takes_raw(self, path: str) -> bool:
        return False

    def handle_raw(self, method: str, path: str, headers: dict, raw: bytes):
        return 404, {"message": "Not found"}, {}

    def account(self, headers: dict) -> str:
        """Whose limit a request counts against (a LINE channel's token, an ESP's key)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        return lowered.get("authorization") or lowered.get("x-postmark-server-token") or ""

    def over_limit(self, path: str, headers: dict) -> bool:
        limit = self.rate_limits.get(path)
        if not limit:
            return False
        now = time.monotonic()
        with self.lock:
            recent = self._recent.setdefault((path, self.account(headers)), deque())
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= limit:
                self.rate_limited += 1
                return True
            recent.append(now)
            return False


class FakeLine(FakeHttpService):
    TEXT_LIMIT = 5000

    def __init__(self, tokens: set[str], blocked: set[str] = frozenset()) -> None:
        super().__init__()
        self.tokens = set(tokens)
        self.blocked = set(blocked)
        self.accepted_keys: dict[str, str] = {}
        self.received: list[tuple[str, str]] = []  # (user id, text): what users see
        self.replies: list[tuple[str, str]] = []  # (reply token, text)
        self.sent_messages: list[tuple[str, dict]] = []  # (user id, message object) pushed
        self.reply_messages: list[dict] = []  # the whole message object (quick replies…)
        self.used_reply_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.buttons: list[tuple[str, list[tuple[str, str]]]] = []  # (user id, [(label, data)])
        self.requests = Counter()
        self.refuse_plan = False  # answer sends 403, as for a plan without this API
        self.rich_menus: dict[str, dict] = {}  # id -> the rich menu object
        self.rich_menu_images: dict[str, bytes] = {}
        self.aliases: dict[str, str] = {}  # alias id -> rich menu id
        self.user_menus: dict[str, str] = {}  # user id -> rich menu id (per-user link)
        self.rich_menu_writes = 0  # requests that changed rich menus, aliases or links
        self.read_tokens: list[str] = []  # markAsReadToken of each markAsRead call
        self.loading: list[tuple[str, int | None]] = []  # (chatId, loadingSeconds) shown
        self.units_sent: Counter = Counter()  # aggregation unit -> messages sent with it
        # Insight's answer per (unit, yyyyMMdd): (uniqueImpression, uniqueClick), None = null.
        self.insight: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        self.insight_requests: list[tuple[str, str, str]] = []  # (unit, from, to)
        # Channel access tokens: when each issued one expires (time.time()), per channel.
        self.token_expiry: dict[str, float] = {}
        self.channels: dict[str, str] = {}  # channel id -> channel secret
        self.assertion_keys: dict[str, tuple[str, object]] = {}  # kid -> (channel id, public key)
        self.v21_keys: dict[str, str] = {}  # key id -> the v2.1 token it names
        self.issued: Counter = Counter()  # "v2.1" / "stateless" -> tokens issued
        self.revoked_keys: list[str] = []

    def _bearer(self, headers: dict) -> str:
        lowered = {k.lower(): v for k, v in headers.items()}
        return lowered.get("authorization", "").removeprefix("Bearer ")

    def _authorised(self, headers: dict) -> bool:
        """A token LINE knows and that has not expired (an issued one lives its lifetime)."""
        token = self._bearer(headers)
        if token not in self.tokens:
            return False
        expiry = self.token_expiry.get(token)
        return expiry is None or time.time() < expiry

    UNAUTHORISED = (
        401,
        {"message": "Authentication failed due to the following reason: invalid token."},
        {},
    )

    def takes_raw(self, path: str) -> bool:
        return path.startswith("/oauth2/") or (
            path.startswith("/v2/bot/richmenu/") and path.endswith("/content")
        )

    def handle_raw(self, method: str, path: str, headers: dict, raw: bytes):
        self.requests[f"{method} {path}"] += 1
        if path.startswith("/oauth2/"):  # authenticated by the form's own fields
            return self._oauth(method, path, raw)
        if not self._authorised(headers):
            return self.UNAUTHORISED
        route, _, query = path.partition("?")
        if method == "GET" and route == "/v2/bot/insight/message/event/aggregation":
            return self._insight(query)
        with self.lock:
            if method == "GET" and path == "/v2/bot/richmenu/list":
                return 200, {"richmenus": list(self.rich_menus.values())}, {}
            if method == "GET" and path == "/v2/bot/richmenu/alias/list":
                aliases = [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.aliases.items()]
                return 200, {"aliases": aliases}, {}
            if method == "DELETE" and path.startswith("/v2/bot/richmenu/"):
                menu_id = path.rsplit("/", 1)[1]
                if menu_id not in self.rich_menus:
                    return 404, {"message": "Not found"}, {}
                del self.rich_menus[menu_id]
                self.rich_menu_images.pop(menu_id, None)
                self.rich_menu_writes += 1
                return 200, {}, {}
            if method == "POST" and self.takes_raw(path):
                return self._upload(path.split("/")[4], headers, raw)
        return 404, {"message": "Not found"}, {}

    def _insight(self, query: str):
        """``GET /v2/bot/insight/message/event/aggregation``: a unit of 1 to 30 characters;
        from and to as yyyyMMdd, to not before from nor more than 30 days after it."""
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        unit = params.get("customAggregationUnit", "")
        start, end = params.get("from", ""), params.get("to", "")
        if not 1 <= len(unit) <= 30:
            return 400, {"message": "customAggregationUnit: size must be between 1 and 30"}, {}
        try:
            first, last = (
                datetime.date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}") if len(d) == 8 else None
                for d in (start, end)
            )
            if first is None or last is None:
                raise ValueError(start)
        except ValueError:
            return 400, {"message": "from and to must be yyyyMMdd"}, {}
        if not first <= last <= first + datetime.timedelta(days=30):
            return 400, {"message": "to must be from to 30 days after from"}, {}
        with self.lock:
            self.insight_requests.append((unit, start, end))
            opened, clicked = self.insight.get((unit, start), (None, None))
        overview = {
            "uniqueImpression": opened,
            "uniqueClick": clicked,
            "uniqueMediaPlayed": None,
            "uniqueMediaPlayed100Percent": None,
        }
        return 200, {"overview": overview, "messages": [], "clicks": []}, {}

    def _oauth(self, method: str, path: str, raw: bytes):
        """The channel access token endpoints, as form posts (``application/x-www-form-
        urlencoded``): v2.1 by JWT assertion, stateless by channel id and secret, revoke."""
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        bad = 400, {"error": "invalid_request"}, {}
        if method != "POST":
            return 405, {"error": "method not allowed"}, {}
        if path == "/oauth2/v2.1/token":
            if form.get("grant_type") != "client_credentials" or form.get(
                "client_assertion_type"
            ) != ("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
                return bad
            problem = self._check_assertion(form.get("client_assertion", ""), token=True)
            if problem:
                return 400, {"error": "invalid_client", "error_description": problem}, {}
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            return 200, self._issue("v2.1", int(claims["token_exp"])), {}
        if path == "/oauth2/v3/token":
            if form.get("grant_type") != "client_credentials":
                return bad
            if "client_assertion" in form:
                problem = self._check_assertion(form["client_assertion"], token=False)
            elif self.channels.get(form.get("client_id", "")) != form.get("client_secret"):
                problem = "invalid client_id or client_secret"
            else:
                problem = ""
            if problem:
                return 400, {"error": "invalid_client", "error_description": problem}, {}
            return 200, self._issue("stateless", 900), {}
        if path == "/oauth2/v2.1/revoke":
            if self.channels.get(form.get("client_id", "")) != form.get("client_secret"):
                return 400, {"error": "invalid_client"}, {}
            token = form.get("access_token", "")
            with self.lock:
                key_id = next((k for k, t in self.v21_keys.items() if t == token), None)
                if key_id is None:
                    return 400, {"error": "invalid_request"}, {}
                self.tokens.discard(token)
                self.revoked_keys.append(key_id)
            return 200, {}, {}
        return 404, {"error": "not found"}, {}

    def _check_assertion(self, assertion: str, *, token: bool) -> str:
        """What LINE checks of the JWT: RS256, a registered kid, iss = sub = its channel, aud,
        exp in the future and at most 30 minutes away; token_exp 1 s to 30 days (v2.1)."""
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "not a JWT"
        if header.get("alg") != "RS256" or header.get("kid") not in self.assertion_keys:
            return "invalid kid or alg"
        channel_id, public_key = self.assertion_keys[header["kid"]]
        try:
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                audience="https://api.line.me/",
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError as error:
            return f"invalid assertion: {type(error).__name__}"
        if not claims["iss"] == claims["sub"] == channel_id:
            return "iss and sub must be the channel id"
        if claims["exp"] > time.time() + 30 * 60:
            return "exp more than 30 minutes ahead"
        if token:
            token_exp = claims.get("token_exp")
            if not isinstance(token_exp, int) or not 1 <= token_exp <= 30 * 24 * 3600:
                return "token_exp must be 1 second to 30 days"
        return ""

    def _issue(self, kind: str, lifetime: int) -> dict:
        token = f"{kind}-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens.add(token)
            self.token_expiry[token] = time.time() + lifetime
            self.issued[kind] += 1
            answer = {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}
            if kind == "v2.1":
                answer["key_id"] = uuid.uuid4().hex
                self.v21_keys[answer["key_id"]] = token
        return answer

    def _chat(self, path: str, body: dict):
        """``markAsRead`` (a markAsReadToken) and ``loading/start`` (a user id as chatId, never
        a group or room; loadingSeconds, if given, 5 to 60 in steps of 5), as LINE checks them."""
        if path == "/v2/bot/chat/markAsRead":
            token = body.get("markAsReadToken")
            if not isinstance(token, str) or not token:
                return 400, {"message": "The request body has 1 error(s)",
                             "details": [{"message": "must be specified", "property": "markAsReadToken"}]}, {}  # fmt: skip
            with self.lock:
                self.read_tokens.append(token)
            return 200, {}, {}
        chat_id, seconds = body.get("chatId"), body.get("loadingSeconds")
        if not isinstance(chat_id, str) or not LINE_USER_ID.match(chat_id):
            return 400, {"message": "The request body has 1 error(s)",
                         "details": [{"message": "invalid chatId", "property": "chatId"}]}, {}  # fmt: skip
        if seconds is not None and (
            not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5
        ):
            return 400, {"message": "The request body has 1 error(s)",
                         "details": [{"message": "must be a multiple of 5 from 5 to 60", "property": "loadingSeconds"}]}, {}  # fmt: skip
        with self.lock:
            self.loading.append((chat_id, seconds))
        return 202, {}, {}

    def _upload(self, menu_id: str, headers: dict, raw: bytes):
        """LINE's rules for a rich menu image: JPEG or PNG, at most 1 MB, the menu's size, once."""
        lowered = {k.lower(): v for k, v in headers.items()}
        menu = self.rich_menus.get(menu_id)
        if menu is None:
            return 404, {"message": "Not found"}, {}
        if menu_id in self.rich_menu_images:
            return 400, {"message": "An image has already been uploaded to the richmenu"}, {}
        if lowered.get("content-type") not in ("image/png", "image/jpeg") or len(raw) > 1 << 20:
            return 400, {"message": "Invalid image: JPEG or PNG, 1 MB or less"}, {}
        size = _image_size(raw)
        if size != (menu["size"]["width"], menu["size"]["height"]):
            return 400, {"message": "Image size doesn't match the rich menu size"}, {}
        self.rich_menu_images[menu_id] = raw
        self.rich_menu_writes += 1
        return 200, {}, {}

    def _rich_menu_post(self, path: str, body: dict):
        with self.lock:
            if path == "/v2/bot/richmenu":
                problem = _check_rich_menu(body)
                if problem:
                    return 400, {"message": "The request body has 1 error(s)",
                                 "details": [{"message": problem[0], "property": problem[1]}]}, {}  # fmt: skip
                menu_id = "richmenu-" + uuid.uuid4().hex
                self.rich_menus[menu_id] = {**body, "richMenuId": menu_id}
                self.rich_menu_writes += 1
                return 200, {"richMenuId": menu_id}, {}
            if path == "/v2/bot/richmenu/alias":
                alias, menu_id = body.get("richMenuAliasId", ""), body.get("richMenuId")
                if not re.fullmatch(r"[a-z0-9_-]{1,32}", alias or ""):
                    return 400, {"message": "richMenuAliasId is invalid"}, {}
                if menu_id not in self.rich_menus or menu_id not in self.rich_menu_images:
                    return 400, {"message": "richmenu not found or its image not uploaded"}, {}
                if alias in self.aliases:
                    return 400, {"message": "conflict richmenu alias id"}, {}
                self.aliases[alias] = menu_id
                self.rich_menu_writes += 1
                return 200, {}, {}
            if path.startswith("/v2/bot/richmenu/alias/"):
                alias = path.rsplit("/", 1)[1]
                if alias not in self.aliases:
                    return 404, {"message": "richmenu alias not found"}, {}
                if body.get("richMenuId") not in self.rich_menu_images:
                    return 400, {"message": "richmenu not found or its image not uploaded"}, {}
                self.aliases[alias] = body["richMenuId"]
                self.rich_menu_writes += 1
                return 200, {}, {}
            if path == "/v2/bot/richmenu/bulk/link":
                users, menu_id = body.get("userIds") or [], body.get("richMenuId")
                if not 1 <= len(users) <= 500:
                    return 400, {"message": "Size must be between 1 and 500"}, {}
                if menu_id not in self.rich_menu_images:
                    return 400, {"message": "richmenu not found or its image not uploaded"}, {}
                for user in users:
                    self.user_menus[user] = menu_id
                self.rich_menu_writes += 1
                return 202, {}, {}
        return 404, {"message": "Not found"}, {}

    def handle(self, path: str, headers: dict, body: dict) -> tuple[int, dict, dict]:
        lowered = {k.lower(): v for k, v in headers.items()}
        self.requests[path] += 1
        if not self._authorised(headers):
            return self.UNAUTHORISED
        if path.startswith("/v2/bot/richmenu"):
            return self._rich_menu_post(path, body)
        if path in ("/v2/bot/chat/markAsRead", "/v2/bot/chat/loading/start"):
            return self._chat(path, body)
        messages = body.get("messages")
        problem, at = self._check_messages(messages)
        if problem:
            # As LINE answers an invalid message object: the whole request is refused, its
            # details name the property at fault.
            return (
                400,
                {
                    "message": "The request body has 1 error(s)",
                    "details": [{"message": problem, "property": at}],
                },
                {},
            )
        if path == "/v2/bot/message/reply":
            token = body.get("replyToken")
            with self.lock:
                # A reply token answers one reply, soon after its event: a second use (a
                # redelivered event's token) or a late one is refused, as LINE does.
                if not token or token in self.used_reply_tokens or token in self.expired_tokens:
                    return 400, {"message": "Invalid reply token"}, {}
                self.used_reply_tokens.add(token)
                self.replies.append((token, _shown(messages[0])))
                self.reply_messages.append(messages[0])
            return 200, {"sentMessages": [{"id": uuid.uuid4().hex, "quoteToken": "q"}]}, {}
        key = lowered.get("x-line-retry-key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return (
                    400,
                    {"message": "The value for the 'X-Line-Retry-Key' header is invalid"},
                    {},
                )
        if path == "/v2/bot/message/push":
            recipients = [body.get("to", "")]
        elif path == "/v2/bot/message/multicast":
            recipients = body.get("to") or []
            if not 1 <= len(recipients) <= 500:
                return 400, {"message": "Size must be between 1 and 500"}, {}
        else:
            return 404, {"message": "Not found"}, {}
        if not all(isinstance(r, str) and LINE_USER_ID.match(r) for r in recipients):
            return 400, {"message": "The property, 'to', in the request body is invalid"}, {}
        units = body.get("customAggregationUnits")
        if units is not None and (
            not isinstance(units, list)
            or len(units) > 1
            or not all(isinstance(u, str) and UNIT_NAME.match(u) for u in units)
        ):
            # LINE: one unit name a request, 1 to 30 characters of [A-Za-z0-9_].
            return 400, {"message": "The request body has 1 error(s)",
                         "details": [{"message": "invalid unit name", "property": "customAggregationUnits"}]}, {}  # fmt: skip
        if path.endswith("/push") and recipients[0] in self.blocked:
            # A push to a user who blocked the account; a multicast skips them silently.
            return 400, {"message": "Failed to send messages"}, {}
        if self.refuse_plan:
            return 403, {"message": "Access to this API is not available for your account"}, {}
        with self.lock:
            if key is not None and key in self.accepted_keys:
                return (
                    409,
                    {"message": "The retry key is already accepted"},
                    {"x-line-accepted-request-id": self.accepted_keys[key]},
                )
            request_id = uuid.uuid4().hex
            if key is not None:
                self.accepted_keys[key] = request_id
            for recipient in recipients:
                if recipient not in self.blocked:
                    for unit in units or ():
                        self.units_sent[unit] += 1
                    self.received.append((recipient, _shown(messages[0])))
                    self.sent_messages.append((recipient, messages[0]))
                    items = (messages[0].get("quickReply") or {}).get("items", [])
                    if items:
                        pressed = [
                            (i["action"]["label"], i["action"].get("data", "")) for i in items
                        ]
                        self.buttons.append((recipient, pressed))
        return (
            200,
            {"sentMessages": [{"id": request_id, "quoteToken": "q"}]},
            {"x-line-request-id": request_id},
        )

    def _check_messages(self, messages) -> tuple[str, str]:
        """LINE's complaint about the messages and the property it names, or ("", "")."""
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return "Size must be between 1 and 5", "messages"
        for index, message in enumerate(messages):
            at = f"messages[{index}]"
            if message.get("type") == "flex":
                problem, where = _check_flex(message)
                if problem:
                    return problem, f"{at}{where}"
                continue
            if message.get("type") != "text":
                return "Only text and flex messages are expected here", f"{at}.type"
            text = message.get("text") or ""
            if not text or _length(text) > self.TEXT_LIMIT:
                return f"Length must be between 1 and {self.TEXT_LIMIT}", f"{at}.text"
            if "quickReply" in message:
                problem, where = _check_quick_reply(message["quickReply"])
                if problem:
                    return problem, f"{at}.quickReply{where}"
        return "", ""


def _image_size(raw: bytes) -> tuple[int, int] | None:
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    return None


def _check_rich_menu(menu: dict) -> tuple[str, str] | None:
    """A rich menu object as the reference defines it: size 800–2500 px wide, at least 250 high,
    width / height at least 1.45; ``selected``; a name of 1–300 characters; ``chatBarText`` of
    1–14; 1–20 areas inside the image, each with an action."""
    size = menu.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if not (isinstance(width, int) and isinstance(height, int)):
        return "must be specified", "size"
    if not 800 <= width <= 2500 or height < 250 or width / height < 1.45:
        return "invalid rich menu size", "size"
    if not isinstance(menu.get("selected"), bool):
        return "must be specified", "selected"
    if not isinstance(menu.get("name"), str) or not 1 <= len(menu["name"]) <= 300:
        return "Length must be between 1 and 300", "name"
    chat_bar = menu.get("chatBarText")
    if not isinstance(chat_bar, str) or not 1 <= _length(chat_bar) <= 14:
        return "Length must be between 1 and 14", "chatBarText"
    areas = menu.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        return "Size must be between 1 and 20", "areas"
    for index, area in enumerate(areas):
        bounds = area.get("bounds") or {}
        x, y, w, h = (bounds.get(k, -1) for k in ("x", "y", "width", "height"))
        if min(x, y) < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
            return "area out of the rich menu", f"areas[{index}].bounds"
        if not isinstance(area.get("action"), dict) or "type" not in area["action"]:
            return "must be specified", f"areas[{index}].action"
    return None


def _shown(message: dict) -> str:
    """What a user reads of a message: a text's text, a Flex Message's texts in order."""
    if message.get("type") != "flex":
        return message.get("text", "")
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                texts.append(node.get("text", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("contents"))
    return "\n".join(texts)


FLEX_ALT_TEXT = 1500
FLEX_BUBBLE_BYTES = 30 * 1024
FLEX_CAROUSEL_BYTES = 50 * 1024
FLEX_COMPONENTS = {"box", "button", "image", "video", "icon", "text", "span", "separator", "filler"}


def _check_flex(message: dict) -> tuple[str, str]:
    """A Flex Message as the reference defines it: altText of 1 to 1,500 characters; a bubble
    (JSON at most 30 KB) or a carousel (at most 12 bubbles, 50 KB); boxes with a layout and
    contents; texts not empty; buttons with an action whose label is 1 to 40 characters."""
    alt = message.get("altText")
    if not isinstance(alt, str) or not 1 <= _length(alt) <= FLEX_ALT_TEXT:
        return f"Length must be between 1 and {FLEX_ALT_TEXT}", ".altText"
    contents = message.get("contents")
    if not isinstance(contents, dict) or contents.get("type") not in ("bubble", "carousel"):
        return "must be bubble or carousel", ".contents.type"
    size = len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode())
    if contents["type"] == "carousel":
        bubbles = contents.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= 12:
            return "Size must be between 1 and 12", ".contents.contents"
        if size > FLEX_CAROUSEL_BYTES:
            return "carousel JSON must be 50 KB or less", ".contents"
    elif size > FLEX_BUBBLE_BYTES:
        return "bubble JSON must be 30 KB or less", ".contents"
    for block in ("header", "hero", "body", "footer"):
        node = contents.get(block)
        if node is not None:
            problem, where = _check_component(node, f".contents.{block}")
            if problem:
                return problem, where
    return "", ""


def _check_component(node, at: str) -> tuple[str, str]:
    if not isinstance(node, dict) or node.get("type") not in FLEX_COMPONENTS:
        return "invalid component type", f"{at}.type"
    kind = node["type"]
    if kind == "box":
        if node.get("layout") not in ("horizontal", "vertical", "baseline"):
            return "must be horizontal, vertical or baseline", f"{at}.layout"
        if not isinstance(node.get("contents"), list):
            return "must be specified", f"{at}.contents"
        for index, child in enumerate(node["contents"]):
            problem, where = _check_component(child, f"{at}.contents[{index}]")
            if problem:
                return problem, where
    if kind == "text" and not (isinstance(node.get("text"), str) and node["text"]):
        return "must be specified", f"{at}.text"
    if kind == "button":
        action = node.get("action")
        label = action.get("label") if isinstance(action, dict) else None
        if not isinstance(label, str) or not 1 <= _length(label) <= 40:
            return "Length must be between 1 and 40", f"{at}.action.label"
    return "", ""


def _length(text: str) -> int:
    """Characters as LINE counts them (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


QUICK_REPLY_ITEMS = 13
QUICK_REPLY_LABEL = 20
DATE_FORMATS = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}$"),
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}$"),
}


def _check_quick_reply(quick_reply) -> tuple[str, str]:
    """A quick reply as the Messaging API reference defines it ("Quick reply", "Actions"):
    1 to 13 items of ``type: action``; message, postback and date picker actions with a label
    of 1 to 20 characters; texts and data up to 300; a picker's mode and its initial, min and
    max in that mode's format (dates 1900-01-01 to 2100-12-31), max after min."""
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= QUICK_REPLY_ITEMS:
        return f"Size must be between 1 and {QUICK_REPLY_ITEMS}", ".items"
    for index, item in enumerate(items):
        at = f".items[{index}]"
        if not isinstance(item, dict) or item.get("type") != "action":
            return "must be specified", f"{at}.type"
        action = item.get("action")
        if not isinstance(action, dict):
            return "must be specified", f"{at}.action"
        kind = action.get("type")
        if kind not in (
            "message",
            "postback",
            "datetimepicker",
            "camera",
            "cameraRoll",
            "location",
        ):
            return "invalid action type for quick reply", f"{at}.action.type"
        label = action.get("label")
        if not isinstance(label, str) or not 1 <= _length(label) <= QUICK_REPLY_LABEL:
            return f"Length must be between 1 and {QUICK_REPLY_LABEL}", f"{at}.action.label"
        if kind == "message":
            text = action.get("text")
            if not isinstance(text, str) or not 1 <= _length(text) <= 300:
                return "Length must be between 1 and 300", f"{at}.action.text"
        if kind in ("postback", "datetimepicker"):
            data = action.get("data")
            if not isinstance(data, str) or not 1 <= _length(data) <= 300:
                return "Length must be between 1 and 300", f"{at}.action.data"
        if kind == "datetimepicker":
            problem, where = _check_picker(action)
            if problem:
                return problem, f"{at}.action{where}"
    return "", ""


def _check_picker(action: dict) -> tuple[str, str]:
    mode = action.get("mode")
    if mode not in DATE_FORMATS:
        return "must be one of date, time, datetime", ".mode"
    values = {}
    for name in ("initial", "min", "max"):
        value = action.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not DATE_FORMATS[mode].match(value):
            return f"invalid {mode} format", f".{name}"
        if mode != "time":
            try:
                day = datetime.date.fromisoformat(value[:10])
            except ValueError:
                return f"invalid {mode} format", f".{name}"
            if not datetime.date(1900, 1, 1) <= day <= datetime.date(2100, 12, 31):
                return "out of range", f".{name}"
        values[name] = value.lower()
    if "min" in values and "max" in values and not values["min"] < values["max"]:
        return "max must be greater than min", ".max"
    initial = values.get("initial")
    if initial is not None and (
        ("min" in values and initial < values["min"])
        or ("max" in values and initial > values["max"])
    ):
        return "initial must be between min and max", ".initial"
    return "", ""


class FakePostmark(FakeHttpService):
    """``POST /email`` (as django-anymail calls it) and ``POST /email/batch`` as Postmark answers
    them; ``rejected`` addresses get ErrorCode 406. ``batch_limit``: messages one batch may hold
    (Postmark: 500), more get 422 and nothing is sent."""

    # The address checks Postmark publishes (support article "What does Error Code: '300'
    # mean?"): any dots in the mailbox part, no quotes.
    MAILBOX = re.compile(r"^[a-z0-9\.!#\$%&'`\*\+\-\/=\^_\{\}\|~]+$", re.IGNORECASE)
    DOMAIN = re.compile(r"^((\.)?[a-zA-Z0-9\-])+$")

    def __init__(
        self, token: str, rejected: set[str] = frozenset(), batch_limit: int = 500
    ) -> None:
        super().__init__()
        self.token = token
        self.rejected = set(rejected)
        self.batch_limit = batch_limit
        self.received: list[dict] = []
        self.requests = Counter()

    def handle(self, path: str, headers: dict, body) -> tuple[int, dict, dict]:
        lowered = {k.lower(): v for k, v in headers.items()}
        self.requests[path] += 1
        if lowered.get("x-postmark-server-token") != self.token:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}, {}
        if path == "/email":
            if not isinstance(body, dict):
                return 422, {"ErrorCode": 402, "Message": "Received invalid JSON input."}, {}
            problem = self._problem(body)
            if problem:
                return 422, problem, {}
            return 200, self._accept([body])[0], {}
        if path == "/email/batch":
            if not isinstance(body, list) or not all(isinstance(m, dict) for m in body):
                return 422, {"ErrorCode": 402, "Message": "Received invalid JSON input."}, {}
            if not 1 <= len(body) <= self.batch_limit:
                return (
                    422,
                    {
                        "ErrorCode": 300,
                        "Message": f"Batch size must be between 1 and {self.batch_limit}.",
                    },
                    {},
                )
            problems = [self._problem(message) for message in body]
            accepted = iter(self._accept([m for m, p in zip(body, problems, strict=True) if not p]))
            return 200, [p or next(accepted) for p in problems], {}
        return 404, {"ErrorCode": 404, "Message": "Not found"}, {}

    def _problem(self, body: dict) -> dict | None:
        """What Postmark answers for one message it refuses, or None."""
        for required in ("From", "To", "Subject"):
            if not body.get(required):
                return {"ErrorCode": 300, "Message": f"Invalid email request: missing {required}"}
        if not (body.get("HtmlBody") or body.get("TextBody")):
            return {
                "ErrorCode": 300,
                "Message": "Provide either email TextBody or HtmlBody or both.",
            }
        to = body["To"]
        if not self.MAILBOX.match(to.rpartition("@")[0]) or not self.DOMAIN.match(
            to.rpartition("@")[2]
        ):
            return {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{to}'."}
        if to in self.rejected:
            return {
                "ErrorCode": 406,
                "Message": (
                    "You tried to send to a recipient that has been marked as inactive.\n"
                    f" Found inactive addresses: {to}.\n Inactive recipients are ones that have"
                    " generated a hard bounce or a spam complaint. "
                ),
                "To": to,
            }
        return None

    def _accept(self, messages: list[dict]) -> list[dict]:
        answers = []
        with self.lock:
            for body in messages:
                message_id = str(uuid.uuid4())
                self.received.append({**body, "MessageID": message_id})
                answers.append(
                    {
                        "To": body["To"],
                        "SubmittedAt": "2026-11-24T07:30:00Z",
                        "MessageID": message_id,
                        "ErrorCode": 0,
                        "Message": "OK",
                    }
                )
        return answers

    def headers_of(self, received: dict) -> dict[str, str]:
        return {h["Name"]: h["Value"] for h in received.get("Headers", [])}


class FakeSendGrid(FakeHttpService):
    """``POST /v3/mail/send`` as SendGrid answers it. SendGrid refuses a local part that breaks
    RFC 5322's dot-atom rule (taro..yamada.@docomo.ne.jp) and takes the same mailbox quoted
    ("taro..yamada."@docomo.ne.jp), as its Japanese support pages say."""

    DOT_ATOM = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$", re.I)
    QUOTED = re.compile(r'^"([^"\\]|\\.)*"$')

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.received: list[dict] = []

    def handle(self, path: str, headers: dict, body) -> tuple[int, dict, dict]:
        lowered = {k.lower(): v for k, v in headers.items()}
        if lowered.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"errors": [{"message": "authorization required"}]}, {}
        if path != "/v3/mail/send":
            return 404, {"errors": [{"message": "not found"}]}, {}
        for personalization in body.get("personalizations", []):
            for recipient in personalization.get("to", []):
                local = recipient.get("email", "").rpartition("@")[0]
                if not (self.DOT_ATOM.match(local) or self.QUOTED.match(local)):
                    return (
                        400,
                        {
                            "errors": [
                                {
                                    "message": "Does not contain a valid address.",
                                    "field": "personalizations.0.to.0.email",
                                }
                            ]
                        },
                        {},
                    )
        with self.lock:
            self.received.append(body)
        return 202, {}, {"X-Message-Id": uuid.uuid4().hex}


class SmtpMailbox:
    """A real SMTP server on loopback. ``refuse`` maps addresses to SMTP reply lines."""

    def __init__(self, refuse: dict[str, str] | None = None, delay_seconds: float = 0.0) -> None:
        self.refuse = dict(refuse or {})
        self.delay_seconds = delay_seconds
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay_seconds:
            time.sleep(self.delay_seconds)  # a slow server, so a worker can die mid-batch
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def by_message_id(self) -> Counter:
        """How many copies of each Message-ID arrived (a mailbox shows one of each)."""
        return Counter(m["Message-ID"] for m in self.messages)
