from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineAccountsConfig(AppConfig):
    name = "line_accounts"
    verbose_name = _("LINE公式アカウントの設定")

    def ready(self) -> None:
        from delivery import line_events
        from delivery.senders import line
        from subscribers import erasure

        from . import relay, selectors, tokens

        line.register_flex_switch(selectors.flex_municipality_ids)
        line.register_account_options(selectors.account_options)
        line.register_token_source(tokens.token_for)
        erasure.register_step("line_accounts", selectors.forget_readers)
        line_events.register_webhook_tap(relay.keep)
