"""No page Kizuna renders is kept by a browser or proxy cache.

Most pages hold personal data (the manage page, the data download, survey results and exports,
import previews, the audit trail) or a CSRF token; a shared computer's back button or a caching
proxy must not show them to the next person. One rule, with no list to keep up to date: every
response Django renders gets ``Cache-Control: no-store``. Static files are served before this by
WhiteNoise, with their own long-lived headers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response
