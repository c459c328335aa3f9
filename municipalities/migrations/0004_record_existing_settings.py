"""Give every municipality that existed before history was kept a first version of its settings."""

from django.db import migrations
from django.utils import timezone


def record_existing(apps, schema_editor):
    model = apps.get_model("municipalities", "Municipality")
    history = apps.get_model("municipalities", "HistoricalMunicipality")
    recorded = set(history.objects.values_list("id", flat=True))
    fields = [field.attname for field in model._meta.concrete_fields]
    history.objects.bulk_create(
        [
            history(
                **{field: getattr(municipality, field) for field in fields},
                history_date=timezone.now(),
                history_type="+",
                history_change_reason="履歴の記録を始めたときの版",
            )
            for municipality in model.objects.exclude(id__in=recorded)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("municipalities", "0003_municipality_history")]

    operations = [migrations.RunPython(record_existing, migrations.RunPython.noop)]
