"""The life of an urgent notice: written, approved by a second editor, queued once, sent first.

Each step locks the notice row, checks its state and who is acting, and is safe to repeat.
Deliveries are written with one ``INSERT … SELECT … ON CONFLICT DO NOTHING``: the unique
(reader, message key), whatever the channel, makes a second queueing add nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from delivery import outbox
from kizuna import clock
from municipalities.access import roles_of

from . import selectors
from .models import MESSAGE_KIND, UrgentNotice

logger = logging.getLogger(__name__)


class NoticeError(Exception):
    """A step the rules refuse; the message is shown to staff as it is."""


def approval_required() -> bool:
    return bool(settings.KIZUNA_URGENT_APPROVAL_REQUIRED)


def can_edit(user: AbstractBaseUser | AnonymousUser, notice: UrgentNotice) -> bool:
    roles = roles_of(user)
    return roles.superuser or notice.municipality_id in roles.editor_of


def can_approve(user: AbstractBaseUser | AnonymousUser, notice: UrgentNotice) -> bool:
    return can_edit(user, notice) and user.pk != notice.created_by_id


def _locked(notice_id: int) -> UrgentNotice:
    return (
        UrgentNotice.objects.select_for_update(of=("self",))
        .select_related("municipality")
        .get(pk=notice_id)
    )


@transaction.atomic
def submit(notice_id: int, *, by: User) -> UrgentNotice:
    """Ask a second editor to approve; without required approval, the author's submit approves."""
    notice = _locked(notice_id)
    if not can_edit(by, notice):
        raise NoticeError("この自治体のお知らせを編集する権限がありません。")
    if notice.status == UrgentNotice.Status.PENDING:
        return notice
    if notice.status != UrgentNotice.Status.DRAFT:
        raise NoticeError("下書きのお知らせだけが承認を依頼できます。")
    _check_send_at(notice)
    notice.status = UrgentNotice.Status.PENDING
    notice.submitted_at = clock.now()
    notice.save(update_fields=["status", "submitted_at", "updated_at"])
    logger.info("urgent notice %s submitted by user %s", notice.pk, by.pk)
    if not approval_required():
        return _approve(notice, by)
    return notice


@transaction.atomic
def approve(notice_id: int, *, by: User) -> UrgentNotice:
    """A second editor of the municipality approves: sent now, or at its time."""
    notice = _locked(notice_id)
    if notice.status in (UrgentNotice.Status.SCHEDULED, UrgentNotice.Status.SENT):
        return notice
    if notice.status != UrgentNotice.Status.PENDING:
        raise NoticeError("承認待ちのお知らせではありません。")
    if by.pk == notice.created_by_id and approval_required():
        raise NoticeError("作成した本人は承認できません。ほかの編集者に承認を依頼してください。")
    if not can_edit(by, notice):
        raise NoticeError("この自治体の編集者だけが承認できます。")
    _check_send_at(notice)
    return _approve(notice, by)


def _check_send_at(notice: UrgentNotice) -> None:
    if notice.send_at is not None and notice.send_at < clock.now() - datetime.timedelta(hours=1):
        raise NoticeError(
            "送信日時が過ぎています。送信日時を直すか、空欄にしてすぐに送ってください。"
        )


def _approve(notice: UrgentNotice, by: User) -> UrgentNotice:
    notice.status = UrgentNotice.Status.SCHEDULED
    notice.approved_by = by
    notice.approved_at = clock.now()
    notice.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    logger.info("urgent notice %s approved by user %s", notice.pk, by.pk)
    if notice.send_at is None or notice.send_at <= clock.now():
        queue(notice)
    return notice


@transaction.atomic
def return_to_draft(notice_id: int, *, by: User) -> UrgentNotice:
    """Send a pending notice back to its author for changes."""
    notice = _locked(notice_id)
    if not can_edit(by, notice):
        raise NoticeError("この自治体のお知らせを編集する権限がありません。")
    if notice.status != UrgentNotice.Status.PENDING:
        raise NoticeError("承認待ちのお知らせではありません。")
    notice.status = UrgentNotice.Status.DRAFT
    notice.save(update_fields=["status", "updated_at"])
    return notice


@transaction.atomic
def cancel(notice_id: int, *, by: User) -> UrgentNotice:
    """Withdraw a notice; once sending has started, what has not gone out yet is stopped."""
    notice = _locked(notice_id)
    if not can_edit(by, notice):
        raise NoticeError("この自治体のお知らせを編集する権限がありません。")
    if notice.status == UrgentNotice.Status.CANCELLED:
        return notice
    if notice.status == UrgentNotice.Status.SENT:
        outbox.cancel_queued(
            due_on=notice.queued_on,
            municipality_id=notice.municipality_id,
            key=outbox.MessageKey.for_record(MESSAGE_KIND, notice.pk),
            reason="緊急のお知らせの送信を中止しました",
        )
    notice.status = UrgentNotice.Status.CANCELLED
    notice.cancelled_by = by
    notice.cancelled_at = clock.now()
    notice.save(update_fields=["status", "cancelled_by", "cancelled_at", "updated_at"])
    logger.info("urgent notice %s cancelled by user %s", notice.pk, by.pk)
    return notice


def priority_time(on: datetime.date) -> datetime.datetime:
    """The start of the sending day: earlier than every stage message planned that day, so the
    dispatcher's claim (ordered by next attempt) takes urgent deliveries first."""
    return datetime.datetime.combine(on, datetime.time(), tzinfo=clock.TOKYO)


def queue(notice: UrgentNotice) -> int:
    """Write one delivery per recipient on their channel; returns how many were added."""
    now = clock.now()
    today = clock.today()
    added = outbox.enqueue_readers(
        outbox.MessageKey.for_record(MESSAGE_KIND, notice.pk),
        selectors.recipients(notice, on=today),
        due_on=today,
        send_from=priority_time(today),
    )
    notice.status = UrgentNotice.Status.SENT
    notice.queued_at = now
    notice.queued_on = today
    notice.recipients = max(added, 0)
    notice.save(update_fields=["status", "queued_at", "queued_on", "recipients", "updated_at"])
    logger.info(
        "urgent notice %s queued for %d readers",
        notice.pk,
        added,
        extra={"event": "urgent_queued", "notice": notice.pk, "deliveries": added},
    )
    return added


def queue_due(now: datetime.datetime | None = None) -> list[int]:
    """Queue every approved notice whose time has come; returns their ids."""
    now = now or clock.now()
    queued = []
    for notice_id in UrgentNotice.objects.due(now).values_list("pk", flat=True):
        with transaction.atomic():
            notice = _locked(notice_id)
            if notice.status == UrgentNotice.Status.SCHEDULED:
                queue(notice)
                queued.append(notice.pk)
    return queued
