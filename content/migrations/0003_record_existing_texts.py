"""Give every text that existed before history was kept a first version.

So that content.selectors.current_versions has an id for every text a delivery can use.
"""

from django.db import migrations
from django.utils import timezone

MODELS = ["StageMessage", "SpecialMessage", "BirthdayMessage", "LocalNotice"]


def record_existing(apps, schema_editor):
    now = timezone.now()
    for name in MODELS:
        model = apps.get_model("content", name)
        history = apps.get_model("content", f"Historical{name}")
        recorded = set(history.objects.values_list("id", flat=True))
        fields = [field.attname for field in model._meta.concrete_fields]
        history.objects.bulk_create(
            [
                history(
                    **{field: getattr(text, field) for field in fields},
                    history_date=now,
                    history_type="+",
                    history_change_reason="履歴の記録を始めたときの版",
                )
                for text in model.objects.exclude(id__in=recorded)
            ],
            batch_size=500,
        )


class Migration(migrations.Migration):
    dependencies = [("content", "0002_text_history_and_help_texts")]

    operations = [migrations.RunPython(record_existing, migrations.RunPython.noop)]
