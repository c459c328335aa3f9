"""One validator and normaliser for every address a parent types or a municipality imports."""

import pytest
from django.core.exceptions import ValidationError

from kizuna import email_addresses


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),
        ("hanako.@ezweb.ne.jp", "hanako.@ezweb.ne.jp"),
        (".hana@docomo.ne.jp", ".hana@docomo.ne.jp"),
        ("hanako＠ezweb.ne.jp", "hanako@ezweb.ne.jp"),  # full-width ＠
        (
            "ｈａｎａ０１＠ｅｘａｍｐｌｅ．ｊｐ",
            "hana01@example.jp",
        ),  # full-width letters and digits
        ("　Hana@Example.JP　", "hana@example.jp"),  # full-width spaces, capitals
    ],
)
def test_addresses_are_normalised_and_accepted(typed, stored):
    address = email_addresses.normalize(typed)
    assert address == stored
    email_addresses.validate(address)


@pytest.mark.parametrize(
    "typed",
    [
        "hana",
        "hana@",
        "@example.jp",
        "hana@@example.jp",
        "...@docomo.ne.jp",
        "ha na@example.jp",
        "hana@exa mple.jp",
        "hana@-example.jp",
        "はな@example.jp",
        "a" * 65 + "@example.jp",
    ],
)
def test_what_is_not_an_address_is_refused_in_japanese(typed):
    with pytest.raises(ValidationError) as refused:
        email_addresses.validate(email_addresses.normalize(typed))
    assert "メールアドレスの形式が正しくありません" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("backend", "sent_as", "can_send"),
    [
        ("django.core.mail.backends.smtp.EmailBackend", "taro..yamada.@docomo.ne.jp", True),
        ("anymail.backends.postmark.EmailBackend", "taro..yamada.@docomo.ne.jp", True),
        ("anymail.backends.sendgrid.EmailBackend", '"taro..yamada."@docomo.ne.jp', True),
        ("anymail.backends.amazon_ses.EmailBackend", "taro..yamada.@docomo.ne.jp", False),
        ("anymail.backends.mailgun.EmailBackend", "taro..yamada.@docomo.ne.jp", False),
    ],
)
def test_each_backend_gets_the_form_it_takes(settings, backend, sent_as, can_send):
    settings.EMAIL_BACKEND = backend
    assert email_addresses.for_sending("taro..yamada.@docomo.ne.jp") == sent_as
    assert email_addresses.can_send_to("taro..yamada.@docomo.ne.jp") is can_send
    # Ordinary addresses go as they are, to every backend.
    assert email_addresses.for_sending("hana@example.jp") == "hana@example.jp"
    assert email_addresses.can_send_to("hana@example.jp")


def test_the_operator_can_declare_what_a_tested_backend_takes(settings):
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.KIZUNA_OLD_CARRIER_ADDRESSES = "quoted"
    assert email_addresses.for_sending("hanako.@ezweb.ne.jp") == '"hanako."@ezweb.ne.jp'


def test_the_admin_form_and_model_take_the_same_addresses():
    from subscribers.models import Subscriber

    field = Subscriber._meta.get_field("email")
    assert field.formfield().clean("Taro..Yamada.＠docomo.ne.jp") == "Taro..Yamada.＠docomo.ne.jp"
    field.run_validators(field.to_python("Taro..Yamada.＠docomo.ne.jp"))
    assert field.to_python("Taro..Yamada.＠docomo.ne.jp") == "taro..yamada.@docomo.ne.jp"
    with pytest.raises(ValidationError):
        field.run_validators("taro@@docomo.ne.jp")
