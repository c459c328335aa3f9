"""Old docomo/au addresses (taro..yamada.@docomo.ne.jp) reach their readers over SMTP and the ESPs
that take them, in the form each one takes (docs/carrier-addresses.md)."""

import pytest

from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from tests.delivery.conftest import due_for, family
from tests.fakes import FakeSendGrid

pytestmark = pytest.mark.django_db

OLD_ADDRESSES = ["taro..yamada.@docomo.ne.jp", "hanako.@ezweb.ne.jp"]


def _plan_and_send(municipality):
    planner.plan_day(clock.today(), [municipality])
    return dispatch.dispatch()


def test_old_carrier_addresses_get_their_message_over_smtp(municipality, texts, smtp, morning):
    for address in OLD_ADDRESSES:
        family(municipality, due=due_for(20), email=address)
    report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 2}
    assert sorted(m["To"] for m in smtp.messages) == sorted(OLD_ADDRESSES)


def test_postmark_gets_old_carrier_addresses_as_typed(
    municipality, texts, postmark, morning, settings
):
    # Postmark's published mailbox check takes any dots and no quotes (the fake holds to it).
    for batch_size in (1, 500):  # through django-anymail, and through the batch API
        settings.KIZUNA_EMAIL_BATCH_SIZE = batch_size
        postmark.received.clear()
        Delivery.objects.all().delete()
        for address in OLD_ADDRESSES:
            family(municipality, due=due_for(20), email=address)
        report = _plan_and_send(municipality)
        assert report.outcomes == {"sent": 2}, batch_size
        assert sorted(r["To"] for r in postmark.received) == sorted(OLD_ADDRESSES)
        for row in Delivery.objects.all():
            row.subscriber.subscriptions.all().delete()
            row.subscriber.delete()


def test_sendgrid_gets_old_carrier_addresses_with_the_local_part_quoted(
    municipality, texts, morning, settings
):
    with FakeSendGrid(api_key="sg-key") as sendgrid:
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {"SENDGRID_API_KEY": "sg-key", "SENDGRID_API_URL": sendgrid.url + "/v3/"}
        family(municipality, due=due_for(20), email="taro..yamada.@docomo.ne.jp")
        family(municipality, due=due_for(20), email="hana@example.jp")
        report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 2}
    sent_to = sorted(
        r["email"] for body in sendgrid.received for p in body["personalizations"] for r in p["to"]
    )
    # Quoted only where the address needs it: a plain address goes as it is.
    assert sent_to == ['"taro..yamada."@docomo.ne.jp', "hana@example.jp"]
