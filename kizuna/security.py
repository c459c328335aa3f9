"""Request facts that security code shares: which pages are staff pages, and the client's IP."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STAFF_PREFIXES_WITHOUT_ADMIN = ("/staff/", "/ops/")


def staff_prefixes() -> tuple[str, ...]:
    return (f"/{settings.KIZUNA_ADMIN_PATH}", *STAFF_PREFIXES_WITHOUT_ADMIN)


def is_staff_path(path: str) -> bool:
    return path.startswith(staff_prefixes())


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind our own TLS proxy, the one it forwarded for."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return request.META.get("REMOTE_ADDR", "")[:45]


class StaffPagesCSPMiddleware:
    """Staff pages show HTML mail as it will arrive (inline styles in a sandboxed frame):
    allow inline styles there, never scripts. Parent pages keep the strict policy."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_staff_path(request.path_info):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response
