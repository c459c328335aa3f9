"""Only operators pause a municipality's delivery, through the recorded control: the admin shows
the flag and never changes it, neither through the change form nor by reverting a version."""

import pytest
from django.test import Client

from operations.models import OperatorAction

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change_data(page, **overrides) -> dict:
    """What the admin change form would post, as the page filled it in."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for inline in page.context.get("inline_admin_formsets", []):
        # No inline rows posted: the contacts and memberships are left as they are.
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_the_admin_cannot_pause_a_municipality(world, who):
    municipality = world.own
    user = world.users[who]
    url = f"/admin/municipalities/municipality/{municipality.pk}/change/"
    page = _client(user).get(url)
    assert "paused" not in page.context["adminform"].form.fields  # shown, not editable
    response = _client(user).post(
        url, _change_data(page, paused="on", service_name="あおば子育てメール（新）")
    )
    assert response.status_code == 302
    municipality.refresh_from_db()
    assert municipality.service_name == "あおば子育てメール（新）"  # the rest of the form saved
    assert municipality.paused is False
    assert not OperatorAction.objects.exists()


def test_reverting_to_a_version_saved_while_paused_does_not_pause(world):
    municipality = world.own
    municipality.paused = True
    municipality.save()  # an old version, from a day it was paused
    paused_version = municipality.history.latest()
    municipality.paused = False
    municipality.save()
    url = (
        f"/admin/municipalities/municipality/{municipality.pk}/history/{paused_version.history_id}/"
    )
    editor = _client(world.users["editor"])
    page = editor.get(url)
    assert page.status_code == 200
    assert editor.post(url, _change_data(page, paused="on")).status_code == 302
    municipality.refresh_from_db()
    assert municipality.paused is False
    assert not OperatorAction.objects.exists()
