from typing import Any

from django import template

from kizuna.i18n import LANGUAGE_NAMES

from .. import selectors

register = template.Library()


@register.inclusion_tag("languages/_switch.html", takes_context=True)
def language_switch(context: template.Context, municipality: Any) -> dict[str, Any]:
    """The municipality's languages, each by its own name, as a small form (no JavaScript)."""
    request = context.get("request")
    if municipality is None or not getattr(municipality, "pk", None) or request is None:
        return {"languages": []}
    offered = selectors.offered(municipality.pk)
    return {
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in offered]
        if len(offered) > 1
        else [],
        "municipality": municipality,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "current": getattr(request, "LANGUAGE_CODE", "ja"),
    }
