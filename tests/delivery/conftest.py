import datetime

import pytest
import time_machine

from content.models import BirthdayMessage, SpecialMessage, StageMessage
from content.signals import texts_written
from kizuna import clock
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.fakes import FakeLine, FakePostmark, SmtpMailbox

LINE_TOKEN = "line-token-for-tests"
LINE_SECRET = "line-secret-for-tests"
MORNING = datetime.datetime(2026, 11, 24, 7, 30, tzinfo=clock.TOKYO)


def _stage_row(track, unit, number, audience="everyone", language="ja", body=None):
    return StageMessage(
        track=track,
        unit=unit,
        number=number,
        audience=audience,
        language=language,
        subject=f"妊娠{number}週：テスト" if track == "pregnancy" else f"生後{number}：テスト",
        body=body or "## 赤ちゃんのようす\n{{ municipality }}の保健センターへどうぞ。",
        published=True,
    )


def stage_text(track, unit, number, audience="everyone", language="ja", body=None):
    text = _stage_row(track, unit, number, audience, language, body)
    text.save()
    return text


def _write_in_bulk(model, rows):
    """As the pack loader writes: one INSERT, then the signal that records their versions."""
    rows = model.objects.bulk_create(rows)
    texts_written.send(sender=model, rows=rows)
    return rows


@pytest.fixture
def texts():
    """A small published content set: weekly pregnancy, the first child stages, specials."""
    stages = [_stage_row("pregnancy", "week", week) for week in range(4, 43)]
    stages.append(
        _stage_row(
            "pregnancy",
            "week",
            20,
            audience="partner",
            body="## パートナーへ\n支えてあげてください。",
        )
    )
    stages += [_stage_row("child", "day", day) for day in range(7)]
    stages += [_stage_row("child", "month", month) for month in range(1, 37)]
    _write_in_bulk(StageMessage, stages)
    _write_in_bulk(
        SpecialMessage,
        [
            SpecialMessage(
                kind=kind, subject=f"{kind}", body=f"## {kind}\n本文です。", published=True
            )
            for kind in ("welcome", "birth", "loss", "graduation", "birth-check")
        ],
    )
    _write_in_bulk(
        BirthdayMessage,
        [
            BirthdayMessage(
                age_years=1, subject="1歳おめでとう", body="## 1歳\n本文", published=True
            )
        ],
    )


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield MORNING


@pytest.fixture
def municipality(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN_KOTO", LINE_TOKEN)
    monkeypatch.setenv("LINE_CHANNEL_SECRET_KOTO", LINE_SECRET)
    with time_machine.travel(datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO)):
        return MunicipalityFactory(
            slug="koto",
            name="江東区",
            service_name="こんにちは赤ちゃんメール",
            sender_email="kosodate@city.koto.example.jp",
            line_enabled=True,
        )


TODAY = MORNING.date()


def due_for(week: int, on: datetime.date = TODAY) -> datetime.date:
    """The due date of a pregnancy entering ``week`` on ``on``."""
    return on + datetime.timedelta(days=280 - week * 7)


def family(municipality, *, due=None, birth=None, **subscriber):
    subscriber = {"confirmed_at": datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO), **subscriber}
    return SubscriptionFactory(
        subscriber__municipality=municipality,
        child__municipality=municipality,
        child__due_date=due,
        child__birth_date=birth,
        child__status="born" if birth else "expecting",
        **{f"subscriber__{key}": value for key, value in subscriber.items()},
    )


def line_user(n: int) -> str:
    return "U" + f"{n:032x}"


@pytest.fixture
def smtp(settings):
    with SmtpMailbox() as mailbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = mailbox.port
        settings.EMAIL_TIMEOUT = 3
        yield mailbox


@pytest.fixture
def line(settings):
    with FakeLine(tokens={LINE_TOKEN}) as fake:
        settings.LINE_API_BASE_URL = fake.url
        yield fake


@pytest.fixture
def postmark(settings):
    with FakePostmark(token="postmark-token") as fake:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {
            "POSTMARK_SERVER_TOKEN": "postmark-token",
            "POSTMARK_API_URL": fake.url + "/",
            "REQUESTS_TIMEOUT": 1,
            "WEBHOOK_SECRET": "hook:secret",
        }
        yield fake
