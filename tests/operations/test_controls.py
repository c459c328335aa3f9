"""Pause, resume, retry and cancel: each asks first, acts once, is logged, and is for operators."""

import datetime

import pytest
import time_machine
from django.test import Client

from delivery import dispatch, planner
from delivery.models import DayCount, Delivery
from kizuna import clock
from municipalities.models import OPERATORS_GROUP
from operations.models import OperatorAction
from subscribers.models import Subscriber
from tests.delivery.conftest import MORNING, due_for, family, line_user
from tests.operations.conftest import NOW, TODAY, deliveries
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    client = Client()
    client.force_login(make_user("duty-operator", groups=[OPERATORS_GROUP]))
    return client


def test_pause_holds_the_day_and_resume_sends_each_message_once(
    municipality, texts, smtp, line, morning, operator
):
    for _ in range(3):
        family(municipality, due=due_for(20))
    for n in range(2):
        family(municipality, due=due_for(21), channel="line", line_user_id=line_user(n), email=None)
    planner.plan_day(clock.today(), [municipality])

    confirm = operator.get(f"/ops/municipalities/{municipality.pk}/pause/")
    assert "一時停止しますか" in confirm.content.decode()
    municipality.refresh_from_db()
    assert not municipality.paused  # asking changes nothing

    assert operator.post(f"/ops/municipalities/{municipality.pk}/pause/").status_code == 302
    assert dispatch.dispatch().handled == 0
    assert smtp.messages == [] and line.received == []
    assert Delivery.objects.filter(status="planned").count() == 5

    page = operator.get(f"/ops/municipalities/{municipality.pk}/resume/").content.decode()
    assert "待機中の<strong>5件</strong>" in page
    operator.post(f"/ops/municipalities/{municipality.pk}/resume/")
    assert dispatch.dispatch().outcomes == {"sent": 5}
    assert dispatch.dispatch().handled == 0
    assert len(smtp.messages) == 3 and len(line.received) == 2
    kinds = list(OperatorAction.objects.order_by("pk").values_list("kind", "username", "affected"))
    assert kinds == [("pause", "duty-operator", 0), ("resume", "duty-operator", 5)]


def test_pausing_twice_is_one_pause(municipality, operator, morning):
    operator.post(f"/ops/municipalities/{municipality.pk}/pause/")
    response = operator.post(f"/ops/municipalities/{municipality.pk}/pause/", follow=True)
    assert "すでに一時停止中です" in response.content.decode()
    assert OperatorAction.objects.count() == 1


def test_resuming_after_a_long_pause_warns_of_what_is_too_old(municipality, operator, morning):
    subscription = family(municipality, due=due_for(20))
    for back in (1, 5):
        Delivery.objects.create(
            municipality=municipality,
            subscriber=subscription.subscriber,
            child=subscription.child,
            channel="email",
            message_key=f"c{subscription.child_id}:stage:pregnancy:day:{back}",
            due_on=clock.today() - datetime.timedelta(days=back),
            next_attempt_at=clock.now(),
        )
    municipality.paused = True
    municipality.save()
    page = operator.get(f"/ops/municipalities/{municipality.pk}/resume/").content.decode()
    assert "そのうち1件は配信日から3日を過ぎている" in page


def test_retry_selected_failures_asks_then_sends_once(ops, operator, texts, smtp):
    failed = list(Delivery.objects.filter(municipality=ops.aoba, status="failed", due_on=TODAY))
    ids = [str(d.pk) for d in failed]
    confirm = operator.post("/ops/retry/", {"ids": ids})
    assert "<strong>2件</strong>の失敗した配信" in confirm.content.decode()
    assert Delivery.objects.filter(pk__in=ids, status="failed").count() == 2

    done = operator.post("/ops/retry/", {"ids": ids, "confirmed": "yes"}, follow=True)
    assert "2件の配信を再試行の予定に戻しました" in done.content.decode()
    rows = Delivery.objects.filter(pk__in=ids)
    assert {(d.status, d.attempts, d.last_error) for d in rows} == {("planned", 0, "")}
    action = OperatorAction.objects.get()
    assert (action.kind, action.affected, action.municipality) == ("retry", 2, ops.aoba)
    # The dashboard's counts follow at once.
    assert (
        DayCount.objects.get(
            day=TODAY, municipality=ops.aoba, channel="email", status="planned"
        ).count
        == 5
    )

    report = dispatch.dispatch(municipality_ids=[ops.aoba.pk])
    assert report.outcomes["sent"] == 5  # the 3 planned and the 2 retried
    addresses = [m["To"] for m in smtp.messages]
    assert len(addresses) == len(set(addresses)) == 5


def test_retry_all_with_one_error_leaves_others_and_old_failures(ops, operator):
    old = deliveries(ops.aoba, TODAY - datetime.timedelta(days=10), "failed", 1, error="SMTP 550")
    page = operator.post("/ops/retry/", {"error": "SMTP 550"}).content.decode()
    assert "<strong>2件</strong>" in page and "1件は配信日から3日を過ぎている" in page
    operator.post("/ops/retry/", {"error": "SMTP 550", "confirmed": "yes"})
    assert Delivery.objects.filter(last_error="SMTP 550", status="failed").get().pk == old[0].pk
    assert Delivery.objects.filter(last_error="みどり町だけのエラー").count() == 9


def test_retry_reopens_a_channel_that_this_failure_stopped(ops, operator):
    [failed, other] = Delivery.objects.filter(municipality=ops.aoba, status="failed", due_on=TODAY)
    Subscriber.objects.filter(pk=failed.subscriber_id).update(
        channel_stopped_at=NOW, channel_stop_reason="SMTP 550"
    )
    Subscriber.objects.filter(pk=other.subscriber_id).update(
        channel_stopped_at=NOW, channel_stop_reason="ESP: 宛先が拒否されました"
    )
    operator.post("/ops/retry/", {"ids": [failed.pk], "confirmed": "yes"})
    assert Subscriber.objects.get(pk=failed.subscriber_id).channel_stopped_at is None
    assert Subscriber.objects.get(pk=other.subscriber_id).channel_stopped_at is not None
    assert OperatorAction.objects.get().detail["channels_reopened"] == 1


def test_cancel_a_planned_batch(ops, operator):
    sending = deliveries(ops.aoba, TODAY, "sending", 1)
    url = f"/ops/cancel/?municipality={ops.aoba.pk}&day={TODAY}&channel=email"
    page = operator.get(url).content.decode()
    assert "まだ送っていない<strong>3件</strong>を取り消します" in page
    assert Delivery.objects.filter(status="planned").count() == 3
    operator.post(
        "/ops/cancel/", {"municipality": ops.aoba.pk, "day": TODAY.isoformat(), "channel": "email"}
    )
    skipped = Delivery.objects.filter(status="skipped")
    assert skipped.count() == 3
    assert all(d.last_error == "運用担当者が取り消しました（duty-operator）" for d in skipped)
    assert Delivery.objects.get(pk=sending[0].pk).status == "sending"
    action = OperatorAction.objects.get()
    assert (action.kind, action.affected, action.detail["day"]) == ("cancel", 3, "2026-11-24")
    assert (
        DayCount.objects.get(
            day=TODAY, municipality=ops.aoba, channel="email", status="skipped"
        ).count
        == 3
    )


@pytest.mark.parametrize(
    "query, message",
    [
        ("municipality=999999&day=2026-11-24", "その自治体は選べません"),
        ("municipality={aoba}&day=24/11/2026", "日付は YYYY-MM-DD の形で"),
        ("day=2026-11-24", "このフィールドは必須です"),
    ],
)
def test_bad_batches_get_a_clear_page_and_change_nothing(ops, operator, query, message):
    response = operator.get("/ops/cancel/?" + query.format(aoba=ops.aoba.pk))
    assert response.status_code == 200
    assert message in response.content.decode()
    response = operator.post("/ops/cancel/?" + query.format(aoba=ops.aoba.pk))
    assert response.status_code == 200
    assert not Delivery.objects.filter(status="skipped").exists()
    assert not OperatorAction.objects.exists()


def test_bad_retry_input_is_refused_with_a_message(ops, operator):
    response = operator.post("/ops/retry/", {"ids": ["abc"]}, follow=True)
    assert "配信の指定が正しくありません" in response.content.decode()
    response = operator.post("/ops/retry/", {}, follow=True)
    assert "再試行する配信を選ぶか" in response.content.decode()
    assert Delivery.objects.filter(status="failed").count() == 12


@pytest.mark.parametrize("role", ["editor", "viewer", "norole"])
def test_controls_are_for_operators_only(ops, role):
    client = ops.client(role)
    failed = Delivery.objects.filter(status="failed").values_list("pk", flat=True)
    assert client.get(f"/ops/municipalities/{ops.aoba.pk}/pause/").status_code == 403
    assert client.post(f"/ops/municipalities/{ops.aoba.pk}/pause/").status_code == 403
    assert client.post("/ops/retry/", {"ids": list(failed), "confirmed": "yes"}).status_code == 403
    data = {"municipality": ops.aoba.pk, "day": TODAY.isoformat()}
    assert client.post("/ops/cancel/", data).status_code == 403
    assert client.get("/ops/actions/").status_code == 403
    ops.aoba.refresh_from_db()
    assert not ops.aoba.paused
    assert Delivery.objects.filter(status="failed").count() == 12
    assert not OperatorAction.objects.exists()


def test_controls_need_the_csrf_token(ops):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ops.users["operator"])
    assert client.post(f"/ops/municipalities/{ops.aoba.pk}/pause/").status_code == 403
    ops.aoba.refresh_from_db()
    assert not ops.aoba.paused


def test_the_action_log_lists_who_did_what_and_cannot_be_edited(ops, operator):
    operator.post(f"/ops/municipalities/{ops.aoba.pk}/pause/")
    page = operator.get("/ops/actions/").content.decode()
    assert "duty-operator" in page and "一時停止" in page and "あおば市" in page
    action = OperatorAction.objects.get()
    admin_page = operator.get(f"/admin/operations/operatoraction/{action.pk}/change/")
    assert admin_page.status_code == 200
    assert 'type="submit"' not in admin_page.content.decode().split('id="content-main"')[1]
    assert operator.post(f"/admin/operations/operatoraction/{action.pk}/delete/").status_code == 403
    assert operator.get("/admin/operations/operatoraction/add/").status_code == 403
    assert ops.client("editor").get("/admin/operations/operatoraction/").status_code == 403


def test_each_control_writes_a_structured_log_line(ops, operator, caplog):
    with caplog.at_level("INFO", logger="operations.services"):
        operator.post(f"/ops/municipalities/{ops.aoba.pk}/pause/")
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "operator_action"]
    assert (record.action, record.municipality_id) == ("pause", ops.aoba.pk)


def test_morning_constant_matches_the_delivery_tests():
    assert MORNING.date() == TODAY
    with time_machine.travel(NOW):
        assert clock.today() == TODAY


def test_urgent_notices_show_as_their_own_batches_and_cancel_alone(ops, operator):
    from urgent_notices.models import UrgentNotice

    author = ops.users["editor"]
    first, twelfth = (
        UrgentNotice.objects.create(
            municipality=ops.aoba,
            title=title,
            body="会場が変わりました。",
            created_by=author,
            status=UrgentNotice.Status.SENT,
            queued_on=TODAY,
        )
        for title in ("健診会場の変更", "断水のお知らせ")
    )
    for notice, n in ((first, 2), (twelfth, 3)):
        rows = deliveries(ops.aoba, TODAY, "planned", n)
        Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(message_key=notice.message_key)
    page = operator.get("/ops/").content.decode()
    section = page.split("緊急のお知らせ（")[1].split("エラーの内訳")[0]
    assert "健診会場の変更" in section and "断水のお知らせ" in section
    viewer_page = ops.client("viewer").get("/ops/").content.decode()
    assert "断水のお知らせ" in viewer_page and "予定を取り消す" not in viewer_page

    data = {"municipality": ops.aoba.pk, "day": TODAY.isoformat(), "message_key": first.message_key}
    operator.post("/ops/cancel/", data)
    assert Delivery.objects.filter(message_key=first.message_key, status="skipped").count() == 2
    assert Delivery.objects.filter(message_key=twelfth.message_key, status="planned").count() == 3
    midori = ops.client("viewer").get(f"/ops/?municipality={ops.midori.pk}").content.decode()
    assert "みどり町" not in midori
