"""The dashboard's figures, from fixtures with known counts, and who sees which part."""

import datetime
import re

import pytest

from delivery import heartbeats, stats
from delivery.models import ForecastCount, SendTally
from tests.operations.conftest import NOW, TODAY, YESTERDAY

pytestmark = pytest.mark.django_db


def cells(html: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with ``first_cell``."""
    row = re.search(rf"<tr>\s*<td>{re.escape(first_cell)}</?.*?</tr>", html, re.S)
    assert row, f"no row starting with {first_cell}"
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[0], re.S)
    ]


def test_operators_see_every_municipality_by_day_and_status(ops):
    html = ops.client("operator").get("/ops/").content.decode()
    # Columns: day, planned, sending, sent, failed, skipped, total.
    assert cells(html, "11月24日（火） 今日")[1:] == ["3", "0", "15", "11", "0", "29"]
    assert cells(html, "11月23日（月）")[1:] == ["0", "0", "7", "1", "0", "8"]
    assert "あおば市" in html and "みどり町" in html
    assert "みどり町だけのエラー" in html


def test_the_table_of_today_splits_municipality_and_channel(ops):
    html = ops.client("operator").get("/ops/").content.decode()
    aoba_email = re.search(r"<td>あおば市</td>\s*<td>メール</td>(.*?)</tr>", html, re.S)[1]
    numbers = re.findall(r'<td class="kz-num">(\d+)</td>', aoba_email)
    assert numbers == ["3", "0", "5", "2", "0"]


def test_municipality_staff_see_only_their_own_part(ops):
    for role in ("editor", "viewer"):
        html = ops.client(role).get("/ops/").content.decode()
        assert cells(html, "11月24日（火） 今日")[1:] == ["3", "0", "9", "2", "0", "14"]
        assert "みどり町" not in html
        assert "みどり町だけのエラー" not in html
        # System detail and controls are for operators.
        assert "Celeryのキュー" not in html
        assert "/ops/cancel/" not in html and "再試行…" not in html


def test_staff_cannot_choose_another_municipality(ops):
    html = ops.client("viewer").get(f"/ops/?municipality={ops.midori.pk}").content.decode()
    assert "みどり町" not in html
    assert cells(html, "11月24日（火） 今日")[-1] == "14"


def test_an_operator_can_narrow_to_one_municipality(ops):
    html = ops.client("operator").get(f"/ops/?municipality={ops.midori.pk}").content.decode()
    assert cells(html, "11月24日（火） 今日")[1:] == ["0", "0", "6", "9", "0", "15"]


def test_who_may_open_the_dashboard(ops, client):
    assert client.get("/ops/").status_code == 302  # to the login
    assert ops.client("norole").get("/ops/").status_code == 403
    for role in ("superuser", "operator", "editor", "viewer"):
        assert ops.client(role).get("/ops/").status_code == 200


def test_backlog_counts_what_is_due_and_its_age(ops):
    html = ops.client("operator").get("/ops/").content.decode()
    backlog = re.search(
        r"未送信.*?kz-stat-num\">(\d+)</span>.*?待っているもの: (.*?)前から", html, re.S
    )
    assert backlog[1] == "3"
    assert backlog[2].replace("\xa0", "") == "40分"


def test_a_pause_holds_the_backlog_apart(ops):
    ops.aoba.paused = True
    ops.aoba.save()
    html = ops.client("operator").get("/ops/").content.decode()
    assert re.search(r"未送信.*?kz-stat-num\">0</span>", html, re.S)
    assert "一時停止で待機中: 3件" in html


def test_error_breakdown_groups_failures_by_reason(ops):
    html = ops.client("operator").get("/ops/").content.decode()
    section = html.split("エラーの内訳")[1].split("最新の失敗")[0]
    reasons = re.findall(
        r'kz-error-text">(.*?)</td>\s*<td class="kz-num"><a[^>]*>(\d+)</a>', section
    )
    assert reasons == [
        ("みどり町だけのエラー", "9"),
        ("SMTP 550", "2"),
        ("LINE 500: 再試行の上限に達しました", "1"),
    ]


def test_sending_rate_adds_the_tallies_of_the_last_hour(ops):
    stats.add_tally({(ops.aoba.pk, "email", "sent"): 30}, at=NOW - datetime.timedelta(minutes=5))
    stats.add_tally({(ops.aoba.pk, "email", "sent"): 12}, at=NOW - datetime.timedelta(minutes=5))
    stats.add_tally({(ops.aoba.pk, "line", "failed"): 2}, at=NOW - datetime.timedelta(minutes=1))
    stats.add_tally({(ops.aoba.pk, "email", "sent"): 500}, at=NOW - datetime.timedelta(hours=2))
    stats.add_tally({(ops.midori.pk, "email", "sent"): 8}, at=NOW)
    assert SendTally.objects.get(count=42).minute == NOW - datetime.timedelta(minutes=5)
    html = ops.client("operator").get("/ops/").content.decode()
    assert re.search(r"直近1時間の送信</span>\s*<span class=\"kz-stat-num\">50</span>", html)
    assert "毎分平均 0.8通・失敗 2" in html
    html = ops.client("viewer").get("/ops/").content.decode()
    assert re.search(r"直近1時間の送信</span>\s*<span class=\"kz-stat-num\">42</span>", html)


def test_thirty_day_charts_have_a_column_per_day(ops):
    html = ops.client("operator").get("/ops/").content.decode()
    sent_chart = html.split("日ごとの送信済みの件数</caption>")[1].split("</table>")[0]
    rows = re.findall(r"<th scope=\"row\">([\d/]+)</th><td>(\d+)</td>", sent_chart)
    assert len(rows) == 30
    assert rows[-1] == ("11/24", "15") and rows[-2] == ("11/23", "7") and rows[0] == ("10/26", "0")


def test_line_quota_adds_sent_waiting_and_the_forecast_to_month_end(ops):
    for offset, count in [(1, 100), (6, 200), (7, 999)]:  # 11/25, 11/30 (month end), 12/1
        ForecastCount.objects.create(
            made_on=TODAY,
            day=TODAY + datetime.timedelta(days=offset),
            municipality=ops.aoba,
            channel="line",
            count=count,
        )
    html = ops.client("operator").get("/ops/").content.decode()
    row = cells(html.split("LINEの月間メッセージ数")[1], "あおば市")
    # sent this month (4 today), waiting today (0), rest of month (300), expected, quota, %, 30 days
    assert row[1:] == ["4", "0", "300", "304", "1000", "30%", "1299"]


def test_over_quota_is_flagged(ops):
    ops.aoba.line_monthly_quota = 100
    ops.aoba.save()
    ForecastCount.objects.create(
        made_on=TODAY,
        day=TODAY + datetime.timedelta(days=2),
        municipality=ops.aoba,
        channel="line",
        count=150,
    )
    html = ops.client("operator").get("/ops/").content.decode()
    assert "154% 超過の見込み" in html


def test_empty_states(db, now):
    from django.test import Client

    from municipalities.models import OPERATORS_GROUP
    from tests.staff.conftest import make_user

    client = Client()
    client.force_login(make_user("op", groups=[OPERATORS_GROUP]))
    html = client.get("/ops/").content.decode()
    for text in [
        "直近7日の配信はまだありません",
        "今日の配信はまだ計画されていません",
        "この期間の失敗はありません",
        "予測はまだありません",
        "未実行",
    ]:
        assert text in html


def test_last_tick_is_shown(ops):
    heartbeats.beat(heartbeats.TICK, planned=12, due=3, dispatchers=1)
    html = ops.client("operator").get("/ops/").content.decode()
    assert "10:00:00" in html and "12件を計画" in html


def test_failures_page_lists_and_filters_without_personal_data(ops):
    page = ops.client("operator").get("/ops/failures/?error=SMTP 550").content.decode()
    assert page.count('name="ids"') == 2
    assert "@example.jp" not in page
    viewer = ops.client("viewer").get("/ops/failures/").content.decode()
    assert "みどり町" not in viewer.split("<tbody>")[1]
    assert 'name="ids"' not in viewer  # no controls for municipality staff
    bad = ops.client("operator").get("/ops/failures/?municipality=abc")
    assert bad.status_code == 200


def test_workers_frame_says_when_no_worker_has_recorded_a_heartbeat(ops):
    response = ops.client("operator").get("/ops/workers/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "動いているワーカーはありません" in response.content.decode()
    assert ops.client("viewer").get("/ops/workers/").status_code == 403


def test_queue_depth_is_read_from_redis(ops, settings):
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")
    client.rpush("celery", "a", "b", "c")
    try:
        html = ops.client("operator").get("/ops/").content.decode()
        assert re.search(
            r"Celeryのキュー（未処理のタスク）</span>\s*<span class=\"kz-stat-num\">3</span>", html
        )
    finally:
        client.delete("celery")


def test_the_day_counts_are_exact_after_a_recount(ops):
    from delivery.models import DayCount, Delivery

    Delivery.objects.filter(municipality=ops.midori, status="failed").update(status="sent")
    stats.recount_days([TODAY])
    counts = {
        (c.municipality_id, c.channel, c.status): c.count
        for c in DayCount.objects.filter(day=TODAY)
    }
    assert counts[(ops.midori.pk, "email", "sent")] == 15
    assert (ops.midori.pk, "email", "failed") not in counts
    assert DayCount.objects.filter(day=YESTERDAY).count() == 2
