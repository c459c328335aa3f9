"""Which sender carries each channel, and what the LINE sender stores before a request leaves."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection, transaction

from .models import Delivery
from .senders import postmark
from .senders.base import Sender
from .senders.email import EmailSender
from .senders.line import LineSender
from .senders.postmark import PostmarkBatchSender


def senders_for(deliveries: list[Delivery]) -> dict[str, Sender]:
    slugs = {d.municipality_id: d.municipality.slug for d in deliveries}
    email = PostmarkBatchSender() if postmark.is_configured() else EmailSender()
    return {"email": email, "line": LineSender(slugs, remember_keys=remember_retry_keys)}


def remember_retry_keys(keys: dict[str, list[int]]) -> None:
    """Store the retry keys of LINE requests about to leave, in their own short transaction."""
    rows = [(delivery_id, key) for key, ids in keys.items() for delivery_id in ids]
    table = Delivery._meta.db_table
    cast = "uuid" if connection.vendor == "postgresql" else "char(32)"
    values = ", ".join([f"(%s, CAST(%s AS {cast}))"] * len(rows))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET retry_key = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
            f"WHERE {table}.id = v.column1",
            [value for delivery_id, key in rows for value in (delivery_id, _uuid_db(key))],
        )


def _uuid_db(key: str) -> Any:
    return Delivery._meta.get_field("retry_key").get_db_prep_save(uuid.UUID(key), connection)
