"""「話を聞いてほしい」 in LINE: a rich menu button (or the words typed) answers with the reader's
own signed link to the page, since LINE messages carry no personal link otherwise."""

from __future__ import annotations

from django.urls import reverse

from municipalities.models import Municipality
from subscribers import links
from subscribers.line_chat import command_of
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, link_lifetime_days

COMMANDS = {"話を聞いてほしい", "話をきいてほしい", "相談したい", "保健師に相談"}


def talk_link_answer(municipality: Municipality, user_id: str, text: str) -> str | None:
    if command_of(text) not in COMMANDS:
        return None
    reader = (
        Subscriber.objects.filter(
            municipality=municipality, line_user_id=user_id, erased_at__isnull=True
        )
        .exclude(unsubscribed_at__isnull=False)
        .first()
    )
    if reader is None:
        return None
    url = links.absolute(reverse("followups:talk_link", args=[links.manage_token(reader)]))
    contacts = [
        f"・{c.name}" + (f" {c.phone}" if c.phone else "") + (f"（{c.hours}）" if c.hours else "")
        for c in municipality.contacts.all()
    ]
    lines = [
        f"声をかけてくださって、ありがとうございます。下のページから送っていただくと、"
        f"{municipality.name}の保健師からご連絡します"
        f"（リンクは{link_lifetime_days(Purpose.MANAGE)}日間使えます）。",
        url,
    ]
    if contacts:
        lines += ["", "急ぐときは、こちらへお電話ください。", *contacts]
    return "\n".join(lines)
