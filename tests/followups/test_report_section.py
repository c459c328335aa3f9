"""Follow-up cases in the yearly report: counted by 年度 (1 April in Tokyo), small counts hidden."""

import datetime

import pytest

from followups.models import Case
from kizuna import clock
from reports.yearly import yearly_report
from tests.factories import SubscriberFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db

FY2026_FIRST_MOMENT = datetime.datetime(2026, 4, 1, 0, 0, tzinfo=clock.TOKYO)


def _cases(town, count, *, opened_at, reason=Case.Reason.TALK, closed_at=None):
    reader = SubscriberFactory(municipality=town)
    made = Case.objects.bulk_create(
        Case(
            municipality=town,
            subscriber=reader,
            reason=reason,
            due_on=opened_at.date(),
            state=Case.State.CLOSED if closed_at else Case.State.NEW,
            outcome=Case.Outcome.SUPPORTED if closed_at else "",
        )
        for _ in range(count)
    )
    Case.objects.filter(pk__in=[c.pk for c in made]).update(
        opened_at=opened_at, closed_at=closed_at
    )


def _section(town):
    report = yearly_report(town, 2026, today=NOW.date(), now=NOW)
    table = next(t for t in report.tables if t.title == "伴走型相談支援のフォローアップ")
    return {row.label: [str(c) for c in row.cells] for row in table.rows}, report.sentences


def test_cases_count_in_the_fiscal_year_they_were_opened_and_closed_in(town):
    last_moment_of_fy2025 = FY2026_FIRST_MOMENT - datetime.timedelta(microseconds=1)
    _cases(town, 3, opened_at=last_moment_of_fy2025, closed_at=FY2026_FIRST_MOMENT)
    _cases(town, 8, opened_at=FY2026_FIRST_MOMENT, closed_at=FY2026_FIRST_MOMENT)
    _cases(town, 4, opened_at=FY2026_FIRST_MOMENT, reason=Case.Reason.THRESHOLD)

    rows, sentences = _section(town)

    assert rows["受け付けたケース"] == ["12", "10未満"]  # this year, then last year
    assert rows["うち「話を聞いてほしい」から"] == ["10未満", "10未満"]
    assert rows["終了したケース"] == ["11", "10未満"]  # none: under 10 like any small count
    assert any("12件のご相談・ご希望を受け付け、11件を終えました" in s for s in sentences)


def test_a_year_under_ten_cases_says_no_number_in_its_sentence(town):
    _cases(town, 5, opened_at=FY2026_FIRST_MOMENT)
    rows, sentences = _section(town)
    assert rows["受け付けたケース"] == ["10未満", "10未満"]
    assert not any("フォローアップ" in s for s in sentences)


def test_another_municipalitys_cases_are_not_counted(town):
    from tests.factories import MunicipalityFactory

    elsewhere = MunicipalityFactory()
    _cases(elsewhere, 15, opened_at=FY2026_FIRST_MOMENT)
    _cases(town, 11, opened_at=FY2026_FIRST_MOMENT)
    rows, _ = _section(town)
    assert rows["受け付けたケース"] == ["11", "10未満"]
