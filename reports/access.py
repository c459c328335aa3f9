"""Who sees which municipality's report: its own staff (editors and viewers), and operators."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from municipalities.access import roles_for_request
from municipalities.models import Municipality


def report_municipalities(request: HttpRequest):
    roles = roles_for_request(request)
    if roles.superuser or roles.operator:
        return Municipality.objects.all()
    return Municipality.objects.filter(pk__in=roles.viewer_of)


def report_municipality(request: HttpRequest, pk: int) -> Municipality:
    """404 for a municipality the user does not work for, whether or not it exists."""
    return get_object_or_404(report_municipalities(request), pk=pk)


def can_enter_births(request: HttpRequest, municipality: Municipality) -> bool:
    roles = roles_for_request(request)
    return roles.superuser or municipality.pk in roles.editor_of
