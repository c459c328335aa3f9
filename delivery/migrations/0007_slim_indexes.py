import django.db.models.deletion
from django.db import migrations, models

import delivery.models

# The foreign-key indexes Django made for these columns: dropped by name so that the constraints
# stay (AlterField would drop and re-add each constraint, checking every row again).
UNUSED_INDEXES = [
    ("delivery_delivery_subscriber_id_76013202", "subscriber_id"),
    ("delivery_delivery_stage_message_id_9543586d", "stage_message_id"),
    ("delivery_delivery_special_message_id_147b49f7", "special_message_id"),
    ("delivery_delivery_birthday_message_id_1bc1b4e9", "birthday_message_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0003_record_existing_texts"),
        ("delivery", "0006_claim_order_index"),
        ("subscribers", "0003_subscriber_signup_tag"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "delivery_delivery" ("{column}")',
                )
                for name, column in UNUSED_INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="subscriber",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="subscribers.subscriber",
                        verbose_name="読者",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="stage_message",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="content.stagemessage",
                        verbose_name="ステージメッセージ",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="special_message",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="content.specialmessage",
                        verbose_name="特別メッセージ",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="birthday_message",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="content.birthdaymessage",
                        verbose_name="誕生日メッセージ",
                    ),
                ),
            ],
        ),
        migrations.RemoveIndex(model_name="delivery", name="delivery_provider_id_idx"),
        migrations.AddIndex(
            model_name="delivery",
            index=delivery.models.HashIndexOnPostgres(
                condition=models.Q(("provider_message_id", ""), _negated=True),
                fields=["provider_message_id"],
                name="delivery_provider_id_hash",
            ),
        ),
    ]
