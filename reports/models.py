from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality


class BirthCount(models.Model):
    """A municipality's births in one fiscal year (年度), from its own vital statistics.

    Public figures, entered by staff or imported from a CSV; the report's coverage is the
    families registered against them.
    """

    class Source(models.TextChoices):
        ENTERED = "entered", _("画面で入力")
        IMPORTED = "imported", _("CSVから取り込み")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    births = models.PositiveIntegerField(_("出生数"))
    source = models.CharField(_("入力方法"), max_length=10, choices=Source, default=Source.ENTERED)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("更新した人"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("出生数")
        verbose_name_plural = _("出生数")
        ordering = ["municipality", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="one_birth_count_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year}: {self.births}"


class ErasedFamilies(models.Model):
    """Families whose records erasure deleted, as counts only, so past years' figures stay whole.

    Erasure deletes a pregnancy or child once every reader who followed it has left and the
    retention period has passed; just before, :mod:`reports.erasure` adds it here by the figures
    the report groups by, never by who it was.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体")
    )
    registered_fiscal_year = models.PositiveSmallIntegerField(_("登録した年度"))
    bucket = models.CharField(_("登録したときの時期"), max_length=12)
    channel = models.CharField(_("配信方法"), max_length=10)
    origin = models.CharField(_("登録のきっかけ"), max_length=30, blank=True)
    born_fiscal_year = models.PositiveSmallIntegerField(_("生まれた年度"), default=0)
    loss = models.CharField(_("お別れの種類"), max_length=12, blank=True)
    lost_fiscal_year = models.PositiveSmallIntegerField(_("ご連絡の年度"), default=0)
    count = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("消去した家族の件数")
        verbose_name_plural = _("消去した家族の件数")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "municipality",
                    "registered_fiscal_year",
                    "bucket",
                    "channel",
                    "origin",
                    "born_fiscal_year",
                    "loss",
                    "lost_fiscal_year",
                ],
                name="one_erased_families_row_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.registered_fiscal_year} {self.bucket}: {self.count}"


class ErasedLeavers(models.Model):
    """Readers who left and were erased, by the year they left, their reason and their family's
    stage then: erasure takes the child whose stage the report shows, so it is kept here first."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体")
    )
    left_fiscal_year = models.PositiveSmallIntegerField(_("配信を停止した年度"))
    reason = models.CharField(_("理由"), max_length=200)
    stage = models.CharField(_("時期"), max_length=12)
    count = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("消去した読者の配信停止の件数")
        verbose_name_plural = _("消去した読者の配信停止の件数")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "left_fiscal_year", "reason", "stage"],
                name="one_erased_leavers_row_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.left_fiscal_year} {self.reason}/{self.stage}"
