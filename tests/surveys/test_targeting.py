"""Who a survey goes to: one delivery per targeted reader, never twice, never after a loss."""

import datetime
import threading

import pytest

from delivery.models import Delivery
from kizuna import clock
from subscribers import services as subscriber_services
from subscribers.models import Subscription
from surveys import services
from surveys.models import Survey
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory, SubscriberFactory, SubscriptionFactory

from .conftest import TODAY, make_survey


def born_months_ago(months: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=months * 30 + 5)


@pytest.fixture
def families(town, now):
    mother = family(town, due=due_for(20, TODAY), relationship="self")
    partner = SubscriptionFactory(
        subscriber__municipality=town, subscriber__relationship="partner", child=mother.child
    )
    baby = family(
        town,
        birth=born_months_ago(4),
        relationship="self",
        channel="line",
        line_user_id="U" + "1" * 32,
        email=None,
    )
    grandma = SubscriptionFactory(
        subscriber__municipality=town, subscriber__relationship="grandparent", child=baby.child
    )
    return {
        "mother": mother.subscriber,
        "partner": partner.subscriber,
        "baby": baby.subscriber,
        "grandma": grandma.subscriber,
    }


def sent_to(survey) -> set:
    return set(
        Delivery.objects.filter(message_key=f"survey:{survey.pk}").values_list(
            "subscriber_id", flat=True
        )
    )


def test_goes_once_to_each_confirmed_reader_on_their_channel(town, families, survey):
    result = services.send_survey(survey)

    assert result.added == 4 and result.first_time
    rows = Delivery.objects.filter(message_key=survey.message_key)
    assert {d.subscriber_id for d in rows} == {s.pk for s in families.values()}
    assert {(d.subscriber_id, d.channel) for d in rows} == {
        (s.pk, s.channel) for s in families.values()
    }
    assert all(d.child_id is None and d.status == "planned" and d.due_on == TODAY for d in rows)
    survey.refresh_from_db()
    assert survey.first_sent_at is not None


def test_pressing_again_adds_nothing_and_later_reaches_only_new_readers(town, families, survey):
    services.send_survey(survey)
    again = services.send_survey(survey)
    assert again.added == 0 and not again.first_time
    newcomer = family(town, due=due_for(10, TODAY)).subscriber

    later = services.send_survey(survey)

    assert later.added == 1
    assert sent_to(survey) == {s.pk for s in families.values()} | {newcomer.pk}
    assert Delivery.objects.filter(message_key=survey.message_key).count() == 5


def test_leaves_out_readers_who_are_not_receiving(town, families, survey):
    unconfirmed = family(town, due=due_for(12, TODAY), confirmed_at=None).subscriber
    left = family(town, due=due_for(12, TODAY)).subscriber
    subscriber_services.unsubscribe(left.pk)
    bounced = family(
        town, due=due_for(12, TODAY), channel_stopped_at=clock.now(), channel_stop_reason="bounce"
    ).subscriber
    graduated = family(town, birth=TODAY - datetime.timedelta(days=1200))
    graduated.child.status = "graduated"
    graduated.child.save()
    elsewhere = family(MunicipalityFactory(), due=due_for(20, TODAY)).subscriber
    no_child = SubscriberFactory(municipality=town)

    services.send_survey(survey)

    excluded = {
        unconfirmed.pk,
        left.pk,
        bounced.pk,
        graduated.subscriber_id,
        elsewhere.pk,
        no_child.pk,
    }
    assert sent_to(survey) == {s.pk for s in families.values()}
    assert not sent_to(survey) & excluded
    assert services.pending_count(survey) == 0


def test_no_survey_for_anyone_who_followed_a_lost_child(town, families, survey):
    """Mother and partner of a lost pregnancy, even with another child still followed."""
    lost = family(town, due=due_for(14, TODAY))
    partner = SubscriptionFactory(subscriber__municipality=town, child=lost.child)
    older_sibling = SubscriptionFactory(
        subscriber=lost.subscriber,
        child__municipality=town,
        child__due_date=None,
        child__birth_date=born_months_ago(20),
        child__status="born",
    )
    subscriber_services.report_loss(lost.child_id, "miscarriage")
    assert older_sibling.child.status == "born"

    services.send_survey(survey)

    assert lost.subscriber_id not in sent_to(survey)
    assert partner.subscriber_id not in sent_to(survey)
    assert sent_to(survey) == {s.pk for s in families.values()}


def test_a_loss_reported_after_sending_cancels_the_invitation(town, families, survey):
    services.send_survey(survey)
    mother, partner = families["mother"], families["partner"]
    child = Subscription.objects.get(subscriber=mother).child

    subscriber_services.report_loss(child.pk, "stillbirth")

    for reader in (mother, partner):
        delivery = Delivery.objects.get(subscriber=reader, message_key=survey.message_key)
        assert delivery.status == "skipped" and delivery.last_error == "お別れの報告"
    others = Delivery.objects.filter(message_key=survey.message_key).exclude(
        subscriber__in=[mother, partner]
    )
    assert {d.status for d in others} == {"planned"}


def test_targets_chosen_stages(town, families, now):
    survey = make_survey(town, target="chosen", target_stages=["pregnancy-mid"])
    family(town, due=due_for(8, TODAY))  # 妊娠初期
    family(town, due=due_for(30, TODAY))  # 妊娠後期

    services.send_survey(survey)

    assert sent_to(survey) == {families["mother"].pk, families["partner"].pk}


def test_targets_chosen_child_ages_and_relationships(town, families, now):
    infants = make_survey(town, target="chosen", target_stages=["child-3-5m", "child-6-11m"])
    grandparents = make_survey(town, target="chosen", target_relationships=["grandparent"])
    toddler = family(town, birth=born_months_ago(13)).subscriber  # 1歳

    services.send_survey(infants)
    services.send_survey(grandparents)

    assert sent_to(infants) == {families["baby"].pk, families["grandma"].pk}
    assert toddler.pk not in sent_to(infants)
    assert sent_to(grandparents) == {families["grandma"].pk}


def test_only_an_open_survey_with_questions_is_sent(town, families, now):
    before = make_survey(town, opens_on=TODAY + datetime.timedelta(days=1))
    after = make_survey(
        town,
        opens_on=TODAY - datetime.timedelta(days=30),
        closes_on=TODAY - datetime.timedelta(days=1),
    )
    empty = make_survey(town)
    empty.questions.all().delete()

    for survey in (before, after, empty):
        with pytest.raises(services.SurveyError):
            services.send_survey(survey)

    assert not Delivery.objects.filter(message_key__startswith="survey:").exists()
    assert not Survey.objects.filter(first_sent_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_pressing_at_once_send_once(now):
    town = MunicipalityFactory()
    readers = [family(town, due=due_for(w, TODAY)).subscriber for w in range(6, 30)]
    survey = make_survey(town)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def press():
        from django.db import connection

        try:
            barrier.wait()
            results.append(services.send_survey(Survey.objects.get(pk=survey.pk)))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.added for r in results) == len(readers)
    assert sorted(r.first_time for r in results) == [False, True]
    assert Delivery.objects.filter(message_key=survey.message_key).count() == len(readers)
