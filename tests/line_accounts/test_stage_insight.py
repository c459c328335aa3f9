"""Per-stage open and click counts: stage texts pushed with one ``customAggregationUnits`` name per
stage (LINE: one a request, 1–30 characters of [A-Za-z0-9_]), fetched nightly from LINE's
Insight API per unit and day into StageInsight in one upsert, a re-fetch changing nothing but the
numbers, LINE's null below its threshold shown as 「少数のため非表示」."""

import datetime

import pytest
import time_machine

from delivery import dispatch, line_insight, planner
from line_accounts import insight, selectors
from line_accounts.models import StageInsight
from line_accounts.tasks import fetch_stage_insights
from tests.delivery.conftest import MORNING, TODAY, due_for, family, line_user
from tests.line_accounts.test_preview import staff_of

pytestmark = pytest.mark.django_db

NEXT_NIGHT = MORNING + datetime.timedelta(days=1)
SENT_ON = TODAY.strftime("%Y%m%d")


def statistics_on(municipality):
    account = selectors.of(municipality)
    account.stage_statistics = True
    account.save()


def send(municipality, weeks=(20, 20, 20, 30)):
    for n, week in enumerate(weeks):
        family(
            municipality, due=due_for(week), channel="line", line_user_id=line_user(n), email=None
        )
    planner.plan_day(TODAY, [municipality])
    return dispatch.dispatch().outcomes


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("c1:stage:pregnancy:week:20", "p_w20"),
        ("c1:stage:pregnancy:day:143", "p_w20"),
        ("c1:stage:child:day:10", "c_w1"),
        ("c1:stage:child:month:4", "c_m4"),
        ("c1:stage:child:year:3", "c_y3"),
        ("c1:birthday:1", ""),
        ("special:welcome", ""),
        ("survey:7", ""),
    ],
)
def test_one_unit_name_per_stage_in_lines_alphabet(key, unit):
    assert line_insight.stage_unit(key) == unit
    assert unit == "" or line_insight.UNIT_NAME.fullmatch(unit)


def test_stage_texts_carry_their_unit_where_the_account_counts(municipality, texts, line, morning):
    statistics_on(municipality)
    assert send(municipality) == {"sent": 4}
    assert line.units_sent == {"p_w20": 3, "p_w30": 1}


def test_no_unit_where_the_account_does_not_count(municipality, texts, line, morning):
    assert send(municipality) == {"sent": 4}
    assert line.units_sent == {}


def test_the_nightly_fetch_writes_each_unit_and_day_once_and_a_refetch_updates_it(
    municipality, texts, line
):
    statistics_on(municipality)
    with time_machine.travel(MORNING, tick=True):
        send(municipality)
    line.insight[("p_w20", SENT_ON)] = (25, None)  # clicks below LINE's threshold: null
    with time_machine.travel(NEXT_NIGHT, tick=False):
        assert fetch_stage_insights() == 2
    asked = {(unit, start, end) for unit, start, end in line.insight_requests}
    assert asked == {("p_w20", SENT_ON, SENT_ON), ("p_w30", SENT_ON, SENT_ON)}
    rows = {r.unit: (r.opened, r.clicked) for r in StageInsight.objects.all()}
    assert rows == {"p_w20": (25, None), "p_w30": (None, None)}

    line.insight[("p_w20", SENT_ON)] = (31, 22)  # LINE keeps counting for 14 days
    with time_machine.travel(NEXT_NIGHT + datetime.timedelta(hours=1), tick=False):
        assert fetch_stage_insights() == 2
    assert StageInsight.objects.count() == 2
    assert StageInsight.objects.get(unit="p_w20").clicked == 22


def test_the_staff_page_shows_counts_per_stage_and_hides_lines_nulls(municipality, texts, line):
    statistics_on(municipality)
    with time_machine.travel(MORNING, tick=True):
        send(municipality)
    line.insight[("p_w20", SENT_ON)] = (25, None)
    with time_machine.travel(NEXT_NIGHT, tick=False):
        fetch_stage_insights()
        _, rows = insight.table(municipality, NEXT_NIGHT.date())
        page = staff_of(municipality).get("/staff/line/preview/").content.decode()
    assert [r.label for r in rows] == ["妊娠20週", "妊娠30週"]
    assert rows[0].cells[-1] == "開封 25・クリック 少数のため非表示"
    assert rows[1].cells[-1] == "少数のため非表示"
    assert "妊娠20週" in page and "開封 25" in page and "少数のため非表示" in page
