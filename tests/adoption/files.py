"""Messy reader files as other services export them."""

import io

import openpyxl

HEADER = (
    "メールアドレス,LINEユーザーID,続柄,ニックネーム,出産予定日,生年月日,同意日,配信方法,家族ID"
)
LINE_ID = "U" + "a1" * 16


def messy_rows(existing_email: str) -> list[str]:
    """Each row's fate is in the test that reads it (line numbers start at 2)."""
    return [
        "hana@example.jp,,本人,はな,2027/3/10,,2026/4/1,メール,F1",  # 2 create
        "taro@example.jp,,夫,たろう,2027/3/10,,2026/4/2,メール,F1",  # 3 merge with line 2
        f",{LINE_ID},ママ,さくら,,2026年9月1日,令和8年9月3日,LINE,F2",  # 4 create (LINE)
        "bad-date@example.jp,,本人,,2026/13/45,,2026/4/1,メール,",  # 5 bad date
        "old@example.jp,,本人,,,2019-01-05,2019/1/10,メール,",  # 6 beyond the programme
        f"{existing_email},,本人,,2027-02-01,,2026-05-01,メール,",  # 7 already registered
        ",U123,本人,,2027-02-01,,2026-05-01,LINE,",  # 8 malformed LINE id
        "HANA@example.jp,,本人,,2027/3/10,,2026/4/1,メール,",  # 9 duplicate of line 2
        "noconsent@example.jp,,本人,,2027/1/20,,,メール,",  # 10 no consent date
        "",  # a blank line is not a row
        "yuki@example.jp,,祖母,ゆき,2027-04-20,,2026-06-30 10:15,,",  # 12 create
    ]


def csv_bytes(rows: list[str], encoding: str = "cp932", bom: bool = False) -> bytes:
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def mixed_bytes(rows: list[str]) -> bytes:
    """Two exports pasted together: the header and first rows in Shift_JIS, the rest UTF-8."""
    half = len(rows) // 2
    first = "\r\n".join([HEADER, *rows[:half]]).encode("cp932")
    second = "\r\n".join(rows[half:]).encode("utf-8")
    return first + b"\r\n" + second + b"\r\n"


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
