"""Every field staff write reaches parents harmless: parent pages, mail (text and HTML) and LINE.

The payloads are stored straight into the database, as if a form's validation had been
bypassed (an import, a shell, a future form): the renderings must not depend on validation.
"""

import datetime

import pytest
from django.test import Client

from content.models import BirthdayMessage, LocalNotice, SpecialMessage, StageMessage
from content.rendering import render_message
from delivery import dispatch, planner
from kizuna import clock
from municipalities.models import ConsultationContact
from subscribers import emails, links
from surveys.links import survey_url
from surveys.messages import render_invitation
from surveys.models import Question, Survey
from tests.delivery.conftest import due_for, family, line_user
from tests.staff.conftest import make_user
from urgent_notices.models import UrgentNotice
from urgent_notices.rendering import render_notice

from .inspect import live_markup, plain_text_problems

pytestmark = pytest.mark.django_db

PAYLOADS = {
    "script": '<script>alert("kzx")</script>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://ev.il/">',
    "meta-unquoted": "<meta http-equiv=refresh content=0;url=https://ev.il/>",
    "base": '<base href="https://ev.il/">',
    "img-onerror": '<img src="https://ev.il/x.png" onerror="alert(1)">',
    "javascript-link": '<a href="javascript:alert(1)">kzx</a>[kzx](javascript:alert(2))',
    "iframe": '<iframe src="https://ev.il/"></iframe>',
    "form": '<form action="https://ev.il/"><input name="kzx"><button>送信</button></form>',
    "style": "<style>body{background:url(https://ev.il/)}</style>",
    "svg-broken": '<svg onload="alert(1)"><b onclick="kzx()">閉じない <i',
}


def _fill(model_object, **fields) -> None:
    """Set text fields to the payload, cut to each field's length."""
    for name, value in fields.items():
        limit = model_object._meta.get_field(name).max_length
        setattr(model_object, name, value[:limit] if limit else value)
    model_object.save()


def _hostile_world(municipality, payload: str) -> dict:
    """Put ``payload`` into every text a member of staff writes."""
    _fill(municipality, name=payload, service_name=payload, sender_name=payload)
    ConsultationContact.objects.create(
        municipality=municipality,
        name=payload[:100],
        phone=payload[:30],
        hours=payload[:100],
        note=payload[:200],
    )
    for text in StageMessage.objects.all():
        _fill(text, subject=payload, body=f"{payload}\n\n本文 {payload}")
    for text in SpecialMessage.objects.all():
        _fill(text, subject=payload, body=payload)
    LocalNotice.objects.create(
        municipality=municipality,
        title=payload[:100],
        body=payload,
        track="pregnancy",
        unit="week",
        number_from=4,
        number_to=41,
        published=True,
    )
    birthday = BirthdayMessage.objects.create(
        municipality=municipality, age_years=1, subject=payload[:100], body=payload, published=True
    )
    author = make_user("author")
    urgent = UrgentNotice.objects.create(
        municipality=municipality, created_by=author, title=payload[:100], body=payload
    )
    today = clock.today()
    survey = Survey.objects.create(
        municipality=municipality,
        title=payload[:100],
        fiscal_year=2026,
        intro=payload,
        opens_on=today,
        closes_on=today,
    )
    for kind in ("single", "multiple", "satisfaction", "text"):
        Question.objects.create(
            survey=survey,
            kind=kind,
            text=payload[:200],
            help_text=payload[:200],
            options=f"はい\n{payload[:100]}" if kind in ("single", "multiple") else "",
            required=False,
        )
    published = Survey.objects.create(
        municipality=municipality,
        title=payload[:100],
        fiscal_year=2025,
        intro=payload,
        opens_on=today - datetime.timedelta(days=60),
        closes_on=today - datetime.timedelta(days=30),
        public_results=True,
    )
    Question.objects.create(
        survey=published,
        kind="single",
        text=payload[:200],
        help_text=payload[:200],
        options=f"はい\n{payload[:100]}",
    )
    return {"birthday": birthday, "urgent": urgent, "survey": survey, "published": published}


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_every_staff_field_reaches_parents_without_markup(
    payload, municipality, texts, smtp, line, morning
):
    world = _hostile_world(municipality, payload)
    email_reader = family(municipality, due=due_for(20), nickname="はな").subscriber
    family(municipality, due=due_for(20), channel="line", line_user_id=line_user(1), email=None)

    # Parent pages: the municipality's own, the reader's, the survey's.
    parent = Client()
    slug = municipality.slug
    pages = {
        path: parent.get(path, follow=True)
        for path in (
            f"/m/{slug}/",
            f"/m/{slug}/privacy/",
            f"/m/{slug}/sent/",
            f"/m/{slug}/manage/",
            f"/m/{slug}/surveys/",
            f"/m/{slug}/surveys/{world['published'].pk}/",
            _path(links.manage_url(email_reader)),
            _path(survey_url(email_reader, world["survey"])),
        )
    }
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert live_markup(response.content.decode()) == [], path

    # Mail and LINE: the day's stage message with the local notice, and the mails a person
    # triggers (confirmation, manage link).
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 2}
    emails.send_confirmation(email_reader, email_reader.subscriptions.first().child)
    emails.send_manage_link(email_reader)
    assert len(smtp.messages) == 3
    for mail in smtp.messages:
        assert live_markup(mail.get_body(preferencelist=("html",)).get_content()) == []
        assert plain_text_problems(mail.get_body(preferencelist=("plain",)).get_content()) == []
        assert "\n" not in mail["Subject"]
    [(_user, line_text)] = line.received
    assert plain_text_problems(line_text) == []

    # Birthday messages, urgent notices and survey invitations share the renderer.
    contacts = municipality.contacts.all()
    links_ = {"manage_url": "https://kizuna.example.jp/m", "unsubscribe_url": "https://x/u"}
    rendered = [
        render_message(
            world["birthday"],
            municipality=municipality,
            placeholders={"nickname": payload[:30]},
            contacts=contacts,
            **links_,
        ),
        render_notice(
            world["urgent"],
            municipality=municipality,
            nickname=payload[:30],
            contacts=contacts,
            **links_,
        ),
        render_invitation(
            world["survey"],
            municipality=municipality,
            nickname=payload[:30],
            survey_url="https://kizuna.example.jp/survey/x/",
            contacts=contacts,
            **links_,
        ),
    ]
    for message in rendered:
        assert live_markup(message.html) == []
        assert plain_text_problems(message.text) == []
        assert plain_text_problems(message.line_text) == []
        assert "\n" not in message.subject
