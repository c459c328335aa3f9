"""A rendering shared by readers at the same stage gives each of them exactly the full rendering."""

import pytest
import time_machine

from content import selectors
from content.models import LocalNotice, StageMessage
from content.rendering import placeholder_values, render_message
from delivery import planner
from delivery.compose import Composed, Composer, MessageKey, outgoing
from delivery.messages import with_feedback
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import ConsultationContact
from subscribers import links
from tests.delivery.conftest import MORNING, due_for, family

pytestmark = pytest.mark.django_db

NICKNAMES = [
    "",
    "はな",
    "はな",
    "<b>ゆう</b> & \"mi\" 'ko'",
    "KZNREADERMANAGEURLMARK",  # a reader named like the marks still gets their own name
    "🌸さくら",
    " まわりに空白 ",  # tidied differently in the greeting and the body: rendered in full
    "はなちゃん",  # an honorific of its own: 「はなちゃんへ」, never 「はなちゃんさんへ」
]


def _full_rendering(delivery: Delivery):
    subscriber, child, municipality = delivery.subscriber, delivery.child, delivery.municipality
    text = selectors.stage_message_for(
        MessageKey.parse(delivery.message_key).stage,
        audience=subscriber.audience,
        language=subscriber.language,
    )
    notices = selectors.select_notices(
        LocalNotice.objects.published().filter(municipality=municipality),
        track="pregnancy",
        anchor=child.due_date,
        on=delivery.due_on,
    )
    return render_message(
        text,
        municipality=municipality,
        placeholders=placeholder_values(
            municipality=municipality,
            nickname=subscriber.nickname,
            track="pregnancy",
            anchor=child.due_date,
            on=delivery.due_on,
        ),
        notices=notices,
        contacts=list(municipality.contacts.all()),
        manage_url=links.manage_url(subscriber),
        unsubscribe_url=links.unsubscribe_url(subscriber),
    )


@time_machine.travel(MORNING, tick=False)  # both renderings sign their links in the same second
def test_each_reader_gets_the_full_rendering_with_their_own_name_and_links(municipality, texts):
    StageMessage.objects.filter(track="pregnancy", number__in=[20, 21]).update(
        body="## {{ nickname }}さんへ\n{{ municipality }}から。あと{{ days_until_due }}日。"
    )
    LocalNotice.objects.create(
        municipality=municipality,
        title="{{ nickname }}さんに両親学級のご案内",
        body="**{{ nickname }}さん**、[申込](https://example.jp/apply)はこちら",
        track="pregnancy",
        unit="week",
        number_from=4,
        number_to=40,
        channels="both",
        published=True,
    )
    ConsultationContact.objects.create(
        municipality=municipality, name="保健センター <母子>", phone="03-0000-0000"
    )
    for n, nickname in enumerate(NICKNAMES):
        family(municipality, due=due_for(20), email=f"r{n}@example.jp", nickname=nickname)
        family(
            municipality,
            due=due_for(21),
            line_user_id=f"U{n:032x}",
            channel="line",
            email=None,
            nickname=nickname,
        )
    planner.plan_day(clock.today(), [municipality])
    deliveries = list(
        Delivery.objects.select_related("subscriber", "child", "municipality").order_by("pk")
    )
    assert len(deliveries) == 2 * len(NICKNAMES)

    composer = Composer()
    composed = [composer.compose(delivery) for delivery in deliveries]
    # Two stages × (no nickname, a nickname, one with its own honorific): six renderings serve
    # sixteen readers.
    assert len(composer._frames) == 6

    for delivery, result in zip(deliveries, composed, strict=True):
        full = _full_rendering(delivery)
        message = result.message
        if delivery.channel == "email":
            # The reader's own feedback link joins both the same way (delivery.messages).
            full = with_feedback(
                Composed(outgoing(delivery, delivery.subscriber, full), {}),
                delivery,
                result.stage_message_id,
            ).message
            assert (message.subject, message.html, message.text, message.line_text) == (
                full.subject,
                full.html,
                full.text,
                full.line_text,
            )
        else:  # what LINE shows is the same; no personal link was signed for it
            assert (message.subject, message.line_text) == (full.subject, full.line_text)
            shown = message.html + message.text + message.line_text
            assert links.manage_url(delivery.subscriber) not in shown
            assert links.unsubscribe_url(delivery.subscriber) not in shown
            assert message.headers == {}
    by_reader = {
        d.subscriber.email: c.message
        for d, c in zip(deliveries, composed, strict=True)
        if d.channel == "email"
    }
    assert (
        "&lt;b&gt;ゆう&lt;/b&gt; &amp; &quot;mi&quot; &#x27;ko&#x27;"
        in by_reader["r3@example.jp"].html
    )
    assert "<b>ゆう</b>" not in by_reader["r3@example.jp"].html
    assert "KZNREADERMANAGEURLMARKさんへ" in by_reader["r4@example.jp"].text
    assert "はなちゃんへ" in by_reader["r7@example.jp"].text
    assert "はなちゃん、こんにちは。" in by_reader["r7@example.jp"].text
    assert "ちゃんさん" not in by_reader["r7@example.jp"].html + by_reader["r7@example.jp"].text
    manage_links = {
        m.text.split("配信の設定・変更\n")[1].split()[0] for m in by_reader.values() if m.text
    }
    assert len(manage_links) == len(NICKNAMES)
