from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LanguagesConfig(AppConfig):
    name = "languages"
    verbose_name = _("言語")

    def ready(self) -> None:
        from content import language_policy

        from . import selectors

        language_policy.register(offered=selectors.offered, chain=selectors.chain)
