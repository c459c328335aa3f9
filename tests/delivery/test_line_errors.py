"""LINE's request errors (ours) against its per-user signals (the reader's), and retry keys
that no other database on the same channel can have used."""

import uuid

import pytest
import urllib3
from django.db import connection

from content.models import StageMessage
from delivery import dispatch, planner
from delivery.models import Delivery, PlanRun
from kizuna import clock
from operations import selectors
from subscribers.models import Subscriber
from tests.delivery.conftest import TODAY, due_for, family, line_user
from tests.fakes import FakeLine

pytestmark = pytest.mark.django_db


def on_line(municipality, n: int, **fields):
    return family(
        municipality,
        due=fields.pop("due", due_for(20)),
        channel="line",
        line_user_id=line_user(n),
        email=None,
        **fields,
    )


def stopped() -> list[int]:
    return list(
        Subscriber.objects.filter(channel_stopped_at__isnull=False).values_list("pk", flat=True)
    )


def test_a_text_over_lines_limit_fails_the_rows_with_a_reason_and_stops_nobody(
    municipality, texts, line, morning
):
    # Saved past the admin's length check (an import, a bug): LINE refuses the request.
    StageMessage.objects.filter(track="pregnancy", unit="week", number=21).update(
        body="## 長すぎる文面\n" + "あ" * 5100
    )
    readers = [on_line(municipality, n, due=due_for(21)) for n in range(3)]
    fine = on_line(municipality, 9, due=due_for(20))
    planner.plan_day(TODAY, [municipality])
    report = dispatch.dispatch()
    assert report.outcomes == {"refused": 3, "sent": 1}
    # One refused multicast, not split into pushes that would each fail the same way.
    assert line.requests["/v2/bot/message/multicast"] == 1
    assert line.requests["/v2/bot/message/push"] == 1  # the other stage's single reader
    assert [user for user, _ in line.received] == [fine.subscriber.line_user_id]
    refused = Delivery.objects.filter(subscriber__in=[r.subscriber for r in readers])
    assert set(refused.values_list("status", flat=True)) == {"failed"}
    assert stopped() == []  # nobody's LINE stopped for our own text
    [reason] = selectors.error_breakdown([municipality.pk], TODAY)
    assert reason.count == 3 and "リクエストが拒否されました" in reason.error
    assert "messages[0].text" in reason.error


def test_our_token_or_plan_refused_stops_nobody(municipality, texts, line, morning):
    on_line(municipality, 1)
    on_line(municipality, 2, nickname="はな")
    line.refuse_plan = True
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"refused": 2}
    assert stopped() == []
    assert all(
        "チャネルの設定" in error for error in Delivery.objects.values_list("last_error", flat=True)
    )


def test_only_the_blocked_reader_is_stopped(municipality, texts, settings, morning):
    blocked = on_line(municipality, 1, nickname="はな")  # a nickname: sent by push
    others = [on_line(municipality, n) for n in (2, 3)]
    with FakeLine(tokens={"line-token-for-tests"}, blocked={line_user(1)}) as line:
        settings.LINE_API_BASE_URL = line.url
        planner.plan_day(TODAY, [municipality])
        assert dispatch.dispatch().outcomes == {"failed": 1, "sent": 2}
    assert stopped() == [blocked.subscriber_id]
    assert sorted(user for user, _ in line.received) == sorted(
        o.subscriber.line_user_id for o in others
    )


def test_a_second_database_on_the_same_channel_reaches_its_readers(
    municipality, texts, line, morning
):
    """Staging beside production, or a database re-created within LINE's 24 hours: the same
    delivery ids, the same LINE channel. Each database's message must arrive."""
    on_line(municipality, 1)
    on_line(municipality, 2)
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 2}
    first_keys = set(Delivery.objects.values_list("retry_key", flat=True))
    first_id = min(Delivery.objects.values_list("pk", flat=True))

    # The second database: the same families, and the same delivery ids.
    Delivery.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('delivery_delivery', 'id'), %s, false)",
            [first_id],
        )
    PlanRun.objects.all().delete()
    planner.plan_day(TODAY, [municipality])
    assert min(Delivery.objects.values_list("pk", flat=True)) == first_id
    assert dispatch.dispatch().outcomes == {"sent": 2}
    assert not first_keys & set(Delivery.objects.values_list("retry_key", flat=True))
    assert len(line.received) == 4  # each reader: once from each database
    assert clock.today() == TODAY


def test_the_fake_answers_409_for_a_reused_retry_key(line):
    """As LINE does: the second request under an accepted key is not delivered again."""
    key = str(uuid.uuid4())

    def push() -> int:
        return urllib3.request(
            "POST",
            line.url + "/v2/bot/message/push",
            json={"to": line_user(1), "messages": [{"type": "text", "text": "こんにちは"}]},
            headers={"Authorization": "Bearer line-token-for-tests", "X-Line-Retry-Key": key},
        ).status

    assert (push(), push()) == (200, 409)
    assert len(line.received) == 1
