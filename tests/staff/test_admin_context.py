"""Every admin and staff page's context is Django's own, but for the section list, which is
worked out only when a template reads it (the sidebar that shows it is off)."""

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("superuser", [False, True])
def test_the_context_is_djangos_own(superuser):
    request = _request(make_user("staff", is_superuser=superuser))
    ours, djangos = admin.site.each_context(request), AdminSite.each_context(admin.site, request)
    # A Django upgrade that gives pages a new key of its own fails here, not on a page.
    assert ours.keys() == djangos.keys()
    for key in ours.keys() - {"available_apps", "log_entries"}:
        assert ours[key] == djangos[key], key
    assert list(ours["available_apps"]) == djangos["available_apps"]
    assert str(ours["log_entries"].query) == str(djangos["log_entries"].query)


def test_a_page_that_shows_no_section_list_does_not_work_it_out():
    request = _request(make_user("staff"))
    with CaptureQueriesContext(connection) as djangos:
        AdminSite.each_context(admin.site, request)
    request = _request(make_user("staff2"))
    with CaptureQueriesContext(connection) as ours:
        context = admin.site.each_context(request)
    assert len(djangos) > 0  # the user's permissions, read to list the sections
    assert len(ours) == 0
    assert context["available_apps"] == []  # no permission to any section
