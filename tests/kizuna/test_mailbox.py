"""The local mailbox of `make run`: mail kept under var/mailbox/, read decoded at /dev/mailbox/,
its links clickable; nothing of it exists unless DEBUG is on."""

import datetime
import re

import pytest

from kizuna import clock
from subscribers.services import Registration, sign_up
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox_settings(settings, tmp_path, eager_tasks):
    settings.VAR_DIR = tmp_path
    settings.EMAIL_BACKEND = "kizuna.mailbox.MailboxBackend"
    settings.DEBUG = True
    return settings


def _sign_up(django_capture_on_commit_callbacks):
    municipality = MunicipalityFactory(slug="demo", service_name="デモ市 きずなメール")
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(
            municipality,
            Registration(
                email="hana@example.jp",
                relationship="self",
                nickname="はな",
                language="ja",
                due_date=clock.today() + datetime.timedelta(days=150),
            ),
        )


def test_a_confirmation_mail_is_read_decoded_with_its_link_clickable(
    client, mailbox_settings, tmp_path, django_capture_on_commit_callbacks
):
    _sign_up(django_capture_on_commit_callbacks)
    files = list((tmp_path / "mailbox").glob("*.eml"))
    assert len(files) == 1

    listing = client.get("/dev/mailbox/").content.decode()
    assert "hana@example.jp" in listing
    subject = re.search(r"<strong>([^<]+)</strong></a>", listing).group(1)
    assert "登録" in subject or "確認" in subject  # Japanese, not =?utf-8?b?…?=
    assert "=?utf-8?" not in listing

    message = client.get(f"/dev/mailbox/{files[0].name}/").content.decode()
    link = re.search(r'<a href="(http://[^"]+/confirm/[^"]+)"', message)
    assert link, message
    assert "デモ市 きずなメールへのご登録ありがとうございます。" in message
    html = client.get(f"/dev/mailbox/{files[0].name}/html/")
    assert html.status_code == 200 and "<html" in html.content.decode().lower()


def test_the_mailbox_does_not_exist_without_debug(
    client, mailbox_settings, tmp_path, django_capture_on_commit_callbacks
):
    _sign_up(django_capture_on_commit_callbacks)
    name = next((tmp_path / "mailbox").glob("*.eml")).name
    mailbox_settings.DEBUG = False
    for path in ("/dev/mailbox/", f"/dev/mailbox/{name}/", f"/dev/mailbox/{name}/html/"):
        assert client.get(path).status_code == 404, path
    mailbox_settings.DEBUG = True
    assert client.get("/dev/mailbox/../../etc/passwd/").status_code == 404
    assert client.get("/dev/mailbox/not-a-mail.eml/").status_code == 404
