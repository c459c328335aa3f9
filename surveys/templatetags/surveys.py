from django import template
from django.utils.safestring import mark_safe

from content.rendering import placeholder_values, render_markdown

register = template.Library()


@register.simple_tag
def survey_intro(survey, nickname: str = "") -> str:
    """The staff-written greeting, sanitised Markdown with placeholders filled in (escaped)."""
    values = placeholder_values(municipality=survey.municipality, nickname=nickname)
    return mark_safe(render_markdown(survey.intro, values).html)  # noqa: S308 (sanitised by nh3)


@register.filter
def pct(value) -> str:
    """97.6 → 「97.6%」; nothing to count → 「—」."""
    return "—" if value is None else f"{value}%"
