"""Which languages a municipality offers, and the order in which a reader's texts are looked for.

A reader of Nepali gets the Nepali text where one exists, else the やさしい日本語 one, else the
Japanese one (the fallback chain), and every message is in one language: the language the text
was found in also speaks the greeting, the footer and every part built by code. The settings
per municipality belong to the ``languages`` app (a higher layer), which registers itself here
from its ``AppConfig.ready()``; without it every municipality offers the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

JAPANESE = "ja"
EASY_JAPANESE = "ja-easy"
DEFAULT_OFFERED = ("ja", "en")


def default_chain(language: str, offered: Sequence[str]) -> tuple[str, ...]:
    """X → やさしい日本語 → 日本語 where やさしい日本語 is offered, else X → 日本語."""
    chain = [language]
    if language not in (JAPANESE, EASY_JAPANESE, "en") and EASY_JAPANESE in offered:
        chain.append(EASY_JAPANESE)
    chain.append(JAPANESE)
    return tuple(dict.fromkeys(chain))


OfferedFn = Callable[[int], tuple[str, ...]]
ChainFn = Callable[[int, str], tuple[str, ...]]

_offered: OfferedFn | None = None
_chain: ChainFn | None = None


def register(*, offered: OfferedFn, chain: ChainFn) -> None:
    """Called by the languages app: where a municipality's settings are read from."""
    global _offered, _chain
    _offered, _chain = offered, chain


def offered_languages(municipality_id: int) -> tuple[str, ...]:
    """The languages a municipality's pages and messages offer, Japanese first."""
    if _offered is None:
        return DEFAULT_OFFERED
    return _offered(municipality_id)


def language_chain(municipality_id: int, language: str) -> tuple[str, ...]:
    """The languages to look for a reader's text in, best first; always ends with Japanese."""
    if _chain is None:
        return default_chain(language, DEFAULT_OFFERED)
    chain = _chain(municipality_id, language)
    return tuple(dict.fromkeys([*chain, JAPANESE]))
