"""What a hostile staff text must never become in a page or a mail: a live tag or attribute.

Every payload carries a marker (``ev.il`` in a URL, ``kzx`` in a name or a script) so that an
injected element is told apart from the page's own markup: a marker may appear as text (escaped),
never inside a tag.
"""

from __future__ import annotations

import html.parser
import re

MARKERS = ("ev.il", "kzx")
URL_MARKERS = ("ev.il",)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data"}
# Tags no parent page or mail of ours uses at all.
FOREIGN_TAGS = {"base", "iframe", "frame", "object", "embed", "svg", "math", "applet"}


class _Inspector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag in FOREIGN_TAGS:
            self.problems.append(f"<{tag}>")
        # Django's CSRF token is random letters and digits: it may spell a marker by chance.
        csrf_token = ("name", "csrfmiddlewaretoken") in attrs
        for name, value in attrs:
            value = value or ""
            if csrf_token and name == "value":
                continue
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=>")
            if tag == "meta" and name == "http-equiv":
                self.problems.append(f"<meta http-equiv={value}>")
            if re.match(r"\s*(javascript|vbscript):", value, re.I):
                self.problems.append(f"<{tag} {name}={value}>")
            # A tel: link only dials: whatever a phone field holds cannot leave the page.
            inert = name == "href" and value.startswith("tel:")
            # Our own links carry signed tokens of random letters, which may spell ``kzx`` by
            # chance: in a URL, the payloads' marker is the host ``ev.il``.
            markers = URL_MARKERS if name in URL_ATTRIBUTES else MARKERS
            if not inert and any(marker in value.lower() for marker in markers):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag in ("script", "style"):
            self._inside = tag

    def handle_endtag(self, tag) -> None:
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data) -> None:
        if self._inside and (any(marker in data.lower() for marker in MARKERS) or "alert(" in data):
            self.problems.append(f"<{self._inside}>{data[:60]}")


def live_markup(document: str) -> list[str]:
    """Injected elements or attributes found in ``document`` (empty when it is harmless)."""
    inspector = _Inspector()
    inspector.feed(document)
    inspector.close()
    return inspector.problems


def plain_text_problems(text: str) -> list[str]:
    """Plain text and LINE show characters, never markup; but a Markdown link to javascript:
    must not come out as a link (the renderer writes links as 「文字（URL）」 or "text (URL)").
    A name typed as ``[x](javascript:…)`` stays those characters, which no mail client runs."""
    return re.findall(r"(?:（|[^\]] \()javascript:", text, re.I)
