from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services
from .models import AuditEvent


@receiver(user_logged_in)
def logged_in(sender, request, user, **kwargs) -> None:
    services.record(AuditEvent.Action.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.record(AuditEvent.Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The username tried, never the password (Django already masks it in ``credentials``).
    services.record(
        AuditEvent.Action.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", ""))[:150],
    )
