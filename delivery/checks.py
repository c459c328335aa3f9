"""``check --deploy``: an ESP whose tracking webhook has no secret would refuse every event."""

from collections.abc import Sequence

from django.apps import AppConfig
from django.core.checks import Tags, Warning, register

from .esp_webhooks import configured_esp, setup_problem


@register(Tags.security, deploy=True)
def esp_webhook_secret(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list[Warning]:
    esp = configured_esp()
    if esp is None:
        return []
    problem = setup_problem(esp)
    if problem is None:
        return []
    return [
        Warning(
            f"Mail goes through {esp}, but its tracking webhook cannot be trusted: {problem}.",
            hint=(
                "Set ANYMAIL_WEBHOOK_SECRET=user:password (and the ESP's signing key, if it has "
                "one) and give the ESP that URL. Until then every tracking call is refused, so "
                "bounces and complaints do not stop mail to the address."
            ),
            id="kizuna.W001",
        )
    ]
