"""Old delivery rows rolled into the day counts: what goes, what stays, and figures that don't move."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from content.models import StageMessage
from delivery import heartbeats, planner, retention, stats, tasks
from delivery.models import DayCount, Delivery, SentMessage
from subscribers.services import export_personal_data
from tests.factories import MunicipalityFactory, SubscriberFactory
from tests.operations import conftest as operations
from tests.operations.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db
now = operations.now  # the dashboard's fixtures: time frozen at NOW, two municipalities
ops = operations.ops

OLD = TODAY - datetime.timedelta(days=40)


def rows(municipality, day, keys, status="sent", channel="email"):
    """One row per message key, each to a reader of its own."""
    readers = SubscriberFactory.create_batch(len(keys), municipality=municipality)
    return Delivery.objects.bulk_create(
        Delivery(
            municipality=municipality,
            subscriber=reader,
            channel=channel,
            message_key=key,
            due_on=day,
            status=status,
            next_attempt_at=NOW,
        )
        for reader, key in zip(readers, keys, strict=True)
    )


DAY_PLANNED = ["c1:stage:pregnancy:week:20", "c2:stage:child:day:3", "c3:birthday:1"]
ONE_OFF = [
    "special:welcome",
    "c4:special:loss",
    "c5:special:graduation",
    "c6:special:birth-check",
    "survey:7",
    "urgent:8",
    "import:9",
]


def counts(**filters):
    return sorted(
        DayCount.objects.filter(**filters).values_list(
            "day", "municipality_id", "channel", "status", "count"
        )
    )


def test_finished_stage_and_birthday_rows_go_and_one_off_kinds_stay(now):
    place = MunicipalityFactory()
    rows(place, OLD, DAY_PLANNED + ONE_OFF)
    rows(place, OLD, ["c10:stage:child:month:2"], status="failed")
    rows(place, OLD, ["c11:stage:child:month:3"], status="skipped", channel="line")
    stats.recount_days([OLD])
    before = counts()

    result = retention.roll_up(TODAY)

    assert result.deleted == {OLD: 5}
    assert sorted(Delivery.objects.values_list("message_key", flat=True)) == sorted(ONE_OFF)
    assert counts() == before
    assert DayCount.objects.get(day=OLD, status="sent").rolled_up == 3


def test_each_sent_row_rolled_up_leaves_one_slim_record_for_its_reader(now):
    place = MunicipalityFactory()
    sent = rows(place, OLD, DAY_PLANNED, channel="line")
    rows(place, OLD, ["c10:stage:child:month:2"], status="failed")
    rows(place, OLD, ["c11:stage:child:month:3"], status="skipped")
    stats.recount_days([OLD])

    retention.roll_up(TODAY, chunk_rows=2)
    retention.roll_up(TODAY, chunk_rows=2)  # again: nothing is recorded twice

    assert sorted(
        SentMessage.objects.values_list("subscriber_id", "due_on", "channel", "message_key")
    ) == sorted((d.subscriber_id, OLD, "line", d.message_key) for d in sent)
    # The reader's download lists the record, then what is still a row, in date order.
    reader = sent[0].subscriber
    rows_reader = Delivery.objects.create(
        municipality=place,
        subscriber=reader,
        channel="line",
        message_key="c1:stage:pregnancy:week:21",
        due_on=TODAY,
        status="sent",
        next_attempt_at=NOW,
        sent_at=NOW,
    )
    assert export_personal_data(reader)["sent_messages"] == [
        {"date": OLD.isoformat(), "message": "stage:pregnancy:week:20", "channel": "line"},
        {"date": TODAY.isoformat(), "message": "stage:pregnancy:week:21", "channel": "line"},
    ]
    # Erasing the reader's account takes the records with it.
    rows_reader.delete()
    reader.delete()
    assert SentMessage.objects.filter(subscriber_id=reader.pk).count() == 0


def test_records_older_than_the_history_days_go_in_chunks(now, settings):
    settings.KIZUNA_SENT_HISTORY_DAYS = 100
    readers = SubscriberFactory.create_batch(2, municipality=MunicipalityFactory())
    oldest = TODAY - datetime.timedelta(days=100)
    for day in (oldest - datetime.timedelta(days=1), oldest, oldest + datetime.timedelta(days=1)):
        for reader in readers:
            SentMessage.objects.create(
                subscriber=reader, due_on=day, channel="email", message_key="c1:birthday:1"
            )

    dry = retention.roll_up(TODAY, dry_run=True)
    assert (dry.history_through, dry.history_deleted) == (oldest, 4)
    assert SentMessage.objects.count() == 6

    out = io.StringIO()
    call_command("roll_up_deliveries", stdout=out)
    assert f"送信記録（{oldest} まで）: 4 件を削除" in out.getvalue()
    assert set(SentMessage.objects.values_list("due_on", flat=True)) == {
        oldest + datetime.timedelta(days=1)
    }
    assert retention.roll_up(TODAY, chunk_rows=1).history_deleted == 0


def test_days_within_the_kept_days_and_the_catch_up_window_are_untouched(now, settings):
    place = MunicipalityFactory()
    keep = settings.KIZUNA_DELIVERY_KEEP_DAYS
    last_kept = TODAY - datetime.timedelta(days=keep - 1)
    first_rolled = TODAY - datetime.timedelta(days=keep)
    rows(place, last_kept, ["c1:stage:child:day:1"])
    rows(place, first_rolled, ["c2:stage:child:day:1"])
    stats.recount_days([last_kept, first_rolled])
    assert retention.roll_up(TODAY).deleted == {first_rolled: 1}
    assert list(Delivery.objects.values_list("due_on", flat=True)) == [last_kept]

    # Fewer kept days than the catch-up window: the window wins, the planner may still need them.
    settings.KIZUNA_DELIVERY_KEEP_DAYS = 1
    settings.KIZUNA_CATCH_UP_DAYS = 3
    assert retention.horizon(TODAY) == TODAY - datetime.timedelta(days=4)
    inside = TODAY - datetime.timedelta(days=3)
    rows(place, inside, ["c3:stage:child:day:1"])
    stats.recount_days([inside])
    retention.roll_up(TODAY)
    assert list(Delivery.objects.values_list("due_on", flat=True)) == [inside]


def test_a_day_with_unsent_rows_is_left_whole_until_it_is_finished(now):
    place = MunicipalityFactory()
    waiting = rows(place, OLD, ["c1:stage:child:day:1"], status="planned")
    rows(place, OLD, ["c2:stage:child:day:1", "c3:stage:child:day:1"])
    rows(place, OLD, ["c4:stage:child:day:2"], status="sending")
    stats.recount_days([OLD])

    result = retention.roll_up(TODAY)
    assert result.deleted == {} and result.unfinished == [OLD]
    assert Delivery.objects.count() == 4

    Delivery.objects.filter(status__in=["planned", "sending"]).update(status="sent")
    Delivery.objects.filter(pk=waiting[0].pk).update(status="failed")
    assert retention.roll_up(TODAY).deleted == {OLD: 4}
    assert counts() == [
        (OLD, place.pk, "email", "failed", 1),
        (OLD, place.pk, "email", "sent", 3),
    ]


def test_rolling_up_twice_or_in_small_chunks_changes_nothing_more(now):
    place = MunicipalityFactory()
    other = MunicipalityFactory()
    keys = [f"c{n}:stage:child:day:1" for n in range(7)]
    rows(place, OLD, keys)
    rows(other, OLD, keys, channel="line")
    rows(place, OLD - datetime.timedelta(days=1), keys[:3], status="failed")
    stats.recount_days([OLD, OLD - datetime.timedelta(days=1)])
    before = counts()

    first = retention.roll_up(TODAY, chunk_rows=3)
    assert first.total == 17
    again = retention.roll_up(TODAY, chunk_rows=3)
    assert again.total == 0
    assert Delivery.objects.count() == 0
    assert counts() == before
    # A recount of a rolled-up day (it became open again) keeps what was rolled up.
    stats.recount_days([OLD, OLD - datetime.timedelta(days=1)])
    assert counts() == before


def test_rows_left_on_a_rolled_up_day_still_count_when_recounted(now):
    place = MunicipalityFactory()
    rows(place, OLD, ["c1:stage:child:day:1", "survey:3"])
    stats.recount_days([OLD])
    retention.roll_up(TODAY)
    survey = Delivery.objects.get(message_key="survey:3")
    Delivery.objects.filter(pk=survey.pk).update(status="failed")
    stats.recount_days([OLD])
    assert counts() == [
        (OLD, place.pk, "email", "failed", 1),
        (OLD, place.pk, "email", "sent", 1),
    ]


def test_the_dashboards_thirty_day_figures_are_the_same_after_a_roll_up(ops, settings):
    settings.KIZUNA_DELIVERY_KEEP_DAYS = 5
    days = [TODAY - datetime.timedelta(days=back) for back in range(6, 29, 4)]
    for day in days:
        back = (TODAY - day).days
        rows(ops.aoba, day, [f"c{back}{n}:stage:child:day:{n}" for n in range(back % 5 + 1)])
        rows(ops.aoba, day, [f"c{back}9:birthday:1"], status="failed", channel="line")
        rows(ops.midori, day, [f"c{back}8:stage:child:day:1", "special:welcome"])
        stats.recount_days([day])
    client = ops.client("operator")
    before = client.get("/ops/")
    charts = re.findall(r"<caption>.*?</table>", before.content.decode(), re.S)
    assert any(">3</td>" in chart for chart in charts)

    stage_rows = sum((TODAY - day).days % 5 + 1 for day in days)
    assert retention.roll_up(TODAY).total == stage_rows + 2 * len(days)
    stats.recount_open_days(TODAY)
    stats.recount_days(days)  # as if each of them had become open again

    after = client.get("/ops/")
    assert after.context["series"] == before.context["series"]
    assert re.findall(r"<caption>.*?</table>", after.content.decode(), re.S) == charts


def test_a_rolled_up_day_is_never_planned_again(now, settings):
    place = MunicipalityFactory()
    rows(place, OLD, ["c1:stage:child:day:1"])
    stats.recount_days([OLD])
    retention.roll_up(TODAY)
    assert heartbeats.rolled_up_through() == retention.horizon(TODAY)
    with pytest.raises(planner.RolledUpDay):
        planner.plan_day(OLD, [place])
    with pytest.raises(CommandError, match="まとめ済み"):
        call_command("deliver", date=str(OLD), stdout=io.StringIO())
    # Dry runs (the forecast) and days after the horizon are planned as before.
    assert planner.plan_day(OLD, [place], dry_run=True).total == 0
    assert planner.plan_day(TODAY, [place]).total == 0


def test_the_command_shows_progress_and_its_dry_run_changes_nothing(now):
    place = MunicipalityFactory()
    rows(place, OLD, ["c1:stage:child:day:1", "c2:birthday:1", "urgent:4"])
    stats.recount_days([OLD])

    out = io.StringIO()
    call_command("roll_up_deliveries", dry_run=True, stdout=out)
    assert f"{OLD}: 2 件をまとめる予定です" in out.getvalue()
    assert "何も変更していません" in out.getvalue()
    assert Delivery.objects.count() == 3 and heartbeats.rolled_up_through() is None

    out = io.StringIO()
    call_command("roll_up_deliveries", stdout=out)
    text = out.getvalue()
    assert f"{OLD}: 2 件をまとめました" in text
    assert f"{retention.horizon(TODAY)} までの 1 日分: 2 件をまとめて削除" in text
    assert Delivery.objects.count() == 1


def test_the_nightly_task_rolls_up(now):
    place = MunicipalityFactory()
    rows(place, OLD, ["c1:stage:child:day:1"])
    stats.recount_days([OLD])
    assert tasks.roll_up_deliveries() == 1
    assert heartbeats.last_beat(retention.HEARTBEAT).detail["deleted"] == 1


def test_a_text_still_cannot_be_deleted_while_a_delivery_names_it(now):
    """The text foreign keys lost their indexes, not their protection."""
    from django.db.models import ProtectedError

    place = MunicipalityFactory()
    text = StageMessage.objects.create(
        track="child", unit="day", number=1, subject="s", body="## a\nb", published=True
    )
    delivery = rows(place, TODAY, ["c1:stage:child:day:1"])[0]
    Delivery.objects.filter(pk=delivery.pk).update(stage_message=text)
    with pytest.raises(ProtectedError):
        text.delete()


@pytest.mark.django_db
def test_the_delivery_table_is_vacuumed_after_a_day_of_churn_not_a_fifth_of_the_table():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'delivery_delivery'")
        [options] = cursor.fetchone()
    assert "autovacuum_vacuum_scale_factor=0.02" in options
