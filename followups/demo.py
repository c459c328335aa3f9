"""The demo's 8か月アンケート: Kizuna's own questions, written for this product.

Sent at 妊娠30週0日, the middle of the 8th month, so a 面談 or visit fits in before 36週.
Its thresholds are a starting point a municipality reviews, not a validated screen.
medical_review: pending (要確認: wording of 問2 and 問5 and their thresholds; the 8か月
questionnaire of 妊婦等包括相談支援事業 — こども家庭庁 手引き, 2025).
"""

from __future__ import annotations

from municipalities.models import Municipality

from .models import Questionnaire
from .services import import_questionnaire

TITLE = "8か月アンケート"

EIGHT_MONTHS = {
    "title": TITLE,
    "intro": (
        "妊娠8か月になりました。ここまで、本当におつかれさまです。\n"
        "出産に向けて、いまの様子を教えてください。"
        "気になるご様子のときや、ご希望があるときは、保健師からご連絡します。"
    ),
    "stage": {"track": "pregnancy", "unit": "week", "number": 30},
    "source": "Kizuna オリジナル（デモ）",
    "questions": [
        {
            "kind": "scored",
            "text": "このごろの、からだの調子はいかがですか。",
            "threshold": 2,
            "options": [
                {"points": 0, "label": "おおむね元気に過ごしている"},
                {"points": 1, "label": "ときどき、しんどい日がある"},
                {"points": 2, "label": "つらい日が多い"},
            ],
        },
        {
            "kind": "scored",
            "text": "気持ちの面はいかがですか。",
            "help_text": "妊娠中は、理由がなくても気持ちがゆれやすい時期です。",
            "threshold": 2,
            "options": [
                {"points": 0, "label": "おだやかに過ごせている"},
                {"points": 1, "label": "ときどき落ちこんだり、イライラしたりする"},
                {"points": 2, "label": "気持ちが沈む日が多く、つらい"},
            ],
        },
        {
            "kind": "multiple",
            "text": "いま、不安なことや気がかりなことはありますか（いくつでも）。",
            "required": False,
            "options": [
                "お産のこと",
                "赤ちゃんのお世話のこと",
                "お金や仕事のこと",
                "上のお子さんのこと",
                "パートナーや家族との関係",
                "自分のからだや気持ちのこと",
                "とくにない",
            ],
        },
        {
            "kind": "single",
            "text": "出産の準備は、どのくらい進んでいますか。",
            "options": [
                "だいたいできた",
                "少しずつ進めている",
                "まだこれから",
                "何を準備すればよいかわからない",
            ],
        },
        {
            "kind": "scored",
            "text": "出産のあと、家事や赤ちゃんのお世話を手伝ってくれる人はいますか。",
            "threshold": 2,
            "options": [
                {"points": 0, "label": "いる"},
                {"points": 1, "label": "少しはいる"},
                {"points": 2, "label": "いない・わからない"},
            ],
        },
        {
            "kind": "single",
            "text": "保健師との面談や、おうちへの訪問を希望しますか。",
            "options": [
                {"label": "いまは希望しない"},
                {"label": "面談を希望する", "contact": True},
                {"label": "家庭訪問を希望する", "contact": True},
                {"label": "まず電話で話したい", "contact": True},
            ],
        },
        {
            "kind": "text",
            "text": "ほかに伝えたいことや、聞いてみたいことがあれば、自由にお書きください。",
            "required": False,
        },
    ],
}


def ensure_demo_questionnaire(municipality: Municipality) -> Questionnaire:
    found = Questionnaire.objects.filter(municipality=municipality, title=TITLE).first()
    return found or import_questionnaire(municipality, EIGHT_MONTHS)
