"""Staff pages and admin: each municipality's staff see only their own surveys and answers."""

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from delivery.models import Delivery
from municipalities.models import OPERATORS_GROUP, StaffMembership
from surveys import services
from surveys.models import Question, Survey
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

from .conftest import NOW, TODAY, make_survey, questions_of

STAFF_PAGES = [
    "surveys:staff_preview",
    "surveys:staff_results",
    "surveys:staff_send",
    "surveys:staff_responses_csv",
    "surveys:staff_summary_csv",
]


def answer(survey, reader, comment):
    s, f, _u, c = questions_of(survey)
    services.submit_response(survey, reader, {s.pk: 5, f.pk: 1, c.pk: comment})


@pytest.fixture
def setup(town, now):
    other = MunicipalityFactory(name="みどり町", slug="midori")
    own_survey = make_survey(town, title="あおば市の読者アンケート")
    other_survey = make_survey(other, title="みどり町の読者アンケート")
    answer(own_survey, family(town, due=due_for(20, TODAY)).subscriber, "あおばの感想です")
    answer(other_survey, family(other, due=due_for(20, TODAY)).subscriber, "みどりの秘密の感想")
    users = {
        "editor": make_user("aoba-editor"),
        "viewer": make_user("aoba-viewer"),
        "other_editor": make_user("midori-editor"),
        "operator": make_user("operator"),
        "superuser": make_user("root", is_superuser=True),
    }
    StaffMembership.objects.create(user=users["editor"], municipality=town, role="editor")
    StaffMembership.objects.create(user=users["viewer"], municipality=town, role="viewer")
    StaffMembership.objects.create(user=users["other_editor"], municipality=other, role="editor")
    users["operator"].groups.add(Group.objects.get(name=OPERATORS_GROUP))
    return own_survey, other_survey, users


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["editor", "viewer", "operator"])
def test_another_municipality_s_survey_is_not_found(setup, role):
    _own, other_survey, users = setup
    client = client_for(users[role])
    for name in STAFF_PAGES:
        assert client.get(reverse(name, args=[other_survey.pk])).status_code == 404, name
    assert client.post(reverse("surveys:staff_send", args=[other_survey.pk])).status_code == 404
    admin_page = client.get(reverse("admin:surveys_survey_change", args=[other_survey.pk]))
    assert admin_page.status_code in (403, 404)
    listing = client.get(reverse("surveys:staff_list")).content.decode()
    assert "みどり町の読者アンケート" not in listing
    assert not Delivery.objects.exists()


def test_own_staff_see_their_results_and_free_text_only(setup):
    own_survey, _other, users = setup
    for role in ("editor", "viewer"):
        client = client_for(users[role])
        page = client.get(reverse("surveys:staff_results", args=[own_survey.pk]))
        html = page.content.decode()
        assert page.status_code == 200
        assert "あおばの感想です" in html and "みどりの秘密の感想" not in html
        assert "満足度（満足＋やや満足）" in html and "100.0%" in html
        csv = client.get(reverse("surveys:staff_responses_csv", args=[own_survey.pk]))
        assert csv["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in csv["Content-Disposition"]
        assert csv.content.startswith(b"\xef\xbb\xbf")
        assert "あおばの感想です" in csv.content.decode("utf-8-sig")
        assert "みどり" not in csv.content.decode("utf-8-sig")
        listing = client.get(reverse("surveys:staff_list")).content.decode()
        assert "あおば市の読者アンケート" in listing


def test_viewers_read_but_do_not_send(setup):
    own_survey, _other, users = setup
    client = client_for(users["viewer"])
    assert client.get(reverse("surveys:staff_send", args=[own_survey.pk])).status_code == 403
    assert client.post(reverse("surveys:staff_send", args=[own_survey.pk])).status_code == 403
    preview = client.get(reverse("surveys:staff_preview", args=[own_survey.pk])).content.decode()
    assert reverse("surveys:staff_send", args=[own_survey.pk]) not in preview
    assert not Delivery.objects.exists()


def test_editor_confirms_then_sends_once(setup, town):
    own_survey, _other, users = setup
    client = client_for(users["editor"])
    confirm = client.get(reverse("surveys:staff_send", args=[own_survey.pk]))
    assert "1人に配信する" in confirm.content.decode()

    sent = client.post(reverse("surveys:staff_send", args=[own_survey.pk]), follow=True)
    again = client.post(reverse("surveys:staff_send", args=[own_survey.pk]), follow=True)

    assert "1人への配信を予定しました" in sent.content.decode()
    assert "新しく送る相手はいませんでした" in again.content.decode()
    assert Delivery.objects.filter(message_key=own_survey.message_key).count() == 1
    preview = client.get(reverse("surveys:staff_preview", args=[own_survey.pk])).content.decode()
    assert "今日の対象者" in preview and "1人（うち未送信 0人）" in preview


def test_preview_shows_the_form_and_the_three_formats(setup):
    own_survey, _other, users = setup
    page = client_for(users["viewer"]).get(reverse("surveys:staff_preview", args=[own_survey.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "kz-phone" in html and "メールの内容に満足していますか" in html
    assert "HTMLメール" in html and "テキストメール" in html and "LINE" in html
    assert "アンケートに回答する" in html


def test_editor_writes_a_survey_in_the_admin_scoped_to_their_municipality(setup, town):
    _own, _other, users = setup
    client = client_for(users["editor"])
    data = {
        "municipality": town.pk,
        "title": "令和8年度 読者アンケート",
        "fiscal_year": "2026",
        "intro": "いつもありがとうございます。",
        "opens_on": "2026-12-01",
        "closes_on": "2026-12-20",
        "target": "chosen",
        "target_stages": ["pregnancy-early", "child-0-2m"],
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "1",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-order": "1",
        "questions-0-kind": "satisfaction",
        "questions-0-text": "満足していますか",
        "questions-0-required": "on",
        "questions-1-order": "2",
        "questions-1-kind": "single",
        "questions-1-text": "どこで知りましたか",
        "questions-1-options": "母子手帳の交付時\n病院",
    }
    response = client.post(reverse("admin:surveys_survey_add"), data)

    assert response.status_code == 302
    survey = Survey.objects.get(title="令和8年度 読者アンケート")
    assert survey.municipality == town
    assert survey.target_stages == ["pregnancy-early", "child-0-2m"]
    assert [q.option_list() for q in survey.questions.order_by("order")] == [
        [],
        ["母子手帳の交付時", "病院"],
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"questions-1-options": "病院だけ"}, "選択肢を2〜20個"),
        ({"municipality": "other"}, "正しく選択してください。"),
        ({"questions-0-kind": "text", "questions-0-options": "A\nB"}, "選択肢は「選択肢から1つ」"),
        ({"closes_on": "2026-11-30"}, "締め切り日は受付開始日以降にしてください。"),
        ({"target_stages": []}, "対象の時期か続柄を1つ以上選んでください。"),
        ({"intro": "{{ week }}週のあなたへ"}, "{{ week }}"),
        ({"intro": "<script>alert(1)</script>"}, "HTMLタグ"),
    ],
)
def test_admin_explains_a_wrong_survey_and_saves_nothing(setup, changes, message):
    own_survey, other_survey, users = setup
    data = {
        "municipality": own_survey.municipality_id,
        "title": "まちがいのあるアンケート",
        "fiscal_year": "2026",
        "opens_on": "2026-12-01",
        "closes_on": "2026-12-20",
        "target": "chosen",
        "target_stages": ["pregnancy-early"],
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "1",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-order": "1",
        "questions-0-kind": "satisfaction",
        "questions-0-text": "満足していますか",
        "questions-1-order": "2",
        "questions-1-kind": "single",
        "questions-1-text": "どこで知りましたか",
        "questions-1-options": "母子手帳の交付時\n病院",
        **changes,
    }
    if data["municipality"] == "other":
        data["municipality"] = other_survey.municipality_id  # not theirs to write in
    page = client_for(users["editor"]).post(reverse("admin:surveys_survey_add"), data)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Survey.objects.filter(title="まちがいのあるアンケート").exists()


def test_questions_lock_once_sent_and_viewers_only_read(setup):
    own_survey, _other, users = setup
    url = reverse("admin:surveys_survey_change", args=[own_survey.pk])
    assert 'name="questions-0-text"' not in client_for(users["editor"]).get(url).content.decode()
    unsent = make_survey(own_survey.municipality, title="未配信のアンケート")
    unsent_url = reverse("admin:surveys_survey_change", args=[unsent.pk])
    assert 'name="questions-0-text"' in client_for(users["editor"]).get(unsent_url).content.decode()
    viewer = client_for(users["viewer"])
    assert 'name="questions-0-text"' not in viewer.get(unsent_url).content.decode()
    assert viewer.get(reverse("admin:surveys_survey_add")).status_code == 403
    before = list(Question.objects.filter(survey=unsent).values_list("text", flat=True))
    viewer.post(unsent_url, {"title": "書き換え"})
    unsent.refresh_from_db()
    assert unsent.title == "未配信のアンケート"
    assert list(Question.objects.filter(survey=unsent).values_list("text", flat=True)) == before


def test_public_page_lists_only_published_closed_surveys_without_free_text(setup, town):
    own_survey, other_survey, _users = setup
    past = make_survey(
        town,
        title="令和7年度のアンケート",
        fiscal_year=2025,
        opens_on=TODAY.replace(year=2025),
        closes_on=TODAY.replace(year=2025, day=30),
        public_results=True,
    )
    with time_machine.travel(NOW.replace(year=2025), tick=False):
        answer(past, family(town, due=due_for(25, TODAY)).subscriber, "去年の自由記述")
    hidden = make_survey(
        town,
        title="非公開の年",
        fiscal_year=2024,
        opens_on=TODAY.replace(year=2024),
        closes_on=TODAY.replace(year=2024, day=30),
    )
    Survey.objects.filter(pk=other_survey.pk).update(public_results=True)

    listing = Client().get(reverse("surveys:public_results", args=[town.slug]))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert "令和7年度" in html and "100.0%" in html
    assert "非公開の年" not in html and own_survey.title not in html  # not public / still open
    detail = Client().get(reverse("surveys:public_result", args=[town.slug, past.pk]))
    assert detail.status_code == 200
    assert "去年の自由記述" not in detail.content.decode()
    for slug, pk in (
        (town.slug, hidden.pk),
        (town.slug, own_survey.pk),
        (town.slug, other_survey.pk),
    ):
        assert Client().get(reverse("surveys:public_result", args=[slug, pk])).status_code == 404
    empty = Client().get(reverse("surveys:public_results", args=["midori"])).content.decode()
    assert "公開しているアンケート結果はまだありません" in empty
