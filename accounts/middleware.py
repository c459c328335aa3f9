from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from kizuna.security import is_staff_path


class RequireTwoFactorMiddleware:
    """A staff account that has not passed its second factor in this session reaches nothing on
    the staff side but the admin's login and logout; everything else leads to enrolment or
    verification first. Runs after django-otp's OTPMiddleware (``user.is_verified``)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor')}?{query}")
        return self.get_response(request)

    def _must_verify(self, request: HttpRequest) -> bool:
        if not settings.KIZUNA_REQUIRE_2FA or not is_staff_path(request.path_info):
            return False
        user = request.user
        if not user.is_authenticated or not user.is_staff or user.is_verified():
            return False
        admin = f"/{settings.KIZUNA_ADMIN_PATH}"
        return request.path_info not in (f"{admin}login/", f"{admin}logout/")
