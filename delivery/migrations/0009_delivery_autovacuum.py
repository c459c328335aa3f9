from django.db import migrations

# A day's deliveries are claimed, sent and (35 days later) rolled up: a lot of churn on a table
# that holds 35 days. At the default threshold (20 % of the table dead) autovacuum comes round
# only every few days, and the freed space is not reused until it does.
SETTINGS = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02"


def set_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE delivery_delivery SET ({SETTINGS})")


def reset_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE delivery_delivery RESET "
            "(autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [("delivery", "0008_daycount_rolled_up")]

    operations = [migrations.RunPython(set_autovacuum, reset_autovacuum)]
