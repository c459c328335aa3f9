"""Admin forms for municipality staff: only their municipality to choose, clear Japanese errors."""

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from content.models import BirthdayMessage, LocalNotice
from municipalities.models import StaffMembership
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

NOTICE = {
    "title": "3〜4か月児健診のご案内",
    "body": "日時: 毎月第2火曜日 13:00〜\n場所: 保健センター\n- 母子健康手帳",
    "track": "child",
    "unit": "month",
    "number_from": "3",
    "number_to": "4",
    "channels": "both",
    "order": "0",
    "published": "on",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_adds_a_health_check_notice_for_their_municipality(world):
    editor = world.users["editor"]
    client = client_for(editor)
    page = client.get("/admin/content/localnotice/add/")
    field = page.context["adminform"].form.fields["municipality"]
    assert list(field.queryset) == [world.own]
    assert field.initial == world.own.pk
    assert "みどり町" not in page.content.decode()

    response = client.post(
        "/admin/content/localnotice/add/", {**NOTICE, "municipality": world.own.pk}
    )
    assert response.status_code == 302
    notice = LocalNotice.objects.get(title="3〜4か月児健診のご案内")
    assert notice.municipality == world.own
    assert notice.history.latest().history_user == editor


def test_an_editor_cannot_add_a_notice_to_another_municipality(world):
    client = client_for(world.users["editor"])
    response = client.post(
        "/admin/content/localnotice/add/", {**NOTICE, "municipality": world.other.pk}
    )
    assert response.status_code == 200
    assert "正しく選択してください" in response.content.decode()
    assert not LocalNotice.objects.filter(title=NOTICE["title"]).exists()


def test_an_editor_of_two_municipalities_chooses_between_them(world):
    editor = world.users["editor"]
    StaffMembership.objects.create(user=editor, municipality=world.other, role="editor")
    field = (
        client_for(editor)
        .get("/admin/content/localnotice/add/")
        .context["adminform"]
        .form.fields["municipality"]
    )
    assert set(field.queryset) == {world.own, world.other}
    assert field.initial is None


def test_save_model_puts_a_row_in_the_editors_only_municipality(world):
    model_admin = admin.site._registry[LocalNotice]
    request = RequestFactory().post("/admin/content/localnotice/add/")
    request.user = world.users["editor"]
    fields = {"title": "x", "body": "x", "track": "child", "unit": "month"}
    notice = LocalNotice(municipality=world.other, number_from=3, number_to=4, **fields)
    model_admin.save_model(request, notice, form=None, change=False)
    assert notice.municipality == world.own

    # With two municipalities there is no single one to fall back on: refuse.
    StaffMembership.objects.create(
        user=world.users["editor"], municipality=MunicipalityFactory(), role="editor"
    )
    request = RequestFactory().post("/admin/content/localnotice/add/")
    request.user = world.users["editor"]
    stray = LocalNotice(municipality=world.other, number_from=1, number_to=1, **fields)
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, stray, form=None, change=False)


def test_birthday_messages_national_for_content_editors_own_for_municipalities(world):
    national = client_for(world.users["content_editor"])
    page = national.get("/admin/content/birthdaymessage/add/")
    assert list(page.context["adminform"].form.fields["municipality"].queryset) == []
    response = national.post(
        "/admin/content/birthdaymessage/add/",
        {
            "age_years": "2",
            "language": "ja",
            "subject": "2歳おめでとう",
            "body": "## A\n本文",
            "published": "on",
        },
    )
    assert response.status_code == 302
    assert BirthdayMessage.objects.get(subject="2歳おめでとう").municipality is None

    editor = client_for(world.users["editor"])
    response = editor.post(
        "/admin/content/birthdaymessage/add/",
        {"age_years": "2", "language": "ja", "subject": "既定を作ろうとする", "body": "## A\n本文"},
    )
    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    response = editor.post(
        "/admin/content/birthdaymessage/add/",
        {
            "municipality": world.own.pk,
            "age_years": "2",
            "language": "ja",
            "subject": "あおば市から2歳のお祝い",
            "body": "## A\n{{ nickname }}さん、2歳おめでとう",
        },
    )
    assert response.status_code == 302
    assert BirthdayMessage.objects.get(subject="あおば市から2歳のお祝い").municipality == world.own


def test_placeholder_and_markup_errors_show_in_japanese_on_the_form(world):
    client = client_for(world.users["editor"])
    response = client.post(
        "/admin/content/localnotice/add/",
        {
            **NOTICE,
            "municipality": world.own.pk,
            "body": "{{ nick_name }}さんへ。[予約](javascript:alert(1))",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "差し込み項目「{{ nick_name }}」はありません。「{{ nickname }}」の書き間違いではありませんか。"
        in page
    )
    assert "リンク先「javascript:alert(1)」は使えません" in page
    assert not LocalNotice.objects.filter(title=NOTICE["title"]).exists()


def test_a_municipality_editor_changes_settings_but_not_identity(world):
    client = client_for(world.users["editor"])
    url = f"/admin/municipalities/municipality/{world.own.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    assert "code" not in form.fields and "slug" not in form.fields
    assert "service_name" in form.fields
    # Consultation contacts are editable inline; staff memberships are not shown.
    assert [
        inline.opts.model._meta.model_name for inline in page.context["inline_admin_formsets"]
    ] == ["consultationcontact"]


def test_viewers_cannot_revert_to_an_old_version_but_editors_can(world):
    notice = world.objects["notice_own"]
    first = notice.history.earliest()
    notice.title = "新しいタイトル"
    notice.save()
    url = f"/admin/content/localnotice/{notice.pk}/history/{first.history_id}/"
    data = {**NOTICE, "municipality": world.own.pk, "title": first.title}

    viewer = client_for(world.users["viewer"])
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, data).status_code == 403
    notice.refresh_from_db()
    assert notice.title == "新しいタイトル"

    assert client_for(world.users["editor"]).post(url, data).status_code == 302
    notice.refresh_from_db()
    assert notice.title == first.title

    other = world.objects["notice_other"]
    other_url = (
        f"/admin/content/localnotice/{other.pk}/history/{other.history.latest().history_id}/"
    )
    assert client_for(world.users["editor"]).get(other_url).status_code == 404


def test_publishing_in_bulk_touches_only_the_users_rows(world):
    own, other = world.objects["notice_own"], world.objects["notice_other"]
    LocalNotice.objects.update(published=False)
    response = client_for(world.users["editor"]).post(
        "/admin/content/localnotice/",
        {"action": "publish", "_selected_action": [own.pk, other.pk]},
    )
    assert response.status_code == 302
    own.refresh_from_db(), other.refresh_from_db()
    assert own.published and not other.published
    assert own.history.latest().history_user == world.users["editor"]

    # Defaults appear to municipality editors read-only; bulk actions skip them too.
    default = world.objects["birthday_default"]
    BirthdayMessage.objects.update(published=False)
    client_for(world.users["editor"]).post(
        "/admin/content/birthdaymessage/",
        {"action": "publish", "_selected_action": [default.pk, world.objects["birthday_own"].pk]},
    )
    default.refresh_from_db()
    assert not default.published
    assert BirthdayMessage.objects.get(pk=world.objects["birthday_own"].pk).published


def test_viewers_get_no_actions(world):
    page = client_for(world.users["viewer"]).get("/admin/content/localnotice/")
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()


def test_filters_cannot_probe_readers_through_relations(world):
    client = client_for(world.users["editor"])
    response = client.get(
        "/admin/content/localnotice/", {"municipality__subscribers__email__startswith": "h"}
    )
    assert response.status_code == 400


def test_the_municipality_filter_lists_only_the_users_municipalities(world):
    page = client_for(world.users["editor"]).get("/admin/content/localnotice/").content.decode()
    assert "あおば市" in page and "みどり町" not in page


def test_autocomplete_offers_only_the_users_municipalities(world):
    params = {
        "app_label": "municipalities",
        "model_name": "staffmembership",
        "field_name": "municipality",
    }
    response = client_for(world.users["editor"]).get("/admin/autocomplete/", params)
    assert [result["text"] for result in response.json()["results"]] == [str(world.own)]
    response = client_for(world.users["superuser"]).get("/admin/autocomplete/", params)
    assert len(response.json()["results"]) == 2


def test_staff_need_is_staff_to_enter_the_admin(world):
    member = make_user("not-staff", is_staff=False)
    StaffMembership.objects.create(user=member, municipality=world.own, role="editor")
    client = client_for(member)
    response = client.get("/admin/content/localnotice/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.get("/staff/preview/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_menu_of_municipality_staff_has_no_personal_data(world):
    page = client_for(world.users["editor"]).get("/admin/").content.decode()
    for personal in ("/admin/subscribers/", "/admin/delivery/", "/admin/auth/"):
        assert personal not in page
    for mine in (
        "/admin/content/localnotice/",
        "/admin/municipalities/municipality/",
        "/staff/preview/",
    ):
        assert mine in page
    operator_page = client_for(world.users["operator"]).get("/admin/").content.decode()
    assert "/admin/delivery/delivery/" in operator_page
    assert "/admin/subscribers/" not in operator_page


def test_a_preset_sets_every_band_of_the_cadence(world):
    from django.forms.models import model_to_dict

    from municipalities.models import Municipality

    request = RequestFactory().post("/")
    request.user = world.users["editor"]
    model_admin = admin.site._registry[Municipality]
    form_class = model_admin.get_form(request, world.own, change=True)
    data = {
        name: value
        for name, value in model_to_dict(world.own, fields=form_class.base_fields).items()
        if value not in (None, False)
    }
    form = form_class({**data, "cadence_preset": "light"}, instance=world.own)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.cadence_pregnancy, saved.cadence_infant, saved.cadence_preschool) == (
        "weekly",
        "monthly",
        "monthly",
    )
    form = form_class({**data, "cadence_preset": "", "cadence_infant": "daily"}, instance=saved)
    assert not form.is_valid()
    assert "cadence_infant" in form.errors  # 毎日 is not a choice for 生後100日〜1歳
