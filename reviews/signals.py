"""Every write of a reviewed text records its version: an edit after approval goes back to review.

A single save (the admin, the staff editors) sends ``post_save``; the pack loader's bulk writes
send :data:`content.signals.texts_written` with all their rows, recorded in a few statements.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save, pre_save

from audit import services as audit
from content import signals as content_signals
from municipalities.models import Municipality, send_only_reviewed_default

from . import services
from .models import TextVersion


def _text_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # fixtures
        return
    services.record_version(instance)


def _texts_written(sender: Any, rows: list[Any], **kwargs: Any) -> None:
    services.record_versions(sender, rows)


def _text_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Its versions stay as the record of what was reviewed; none is a text's current one.
    TextVersion.objects.filter(
        text_type=ContentType.objects.get_for_model(sender), text_id=instance.pk
    ).update(current=False)


def connect() -> None:
    for model in services.REVIEWED_MODELS:
        post_save.connect(
            _text_saved, sender=model, dispatch_uid=f"reviews.version.{model.__name__}"
        )
    for model in services.REVIEWED_MODELS:
        post_delete.connect(
            _text_deleted, sender=model, dispatch_uid=f"reviews.deleted.{model.__name__}"
        )
    content_signals.texts_written.connect(_texts_written, dispatch_uid="reviews.versions.bulk")
    pre_save.connect(_remember_gate, sender=Municipality, dispatch_uid="reviews.gate.before")
    post_save.connect(_record_gate, sender=Municipality, dispatch_uid="reviews.gate.after")


def _remember_gate(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    instance._send_only_reviewed_before = (
        None
        if instance.pk is None or raw
        else sender.objects.filter(pk=instance.pk)
        .values_list("send_only_reviewed", flat=True)
        .first()
    )


def _record_gate(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """Sending unreviewed texts is a choice someone made, and the audit trail says who and when."""
    before = getattr(instance, "_send_only_reviewed_before", None)
    if created:
        # A new municipality on the site's default chose nothing; one set up otherwise did.
        before = send_only_reviewed_default()
    if raw or before == instance.send_only_reviewed:
        return
    latest = instance.history.order_by("-history_id").first()
    audit.record(
        "change",
        step="review.send_only_reviewed"
        if instance.send_only_reviewed
        else "review.send_unreviewed",
        user=getattr(latest, "history_user", None),
        target="municipalities.Municipality",
        target_id=str(instance.pk),
        send_only_reviewed=instance.send_only_reviewed,
    )
