from django.db import migrations, models

# Rows that the old per-channel key let in twice (a reader who switched channel): one stays,
# the sent one first. A sent copy that goes keeps its slim record for the data download.
RANKED = """
    SELECT id, subscriber_id, due_on, channel, message_key, status, row_number() OVER (
        PARTITION BY subscriber_id, message_key
        ORDER BY CASE status WHEN 'sent' THEN 0 WHEN 'sending' THEN 1 WHEN 'planned' THEN 2
                             WHEN 'failed' THEN 3 ELSE 4 END, id
    ) AS n
    FROM delivery_delivery
"""

KEEP_SENT_RECORDS = f"""
    INSERT INTO delivery_sentmessage (subscriber_id, due_on, channel, message_key)
    SELECT subscriber_id, due_on, channel, message_key FROM ({RANKED}) ranked
    WHERE n > 1 AND status = 'sent'
"""

DROP_SECOND_COPIES = f"""
    DELETE FROM delivery_delivery WHERE id IN (SELECT id FROM ({RANKED}) ranked WHERE n > 1)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0010_sent_message"),
        ("subscribers", "0006_email_accepts_old_carrier_addresses"),
    ]

    operations = [
        migrations.RunSQL(KEEP_SENT_RECORDS, migrations.RunSQL.noop),
        migrations.RunSQL(DROP_SECOND_COPIES, migrations.RunSQL.noop),
        migrations.RemoveConstraint(model_name="delivery", name="deliver_each_message_once"),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                fields=("subscriber", "message_key"), name="deliver_each_message_once_anywhere"
            ),
        ),
    ]
