"""Every app that keeps rows about a reader takes part in their data download and in erasure.

Apps above subscribers register both from their ``ready()`` (subscribers imports none of them),
so a new app whose models point at a reader or a child must register too: this test names it
until it does.
"""

from django.apps import apps
from django.db.models import Model

from subscribers import erasure, personal_data

PROJECT_APPS = {
    "kizuna", "municipalities", "audit", "content", "subscribers", "delivery", "surveys",
    "urgent_notices", "adoption", "accounts", "operations", "reviews", "vaccinations", "checkups",
    "followups", "conversations", "line_accounts", "reports",
}  # fmt: skip


def _points_at_a_reader(model: type[Model], seen: frozenset[type[Model]] = frozenset()) -> bool:
    """A foreign key to a model of subscribers, directly or through this app's own models
    (a survey answer → its response → the reader)."""
    for field in model._meta.get_fields():
        target = field.related_model if field.many_to_one and field.concrete else None
        if target is None or target in seen or not isinstance(target, type):
            continue
        if target._meta.app_label == "subscribers":
            return True
        if target._meta.app_label == model._meta.app_label and _points_at_a_reader(
            target, seen | {model}
        ):
            return True
    return False


def _apps_keeping_reader_rows() -> set[str]:
    return {
        model._meta.app_label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS - {"subscribers"} and _points_at_a_reader(model)
    }


def test_the_apps_keeping_reader_rows_are_found():
    # The search itself: if it found nothing, the checks below could not fail.
    assert {"delivery", "surveys", "adoption"} <= _apps_keeping_reader_rows()


def test_every_app_keeping_reader_rows_adds_its_part_to_the_data_download():
    missing = _apps_keeping_reader_rows() - set(personal_data.PARTS)
    assert not missing, f"register a part with subscribers.personal_data.register_part: {missing}"


def test_every_app_keeping_reader_rows_has_an_erasure_step():
    missing = _apps_keeping_reader_rows() - set(erasure.STEPS)
    assert not missing, f"register a step with subscribers.erasure.register_step: {missing}"


def test_every_registered_part_labels_its_keys_in_japanese():
    for part in personal_data.PARTS.values():
        assert part.labels, part.app
        assert all(label.strip() for label in part.labels.values()), part.app
