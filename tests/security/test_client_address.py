"""Behind a TLS proxy every limit sees the client, not the proxy; and X-Forwarded-For is believed
only as far as the configured proxies vouch for it."""

import pytest
from django.test import Client, RequestFactory

from kizuna.security import client_ip
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "correct horse battery staple"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_by_default_nobody_is_trusted_and_a_forged_header_changes_nothing(settings):
    assert settings.KIZUNA_TRUSTED_PROXY_HOPS == 0
    assert settings.KIZUNA_TRUSTED_PROXY_NETWORKS == []
    assert client_ip(_request("198.51.100.9", "203.0.113.1")) == "198.51.100.9"


def test_a_hop_count_reads_that_many_proxies_from_the_right(settings):
    settings.KIZUNA_TRUSTED_PROXY_HOPS = 1
    assert client_ip(_request(PROXY, "203.0.113.7")) == "203.0.113.7"
    # The client wrote the left part itself: only what our proxy appended counts.
    assert client_ip(_request(PROXY, "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request(PROXY)) == PROXY  # nothing forwarded: the connection itself
    settings.KIZUNA_TRUSTED_PROXY_HOPS = 2
    assert client_ip(_request(PROXY, "1.2.3.4, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"
    assert client_ip(_request(PROXY, "garbage, 10.0.0.9")) == "10.0.0.9"


def test_trusted_networks_are_stepped_past_and_nothing_else(settings):
    settings.KIZUNA_TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert client_ip(_request(PROXY, "1.2.3.4, 203.0.113.7, 10.1.1.1")) == "203.0.113.7"
    assert client_ip(_request("2001:db8::5", "2001:db8::6, 203.0.113.8")) == "203.0.113.8"
    # A connection from outside the proxies' networks: its header is not believed.
    assert client_ip(_request("198.51.100.9", "203.0.113.7")) == "198.51.100.9"


def _signup(client: Client, slug: str, n: int, address: str):
    return client.post(
        f"/m/{slug}/",
        {
            "email": f"reader{n}@example.jp",
            "situation": "expecting",
            "due_date": "2027-04-01",
            "relationship": "self",
            "nickname": "はな",
            "language": "ja",
            "consent": "on",
        },
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_one_clients_signups_do_not_refuse_another_client_behind_the_same_proxy(settings):
    settings.KIZUNA_TRUSTED_PROXY_HOPS = 1
    koto = MunicipalityFactory(slug="koto")
    kiyose = MunicipalityFactory(slug="kiyose")
    client = Client()
    for n in range(20):
        assert _signup(client, "koto", n, "203.0.113.7").status_code == 302
    assert _signup(client, "koto", 20, "203.0.113.7").status_code == 429
    assert _signup(Client(), "kiyose", 21, "198.51.100.23").status_code == 302
    assert koto.subscribers.count() == 20 and kiyose.subscribers.count() == 1


def _login(client: Client, password: str, address: str):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "hanako", "password": password, "next": "/admin/"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_an_attacker_cannot_lock_a_colleague_out_from_another_address(settings):
    settings.KIZUNA_TRUSTED_PROXY_HOPS = 1
    user = make_user("hanako")
    user.set_password(PASSWORD)
    user.save()
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "guessing", "198.51.100.66")
    assert _login(attacker, PASSWORD, "198.51.100.66").status_code == 429  # locked: that pair
    assert _login(Client(), PASSWORD, "203.0.113.7").status_code == 302  # hanako, at her desk
    from axes.models import AccessAttempt

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.66"]
