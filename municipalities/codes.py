"""Japan's local government codes (全国地方公共団体コード) and prefectures."""

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
]  # fmt: skip

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The 6th digit of a local government code: 11 minus the weighted sum mod 11, last digit."""
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 6-digit code, in Japanese, or None when it is valid."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "市区町村コードは半角数字6桁で入力してください（例: 131083）。"
    if not 1 <= int(code[:2]) <= len(PREFECTURES):
        return "市区町村コードの先頭2桁は都道府県コード（01〜47）です。"
    if check_digit(code[:5]) != int(code[5]):
        return "市区町村コードの検査数字（6桁目）が正しくありません。"
    return None


def prefecture_of(code: str) -> str:
    """The prefecture named by a valid code's first two digits."""
    return PREFECTURES[int(code[:2]) - 1]
