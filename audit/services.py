"""Writing and pruning the audit trail. Callers pass model and id, never personal data."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

from kizuna import clock
from kizuna.security import client_ip

from .models import AuditEvent

logger = logging.getLogger(__name__)


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    username: str = "",
    target: str = "",
    target_id: str | int = "",
    **detail: object,
) -> AuditEvent:
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    actor = user if isinstance(user, User) and user.pk else None
    event = AuditEvent.objects.create(
        user=actor,
        username=(actor.get_username() if actor is not None else username)[:150],
        action=action,
        target=target[:100],
        target_id=str(target_id)[:100],
        ip=(client_ip(request) or None) if request is not None else None,
        path=request.path[:300] if request is not None else "",
        detail=detail,
    )
    logger.info(
        "audit %s %s %s %s",
        event.username,
        action,
        event.target,
        event.target_id,
        extra={"event": "audit", "action": action, "target": event.target},
    )
    return event


def prune(now: datetime.datetime | None = None) -> int:
    """Delete events older than the retention period; returns how many."""
    cutoff = (now or clock.now()) - datetime.timedelta(days=settings.KIZUNA_AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
