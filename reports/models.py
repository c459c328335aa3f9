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
