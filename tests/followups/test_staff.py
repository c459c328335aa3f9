"""Only a municipality's health staff (保健師) see names and answers; every view and export is
in the audit trail; the morning mail, the hand-over CSV, retention and the JSON import."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from followups import services, tasks
from followups.models import Case, CaseNote, MorningMail, Questionnaire, Response
from kizuna import clock
from subscribers import erasure, personal_data
from tests.delivery.conftest import due_for, family

from .conftest import NOW, SCREEN, TODAY

pytestmark = pytest.mark.django_db

NICKNAME = "=はなまま"  # a formula-like nickname: the CSV must not run it


def scored(screen, points):
    return {q.pk: [p + 1] for q, p in zip(screen.questions.order_by("order"), points, strict=True)}


@pytest.fixture
def cases(town, other, screen, now):
    own = family(town, birth=TODAY - datetime.timedelta(days=14), nickname=NICKNAME)
    services.submit_answers(screen, own.subscriber, own.child, scored(screen, [2] * 10))
    stranger = family(other, due=due_for(20, TODAY), nickname="みどりの人")
    theirs = services.ask_to_talk(stranger.subscriber, "みどり町の秘密の相談")
    return Case.objects.get(municipality=town), theirs


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["editor", "viewer", "operator"])
def test_editors_viewers_and_operators_see_no_case(users, cases, role):
    own, _ = cases
    client = client_for(users[role])
    for url in (
        reverse("followups:cases"),
        reverse("followups:case", args=[own.pk]),
        reverse("followups:export") + "?encoding=utf-8",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert NICKNAME not in response.content.decode()
    assert (
        client.post(reverse("followups:update", args=[own.pk]), {"state": "closed"}).status_code
        == 403
    )
    assert Case.objects.get(pk=own.pk).state == Case.State.NEW
    assert not AuditEvent.objects.filter(target__startswith="followups").exists()


def test_health_staff_see_their_towns_cases_with_names_and_answers(users, cases):
    own, theirs = cases
    client = client_for(users["health"])
    listing = client.get(reverse("followups:cases")).content.decode()
    assert NICKNAME in listing and "みどりの人" not in listing
    detail = client.get(reverse("followups:case", args=[own.pk])).content.decode()
    assert NICKNAME in detail and "合計20点" in detail and "項目10の選択肢2" in detail
    assert client.get(reverse("followups:case", args=[theirs.pk])).status_code == 404
    events = AuditEvent.objects.filter(user=users["health"]).exclude(action="login").order_by("pk")
    assert [(e.action, e.target, e.target_id) for e in events] == [
        ("view", "followups.cases", ""),
        ("view", "followups.case", str(own.pk)),
    ]


def test_another_towns_health_staff_never_see_this_towns_cases(users, cases):
    own, _theirs = cases
    client = client_for(users["other_health"])
    listing = client.get(reverse("followups:cases")).content.decode()
    assert NICKNAME not in listing and "みどりの人" in listing
    assert client.get(reverse("followups:case", args=[own.pk])).status_code == 404
    response = client.post(reverse("followups:update", args=[own.pk]), {"state": "closed"})
    assert response.status_code == 404
    export = client.get(f"{reverse('followups:export')}?municipality={own.municipality_id}")
    body = export.content.decode("utf-8-sig")
    assert NICKNAME not in body and "みどり町の秘密の相談" in body


def test_a_case_moves_to_closed_with_an_outcome_and_notes(users, cases):
    own, _ = cases
    client = client_for(users["health"])
    url = reverse("followups:update", args=[own.pk])
    refused = client.post(url, {"state": "closed", "note": "電話しました"})
    assert refused.status_code == 200
    assert "終了するときは結果を選んでください。" in refused.content.decode()
    assert Case.objects.get(pk=own.pk).state == Case.State.NEW and not CaseNote.objects.exists()
    # Only this town's health staff can be assigned.
    client.post(url, {"state": "contacted", "assignee": users["editor"].pk})
    assert Case.objects.get(pk=own.pk).assignee is None

    client.post(url, {"state": "contacted", "assignee": users["health"].pk, "note": "電話で話した"})
    client.post(url, {"state": "booked", "assignee": users["health"].pk})
    client.post(url, {"state": "closed", "outcome": "ongoing", "assignee": users["health"].pk})
    case = Case.objects.get(pk=own.pk)
    assert case.state == Case.State.CLOSED and case.outcome == Case.Outcome.ONGOING
    assert case.closed_at is not None and case.assignee == users["health"]
    notes = [n.text for n in case.notes.all()]
    assert notes[0].startswith("状態: 新規 → 連絡済み") and "電話で話した" in notes[0]
    assert "結果: 継続して支援する" in notes[-1]
    changes = AuditEvent.objects.filter(user=users["health"], action="change")
    assert changes.count() == 3  # each accepted change (the refused ones changed nothing)
    refusals = AuditEvent.objects.filter(user=users["health"], action="view")
    assert refusals.count() == 2  # the case shown again with the reason is a view


@pytest.mark.parametrize(("encoding", "codec"), [("utf-8", "utf-8-sig"), ("shift_jis", "cp932")])
def test_the_hand_over_csv_in_either_encoding(users, cases, encoding, codec):
    own, _ = cases
    response = client_for(users["health"]).get(
        f"{reverse('followups:export')}?encoding={encoding}&municipality={own.municipality_id}"
    )
    assert response["Content-Type"] == f"text/csv; charset={encoding}"
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    body = raw.decode(codec)
    header, row = body.splitlines()[:2]
    assert header.split(",")[:3] == ["ケース番号", "受付日", "きっかけ"]
    assert f"'{NICKNAME}" in row and "産後の気分の質問票（テスト用）" in row and ",20," in row
    event = AuditEvent.objects.get(action="export")
    assert event.target == "followups.cases" and event.user == users["health"]


def test_overdue_cases_show_on_the_dashboard_as_a_count_without_names(users, cases):
    with time_machine.travel(NOW + datetime.timedelta(days=7)):
        page = client_for(users["operator"]).get(reverse("operations:dashboard")).content.decode()
    assert "連絡の期限を過ぎたフォローアップのケース: 2件" in page
    assert NICKNAME not in page and "みどりの人" not in page


def test_the_morning_mail_goes_once_a_working_day_to_the_towns_health_staff(
    users, cases, mailoutbox
):
    assert services.send_morning_mails(TODAY) == 0  # nothing overdue yet
    monday = datetime.date(2026, 11, 30)  # due 11/27 (Fri): overdue from Monday
    assert services.send_morning_mails(datetime.date(2026, 11, 28)) == 0  # Saturday
    assert services.send_morning_mails(monday) == 2
    assert services.send_morning_mails(monday) == 0  # the beat ran twice: no second mail
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    assert set(by_recipient) == {("aoba-health@example.jp",), ("midori-health@example.jp",)}
    mail = by_recipient[("aoba-health@example.jp",)]
    assert "あおば市" in mail.subject and "1件" in mail.subject
    assert NICKNAME not in mail.body and "/staff/followups/" in mail.body
    assert MorningMail.objects.count() == 2


def test_the_task_sends_the_mail(users, cases, mailoutbox):
    with time_machine.travel(datetime.datetime(2026, 11, 30, 8, 0, tzinfo=clock.TOKYO)):
        assert tasks.send_morning_mail() == 2
        assert tasks.send_morning_mail() == 0


def test_answers_are_erased_after_the_retention_period(town, screen, settings):
    settings.KIZUNA_FOLLOWUP_RETENTION_DAYS = 5 * 365 + 1
    reader = family(town, birth=datetime.date(2021, 1, 1))
    recent = family(town, birth=datetime.date(2026, 1, 1))
    with time_machine.travel(datetime.datetime(2021, 6, 1, 9, 0, tzinfo=clock.TOKYO)):
        services.submit_answers(screen, reader.subscriber, reader.child, scored(screen, [3] * 10))
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0, tzinfo=clock.TOKYO)):
        services.submit_answers(screen, recent.subscriber, recent.child, scored(screen, [3] * 10))
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0, tzinfo=clock.TOKYO)):
        assert tasks.erase_expired_answers() == (0, 0)
    with time_machine.travel(datetime.datetime(2026, 6, 3, 9, 0, tzinfo=clock.TOKYO)):
        assert tasks.erase_expired_answers() == (1, 1)
        assert tasks.erase_expired_answers() == (0, 0)
    assert list(Response.objects.values_list("subscriber_id", flat=True)) == [recent.subscriber_id]
    assert list(Case.objects.values_list("subscriber_id", flat=True)) == [recent.subscriber_id]


def test_answers_and_cases_are_in_the_data_download_and_go_at_erasure(town, eight_months, now):
    reader = family(town, due=due_for(30, TODAY))
    q = {question.order: question for question in eight_months.questions.all()}
    services.submit_answers(
        eight_months,
        reader.subscriber,
        reader.child,
        {q[6].pk: [2], q[7].pk: "よろしくお願いします"},
    )
    services.ask_to_talk(reader.subscriber, "話したいです")
    data = personal_data.export(reader.subscriber)
    assert any(a["answer"] == "面談を希望する" for a in data["questionnaire_answers"])
    assert any(a["answer"] == "よろしくお願いします" for a in data["questionnaire_answers"])
    assert {c["reason"] for c in data["followup_cases"]} == {
        "アンケートで連絡を希望",
        "「話を聞いてほしい」",
    }
    erasure.STEPS["followups"]([reader.subscriber_id])
    assert not Response.objects.exists() and not Case.objects.exists()


def test_a_screen_is_imported_from_json_all_or_nothing(town, tmp_path):
    path = tmp_path / "screen.json"
    path.write_text(json.dumps(SCREEN, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("import_questionnaire", str(path), municipality="aoba", stdout=out)
    assert "質問10問" in out.getvalue() and "生後14日" in out.getvalue()
    imported = Questionnaire.objects.get()
    assert imported.total_threshold == 9
    assert imported.questions.get(order=10).item_threshold == 1

    broken = json.loads(json.dumps(SCREEN))
    broken["questions"][4]["options"][2] = {"label": "点数のない選択肢"}
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(
        CommandError, match="問5の選択肢「点数のない選択肢」に0以上の点数がありません"
    ):
        call_command("import_questionnaire", str(path), municipality="aoba")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSONとして読めません"):
        call_command("import_questionnaire", str(path), municipality="aoba")
    threshold_on_text = {**SCREEN, "questions": [{"kind": "text", "text": "x", "threshold": 1}]}
    with pytest.raises(services.FollowupError, match="点数つき"):
        services.import_questionnaire(town, threshold_on_text)
    assert Questionnaire.objects.count() == 1


def test_editors_and_health_staff_load_a_screen_from_the_staff_page(users, town, other):
    url = reverse("followups:import")
    assert client_for(users["viewer"]).get(url).status_code == 403
    assert client_for(users["operator"]).get(url).status_code == 403
    editor = client_for(users["editor"])
    page = editor.get(url).content.decode()
    assert "あおば市" in page and "みどり町" not in page

    def upload(client, content, municipality):
        file = io.BytesIO(content)
        file.name = "screen.json"
        return client.post(url, {"municipality": municipality.pk, "file": file})

    broken = {**SCREEN, "stage": {"track": "pregnancy", "unit": "year", "number": 1}}
    refused = upload(editor, json.dumps(broken).encode(), town)
    assert refused.status_code == 200 and "「stage」の track" in refused.content.decode()
    refused = upload(editor, b"\x82\xa0{", town)
    assert "UTF-8で保存した" in refused.content.decode()
    foreign = upload(editor, json.dumps(SCREEN).encode(), other)
    assert "自治体を選んでください" in foreign.content.decode()
    assert not Questionnaire.objects.exists()

    done = upload(client_for(users["health"]), json.dumps(SCREEN).encode("utf-8-sig"), town)
    imported = Questionnaire.objects.get()
    assert done.status_code == 302 and done.url.endswith(f"/{imported.pk}/change/")
    assert imported.municipality == town and imported.questions.count() == 10
    assert AuditEvent.objects.filter(user=users["health"], action="change").exists()
