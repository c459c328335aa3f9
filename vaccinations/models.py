"""What vaccinations keeps: each municipality's reminder settings, and the doses parents record."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality
from subscribers.models import Child, Subscriber

MESSAGE_KIND = "vaccine"


class ReminderSettings(models.Model):
    """A municipality's vaccination reminders: off until its staff turn them on."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="vaccination_settings",
        verbose_name=_("自治体"),
    )
    reminders_on = models.BooleanField(_("予防接種のお知らせを送る"), default=False)
    opens_lead_days = models.PositiveSmallIntegerField(
        _("受けられる時期の何日前に知らせるか"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    deadline_lead_days = models.PositiveSmallIntegerField(
        _("接種期限の何日前に知らせるか"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    note = models.TextField(
        _("自治体からのひとこと（予約先・費用の助成など）"), blank=True, max_length=400
    )
    optional_vaccines = models.JSONField(_("お知らせに加える任意接種"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("予防接種のお知らせの設定")
        verbose_name_plural = _("予防接種のお知らせの設定")

    def __str__(self) -> str:
        return f"{self.municipality} の予防接種のお知らせ"

    @classmethod
    def of(cls, municipality: Municipality) -> ReminderSettings:
        """The municipality's settings, made with the defaults (off) the first time."""
        found, _created = cls.objects.get_or_create(municipality=municipality)
        return found


class DoseRecord(models.Model):
    """A dose a parent recorded as given. One per child and dose."""

    class Via(models.TextChoices):
        WEB = "web", _("予防接種のページ")
        LINE = "line", _("LINE")

    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="vaccination_records",
        verbose_name=_("子ども"),
    )
    dose = models.CharField(_("接種"), max_length=20)
    given_on = models.DateField(_("接種日"))
    product = models.CharField(_("ワクチン"), max_length=10, blank=True)
    recorded_by = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vaccination_records",
        verbose_name=_("記録した人"),
    )
    via = models.CharField(_("記録の方法"), max_length=8, choices=Via, default=Via.WEB)
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("接種の記録")
        verbose_name_plural = _("接種の記録")
        constraints = [
            models.UniqueConstraint(fields=["child", "dose"], name="one_record_per_child_dose")
        ]
        indexes = [
            # The day's plan finds the children whose previous dose was given on a day.
            models.Index(fields=["dose", "given_on"], name="vaccination_dose_given_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dose} {self.given_on:%Y-%m-%d}"
