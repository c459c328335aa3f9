"""Families answer on a plain HTML form (no JavaScript), and ask to talk from the manage page;
answers that ask for contact or cross a threshold open a case with a due date in working days."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from followups import services
from followups.line import talk_link_answer
from followups.links import questionnaire_token
from followups.models import Case, FollowupSettings, Response
from kizuna import clock
from subscribers import line_chat, links
from subscribers import services as subscriber_services
from tests.delivery.conftest import due_for, family

from .conftest import NOW, TODAY, by_text, choose

pytestmark = pytest.mark.django_db


def link(reader, questionnaire):
    token = questionnaire_token(reader.subscriber_id, reader.child_id, questionnaire.pk)
    return reverse("followups:answer", args=[token]), token


def calm_answers(questionnaire, **chosen):
    q = by_text(questionnaire)
    labels = {
        "このごろの、からだの調子はいかがですか。": "おおむね元気に過ごしている",
        "気持ちの面はいかがですか。": "おだやかに過ごせている",
        "出産の準備は、どのくらい進んでいますか。": "少しずつ進めている",
        "出産のあと、家事や赤ちゃんのお世話を手伝ってくれる人はいますか。": "いる",
        "保健師との面談や、おうちへの訪問を希望しますか。": "いまは希望しない",
    } | chosen
    return {f"q{q[text].pk}": str(choose(q[text], label)[0]) for text, label in labels.items()}


def test_the_form_is_plain_html_and_a_calm_answer_opens_no_case(town, eight_months, now):
    reader = family(town, due=due_for(30, TODAY))
    url, _ = link(reader, eight_months)
    page = Client().get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script" not in html
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<textarea" in html
    assert "8か月アンケート" in html and "保健師がお名前とあわせて読み" in html
    assert "点" not in html.split("<form")[1].split("</form>")[0].replace("問", "")  # no points

    answered = Client().post(url, calm_answers(eight_months))
    assert answered.status_code == 302 and answered.url.endswith("/thanks/")
    response = Response.objects.get()
    assert response.total_score == 0 and not response.wants_contact
    assert not Case.objects.exists()
    thanks = Client().get(answered.url).content.decode()
    assert "ご回答ありがとうございました" in thanks and "あおば市 保健センター" in thanks
    assert "話を聞いてほしい" in thanks  # where to go if they change their mind

    # The same link again shows the thanks page; answering twice changes nothing.
    assert Client().get(url).status_code == 302
    Client().post(
        url,
        calm_answers(
            eight_months, **{"保健師との面談や、おうちへの訪問を希望しますか。": "面談を希望する"}
        ),
    )
    assert Response.objects.count() == 1 and not Case.objects.exists()


def test_missing_required_answers_are_explained_and_nothing_is_saved(town, eight_months, now):
    url, _ = link(family(town, due=due_for(30, TODAY)), eight_months)
    page = Client().post(url, {})
    html = page.content.decode()
    assert page.status_code == 200
    assert "この質問にはお答えください。" in html and 'class="error-summary"' in html
    tampered = calm_answers(eight_months)
    first = next(iter(tampered))
    tampered[first] = "99"
    assert "選択肢の中から選んでください。" in Client().post(url, tampered).content.decode()
    assert not Response.objects.exists()


def test_asking_for_a_visit_opens_a_case_and_the_reply_says_when(town, eight_months, now):
    url, _ = link(family(town, due=due_for(30, TODAY)), eight_months)
    wish = {"保健師との面談や、おうちへの訪問を希望しますか。": "家庭訪問を希望する"}
    answered = Client().post(url, calm_answers(eight_months, **wish))
    case = Case.objects.get()
    assert case.reason == Case.Reason.CONTACT and case.state == Case.State.NEW
    assert case.due_on == datetime.date(2026, 11, 27)  # Tue 11/24 + 3 working days
    assert "問6で連絡を希望" in case.detail
    thanks = Client().get(answered.url).content.decode()
    assert "11月27日（金）までに、あおば市の保健師からご連絡します" in thanks
    assert FollowupSettings.of(town).reply_text in thanks
    assert "045-000-0000" in thanks and "#8000" in thanks


def test_an_item_threshold_opens_a_case_with_the_reason(town, eight_months, now):
    url, _ = link(family(town, due=due_for(30, TODAY)), eight_months)
    Client().post(
        url,
        calm_answers(
            eight_months, **{"気持ちの面はいかがですか。": "気持ちが沈む日が多く、つらい"}
        ),
    )
    case = Case.objects.get()
    assert case.reason == Case.Reason.THRESHOLD
    assert "問2が2点（2点以上）" in case.detail


def scored(screen, points):
    return {q.pk: [p + 1] for q, p in zip(screen.questions.order_by("order"), points, strict=True)}


def test_a_screen_loaded_from_json_opens_cases_on_its_total_and_on_item_ten(town, screen, now):
    readers = [family(town, birth=TODAY - datetime.timedelta(days=14)) for _ in range(3)]
    services.submit_answers(
        screen, readers[0].subscriber, readers[0].child, scored(screen, [1] * 8 + [0, 0])
    )
    services.submit_answers(
        screen, readers[1].subscriber, readers[1].child, scored(screen, [1] * 9 + [0])
    )
    services.submit_answers(
        screen, readers[2].subscriber, readers[2].child, scored(screen, [0] * 9 + [1])
    )
    totals = dict(Response.objects.values_list("subscriber_id", "total_score"))
    assert totals == {
        readers[0].subscriber_id: 8,
        readers[1].subscriber_id: 9,
        readers[2].subscriber_id: 1,
    }
    details = dict(Case.objects.values_list("subscriber_id", "detail"))
    assert set(details) == {readers[1].subscriber_id, readers[2].subscriber_id}
    assert "合計9点（9点以上）" in details[readers[1].subscriber_id]
    assert "問10が1点（1点以上）" in details[readers[2].subscriber_id]


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (datetime.datetime(2026, 12, 28, 15, 0, tzinfo=clock.TOKYO), datetime.date(2027, 1, 6)),
        (datetime.datetime(2027, 4, 28, 9, 0, tzinfo=clock.TOKYO), datetime.date(2027, 5, 7)),
        (datetime.datetime(2026, 5, 1, 20, 0, tzinfo=clock.TOKYO), datetime.date(2026, 5, 11)),
    ],
)
def test_the_due_date_skips_the_year_end_and_golden_week(town, screen, moment, due):
    reader = family(town, birth=moment.date() - datetime.timedelta(days=14))
    with time_machine.travel(moment, tick=False):
        services.submit_answers(screen, reader.subscriber, reader.child, scored(screen, [3] * 10))
        assert Case.objects.get().due_on == due


def test_a_municipality_open_over_the_year_end_and_with_five_days(town, screen):
    FollowupSettings.objects.create(municipality=town, contact_within_days=5, closed_year_end=False)
    reader = family(town, birth=datetime.date(2026, 12, 14))
    with time_machine.travel(datetime.datetime(2026, 12, 28, 9, 0, tzinfo=clock.TOKYO)):
        services.submit_answers(screen, reader.subscriber, reader.child, scored(screen, [3] * 10))
    # 12/29, 12/30, 12/31, (1/1 元日, 1/2–1/3 weekend), 1/4, 1/5
    assert Case.objects.get().due_on == datetime.date(2027, 1, 5)


def manage_client(reader) -> Client:
    client = Client()
    assert client.get(links.manage_url(reader.subscriber)).status_code == 302
    return client


def test_talk_is_reachable_from_the_manage_page_and_opens_one_case(town, now):
    reader = family(town, due=due_for(20, TODAY))
    client = manage_client(reader)
    manage = client.get(reverse("subscribers:manage_home")).content.decode()
    assert reverse("followups:talk") in manage and "話を聞いてほしい" in manage
    form = client.get(reverse("followups:talk")).content.decode()
    assert "<script" not in form and "お話ししたいこと" in form

    bad = client.post(reverse("followups:talk"), {"phone": "12345"})
    assert "電話番号は数字とハイフンで" in bad.content.decode()
    assert not Case.objects.exists()

    done = client.post(
        reverse("followups:talk"),
        {
            "message": "夜眠れなくて、不安です。",
            "phone": "０９０-１２３４-５６７８",
            "reachable": "平日の午前",
        },
    )
    html = done.content.decode()
    case = Case.objects.get()
    assert case.reason == Case.Reason.TALK and case.phone == "090-1234-5678"
    assert case.child_id == reader.child_id and case.due_on == datetime.date(2026, 11, 27)
    assert "11月27日（金）までに" in html and "あおば市 保健センター" in html
    # Asking again adds to the open case instead of opening another.
    client.post(reverse("followups:talk"), {"message": "やっぱり早めにお願いします。"})
    assert Case.objects.count() == 1
    assert "やっぱり早めに" in Case.objects.get().notes.get().text


def test_talk_needs_the_familys_session(town):
    assert Client().get(reverse("followups:talk")).status_code == 403
    assert not Case.objects.exists()


def test_a_loss_closes_the_form_for_the_child_and_the_family(town, eight_months, now):
    reader = family(town, due=due_for(30, TODAY))
    url, _ = link(reader, eight_months)
    talked = services.ask_to_talk(reader.subscriber, "")
    subscriber_services.report_loss(reader.child_id, "miscarriage")
    # The 保健師 who calls about the open case learns of the loss first.
    assert "お別れ" in talked.notes.get().text
    page = Client().get(url)
    assert page.status_code == 410
    assert "受け付けは終わりました" in page.content.decode()
    assert Client().post(url, calm_answers(eight_months)).status_code == 410
    assert not Response.objects.exists()
    with pytest.raises(services.FollowupError):
        services.submit_answers(eight_months, reader.subscriber, reader.child, {})


def test_broken_expired_and_foreign_links_are_refused(town, other, eight_months, now):
    reader = family(town, due=due_for(30, TODAY))
    assert Client().get(reverse("followups:answer", args=["nonsense"])).status_code == 400
    stranger = family(other, due=due_for(30, TODAY))
    foreign, _ = link(stranger, eight_months)  # another town's family, this town's questionnaire
    assert Client().get(foreign).status_code == 400
    url, _ = link(reader, eight_months)
    with time_machine.travel(NOW + datetime.timedelta(days=61)):
        assert Client().get(url).status_code == 410


def test_line_readers_get_their_own_link_to_talk_from_the_menu_words(town, now):
    reader = family(town, due=due_for(20, TODAY), channel="line", line_user_id="U" + "a" * 32)
    assert talk_link_answer in line_chat.TEXT_ANSWERS
    assert talk_link_answer(town, "U" + "b" * 32, "話を聞いてほしい") is None  # not a reader
    assert talk_link_answer(town, reader.subscriber.line_user_id, "こんにちは") is None
    reply = talk_link_answer(town, reader.subscriber.line_user_id, "「話を聞いてほしい」")
    assert "あおば市の保健師からご連絡します" in reply and "045-000-0000" in reply
    url = next(line for line in reply.splitlines() if line.startswith("http"))
    client = Client()
    first = client.get(url)
    assert first.status_code == 302 and first.url == reverse("followups:talk")
    client.post(first.url, {"message": "LINEから"})
    assert Case.objects.get().subscriber_id == reader.subscriber_id
