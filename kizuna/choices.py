"""Vocabulary shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    JA = "ja", _("日本語")
    EN = "en", _("英語")


class Channel(models.TextChoices):
    EMAIL = "email", _("メール")
    LINE = "line", "LINE"
