"""Whatever a municipality's editor writes reaches parents harmless: in web pages, HTML mail,
plain text and LINE text. The payloads are saved straight to the database, as if a form's
validation had been bypassed: the renderings must not depend on it."""

import html.parser
import re

import pytest
from django.test import Client

from content.models import BirthdayMessage, LocalNotice
from content.rendering import render_message
from delivery import dispatch, planner
from kizuna import clock
from municipalities.models import ConsultationContact
from surveys.links import survey_url
from surveys.messages import render_invitation
from surveys.models import Question, Survey
from tests.delivery.conftest import due_for, family, line_user
from urgent_notices.models import UrgentNotice
from urgent_notices.rendering import render_notice

pytestmark = pytest.mark.django_db

PAYLOAD = (
    '<script>alert("s")</script><img src=x onerror=alert(1)>'
    '<a href="javascript:alert(2)">link</a> [md](javascript:alert(3)) '
    '<svg onload=alert(4)><iframe src="javascript:alert(5)"></iframe><b onclick=alert(6)>broken <i'
)
# Our own templates use <style>, <meta> (mail) and <form> (pages); they are not counted here.
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "img", "math", "base"}


class _Inspector(html.parser.HTMLParser):
    """Finds what could run: inline scripts, event handlers, javascript: URLs; in ``strict`` mode
    (a mail, which has none of its own) also any embedding tag."""

    def __init__(self, strict: bool) -> None:
        super().__init__()
        self.strict = strict
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        inline_script = tag == "script" and not dict(attrs).get("src")
        if inline_script or (self.strict and tag in DANGEROUS_TAGS):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction") and re.match(
                r"\s*javascript:", value or "", re.I
            ):
                self.problems.append(f"{tag} {name}={value}")
            if name == "srcdoc":  # a mail preview: its document is checked as a mail
                self.problems += harmful(value or "", strict=True)


def harmful(document: str, *, strict: bool = True) -> list[str]:
    inspector = _Inspector(strict)
    inspector.feed(document)
    inspector.close()
    return inspector.problems


def assert_plain_text_harmless(text: str) -> None:
    # Plain text and LINE show characters, never markup; a Markdown link to javascript: must not
    # survive as a link target either.
    assert "javascript:alert(3)" not in text
    assert "](javascript" not in text


@pytest.fixture
def hostile(municipality, texts):
    municipality.service_name = PAYLOAD[:100]
    municipality.sender_name = PAYLOAD[:100]
    municipality.save()
    ConsultationContact.objects.create(
        municipality=municipality, name=PAYLOAD[:100], hours=PAYLOAD[:100], note=PAYLOAD[:200]
    )
    LocalNotice.objects.create(
        municipality=municipality,
        title=PAYLOAD[:100],
        body=PAYLOAD,
        track="pregnancy",
        unit="week",
        number_from=4,
        number_to=41,
        published=True,
    )
    return municipality


def test_stage_mail_and_line_carry_no_markup_from_staff_text(hostile, smtp, line, morning):
    family(hostile, due=due_for(20))
    family(hostile, due=due_for(20), channel="line", line_user_id=line_user(1), email=None)
    planner.plan_day(clock.today(), [hostile])
    assert dispatch.dispatch().outcomes == {"sent": 2}
    [mail] = smtp.messages
    body_html = mail.get_body(preferencelist=("html",)).get_content()
    assert harmful(body_html) == []
    assert "&lt;script&gt;" in body_html or "alert" not in body_html
    assert_plain_text_harmless(mail.get_body(preferencelist=("plain",)).get_content())
    [(_user, line_text)] = line.received
    assert_plain_text_harmless(line_text)


def _check_rendered(rendered) -> None:
    assert harmful(rendered.html) == []
    assert_plain_text_harmless(rendered.text)
    assert_plain_text_harmless(rendered.line_text)
    assert "\n" not in rendered.subject


def test_birthday_urgent_and_survey_texts_render_harmless(hostile, morning):
    links = {"manage_url": "https://kizuna.example.jp/m", "unsubscribe_url": "https://x/u"}
    birthday = BirthdayMessage.objects.create(
        municipality=hostile, age_years=1, subject=PAYLOAD[:100], body=PAYLOAD, published=True
    )
    _check_rendered(
        render_message(
            birthday,
            municipality=hostile,
            placeholders={"nickname": PAYLOAD[:40]},
            contacts=hostile.contacts.all(),
            **links,
        )
    )
    from tests.staff.conftest import make_user

    author = make_user("author")
    notice = UrgentNotice.objects.create(
        municipality=hostile, created_by=author, title=PAYLOAD[:100], body=PAYLOAD
    )
    _check_rendered(
        render_notice(
            notice,
            municipality=hostile,
            nickname=PAYLOAD[:40],
            contacts=hostile.contacts.all(),
            **links,
        )
    )
    survey = Survey.objects.create(
        municipality=hostile,
        title=PAYLOAD[:100],
        fiscal_year=2026,
        intro=PAYLOAD,
        opens_on=clock.today(),
        closes_on=clock.today(),
    )
    _check_rendered(
        render_invitation(
            survey,
            municipality=hostile,
            nickname=PAYLOAD[:40],
            survey_url="https://kizuna.example.jp/survey/x/",
            contacts=hostile.contacts.all(),
            **links,
        )
    )


def test_parent_and_staff_pages_escape_staff_text(hostile, morning):
    from tests.staff.conftest import make_user

    survey = Survey.objects.create(
        municipality=hostile,
        title=PAYLOAD[:100],
        fiscal_year=2026,
        intro=PAYLOAD,
        opens_on=clock.today(),
        closes_on=clock.today(),
    )
    Question.objects.create(
        survey=survey, kind="single", text=PAYLOAD[:200], options="はい\n" + PAYLOAD[:100]
    )
    reader = family(hostile, due=due_for(20)).subscriber
    parent = Client()
    pages = [
        parent.get(f"/m/{hostile.slug}/"),
        parent.get(
            survey_url(reader, survey).split("testserver", 1)[-1].split("127.0.0.1:8000", 1)[-1]
        ),
    ]
    staff = Client()
    staff.force_login(make_user("root", is_superuser=True))
    pages.append(staff.get(f"/staff/preview/?municipality={hostile.pk}&due_date={due_for(20)}"))
    pages.append(staff.get(f"/staff/surveys/{survey.pk}/"))
    for response in pages:
        assert response.status_code == 200, response
        page = response.content.decode()
        assert harmful(page, strict=False) == [], response.request["PATH_INFO"]
        assert "<script>alert" not in page and "<img src=x" not in page
