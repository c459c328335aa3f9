"""Which surveys a staff user may read and send.

Answers are more personal than family counts, so only a municipality's own editors and viewers
(and superusers) see its surveys; operators and national content editors do not.
"""

from __future__ import annotations

from django.http import HttpRequest

from municipalities.access import roles_for_request
from municipalities.models import Municipality

from .models import Survey


def survey_municipalities(request: HttpRequest):
    roles = roles_for_request(request)
    if roles.superuser:
        return Municipality.objects.all()
    return Municipality.objects.filter(pk__in=roles.viewer_of)


def readable_surveys(request: HttpRequest):
    return Survey.objects.filter(municipality__in=survey_municipalities(request)).select_related(
        "municipality"
    )


def can_send(request: HttpRequest, survey: Survey) -> bool:
    roles = roles_for_request(request)
    return roles.superuser or survey.municipality_id in roles.editor_of
