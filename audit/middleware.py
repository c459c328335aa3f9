"""Records staff requests: every change (a POST that succeeded), every view of a page with a
parent's personal data and every export, as model or page name and object id."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

from kizuna.security import is_staff_path

from . import services
from .models import AuditEvent

# Admin pages of models that hold a parent's personal data.
PERSONAL_MODELS = {
    "subscribers.subscriber",
    "subscribers.child",
    "subscribers.subscription",
    "delivery.delivery",
}
# Signing in and out are recorded by the auth signals (audit.signals) as ログイン/ログアウト.
SIGNALLED_VIEWS = {"admin:login", "admin:logout"}
ADMIN_VIEW = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<page>changelist|change|history|delete)$"
)


def _object_id(request: HttpRequest) -> str:
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    ids = (value for key, value in sorted(kwargs.items()) if "pk" in key or key.endswith("id"))
    return ",".join(str(value) for value in ids)


class AuditMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = request.resolver_match
        if (
            user is None
            or not user.is_authenticated
            or not user.is_staff
            or match is None
            or response.status_code >= 400
        ):
            return response
        action, target = self._classify(request, match, response)
        if action:
            services.record(action, request=request, target=target, target_id=_object_id(request))
        return response

    def _classify(self, request: HttpRequest, match, response) -> tuple[str, str]:
        marked = getattr(match.func, "audit_action", "")
        if marked:
            return marked, match.func.audit_target
        admin = ADMIN_VIEW.match(match.view_name or "")
        personal = admin and f"{admin['app']}.{admin['model']}" in PERSONAL_MODELS
        # A change is a POST answered with a redirect (a form with errors is answered 200).
        changed = request.method == "POST" and 300 <= response.status_code < 400
        if changed and match.view_name in SIGNALLED_VIEWS:
            return "", ""
        if changed and is_staff_path(request.path_info):
            kind = AuditEvent.Action.OPERATOR if request.path_info.startswith("/ops/") else None
            return kind or AuditEvent.Action.CHANGE, match.view_name or request.path_info
        if request.method == "GET" and personal:
            return AuditEvent.Action.VIEW_PERSONAL, f"{admin['app']}.{admin['model']}"
        return "", ""
