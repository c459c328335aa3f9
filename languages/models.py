from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.language_policy import DEFAULT_OFFERED, JAPANESE, default_chain
from kizuna.choices import Language


def _default_offered() -> list[str]:
    return list(DEFAULT_OFFERED)


class MunicipalityLanguages(models.Model):
    """The languages a municipality offers its families, and where each one's texts fall back to.

    A municipality without a row offers Japanese and English (content.language_policy).
    """

    municipality = models.OneToOneField(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="language_settings",
        verbose_name=_("自治体"),
    )
    offered = models.JSONField(
        _("提供する言語"),
        default=_default_offered,
        help_text=_(
            "登録ページの言語の切り替えと、メッセージに使う言語。日本語は必ず含まれます。"
            "言語コード: ja, ja-easy, en, zh-hans, ko, vi, pt-br, tl, ne（例: "
            '["ja", "ja-easy", "vi", "ne"]）。'
        ),
    )
    fallbacks = models.JSONField(
        _("文面がないときの代わりの言語"),
        default=dict,
        blank=True,
        help_text=_(
            "言語ごとに、その言語の文面がないときに使う言語の順番。空欄の言語は、やさしい日本語を"
            '提供していれば「その言語 → やさしい日本語 → 日本語」、そうでなければ「その言語 → 日本語」。例: {"ne": ["ja-easy", "ja"]}。'
            "1通のメッセージはいつも1つの言語で届きます。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("言語の設定")
        verbose_name_plural = _("言語の設定")

    def __str__(self) -> str:
        return str(self.municipality)

    def offered_languages(self) -> tuple[str, ...]:
        """The offered languages, Japanese first, in the order of kizuna.choices.Language."""
        chosen = set(self.offered or []) | {JAPANESE}
        return tuple(code for code in Language.values if code in chosen)

    def chain(self, language: str) -> tuple[str, ...]:
        """``language`` then its fallbacks, ending with Japanese."""
        configured = (self.fallbacks or {}).get(language)
        if configured:
            return tuple(dict.fromkeys([language, *configured, JAPANESE]))
        return default_chain(language, self.offered_languages())

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        offered = self.offered
        if not isinstance(offered, list) or not all(code in Language.values for code in offered):
            errors["offered"] = [
                _('言語コードの一覧で書いてください（例: ["ja", "vi"]）。使えるコード: %(codes)s')
                % {"codes": ", ".join(Language.values)}
            ]
        fallbacks = self.fallbacks
        if not isinstance(fallbacks, dict) or not all(
            code in Language.values
            and isinstance(chain, list)
            and all(each in Language.values for each in chain)
            for code, chain in fallbacks.items()
        ):
            errors["fallbacks"] = [
                _('{"言語コード": ["代わりの言語コード", …]} の形で書いてください。')
            ]
        if errors:
            raise ValidationError(errors)
