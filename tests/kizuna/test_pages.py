import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


def test_home_lists_participating_municipalities(client):
    MunicipalityFactory(name="江東区", service_name="こんにちは赤ちゃんメール")
    MunicipalityFactory(name="休止市", service_name="休止中メール", paused=True)
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "こんにちは赤ちゃんメール" in page
    assert "休止中メール" not in page
    assert '<html lang="ja">' in page


def test_home_has_an_empty_state(client):
    response = client.get("/")
    assert "まだ参加している自治体・医療機関はありません" in response.content.decode()


def test_admin_asks_for_login_in_japanese(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert "ログイン" in response.content.decode()


def test_every_model_has_a_working_admin_list_add_and_search(admin_client):
    MunicipalityFactory()
    registered = [
        m
        for m in admin.site._registry
        if m._meta.app_label in ("municipalities", "subscribers", "content", "delivery")
    ]
    assert len(registered) == 11
    for model in registered:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        assert admin_client.get(changelist, {"q": "テスト"}).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert admin_client.get(add).status_code == 200, add


def test_home_links_each_municipality_and_the_staff_sign_in(client):
    MunicipalityFactory(slug="demo", service_name="デモ市 きずなメール")
    page = client.get("/").content.decode()
    assert '<a href="/m/demo/"><strong>デモ市 きずなメール</strong></a>' in page
    assert f'href="{reverse("admin:login")}?next={reverse("admin:index")}"' in page
    assert "スタッフのログイン" in page
