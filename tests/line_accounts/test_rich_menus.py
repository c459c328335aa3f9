"""The stage rich menus on a LINE account, by the management command against the LINE fake
(which checks rich menu objects, images and aliases as LINE's reference defines them)."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from line_accounts import rich_menus
from tests.delivery.conftest import LINE_TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(line, settings):
    settings.LINE_API_DATA_BASE_URL = line.url
    return line


def run(capsys) -> str:
    call_command("sync_line_rich_menus")
    return capsys.readouterr().out


def test_the_command_run_twice_changes_nothing_the_second_time(municipality, account, capsys):
    assert "作成 3、別名の付け替え 3、削除 0" in run(capsys)
    assert set(account.aliases) == {"kizuna-pregnancy", "kizuna-baby", "kizuna-toddler"}
    assert set(account.aliases.values()) == set(account.rich_menus) == set(account.rich_menu_images)
    writes = account.rich_menu_writes

    assert "江東区: 変更なし" in run(capsys)
    assert account.rich_menu_writes == writes
    assert len(account.rich_menus) == 3


def test_a_changed_menu_moves_its_alias_and_leaves_other_tools_menus_alone(
    municipality, account, capsys
):
    api = rich_menus.RichMenuApi(LINE_TOKEN)
    theirs = api.create(
        {
            "size": {"width": 2500, "height": 843},
            "selected": False,
            "name": "other-vendor-menu",
            "chatBarText": "予約",
            "areas": [
                {
                    "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                    "action": {"type": "message", "text": "予約"},
                }
            ],
        }
    )
    run(capsys)
    before = dict(account.aliases)
    changed = rich_menus.MenuDefinition("pregnancy", "妊娠中のメニュー", (200, 90, 120))
    result = rich_menus.sync(api, (changed, *rich_menus.MENUS[1:]))
    assert result.aliased == ["kizuna-pregnancy"] and len(result.deleted) == 1
    assert account.aliases["kizuna-pregnancy"] != before["kizuna-pregnancy"]
    assert account.aliases["kizuna-baby"] == before["kizuna-baby"]
    assert theirs in account.rich_menus  # another tool's menu is never touched


def test_the_images_are_the_size_line_asks_and_carry_the_labels():
    for menu in rich_menus.MENUS:
        png = rich_menus.draw(menu)
        assert len(png) < 1 << 20
        image = Image.open(io.BytesIO(png))
        assert image.size == (2500, 843)
        # White strokes of the label inside the first tile: the font drew the Japanese text.
        tile = image.crop((200, 300, 633, 543)).convert("RGB")
        assert (255, 255, 255) in {pixel for _, pixel in tile.getcolors(1 << 16)}


def test_without_a_token_the_municipality_is_skipped(municipality, account, capsys, monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN_KOTO")
    assert "未設定のため飛ばしました" in run(capsys)
    assert account.rich_menus == {}


def test_each_reader_s_menu_follows_the_stage_and_only_changes_are_linked(
    municipality, account, capsys, morning
):
    import datetime

    from django.test import Client

    from line_accounts import menu_switch
    from subscribers import services
    from tests import line_webhooks as hooks
    from tests.delivery.conftest import LINE_SECRET, TODAY, due_for, family, line_user

    expecting = family(
        municipality, due=due_for(30), channel="line", line_user_id=line_user(1), email=None
    )
    family(
        municipality,
        birth=TODAY - datetime.timedelta(days=90),
        channel="line",
        line_user_id=line_user(2),
        email=None,
    )
    family(
        municipality,
        birth=TODAY - datetime.timedelta(days=800),
        channel="line",
        line_user_id=line_user(3),
        email=None,
    )
    family(municipality, due=due_for(30))  # by mail: no LINE menu
    run(capsys)
    api = rich_menus.RichMenuApi(LINE_TOKEN)
    assert menu_switch.switch(municipality, api, TODAY) == 3
    menu_of = {alias.removeprefix("kizuna-"): menu for alias, menu in account.aliases.items()}
    assert account.user_menus == {
        line_user(1): menu_of["pregnancy"],
        line_user(2): menu_of["baby"],
        line_user(3): menu_of["toddler"],
    }
    writes = account.rich_menu_writes
    assert menu_switch.switch(municipality, api, TODAY) == 0  # nothing changed: no call
    assert account.rich_menu_writes == writes

    services.report_birth(expecting.child_id, TODAY)
    assert menu_switch.switch(municipality, api, TODAY) == 1
    assert account.user_menus[line_user(1)] == menu_of["baby"]

    with hooks.answers_in_process():  # the menu's first button
        hooks.post(Client(), [hooks.text(line_user(2), "今日のメッセージ")], secret=LINE_SECRET)
    assert "生後2か月（生後90日）" in account.replies[-1][1]


def test_the_first_birthday_moves_a_baby_to_the_toddler_menu():
    import datetime

    from content.stages import add_months
    from line_accounts.menu_switch import last_birth_date_turned_one

    for on in (datetime.date(2026, 11, 24), datetime.date(2025, 2, 28), datetime.date(2024, 2, 29)):
        day = last_birth_date_turned_one(on)
        assert add_months(day, 12) <= on < add_months(day + datetime.timedelta(days=1), 12)
