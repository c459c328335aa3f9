"""Which text a reader gets, which notices join it, which versions were sent, what is missing."""

from datetime import date, datetime

import pytest
import time_machine

from content.models import LocalNotice, SpecialMessage, StageMessage
from content.selectors import (
    birthday_message_for,
    current_versions,
    expiring_notices,
    loss_message_for,
    notices_for,
    special_message_for,
    stage_coverage,
    stage_message_for,
    variant_order,
)
from content.stages import Stage, Track, Unit
from kizuna.clock import TOKYO
from tests.content.factories import (
    BirthdayMessageFactory,
    LocalNoticeFactory,
    SpecialMessageFactory,
    StageMessageFactory,
)
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

WEEK_20 = Stage(Track.PREGNANCY, Unit.WEEK, 20)


def test_variant_order_falls_back_to_everyone_then_to_japanese():
    assert variant_order("partner", "en") == [
        ("partner", "en"),
        ("everyone", "en"),
        ("partner", "ja"),
        ("everyone", "ja"),
    ]
    assert variant_order("everyone", "ja") == [("everyone", "ja")]


def test_a_partner_gets_the_partner_text_then_everyones_then_japanese():
    everyone_ja = StageMessageFactory(audience="everyone", language="ja")
    assert stage_message_for(WEEK_20, audience="partner", language="en") == everyone_ja
    partner_ja = StageMessageFactory(audience="partner", language="ja")
    assert stage_message_for(WEEK_20, audience="partner", language="en") == partner_ja
    everyone_en = StageMessageFactory(audience="everyone", language="en", subject="Week 20: x")
    assert stage_message_for(WEEK_20, audience="partner", language="en") == everyone_en
    partner_en = StageMessageFactory(audience="partner", language="en", subject="Week 20: y")
    assert stage_message_for(WEEK_20, audience="partner", language="en") == partner_en
    assert stage_message_for(WEEK_20, audience="grandparent", language="ja") == everyone_ja


def test_drafts_are_only_chosen_in_previews():
    StageMessageFactory(published=False)
    assert stage_message_for(WEEK_20, audience="everyone", language="ja") is None
    assert stage_message_for(WEEK_20, audience="everyone", language="ja", include_drafts=True)


def test_special_messages_use_the_same_rule():
    welcome = SpecialMessageFactory(kind="welcome")
    assert special_message_for("welcome", audience="grandparent", language="en") == welcome
    assert special_message_for("loss", audience="everyone", language="ja") is None


@pytest.mark.parametrize(
    ("loss", "kind"),
    [
        ("miscarriage", "loss-pregnancy"),
        ("stillbirth", "loss-stillbirth"),
        ("infant_death", "loss-child"),
    ],
)
def test_the_loss_message_is_the_one_written_for_the_situation_reported(loss, kind):
    general = SpecialMessageFactory(kind="loss")
    for each in ("loss-pregnancy", "loss-stillbirth", "loss-child"):
        SpecialMessageFactory(kind=each, subject=each)
    assert loss_message_for(loss, audience="partner", language="ja").kind == kind
    SpecialMessage.objects.filter(kind=kind).update(published=False)
    assert loss_message_for(loss, audience="partner", language="ja") == general
    assert loss_message_for("", audience="everyone", language="ja") == general


def test_the_loss_message_keeps_the_readers_language_before_the_situation():
    SpecialMessageFactory(kind="loss-stillbirth", subject="赤ちゃんとのお別れに")
    general_en = SpecialMessageFactory(kind="loss", language="en", subject="We are so sorry")
    assert loss_message_for("stillbirth", audience="everyone", language="en") == general_en
    stillbirth_en = SpecialMessageFactory(
        kind="loss-stillbirth", language="en", subject="We are so sorry about your baby"
    )
    assert loss_message_for("stillbirth", audience="everyone", language="en") == stillbirth_en
    assert loss_message_for("stillbirth", audience="everyone", language="ja").language == "ja"


def test_a_municipalitys_birthday_message_wins_over_the_default():
    koto, other = MunicipalityFactory(), MunicipalityFactory()
    default = BirthdayMessageFactory(age_years=1)
    own = BirthdayMessageFactory(age_years=1, municipality=koto, subject="江東区から1歳のお祝い")
    BirthdayMessageFactory(age_years=2, municipality=other)
    assert birthday_message_for(koto, 1, language="ja") == own
    assert birthday_message_for(other, 1, language="ja") == default
    assert birthday_message_for(koto, 2, language="ja") is None
    english = BirthdayMessageFactory(age_years=1, language="en", subject="Happy 1st birthday")
    assert birthday_message_for(koto, 1, language="en") == english
    own.published = False
    own.save()
    assert birthday_message_for(koto, 1, language="ja") == default
    assert birthday_message_for(koto, 1, language="ja", include_drafts=True) == own


def test_a_notice_for_child_months_3_to_4_is_shown_from_3_months_until_5_months():
    municipality = MunicipalityFactory()
    notice = LocalNoticeFactory(municipality=municipality)
    born = date(2026, 1, 31)

    def shown(on):
        return notices_for(municipality, track="child", anchor=born, on=on) == [notice]

    assert not shown(date(2026, 4, 29))  # 2 months 29 days
    assert shown(date(2026, 4, 30))  # 3 months (month-end rule)
    assert shown(date(2026, 6, 29))  # 4 months 29 days
    assert not shown(date(2026, 6, 30))  # 5 months
    assert notices_for(municipality, track="pregnancy", anchor=born, on=date(2026, 5, 10)) == []
    assert (
        notices_for(MunicipalityFactory(), track="child", anchor=born, on=date(2026, 5, 10)) == []
    )


def test_notices_respect_their_date_window_drafts_and_order():
    municipality = MunicipalityFactory()
    second = LocalNoticeFactory(municipality=municipality, order=2, title="二番目")
    first = LocalNoticeFactory(municipality=municipality, order=1, title="一番目")
    LocalNoticeFactory(municipality=municipality, published=False, title="下書き")
    windowed = LocalNoticeFactory(
        municipality=municipality,
        order=3,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 5, 31),
    )
    born = date(2026, 1, 10)
    assert notices_for(municipality, track="child", anchor=born, on=date(2026, 4, 20)) == [
        first,
        second,
    ]
    assert notices_for(municipality, track="child", anchor=born, on=date(2026, 5, 31)) == [
        first,
        second,
        windowed,
    ]
    with_drafts = notices_for(
        municipality, track="child", anchor=born, on=date(2026, 4, 20), include_drafts=True
    )
    assert [notice.title for notice in with_drafts] == ["下書き", "一番目", "二番目"]


def test_current_versions_name_the_history_rows_of_what_is_sent():
    message = StageMessageFactory()
    notices = [LocalNoticeFactory(), LocalNoticeFactory()]
    before = current_versions(stage_message=message, notices=notices)
    assert before["stage_message"] == message.history.latest().history_id
    assert before["local_notices"] == [n.history.latest().history_id for n in notices]

    message.body = "## 新しい本文\n書き直しました。"
    message.save()
    after = current_versions(stage_message=message, notices=notices)
    assert after["stage_message"] != before["stage_message"]
    assert after["local_notices"] == before["local_notices"]
    assert message.history.get(history_id=before["stage_message"]).body != message.body
    assert message.history.get(history_id=after["stage_message"]).body == message.body

    birthday = BirthdayMessageFactory()
    assert current_versions(birthday_message=birthday) == {
        "birthday_message": birthday.history.latest().history_id
    }


def test_history_records_who_changed_a_text(admin_client, admin_user):
    notice = LocalNoticeFactory()
    response = admin_client.post(
        f"/admin/content/localnotice/{notice.pk}/change/",
        {
            "municipality": notice.municipality_id,
            "title": "4か月児健診（日程変更）",
            "body": notice.body,
            "track": "child",
            "unit": "month",
            "number_from": 3,
            "number_to": 4,
            "channels": "both",
            "order": 0,
            "published": "on",
        },
    )
    assert response.status_code == 302
    latest = notice.history.latest()
    assert latest.title == "4か月児健診（日程変更）"
    assert latest.history_user == admin_user
    assert notice.history.count() == 2


def test_stage_coverage_lists_missing_stages_and_drafts():
    StageMessageFactory(number=20)
    StageMessageFactory(number=21, published=False)
    rows = {(row.language, row.audience): row for row in stage_coverage()}
    ja = rows[("ja", "everyone")]
    labels = {gap.label: gap.draft for gap in ja.gaps}
    assert "妊娠20週" not in labels
    assert labels["妊娠21週"] is True
    assert labels["妊娠22週"] is False
    assert labels["生後100日"] is False
    assert ja.covered == 1
    assert ("en", "partner") not in rows  # falls back by promise


def test_expiring_notices_are_those_ending_within_30_days():
    municipality = MunicipalityFactory()
    soon = LocalNoticeFactory(municipality=municipality, ends_on=date(2026, 11, 30))
    LocalNoticeFactory(municipality=municipality, ends_on=date(2026, 12, 31))
    LocalNoticeFactory(municipality=municipality, ends_on=date(2026, 10, 31))
    LocalNoticeFactory(municipality=municipality, ends_on=date(2026, 11, 20), published=False)
    LocalNoticeFactory(ends_on=date(2026, 11, 10))  # another municipality
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=TOKYO), tick=False):
        assert expiring_notices([municipality], today=date(2026, 11, 5)) == [soon]
    assert LocalNotice.objects.count() == 5
    assert StageMessage.objects.count() == 0
