"""The month's LINE charge per plan for a forecast number of messages."""

import pytest

from line_accounts import plans

PLAN = {plan.key: plan for plan in plans.PLANS}


@pytest.mark.parametrize(
    ("plan", "messages", "yen"),
    [
        ("communication", 200, 0),
        ("communication", 201, None),  # cannot send more
        ("light", 5_000, 5_000),
        ("light", 5_001, None),
        ("standard", 30_000, 15_000),
        ("standard", 50_000, 15_000 + 20_000 * 3),
        ("standard", 60_000, 15_000 + 20_000 * 3 + 10_000 * 2.8),
        ("local_government", 3_000_000, 0),
    ],
)
def test_the_month_s_charge(plan, messages, yen):
    assert plans.monthly_yen(PLAN[plan], messages) == (None if yen is None else int(yen))


def test_a_hospital_cannot_have_the_local_government_plan():
    by_key = {c.plan.key: c for c in plans.costs(1_000, municipality=False)}
    assert not by_key["local_government"].available and by_key["light"].available


@pytest.mark.django_db
def test_the_operations_dashboard_prices_this_month_s_line_messages_per_plan(
    municipality, texts, line, morning
):
    from django.test import Client

    from delivery import dispatch, planner
    from tests.delivery.conftest import TODAY, due_for, family, line_user
    from tests.staff.conftest import make_user

    for n in range(3):
        family(municipality, due=due_for(20), channel="line", line_user_id=line_user(n), email=None)
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    client = Client()
    client.force_login(make_user("operator", is_superuser=True))
    page = client.get("/ops/").content.decode()
    assert "今月の見込みのLINE料金" in page
    assert "スタンダードプラン" in page and "地方公共団体プラン" in page
    assert "15000円" in page  # a few messages: the standard plan's monthly charge
