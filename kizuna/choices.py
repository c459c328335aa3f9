"""Vocabulary shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The languages Kizuna writes in: Japanese, やさしい日本語, and the 母子健康手帳 languages of
    Japan's largest foreign-resident groups. Codes are Django's (BCP 47, lower case)."""

    JA = "ja", _("日本語")
    JA_EASY = "ja-easy", _("やさしい日本語")
    EN = "en", _("英語")
    ZH_HANS = "zh-hans", _("中国語（簡体字）")
    KO = "ko", _("韓国語")
    VI = "vi", _("ベトナム語")
    PT_BR = "pt-br", _("ポルトガル語")
    TL = "tl", _("タガログ語")
    NE = "ne", _("ネパール語")


LANGUAGE_CODE_MAX_LENGTH = 12


class Channel(models.TextChoices):
    EMAIL = "email", _("メール")
    LINE = "line", "LINE"


class Cadence(models.TextChoices):
    """How often a band of the programme writes (content.programme.BANDS)."""

    DAILY = "daily", _("毎日")
    EVERY_3_DAYS = "every_3_days", _("3日ごと")
    WEEKLY = "weekly", _("週1回")
    EVERY_14_DAYS = "every_14_days", _("2週ごと")
    MONTHLY = "monthly", _("月1回")
    OFF = "off", _("なし")


# The three presets staff start from (municipalities' admin), band -> cadence.
CADENCE_PRESETS: dict[str, tuple[str, dict[str, Cadence]]] = {
    "daily": (
        "毎日（きずなメール型）",
        {
            "pregnancy": Cadence.DAILY,
            "newborn": Cadence.DAILY,
            "infant": Cadence.EVERY_3_DAYS,
            "age_one": Cadence.WEEKLY,
            "age_two": Cadence.EVERY_14_DAYS,
            "preschool": Cadence.MONTHLY,
        },
    ),
    "weekly": (
        "週1回",
        {
            "pregnancy": Cadence.WEEKLY,
            "newborn": Cadence.WEEKLY,
            "infant": Cadence.WEEKLY,
            "age_one": Cadence.WEEKLY,
            "age_two": Cadence.EVERY_14_DAYS,  # texts are written every 14 days at 2
            "preschool": Cadence.MONTHLY,
        },
    ),
    "light": (
        "軽め",
        {
            "pregnancy": Cadence.WEEKLY,
            "newborn": Cadence.WEEKLY,
            "infant": Cadence.MONTHLY,
            "age_one": Cadence.MONTHLY,
            "age_two": Cadence.MONTHLY,
            "preschool": Cadence.MONTHLY,
        },
    ),
}
