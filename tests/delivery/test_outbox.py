"""The outbox owns every queued message: one key type, one writer, kinds as plug-ins."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from content.stages import Stage, Track, Unit
from delivery import outbox
from delivery.kinds import KINDS
from delivery.outbox import MessageKey

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "kizuna", "municipalities", "audit", "content", "subscribers", "delivery", "surveys",
    "urgent_notices", "adoption", "accounts", "operations",
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (
            MessageKey.for_stage(42, Stage(Track.PREGNANCY, Unit.WEEK, 20)),
            "c42:stage:pregnancy:week:20",
        ),
        (MessageKey.for_stage(7, Stage(Track.CHILD, Unit.MONTH, 4)), "c7:stage:child:month:4"),
        (MessageKey.for_birthday(42, 1), "c42:birthday:1"),
        (MessageKey.for_special("loss", 42), "c42:special:loss"),
        (MessageKey.for_special("welcome"), "special:welcome"),
        (MessageKey.for_record("survey", 7), "survey:7"),
        (MessageKey.for_record("urgent", 12), "urgent:12"),
        (MessageKey.for_record("import", 3), "import:3"),
        (MessageKey.for_record("move", 5), "move:5"),
    ],
)
def test_every_message_key_is_written_and_read_back_by_one_type(key, text):
    assert str(key) == text
    assert MessageKey.parse(text) == key


def test_a_kind_that_would_read_as_a_child_or_split_a_key_is_refused():
    for name in ("c42", "a:b", ""):
        with pytest.raises(ValueError):
            MessageKey.for_record(name, 1)


def test_the_planner_takes_its_key_sql_from_the_outbox():
    from delivery import planner

    assert outbox.stage_key_sql("c.id", "v.track", "v.unit", "v.number") == planner.STAGE_KEY_SQL
    assert outbox.birthday_key_sql("c.id", "v.number") == planner.BIRTHDAY_KEY_SQL


def test_every_message_kind_registers_its_composer_the_same_way():
    assert {"stage", "birthday", "special", "survey", "urgent", "import", "move"} <= set(KINDS)


def _app_sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_only_the_outbox_writes_delivery_rows_or_spells_message_keys():
    owners = {ROOT / "delivery" / "outbox.py"}
    insert = re.compile(r"INSERT INTO delivery_delivery", re.IGNORECASE)
    spelled = re.compile(r"f\"c\{[^}]*\}:|:(stage|birthday|special):|\"(survey|urgent|move):\{")
    split = re.compile(r"message_key\.split\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in _app_sources()
        if path not in owners
        and any(p.search(path.read_text(encoding="utf-8")) for p in (insert, spelled, split))
    ]
    assert offenders == []


def test_delivery_imports_no_feature_app_and_apps_depend_one_way():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Apps depend one way KEPT" in done.stdout
