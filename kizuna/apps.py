"""App configurations: the admin site, and Japanese names for the libraries' admin sections."""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_celery_beat.apps import BeatConfig
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class KizunaAdminConfig(AdminConfig):
    default_site = "kizuna.admin_site.KizunaAdminSite"


class AxesConfig(AxesAppConfig):
    verbose_name = _("ログインの試行とロック")


def _name_models(app_config, names: dict) -> None:
    # django-otp names its models in plain English strings, out of reach of translations.
    for model_name, (singular, plural) in names.items():
        meta = app_config.get_model(model_name)._meta
        meta.verbose_name, meta.verbose_name_plural = singular, plural


class TOTPDevicesConfig(TOTPConfig):
    verbose_name = _("二要素認証（認証アプリ）")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"TOTPDevice": (_("認証アプリ"), _("認証アプリ"))})


class StaticDevicesConfig(StaticConfig):
    verbose_name = _("二要素認証（予備コード）")

    def ready(self) -> None:
        super().ready()
        _name_models(
            self,
            {
                "StaticDevice": (_("予備コードの組"), _("予備コードの組")),
                "StaticToken": (_("予備コード"), _("予備コード")),
            },
        )


class CeleryBeatConfig(BeatConfig):
    verbose_name = _("定期処理のスケジュール")
