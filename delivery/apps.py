from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("配信")

    def ready(self) -> None:
        from . import checks, messages, reader_events, webhooks  # noqa: F401 (registers the deploy check; webhooks connects its receiver)

        messages.register()
        reader_events.connect()
