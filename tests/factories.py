import datetime

import factory
from django.conf import settings
from django.utils import timezone

from municipalities.codes import check_digit
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber, Subscription


def _code(n: int) -> str:
    first_five = f"13{n % 1000:03d}"
    return first_five + str(check_digit(first_five))


# The cadence a municipality starts with (the model's defaults): weekly in pregnancy and the
# first 100 days, then monthly. The factory's own is the daily programme.
WEEKLY_THEN_MONTHLY = {
    "cadence_pregnancy": "weekly",
    "cadence_newborn": "weekly",
    "cadence_infant": "monthly",
    "cadence_age_one": "monthly",
    "cadence_age_two": "monthly",
    "cadence_preschool": "monthly",
}


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"テスト区{n}")
    prefecture = "東京都"
    code = factory.Sequence(lambda n: _code(n + 500))
    slug = factory.Sequence(lambda n: f"test-{n}")
    service_name = factory.LazyAttribute(lambda m: f"{m.name}子育てメール")
    sender_name = factory.LazyAttribute(lambda m: f"{m.name} 子育て支援課")
    sender_email = factory.Sequence(lambda n: f"kosodate{n}@city.example.jp")
    # Tests plan whatever texts they publish: the finest cadence, 毎日（きずなメール型）.
    cadence_pregnancy = "daily"
    cadence_newborn = "daily"
    cadence_infant = "every_3_days"
    cadence_age_one = "weekly"
    cadence_age_two = "every_14_days"
    cadence_preschool = "monthly"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    municipality = factory.SubFactory(MunicipalityFactory)
    due_date = datetime.date(2027, 5, 1)
    status = Child.Status.EXPECTING


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    municipality = factory.SubFactory(MunicipalityFactory)
    email = factory.Sequence(lambda n: f"parent{n}@example.jp")
    consent_at = factory.LazyFunction(timezone.now)
    consent_policy_version = settings.KIZUNA_PRIVACY_POLICY_VERSION
    confirmed_at = factory.LazyFunction(timezone.now)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    child = factory.SubFactory(
        ChildFactory, municipality=factory.SelfAttribute("..subscriber.municipality")
    )
