"""The timeline preview: every message from signup to graduation, on the right dates."""

from datetime import date, timedelta

import pytest

from content.models import BirthdayMessage, StageMessage
from content.services import load_pack
from content.timeline import build_timeline, preview_anchor_for
from tests.content.factories import BirthdayMessageFactory, LocalNoticeFactory
from tests.factories import WEEKLY_THEN_MONTHLY, MunicipalityFactory

pytestmark = pytest.mark.django_db

DUE = date(2027, 5, 1)


@pytest.fixture
def pack():
    load_pack()


@pytest.fixture
def koto():
    return MunicipalityFactory(name="江東区", service_name="こんにちは赤ちゃんメール")


def _by_label(timeline):
    return {entry.label: entry for entry in timeline.entries}


def test_timeline_for_a_known_due_date(pack):
    koto = MunicipalityFactory(
        name="江東区", service_name="こんにちは赤ちゃんメール", **WEEKLY_THEN_MONTHLY
    )
    notice = LocalNoticeFactory(municipality=koto, title="3〜4か月児健診のご案内")
    timeline = build_timeline(koto, due_date=DUE, nickname="はな")
    entries = timeline.entries
    labels = [entry.label for entry in entries]

    # welcome, pregnancy weeks 4–39, birth, child 7 days + 3 weeks + the weekly steps of the
    # first 100 days (生後28日 … 98日) + 36 months + 100/1000 days, three birthdays, graduation.
    assert len(entries) == 1 + 36 + 1 + (7 + 3 + 11 + 36 + 2) + 3 + 1
    assert not timeline.missing
    assert (entries[0].on, entries[0].label) == (date(2026, 8, 22), "登録のお礼")
    assert (entries[1].on, entries[1].label) == (date(2026, 8, 22), "妊娠4週")
    by_label = _by_label(timeline)
    assert by_label["妊娠20週"].on == date(2026, 12, 12)
    assert by_label["妊娠39週"].on == date(2027, 4, 24)
    assert "妊娠40週" not in labels  # the child track starts on the due date
    assert by_label["出産のお祝い"].on == DUE
    assert by_label["生後0日"].on == DUE
    assert by_label["生後1週"].on == date(2027, 5, 8)
    assert by_label["生後100日"].on == date(2027, 8, 9)
    assert by_label["生後4か月"].on == date(2027, 9, 1)
    assert by_label["1歳6か月"].on == date(2028, 11, 1)
    assert by_label["生後1000日"].on == date(2030, 1, 25)  # 2028 is a leap year
    assert by_label["1歳の誕生日"].on == date(2028, 5, 1)
    assert by_label["3歳の誕生日"].on == date(2030, 5, 1)
    assert (entries[-1].label, entries[-1].on) == ("卒業", date(2030, 5, 1))
    assert [entry.on for entry in entries] == sorted(entry.on for entry in entries)

    # The notice for child months 3–4 joins exactly the messages sent in that range.
    carrying = [entry.label for entry in entries if notice in entry.notices]
    assert carrying == ["生後3か月", "生後98日", "生後100日", "生後4か月"]

    month_4 = by_label["生後4か月"].rendered
    assert month_4.subject.startswith("生後4か月：")
    assert "はなさん、こんにちは。" in month_4.text
    assert "江東区からのお知らせ" in month_4.html and "3〜4か月児健診のご案内" in month_4.html
    assert "3〜4か月児健診のご案内" in month_4.line_text
    assert "3〜4か月児健診" not in by_label["生後5か月"].rendered.html
    week_20 = by_label["妊娠20週"].rendered
    assert "江東区や出産する病院で開かれる" in week_20.text  # {{ municipality }} filled in
    assert "{{" not in "".join(e.rendered.text + e.rendered.html for e in entries)


def test_an_early_birth_moves_the_child_track_to_the_birth_date(pack, koto):
    born = date(2027, 4, 10)
    timeline = build_timeline(koto, due_date=DUE, birth_date=born)
    by_label = _by_label(timeline)
    assert "妊娠36週" in by_label and "妊娠37週" not in by_label
    assert by_label["生後0日"].on == born
    assert by_label["生後4か月"].on == date(2027, 8, 10)
    assert timeline.graduation_on == date(2030, 4, 10)


def test_a_birth_date_alone_starts_with_the_child_and_honours_programme_months(pack):
    short = MunicipalityFactory(programme_months=12)
    born = date(2026, 1, 31)
    timeline = build_timeline(short, birth_date=born)
    labels = [entry.label for entry in timeline.entries]
    assert labels[:2] == ["登録のお礼", "生後0日"]
    assert not any(label.startswith("妊娠") for label in labels)
    assert "出産のお祝い" not in labels
    assert "1歳の誕生日" in labels and "2歳の誕生日" not in labels
    assert "1歳1か月" not in labels and "生後1000日" not in labels
    assert _by_label(timeline)["生後1か月"].on == date(2026, 2, 28)
    assert timeline.entries[-1].on == date(2027, 1, 31)


def test_signup_date_skips_earlier_messages_and_missing_texts_show_as_gaps(pack):
    long = MunicipalityFactory(programme_months=48, **WEEKLY_THEN_MONTHLY)
    StageMessage.objects.filter(track="child", unit="month", number=37).delete()
    BirthdayMessage.objects.filter(municipality=None, age_years=4).delete()
    timeline = build_timeline(long, due_date=DUE, signup_on=date(2027, 1, 1))
    entries = timeline.entries
    assert (entries[0].label, entries[0].on) == ("登録のお礼", date(2027, 1, 1))
    assert (entries[1].label, entries[1].on) == (
        "妊娠23週",
        date(2027, 1, 2),
    )  # first on or after signup
    missing = [entry.label for entry in timeline.missing]
    assert "3歳1か月" in missing and "4歳の誕生日" in missing
    assert "3歳" not in missing and "4歳" not in missing


def test_variants_and_drafts_in_the_preview(pack, koto):
    BirthdayMessageFactory(
        municipality=koto, age_years=1, subject="江東区から1歳のお祝い", published=False
    )
    partner = build_timeline(koto, due_date=DUE, audience="partner", language="en")
    by_label = _by_label(partner)
    assert by_label["妊娠20週"].text.language == "en"
    assert by_label["妊娠20週"].is_fallback  # English everyone text for an English partner
    assert by_label["1歳の誕生日"].rendered.subject != "江東区から1歳のお祝い"

    drafts = build_timeline(koto, due_date=DUE, include_drafts=True)
    birthday = _by_label(drafts)["1歳の誕生日"]
    assert birthday.rendered.subject == "江東区から1歳のお祝い" and birthday.is_draft


def test_without_content_every_entry_is_reported_missing(koto):
    timeline = build_timeline(koto, birth_date=date(2026, 6, 1))
    assert len(timeline.missing) == len(timeline.entries)
    assert all(entry.rendered is None for entry in timeline.entries)


@pytest.mark.parametrize(
    ("track", "unit", "number"),
    [("child", "month", 3), ("child", "day", 100), ("pregnancy", "week", 20), ("child", "year", 1)],
)
def test_preview_anchor_puts_the_family_in_the_stage_on_that_day(track, unit, number):
    from content.stages import Stage, Track, Unit, stage_start

    on = date(2026, 3, 31)
    anchor = preview_anchor_for(track, unit, number, on)
    entered = stage_start(Stage(Track(track), Unit(unit), number), anchor)
    assert on - timedelta(days=3) <= entered <= on
