"""Typed dates as families write them, checked by hand against the era tables."""

import datetime

import pytest

from kizuna.japanese_dates import DateFormatError, parse_date


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-03-01", datetime.date(2027, 3, 1)),
        ("2027/3/1", datetime.date(2027, 3, 1)),
        ("2027.3.1", datetime.date(2027, 3, 1)),
        ("2027年3月1日", datetime.date(2027, 3, 1)),
        ("２０２７年３月１日", datetime.date(2027, 3, 1)),  # full-width digits
        ("２０２７／０３／０１", datetime.date(2027, 3, 1)),
        (" 2027年 3月 1日 ", datetime.date(2027, 3, 1)),
        ("20270301", datetime.date(2027, 3, 1)),
        # 令和 began on 2019-05-01: 令和9年 is 2027, 令和元年 and 令和1年 are 2019.
        ("令和9年3月1日", datetime.date(2027, 3, 1)),
        ("令和９年３月１日", datetime.date(2027, 3, 1)),
        ("R9.3.1", datetime.date(2027, 3, 1)),
        ("r9/3/1", datetime.date(2027, 3, 1)),
        ("Ｒ９．３．１", datetime.date(2027, 3, 1)),
        ("㋿9年3月1日", datetime.date(2027, 3, 1)),  # the one-character era sign
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("令和1年5月1日", datetime.date(2019, 5, 1)),
        ("令和2年2月29日", datetime.date(2020, 2, 29)),  # a leap day
        # 平成 ran from 1989-01-08 to 2019-04-30: 平成30年 is 2018.
        ("平成30年12月25日", datetime.date(2018, 12, 25)),
        ("H30.12.25", datetime.date(2018, 12, 25)),
        ("㍻31年4月30日", datetime.date(2019, 4, 30)),
        ("平成元年1月8日", datetime.date(1989, 1, 8)),
        # Forms printed before May 2019 still say 平成31年: the date is unambiguous.
        ("平成31年5月1日", datetime.date(2019, 5, 1)),
        ("昭和64年1月7日", datetime.date(1989, 1, 7)),
    ],
)
def test_dates_are_read_as_written(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("あした", "日付を読み取れませんでした。2027年4月1日"),
        ("2027-02-30", "2027年2月30日という日付はありません。"),
        ("令和9年2月29日", "令和9年2月29日という日付はありません。"),  # 2027 is not a leap year
        ("令和元年4月30日", "令和は2019年5月1日からです"),
        ("平成元年1月7日", "平成は1989年1月8日からです"),
        ("平成32年1月1日", "平成は2019年までです"),
        ("令和0年5月1日", "令和0年という年はありません。"),
        ("2027/13/1", "2027年13月1日という日付はありません。"),
        ("", "日付を読み取れませんでした"),
        ("3/1", "日付を読み取れませんでした"),
    ],
)
def test_what_is_not_a_date_gets_a_japanese_reason(typed, message):
    with pytest.raises(DateFormatError, match=message):
        parse_date(typed)
