"""Health checks: each municipality's reminder settings, its group sessions and their changes."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

from .timings import CHECKS

CHECK_CHOICES = [(check.number, check.label) for check in CHECKS]

# Message kinds (delivery.kinds): the national reminder folds into the day's stage text; the
# session's invitation, its day-before reminder and a correction are messages of their own.
REMINDER_KIND = "checkup"
INVITATION_KIND = "checkinvite"
EVE_KIND = "checkeve"
CORRECTION_KIND = "checkfix"
SESSION_KINDS = (INVITATION_KIND, EVE_KIND, CORRECTION_KIND)


def default_checks() -> list[int]:
    return [check.number for check in CHECKS]


class CheckupSettings(models.Model):
    """A municipality's health-check reminders; created with these defaults when missing."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="checkup_settings",
        verbose_name=_("自治体"),
    )
    reminders_on = models.BooleanField(_("健診の時期のお知らせを送る"), default=False)
    checks = models.JSONField(_("お知らせする健診"), default=default_checks)
    lead_days = models.PositiveSmallIntegerField(_("健診の時期の何日前にお知らせするか"), default=7)
    invitation_lead_days = models.PositiveSmallIntegerField(
        _("集団健診の何日前にご案内するか"), default=14
    )
    note = models.TextField(
        _("自治体からのひとこと"),
        blank=True,
        max_length=600,
        help_text=_("予約の方法、受診票、問い合わせ先など。お知らせの最後に添えます。"),
    )

    class Meta:
        verbose_name = _("乳幼児健診の設定")
        verbose_name_plural = _("乳幼児健診の設定")

    def __str__(self) -> str:
        return f"{self.municipality}の乳幼児健診の設定"

    @classmethod
    def of(cls, municipality: Municipality) -> CheckupSettings:
        found, _ = cls.objects.get_or_create(municipality=municipality)
        return found


class SessionQuerySet(models.QuerySet["Session"]):
    def for_municipalities(self, ids: object) -> SessionQuerySet:
        return self.filter(municipality_id__in=ids)


class Session(models.Model):
    """One group health check (集団健診) of a municipality, and the birth dates it invites."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("予定")
        CANCELLED = "cancelled", _("中止")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="checkup_sessions"
    )
    check_number = models.PositiveSmallIntegerField(_("健診"), choices=CHECK_CHOICES)
    held_on = models.DateField(_("日付"))
    starts_at = models.TimeField(_("開始時刻"))
    venue = models.CharField(_("会場"), max_length=100)
    born_from = models.DateField(_("対象の生年月日（から）"))
    born_until = models.DateField(_("対象の生年月日（まで）"))
    capacity = models.PositiveIntegerField(_("定員"))
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    # A flagged session (a national holiday, more invited than places) waits for staff.
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[SessionQuerySet] = SessionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("集団健診")
        verbose_name_plural = _("集団健診")
        ordering = ("held_on", "starts_at", "pk")
        indexes = [models.Index(fields=["municipality", "held_on"], name="checkup_session_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(born_from__lte=models.F("born_until")),
                name="checkup_session_birth_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_check_number_display()} {self.held_on}"


class SessionChange(models.Model):
    """A version of a session as parents were told: created, moved or cancelled.

    Each change's id keys its correction (``c42:checkfix:<id>``) and the day-before reminder
    of that version (``c42:checkeve:<id>``): one per change and child, however often it is saved.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("登録")
        MOVED = "moved", _("変更")
        CANCELLED = "cancelled", _("中止")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    held_on = models.DateField()
    starts_at = models.TimeField()
    venue = models.CharField(max_length=100)
    made_at = models.DateTimeField(auto_now_add=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("集団健診の変更")
        verbose_name_plural = _("集団健診の変更")
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.session} {self.get_kind_display()}"
