"""The printable review packet: one A4 page (or more) per version, for reviewers on paper.

The text as a reader's phone shows it (the plain text a LINE message carries), its ``facts:``,
tick boxes for the decision and room for comments, in the flyer's Japanese font (fpdf2).
"""

from __future__ import annotations

from fpdf import FPDF

from content.rendering import fill_plain, render_markdown
from kizuna import clock
from kizuna.fonts import add_japanese_fonts

from .models import TextVersion

# What the packet fills in for a text's placeholders: a reader as an example, not a real one.
EXAMPLE_VALUES = {
    "nickname": "はな",
    "municipality": "〇〇市",
    "service_name": "〇〇市子育て応援メール",
    "week": "20",
    "days_until_due": "140",
    "age_months": "4",
    "age_days": "120",
}
INK = (51, 51, 51)
MUTED = (110, 110, 110)


def packet_pdf(versions: list[TextVersion]) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title("医療監修用の資料")
    pdf.set_auto_page_break(True, margin=15)
    add_japanese_fonts(pdf)
    width = pdf.w - 30
    printed = clock.now().astimezone(clock.TOKYO)
    for version in versions:
        pdf.add_page()
        pdf.set_text_color(*MUTED)
        pdf.set_font("jp", "", 9)
        pdf.cell(
            width,
            5,
            f"医療監修用　ID {version.pk}　版 {version.short_hash}　{version.get_state_display()}"
            f"　{printed:%Y年%m月%d日}印刷",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(*INK)
        pdf.set_font("jp", "B", 13)
        pdf.multi_cell(
            width, 7, f"{version.stage_label}　{version.source_path}", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(2)
        pdf.set_font("jp", "B", 11)
        pdf.multi_cell(
            width, 6, fill_plain(version.subject, EXAMPLE_VALUES), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("jp", "", 10.5)
        text = render_markdown(version.body, EXAMPLE_VALUES, language=version.language or "ja").text
        pdf.set_fill_color(248, 248, 248)
        pdf.multi_cell(width, 5.6, text, fill=True, new_x="LMARGIN", new_y="NEXT")
        if version.facts:
            pdf.ln(3)
            pdf.set_font("jp", "B", 10.5)
            pdf.cell(width, 6, "根拠（facts）", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("jp", "", 9.5)
            for fact in version.facts:
                pdf.multi_cell(width, 5, f"・{fact}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("jp", "B", 11)
        pdf.cell(width, 7, "□ 承認　　　□ 修正依頼（下に理由を）", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("jp", "", 10)
        pdf.cell(width, 7, "コメント：", new_x="LMARGIN", new_y="NEXT")
        for _ in range(4):
            y = pdf.get_y() + 7
            pdf.line(15, y, pdf.w - 15, y)
            pdf.set_y(y)
        pdf.ln(4)
        pdf.cell(
            width,
            7,
            "監修者（氏名・専門分野）：　　　　　　　　　　　　　日付：",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
