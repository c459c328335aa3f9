"""Each message in one language: the reader's, else the next of their municipality's chain."""

import pytest

from content.models import LocalNotice
from delivery import dispatch, planner
from kizuna import clock
from languages.models import MunicipalityLanguages
from tests.delivery.conftest import due_for, family, stage_text
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    municipality = MunicipalityFactory(
        slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール"
    )
    MunicipalityLanguages.objects.create(
        municipality=municipality, offered=["ja", "ja-easy", "vi", "ne"]
    )
    return municipality


def _texts():
    stage_text("pregnancy", "week", 20, body="## 赤ちゃんのようす\n日本語の本文です。")
    stage_text(
        "pregnancy", "week", 20, language="ja-easy", body="## あかちゃん\nやさしい本文です。"
    )
    stage_text("pregnancy", "week", 20, language="vi", body="## Em bé\nNội dung tiếng Việt.")


def _mail(smtp, address):
    [message] = [m for m in smtp.messages if address in m["To"]]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return message["Subject"], body.replace("\r\n", "\n")


def test_each_reader_gets_the_text_of_the_first_language_of_their_chain(
    town, smtp, morning, catalogs
):
    _texts()
    family(town, due=due_for(20), nickname="Lan", language="vi", email="lan@example.jp")
    family(town, due=due_for(20), nickname="Sita", language="ne", email="sita@example.jp")
    family(town, due=due_for(20), nickname="はな", language="ja", email="hana@example.jp")
    planner.plan_day(clock.today(), [town])
    assert dispatch.dispatch().outcomes == {"sent": 3}

    _, vietnamese = _mail(smtp, "lan@")
    assert "Nội dung tiếng Việt." in vietnamese and "Chào Lan," in vietnamese
    assert "Hủy đăng ký" in vietnamese and "配信停止" not in vietnamese

    # No Nepali text: the やさしい日本語 one, with the やさしい日本語 footer (ne → ja-easy → ja).
    _, nepali = _mail(smtp, "sita@")
    assert "やさしい本文です。" in nepali and "メールを とめる" in nepali
    assert "日本語の本文です。" not in nepali

    _, japanese = _mail(smtp, "hana@")
    assert "日本語の本文です。" in japanese and "配信停止" in japanese


def test_a_notice_goes_out_translated_or_in_japanese_with_a_line_saying_so(
    town, smtp, morning, catalogs
):
    _texts()
    notice = dict(
        municipality=town,
        track="pregnancy",
        unit="week",
        number_from=18,
        number_to=22,
        published=True,
    )
    LocalNotice.objects.create(title="両親学級", body="土曜日に開きます。", order=1, **notice)
    LocalNotice.objects.create(
        title="妊婦健診",
        body="受診票を使えます。",
        order=2,
        translations={"vi": {"title": "Khám thai", "body": "Bạn có thể dùng phiếu khám."}},
        **notice,
    )
    family(town, due=due_for(20), nickname="Lan", language="vi", email="lan@example.jp")
    planner.plan_day(clock.today(), [town])
    dispatch.dispatch()
    _, text = _mail(smtp, "lan@")
    assert "Thông báo từ 江東区" in text
    assert "Khám thai" in text and "Bạn có thể dùng phiếu khám." in text
    assert "受診票" not in text
    assert "(Thông báo của 江東区 bằng tiếng Nhật)\n土曜日に開きます。" in text


def test_the_feedback_question_speaks_the_message_language(town, smtp, morning, catalogs):
    _texts()
    family(town, due=due_for(20), nickname="Lan", language="vi", email="lan@example.jp")
    planner.plan_day(clock.today(), [town])
    dispatch.dispatch()
    _, text = _mail(smtp, "lan@")
    assert "Tin nhắn này có hữu ích không?" in text and "Hữu ích:" in text
