from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("配信")

    def ready(self) -> None:
        from . import (  # noqa: F401 (registers the deploy check; webhooks connects its receiver)
            checks,
            messages,
            personal_data,
            reader_events,
            webhooks,
        )

        messages.register()
        personal_data.register()
        reader_events.connect()
