"""The printable signup flyer: A4 PDF (fpdf2) with QR codes (segno), and a PNG of it (pdfium)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pypdfium2
import segno
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from kizuna.fonts import FontUnavailable, add_fallback_fonts, add_japanese_fonts
from municipalities.models import Municipality
from subscribers.links import absolute

INK = (51, 51, 51)
ACCENT = (214, 92, 122)
SOFT = (253, 239, 243)


# The flyer cannot be made on this machine; the message says what to install.
FlyerUnavailable = FontUnavailable


def signup_url(municipality: Municipality, source_tag: str = "") -> str:
    path = reverse("subscribers:landing", args=[municipality.slug])
    return absolute(path + (f"?{urlencode({'src': source_tag})}" if source_tag else ""))


def _qr_png(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


def _programme_end(months: int) -> str:
    if months == 36:
        return _("3歳の誕生日まで")
    return _("お子さんが生後%(months)sか月になるまで") % {"months": months}


def flyer_pdf(municipality: Municipality, source_tag: str = "", language: str = "ja") -> bytes:
    """The flyer, its fixed words in ``language`` (the municipality's names as they are)."""
    with translation.override(language):
        return _flyer_pdf(municipality, source_tag)


def _flyer_pdf(municipality: Municipality, source_tag: str) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_("%(service)s 登録のご案内") % {"service": municipality.service_name})
    pdf.set_author(municipality.sender_name)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    add_japanese_fonts(pdf)
    add_fallback_fonts(pdf)
    width = pdf.w - 30

    # Heading band
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 58, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(15, 14)
    pdf.set_font("jp", "", 15)
    pdf.cell(width, 8, _("%(town)sの妊娠・子育て応援メッセージ") % {"town": municipality.name})
    pdf.set_xy(15, 25)
    pdf.set_font("jp", "B", 30)
    pdf.multi_cell(width, 14, municipality.service_name)

    pdf.set_text_color(*INK)
    pdf.set_xy(15, 66)
    pdf.set_font("jp", "B", 15)
    pdf.multi_cell(
        width,
        8,
        _("妊娠中から%(end)s、その時期に合ったメッセージを無料でお届けします。")
        % {"end": _programme_end(municipality.programme_months)},
    )
    channels = "・".join(
        label
        for enabled, label in (
            (municipality.email_enabled, _("メール")),
            (municipality.line_enabled, "LINE"),
        )
        if enabled
    )
    received = [
        _("妊娠週数・お子さんの月齢に合わせた、赤ちゃんとママ・パパの今のようす"),
        _("%(town)sの子育て情報（健診・予防接種・教室・手当など）") % {"town": municipality.name},
        _("お誕生日のお祝いメッセージ"),
        _("パートナーや祖父母も、同じお子さんのメッセージを受け取れます"),
        _("受け取り方: %(channels)s。登録も配信停止もいつでもできます。") % {"channels": channels},
    ]
    pdf.set_xy(15, pdf.get_y() + 4)
    pdf.set_fill_color(*SOFT)
    top = pdf.get_y()
    pdf.rect(12, top - 2, pdf.w - 24, 8 + 8 * len(received), style="F")
    pdf.set_font("jp", "B", 12)
    pdf.set_xy(17, top)
    pdf.cell(width, 7, _("届くもの"))
    pdf.set_font("jp", "", 11.5)
    for number, line in enumerate(received):
        pdf.set_xy(19, top + 8 + 8 * number)
        pdf.cell(width - 6, 7, f"●  {line}")

    # QR codes
    qr_top = top + 18 + 8 * len(received)
    url = signup_url(municipality, source_tag)
    codes = [(_("登録はこちらから"), url, _("出産予定日か生年月日を入れるだけ"))]
    if municipality.line_enabled and municipality.line_friend_url:
        codes.append((_("LINEで受け取る"), municipality.line_friend_url, _("友だち追加して登録")))
    size = 62
    gap = (pdf.w - len(codes) * size) / (len(codes) + 1)
    for position, (title, data, note) in enumerate(codes):
        x = gap + position * (size + gap)
        pdf.set_font("jp", "B", 14)
        pdf.set_xy(x - 10, qr_top)
        pdf.cell(size + 20, 8, title, align="C")
        pdf.image(_qr_png(data), x=x, y=qr_top + 9, w=size, h=size)
        pdf.set_font("jp", "", 10)
        pdf.set_xy(x - 15, qr_top + 12 + size)
        pdf.cell(size + 30, 6, note, align="C")
    pdf.set_font("jp", "", 9)
    pdf.set_xy(15, qr_top + 22 + size)
    pdf.cell(width, 5, url, align="C")

    # Contacts and sender
    contacts = list(municipality.contacts.all())
    y = qr_top + 33 + size
    if contacts:
        pdf.set_draw_color(*ACCENT)
        pdf.line(15, y, pdf.w - 15, y)
        pdf.set_xy(15, y + 3)
        pdf.set_font("jp", "B", 12)
        pdf.cell(width, 7, _("ご相談窓口"))
        pdf.set_font("jp", "", 10.5)
        for number, contact in enumerate(contacts[:5]):
            pdf.set_xy(15, y + 11 + 6.5 * number)
            details = "　".join(part for part in (contact.phone, contact.hours) if part)
            pdf.cell(width, 6, f"{contact.name}　{details}")
    pdf.set_font("jp", "", 9)
    pdf.set_xy(15, pdf.h - 18)
    pdf.multi_cell(
        width,
        5,
        _(
            "発行: %(sender)s　登録は無料です（通信料はご負担ください）。"
            "いただいた情報はメッセージの配信にだけ使います。"
        )
        % {"sender": municipality.sender_name},
        align="C",
    )
    return bytes(pdf.output())


def flyer_png(
    municipality: Municipality, source_tag: str = "", *, scale: float = 2.0, language: str = "ja"
) -> bytes:
    """The flyer's page as a PNG for the web (and for checking the QR code in tests)."""
    document = pypdfium2.PdfDocument(flyer_pdf(municipality, source_tag, language))
    image = document[0].render(scale=scale).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
