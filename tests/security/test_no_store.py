"""Pages with personal data are never cached (issue 21.13): every such URL says no-store.

A shared computer's back button or a caching proxy must not show a parent's registration, a
municipality's survey answers, an import preview or the audit trail to the next person.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from adoption.models import ImportBatch
from municipalities.models import OPERATORS_GROUP, StaffMembership
from subscribers import links
from surveys.links import survey_token
from surveys.models import Survey
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_page_with_personal_data_sends_no_store():
    municipality = MunicipalityFactory(slug="koto")
    reader = SubscriptionFactory(
        subscriber__municipality=municipality, child__due_date=datetime.date(2027, 4, 13)
    ).subscriber
    survey = Survey.objects.create(
        municipality=municipality,
        title="読者アンケート",
        fiscal_year=2026,
        opens_on=datetime.date(2026, 1, 1),
        closes_on=datetime.date(2030, 1, 1),
    )
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    batch = ImportBatch.objects.create(
        municipality=municipality,
        source_name="旧システム",
        file_name="readers.csv",
        uploaded_by=editor,
    )
    operator = make_user("operator", groups=[OPERATORS_GROUP])
    superuser = make_user("root", is_superuser=True)

    parent = Client()
    token = links.manage_token(reader)
    parent_urls = [
        f"/manage/{token}/",  # the exchange itself (a redirect)
        "/manage/",
        "/manage/data/",
        "/manage/data/readable/",
        "/manage/data/readable/?download=1",
        "/manage/leave/",
        reverse("surveys:answer", args=[survey_token(reader, survey)]),
    ]
    staff_urls = {
        editor: [
            reverse("surveys:staff_results", args=[survey.pk]),
            reverse("surveys:staff_responses_csv", args=[survey.pk]),
            reverse("surveys:staff_responses_csv", args=[survey.pk]) + "?format=xlsx",
            reverse("surveys:staff_summary_csv", args=[survey.pk]),
            reverse("surveys:staff_summary_csv", args=[survey.pk]) + "?format=xlsx",
            reverse("adoption:index"),
            reverse("adoption:upload", args=[municipality.pk]),
            reverse("adoption:batch", args=[batch.pk]),
            reverse("adoption:export", args=[municipality.pk]),
            reverse("adoption:export", args=[municipality.pk]) + "?format=xlsx",
        ],
        operator: [
            reverse("operations:audit"),
            reverse("operations:audit_csv"),
            reverse("operations:audit_csv") + "?format=xlsx",
        ],
        superuser: [
            reverse("admin:subscribers_subscriber_changelist"),
            reverse("admin:subscribers_subscriber_change", args=[reader.pk]),
        ],
    }
    checked = []
    for url in parent_urls:
        response = parent.get(url)
        assert response.status_code in (200, 302), url
        checked.append((url, no_store(response)))
    for user, urls in staff_urls.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            checked.append((url, no_store(response)))
    assert [url for url, ok in checked if not ok] == []
