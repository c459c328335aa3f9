"""The site's URLs plus views that fail on purpose, for the error-page tests only."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from kizuna.urls import handler400, handler403, handler404, handler500, urlpatterns


def broken(request):
    raise RuntimeError("a bug in a view")


def forbidden(request):
    raise PermissionDenied("not yours")


def malformed(request):
    raise BadRequest("unreadable")


urlpatterns = [
    path("test-errors/500/", broken),
    path("test-errors/403/", forbidden),
    path("test-errors/400/", malformed),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
