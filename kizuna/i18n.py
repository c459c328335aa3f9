"""The languages of the pages and mails, and which source files hold what a parent reads.

Japanese is the source language: every msgid is the Japanese a page shows today, and each
``locale/<locale>/LC_MESSAGES/django.po`` translates the parent-facing ones. Staff pages stay
Japanese, so their strings are left untranslated (the check in ``scripts/check_messages.py``
looks only at entries with a location in :data:`PARENT_FACING_SOURCES`).

This module is read by ``kizuna/settings.py``: it imports nothing of Django but the language
table it extends.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf.locale import LANG_INFO

# The codes of kizuna.choices.Language, in the order the language switch lists them.
LANGUAGE_CODES = ("ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br", "tl", "ne")

# Each language's own name: a reader looks for the name of their language as they write it.
LANGUAGE_NAMES = {
    "ja": "日本語",
    "ja-easy": "やさしい日本語",
    "en": "English",
    "zh-hans": "简体中文",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "pt-br": "Português",
    "tl": "Tagalog",
    "ne": "नेपाली",
}

# Languages Django's own table lacks (django.conf.locale.LANG_INFO), added to it from settings.
EXTRA_LANG_INFO = {
    "ja-easy": {
        "bidi": False,
        "code": "ja-easy",
        "name": "Easy Japanese",
        "name_local": "やさしい日本語",
    },
    "tl": {"bidi": False, "code": "tl", "name": "Tagalog", "name_local": "Tagalog"},
}

# The gettext locale folder of each code (django.utils.translation.to_locale spells them so).
LOCALES = {
    "ja": "ja",
    "ja-easy": "ja_Easy",
    "en": "en",
    "zh-hans": "zh_Hans",
    "ko": "ko",
    "vi": "vi",
    "pt-br": "pt_BR",
    "tl": "tl",
    "ne": "ne",
}

# Where the fixed words a parent reads live (globs relative to the project root): the parent
# pages, the mails' fixed parts and the Python modules whose strings reach a parent. Staff pages
# (templates/*/staff/, the admin) are not listed: staff work in Japanese.
PARENT_FACING_SOURCES = (
    "templates/base.html",
    "templates/_error.html",
    "templates/400.html",
    "templates/403.html",
    "templates/404.html",
    "templates/500.html",
    "templates/subscribers/*.html",
    "templates/subscribers/email/*",
    "templates/content/email/*",
    "templates/surveys/*.html",
    "templates/followups/*.html",
    "templates/vaccinations/_dose.html",
    "templates/vaccinations/schedule.html",
    "templates/languages/*.html",
    "subscribers/forms.py",
    "subscribers/views.py",
    "subscribers/services.py",
    "subscribers/selectors.py",
    "surveys/forms.py",
    "followups/forms.py",
    "vaccinations/forms.py",
    "vaccinations/views.py",
    "content/rendering.py",
    "delivery/messages.py",
    "vaccinations/messages.py",
    "checkups/messages.py",
    "checkups/timings.py",
    "surveys/messages.py",
    "followups/messages.py",
    "kizuna/choices.py",
    "kizuna/i18n.py",
    "languages/views.py",
    "content/programme.py",  # the signup page's 「届くもの」 and the programme's end
    "subscribers/models.py",  # the relationship choices on the signup form
    "adoption/flyer.py",  # the signup flyer in the reader's language (?lang=)
)


def _pattern(glob: str) -> re.Pattern[str]:
    # ``*`` stays inside one folder: templates/surveys/*.html is not templates/surveys/staff/.
    return re.compile(
        "".join("[^/]*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", glob))
    )


_PATTERNS = tuple(_pattern(glob) for glob in PARENT_FACING_SOURCES)


def is_parent_facing(path: str) -> bool:
    """Whether a source path (relative to the project root, ``/`` separated) holds words a
    parent reads."""
    path = path.replace("\\", "/").removeprefix("./")
    return any(pattern.fullmatch(path) for pattern in _PATTERNS)


def install_lang_info() -> None:
    """Add the languages Django lacks to its table (get_language_info, the switch's names)."""
    for code, info in EXTRA_LANG_INFO.items():
        LANG_INFO.setdefault(code, info)


def settings_languages() -> list[tuple[str, str]]:
    """``settings.LANGUAGES``: every language Kizuna writes in, by its own name."""
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGE_CODES]


# Dates as each language writes them (Django's date-filter letters; D is the weekday, named in
# the active language). Kept here rather than in the .po files: a translator should not have to
# learn format letters.
_JAPANESE_DATES = {
    "date": "Y年n月j日",
    "weekday": "Y年n月j日（D）",
    "month_day": "n月j日",
    "month_day_weekday": "n月j日（D）",
    "datetime": "Y年n月j日 H:i",
}
DATE_FORMATS: dict[str, dict[str, str]] = {
    "ja": _JAPANESE_DATES,
    "ja-easy": _JAPANESE_DATES,
    "zh-hans": _JAPANESE_DATES,
    "ko": {
        "date": "Y년 n월 j일",
        "weekday": "Y년 n월 j일 (D)",
        "month_day": "n월 j일",
        "month_day_weekday": "n월 j일 (D)",
        "datetime": "Y년 n월 j일 H:i",
    },
    "en": {
        "date": "j F Y",
        "weekday": "D j F Y",
        "month_day": "j F",
        "month_day_weekday": "D j F",
        "datetime": "j F Y H:i",
    },
    # Django has no Tagalog catalog (month and weekday names would come out in Japanese):
    # numbers only, month first as in the Philippines.
    "tl": {
        "date": "m/d/Y",
        "weekday": "m/d/Y",
        "month_day": "m/d",
        "month_day_weekday": "m/d",
        "datetime": "m/d/Y H:i",
    },
}
for _code in ("vi", "pt-br"):
    DATE_FORMATS[_code] = {
        "date": "d/m/Y",
        "weekday": "D, d/m/Y",
        "month_day": "d/m",
        "month_day_weekday": "D, d/m",
        "datetime": "d/m/Y H:i",
    }
DATE_FORMATS["ne"] = {
    "date": "Y/m/d",
    "weekday": "Y/m/d (D)",
    "month_day": "m/d",
    "month_day_weekday": "m/d (D)",
    "datetime": "Y/m/d H:i",
}


def local_date(value: Any, style: str = "date", language: str | None = None) -> str:
    """A date (or an aware datetime, already in local time) as ``language`` writes it
    (default: the active language); ``style`` is a key of :data:`DATE_FORMATS`' entries."""
    from django.utils import dateformat, translation

    if value in (None, ""):
        return ""
    language = language or translation.get_language() or "ja"
    formats = DATE_FORMATS.get(language, _JAPANESE_DATES)
    return dateformat.format(value, formats.get(style, formats["date"]))


def has_catalog(language: str) -> bool:
    """Whether Kizuna's own words exist in ``language`` (a compiled catalog in LOCALE_PATHS)."""
    from django.conf import settings

    locale = LOCALES.get(language, language)
    return any(
        (Path(path) / locale / "LC_MESSAGES" / "django.mo").exists()
        for path in settings.LOCALE_PATHS
    )
