"""`make run`'s demo municipality has births, so its report opens with a coverage sentence."""

from content.services import load_pack
from operations.demo import DEMO_EDITOR, load_demo
from reports.models import BirthCount
from reports.yearly import yearly_report

from .conftest import NOW


def test_the_demo_report_states_births_and_hides_its_few_families(db, now, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    load_pack()
    municipality, accounts = load_demo()
    load_demo()  # twice: nothing doubled
    assert BirthCount.objects.filter(municipality=municipality).count() == 3
    assert DEMO_EDITOR in {account.username for account in accounts}
    report = yearly_report(municipality, 2026, today=NOW.date(), now=NOW)
    assert (
        report.sentences[0] == "令和8年度は出生数620人のうち、登録いただいたご家庭は10未満でした。"
    )
