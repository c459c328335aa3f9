"""The real pack has a Japanese text for every step the daily programme promises.

Every stage of the finest cadence (毎日（きずなメール型）) to the longest end (小学1年生の3月,
7歳11か月) and the birthdays 1 to 7. It fails until the writers' texts are merged.
"""

from content import pack_checks
from content.pack import iter_pack_files, read_text
from content.programme import FINEST


def test_every_promised_japanese_step_has_a_text():
    texts = [read_text(path) for path in iter_pack_files("ja")]
    missing = pack_checks.missing_steps(texts, FINEST)
    assert missing == [], f"{len(missing)} stages without a Japanese text, e.g. {missing[:5]}"
    assert pack_checks.missing_birthdays(texts, FINEST) == []
