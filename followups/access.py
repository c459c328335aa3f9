"""Who may read follow-up cases: only a municipality's health staff (保健師) and superusers.

Editors, viewers, operators and national content editors never see a family's name or answers
here; another municipality's staff never see them either.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from municipalities.access import roles_for_request
from municipalities.models import Municipality


def health_municipalities(request: HttpRequest) -> QuerySet[Municipality]:
    roles = roles_for_request(request)
    if roles.superuser:
        return Municipality.objects.all()
    return Municipality.objects.filter(pk__in=roles.health_of)


def is_health_staff(request: HttpRequest) -> bool:
    roles = roles_for_request(request)
    return roles.superuser or bool(roles.health_of)
