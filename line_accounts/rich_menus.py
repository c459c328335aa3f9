"""Rich menus that follow the stage: one for pregnancy, one for the baby's first year, one for a
toddler, defined here, drawn with Pillow in a Japanese font, and put on each municipality's LINE
account under aliases (``kizuna-pregnancy``…) by :func:`sync`, idempotently.

A menu's name carries a hash of its definition and image: a menu already there under that name
is the same menu, so a second run changes nothing, and a changed definition creates a new menu,
moves the alias to it and deletes the old one. Only menus named ``kizuna-…`` are ever touched:
another tool's menus on the same account stay as they are.

LINE's Messaging API reference (Rich menu): image 800–2500 px wide, at least 250 px high, width
/ height at least 1.45, JPEG or PNG up to 1 MB; ``chatBarText`` at most 14 characters; alias ids
of up to 32 characters; images are uploaded to ``api-data.line.me``.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import urllib3
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

PREFIX = "kizuna-"
WIDTH, HEIGHT = 2500, 843  # LINE's compact size: the chat stays visible above it
BUTTONS = ("今日のメッセージ", "相談窓口", "設定")


@dataclass(frozen=True)
class MenuDefinition:
    key: str  # pregnancy, baby, toddler: the alias is kizuna-<key>
    title: str
    colour: tuple[int, int, int]
    buttons: tuple[str, ...] = BUTTONS

    @property
    def alias(self) -> str:
        return PREFIX + self.key


MENUS = (
    MenuDefinition("pregnancy", "妊娠中のメニュー", (228, 120, 138)),
    MenuDefinition("baby", "0歳のメニュー", (235, 160, 60)),
    MenuDefinition("toddler", "1〜3歳のメニュー", (80, 160, 120)),
)


def definition_json(menu: MenuDefinition, name: str) -> dict[str, Any]:
    """The rich menu object: three equal areas, each sending its command as a text."""
    width = WIDTH // len(menu.buttons)
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": name,
        "chatBarText": "メニュー",
        "areas": [
            {
                "bounds": {
                    "x": i * width,
                    "y": 0,
                    "width": WIDTH - i * width if i == len(menu.buttons) - 1 else width,
                    "height": HEIGHT,
                },
                "action": {"type": "message", "label": label, "text": label},
            }
            for i, label in enumerate(menu.buttons)
        ],
    }


def draw(menu: MenuDefinition) -> bytes:
    """The menu's image (PNG): one tile per button, the label in the Japanese font."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    canvas = ImageDraw.Draw(image)
    small = ImageFont.truetype(settings.KIZUNA_FLYER_FONT, 60)
    width = WIDTH // len(menu.buttons)
    for i, label in enumerate(menu.buttons):
        left = i * width
        canvas.rectangle([left + 12, 12, left + width - 12, HEIGHT - 12], fill=menu.colour)
        size = 110
        font = ImageFont.truetype(settings.KIZUNA_FLYER_BOLD_FONT, size)
        while canvas.textlength(label, font=font) > width - 120 and size > 40:
            size -= 6  # a long label (今日のメッセージ) gets a smaller size, never cut
            font = ImageFont.truetype(settings.KIZUNA_FLYER_BOLD_FONT, size)
        canvas.text((left + width // 2, HEIGHT // 2), label, font=font, fill="white", anchor="mm")
    canvas.text((WIDTH - 40, HEIGHT - 30), menu.title, font=small, fill="white", anchor="rb")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def versioned_name(menu: MenuDefinition, image: bytes) -> str:
    digest = hashlib.sha256(
        json.dumps(definition_json(menu, ""), sort_keys=True).encode() + image
    ).hexdigest()[:12]
    return f"{menu.alias}-{digest}"


class LineApiError(Exception):
    pass


class RichMenuApi:
    """The few rich menu calls, as LINE's reference names them."""

    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = urllib3.PoolManager(timeout=settings.LINE_TIMEOUT_SECONDS)

    def _call(
        self, method: str, url: str, body: object = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        data = body if isinstance(body, bytes) else None
        if body is not None and data is None:
            data = json.dumps(body, ensure_ascii=False).encode()
        headers = {**self.headers, **({"Content-Type": content_type} if data else {})}
        answer = self.http.request(method, url, body=data, headers=headers)
        if answer.status >= 300:
            raise LineApiError(f"LINE {answer.status} {method} {url}: {answer.data[:300]!r}")
        parsed = json.loads(answer.data or b"{}")
        return parsed if isinstance(parsed, dict) else {}

    def api(self, path: str) -> str:
        return settings.LINE_API_BASE_URL + path

    def data(self, path: str) -> str:
        return settings.LINE_API_DATA_BASE_URL + path

    def menus(self) -> list[dict[str, Any]]:
        return list(self._call("GET", self.api("/v2/bot/richmenu/list")).get("richmenus", []))

    def aliases(self) -> dict[str, str]:
        found = self._call("GET", self.api("/v2/bot/richmenu/alias/list")).get("aliases", [])
        return {a["richMenuAliasId"]: a["richMenuId"] for a in found}

    def create(self, definition: dict[str, Any]) -> str:
        return str(self._call("POST", self.api("/v2/bot/richmenu"), definition)["richMenuId"])

    def upload(self, menu_id: str, png: bytes) -> None:
        self._call("POST", self.data(f"/v2/bot/richmenu/{menu_id}/content"), png, "image/png")

    def create_alias(self, alias: str, menu_id: str) -> None:
        body = {"richMenuAliasId": alias, "richMenuId": menu_id}
        self._call("POST", self.api("/v2/bot/richmenu/alias"), body)

    def update_alias(self, alias: str, menu_id: str) -> None:
        self._call("POST", self.api(f"/v2/bot/richmenu/alias/{alias}"), {"richMenuId": menu_id})

    def delete(self, menu_id: str) -> None:
        self._call("DELETE", self.api(f"/v2/bot/richmenu/{menu_id}"))

    def link_users(self, menu_id: str, user_ids: list[str]) -> None:
        """Bulk link (LINE: at most 500 users a request)."""
        for start in range(0, len(user_ids), 500):
            body = {"richMenuId": menu_id, "userIds": user_ids[start : start + 500]}
            self._call("POST", self.api("/v2/bot/richmenu/bulk/link"), body)


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.aliased or self.deleted)


def sync(api: RichMenuApi, menus: tuple[MenuDefinition, ...] = MENUS) -> SyncResult:
    """Make the account hold exactly our menus, each under its alias; change nothing else."""
    result = SyncResult()
    existing = {m["name"]: m["richMenuId"] for m in api.menus()}
    aliases = api.aliases()
    wanted: set[str] = set()
    for menu in menus:
        image = draw(menu)
        name = versioned_name(menu, image)
        menu_id = existing.get(name)
        if menu_id is None:
            menu_id = api.create(definition_json(menu, name))
            api.upload(menu_id, image)
            result.created.append(name)
        wanted.add(menu_id)
        if aliases.get(menu.alias) != menu_id:
            if menu.alias in aliases:
                api.update_alias(menu.alias, menu_id)
            else:
                api.create_alias(menu.alias, menu_id)
            result.aliased.append(menu.alias)
    for name, menu_id in existing.items():
        if name.startswith(PREFIX) and menu_id not in wanted:
            api.delete(menu_id)
            result.deleted.append(name)
    return result
