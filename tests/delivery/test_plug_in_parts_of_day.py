"""Another app's day-planned kind: a plan step writes it with the day's stage messages, and a
kind registered as a part of the day goes out inside the child's one message of that day."""

from dataclasses import dataclass

import pytest

from delivery import dispatch, kinds, outbox, planner
from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from kizuna import clock
from tests.delivery.conftest import due_for, family

pytestmark = pytest.mark.django_db

NOTE = "testnote"


@dataclass(frozen=True)
class _Text:
    subject: str
    body: str
    language: str = "ja"


class _NoteTexts(TextKind):
    def text(self, delivery, key):
        return ExtraText(_Text("予防接種のお知らせ", "## 予防接種\n来週から受けられます。"))


def _notes_for_children_in_week(week: int):
    """A step that writes a note for every expecting child entering ``week`` today."""

    def step(context: planner.PlanStepContext) -> dict[str, int]:
        due = due_for(week, context.on)
        key = f"'c' || c.id || ':{NOTE}:1'"
        row = outbox.row_sql(
            municipality="c.municipality_id",
            subscriber="s.id",
            child="c.id",
            channel="s.channel",
            key=key,
        )
        select = f"""SELECT {row} FROM subscribers_child c
            JOIN subscribers_subscription sub ON sub.child_id = c.id AND sub.ended_at IS NULL
            JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
            WHERE c.due_date = %s AND c.municipality_id = ANY(%s)"""  # noqa: S608
        params = [*outbox.row_params(context.on, context.now, context.now), due]
        params.append(context.municipality_ids)
        if context.dry_run:
            context.cursor.execute(f"SELECT count(*) FROM ({select}) AS n", params)  # noqa: S608
            return {NOTE: context.cursor.fetchone()[0]}
        context.cursor.execute(outbox.insert_sql(select), params)
        return {NOTE: context.cursor.rowcount}

    return step


@pytest.fixture
def note_kind():
    planner.register_plan_step(NOTE, _notes_for_children_in_week(20))
    kinds.register_kind(NOTE, _NoteTexts, part_of_day=10)
    yield
    planner.PLAN_STEPS.pop(NOTE)
    kinds.KINDS.pop(NOTE)
    kinds.PART_KINDS.pop(NOTE)


def test_a_plan_step_runs_with_the_day_and_its_part_folds_into_the_stage_message(
    municipality, texts, smtp, morning, note_kind
):
    with_stage = family(municipality, due=due_for(20))
    dry = planner.plan_day(clock.today(), [municipality], dry_run=True)
    assert dry.planned[NOTE] == 1 and not Delivery.objects.exists()

    planned = planner.plan_day(clock.today(), [municipality])
    assert +planned.planned == {"stage": 1, NOTE: 1}
    again = planner.plan_day(clock.today(), [municipality])
    assert again.total == 0

    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"].startswith("妊娠20週")
    assert text.index("保健センター") < text.index("来週から受けられます")
    note = Delivery.objects.get(message_key__endswith=f":{NOTE}:1")
    stage = Delivery.objects.get(message_key__contains=":stage:")
    assert note.subscriber_id == with_stage.subscriber_id
    assert note.provider_message_id == f"folded-into:{stage.pk}"


def test_a_part_of_the_day_with_nothing_else_due_is_a_message_of_its_own(
    municipality, smtp, morning, note_kind
):
    family(municipality, due=due_for(20))  # no stage text published: the note is alone
    assert +planner.plan_day(clock.today(), [municipality]).planned == {NOTE: 1}
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"] == "予防接種のお知らせ"


def test_engine_ranks_are_refused_for_plug_in_parts():
    with pytest.raises(ValueError):
        kinds.register_kind(NOTE, _NoteTexts, part_of_day=3)
    assert NOTE not in kinds.KINDS
