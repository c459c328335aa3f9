import pytest
from django.core.exceptions import ValidationError

from municipalities.codes import check_digit, code_problem, prefecture_of
from tests.factories import MunicipalityFactory


@pytest.mark.parametrize(
    ("code", "prefecture"),
    [
        ("131083", "東京都"),  # 江東区
        ("131059", "東京都"),  # 文京区
        ("281000", "兵庫県"),  # 神戸市: remainder 1 gives check digit 0
        ("202011", "長野県"),  # 長野市: remainder 0 gives check digit 1
        ("122076", "千葉県"),  # 松戸市
        ("011002", "北海道"),  # 札幌市
        ("472018", "沖縄県"),  # 那覇市
    ],
)
def test_real_codes_are_valid(code, prefecture):
    assert code_problem(code) is None
    assert check_digit(code[:5]) == int(code[5])
    assert prefecture_of(code) == prefecture


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("131084", "検査数字"),
        ("13108", "6桁"),
        ("1310833", "6桁"),
        ("１３１０８３", "半角"),
        ("13108a", "半角"),
        ("481001", "都道府県コード"),
        ("001009", "都道府県コード"),
    ],
)
def test_bad_codes_are_explained_in_japanese(code, words):
    assert words in code_problem(code)


@pytest.mark.django_db
def test_model_validation_rejects_a_bad_check_digit_and_a_mismatched_prefecture():
    municipality = MunicipalityFactory.build(code="131084", slug="koto")
    with pytest.raises(ValidationError) as error:
        municipality.full_clean()
    assert "code" in error.value.message_dict

    municipality = MunicipalityFactory.build(code="281000", prefecture="東京都", slug="kobe")
    with pytest.raises(ValidationError) as error:
        municipality.full_clean()
    assert "兵庫県" in error.value.message_dict["prefecture"][0]
