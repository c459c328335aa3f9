"""The signup flyer in ベトナム語 and ネパール語: its words in the language, every letter in an
embedded font that has it."""

import re

import pypdfium2
import pytest

from adoption.flyer import flyer_pdf
from tests.factories import MunicipalityFactory
from tests.languages.conftest import write_catalog

pytestmark = pytest.mark.django_db

WORDS = {
    "vi": {"届くもの": "Bạn sẽ nhận được", "ご相談窓口": "Nơi tư vấn"},
    "ne": {"届くもの": "तपाईंले पाउने कुरा", "ご相談窓口": "परामर्श केन्द्र"},
}


@pytest.fixture
def flyer_words(settings, tmp_path):
    for language, words in WORDS.items():
        write_catalog(tmp_path, language, words)
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]


def _fonts_and_text(pdf: bytes) -> tuple[set[str], str]:
    fonts = set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([\w-]+)", pdf))
    page = pypdfium2.PdfDocument(pdf)[0]
    return {font.decode() for font in fonts}, page.get_textpage().get_text_range()


@pytest.mark.parametrize(("language", "font"), [("vi", "NotoSans"), ("ne", "NotoSansDevanagari")])
def test_the_flyer_speaks_the_language_in_fonts_that_have_its_letters(flyer_words, language, font):
    town = MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")
    town.contacts.create(name="江東区 保健相談所", phone="03-0000-1234")
    fonts, text = _fonts_and_text(flyer_pdf(town, language=language))
    for words in WORDS[language].values():
        assert words.replace(" ", "") in text.replace(" ", "")
    assert font in fonts, fonts
    assert any("CJK" in name for name in fonts)  # the municipality's names stay in Japanese


def test_the_japanese_flyer_is_unchanged_in_its_words(flyer_words):
    town = MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")
    _, text = _fonts_and_text(flyer_pdf(town))
    assert "届くもの" in text and "江東区の妊娠・子育て応援メッセージ" in text
