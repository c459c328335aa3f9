"""Procurement papers drawn from the running configuration: a draft 個人情報ファイル簿 and the
list of security controls, each with the setting that enforces it and its value right now.

Nothing here is typed by hand per deployment except what the code cannot know (the backup
arrangement, ``KIZUNA_BACKUP_POLICY``); a changed setting changes the papers.
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.db import models

from kizuna.choices import Channel
from municipalities.models import Municipality
from subscribers import personal_data
from subscribers.models import Child, Subscriber

from .cells import Text
from .yearly import Row, Table

# Columns that are not about the person (keys, bookkeeping of the engine).
_SKIPPED = {"id", "municipality", "fingerprint", "rolled_up", "stages_checked_until"}


def _text(value: object) -> Text:
    return Text(str(value))


def _days(days: int) -> str:
    return f"{days:,}日"


def personal_models() -> list[type[models.Model]]:
    """Reader and child, and every model of any app that points at one of them."""
    found: list[type[models.Model]] = [Subscriber, Child]
    for model in apps.get_models():
        if model in found or model._meta.app_label in ("auth", "admin", "contenttypes"):
            continue
        if any(
            isinstance(f, models.ForeignKey) and f.related_model in (Subscriber, Child)
            for f in model._meta.get_fields()
        ):
            found.append(model)
    return found


def retention_of(model: type[models.Model]) -> str:
    label = model._meta.label_lower
    if label.startswith("delivery."):
        return (
            f"配信の行は{_days(settings.KIZUNA_DELIVERY_KEEP_DAYS)}、送信の記録は"
            f"{_days(settings.KIZUNA_SENT_HISTORY_DAYS)}（その後は件数だけ残します）"
        )
    return (
        f"配信停止から{_days(settings.KIZUNA_RETENTION_DAYS)}後に消去"
        f"（登録を完了しなかった方は{_days(settings.KIZUNA_UNCONFIRMED_DAYS)}後に削除）"
    )


def _is_item(f: models.Field) -> bool:
    """A field that records something about the person (not a key or the engine's bookkeeping)."""
    name = str(f.verbose_name)
    return not (f.is_relation or f.name in _SKIPPED or name.isascii())


def items_table() -> Table:
    """Each record about a reader and the items it holds, as a 個人情報ファイル簿 lists them."""
    download = set(personal_data.labels().values())
    rows = []
    for model in personal_models():
        names = list(
            dict.fromkeys(str(f.verbose_name) for f in model._meta.concrete_fields if _is_item(f))
        )
        if not names:
            continue
        shown = [name for name in names if name in download]
        rows.append(
            Row(
                str(model._meta.verbose_name),
                [
                    _text("、".join(names)),
                    _text("、".join(shown) if shown else "—"),
                    _text(retention_of(model)),
                ],
            )
        )
    return Table(
        "記録項目",
        ["記録（データの種類）", "記録項目", "うち本人がダウンロードできる項目", "保存期間"],
        rows,
        note="データベースの定義（各アプリのモデル）から作っています。アプリを加えると、この表に加わります。",
    )


def _storage() -> str:
    database = settings.DATABASES["default"]
    engine = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    host = database.get("HOST") or "同じサーバー"
    return f"{engine}（ホスト: {host}）。読者の連絡先は運用者のサーバーの外に保存しません。"


def _recipients() -> str:
    backend = str(settings.EMAIL_BACKEND).split(".")
    mail = backend[2] if len(backend) > 3 and backend[0] == "anymail" else "SMTPサーバー"
    return (
        "経常的な提供先はありません。配信のための委託先: メール配信事業者"
        f"（{mail}）、LINEで受け取る方はLINEヤフー株式会社（LINE Messaging API）。"
    )


def ledger_table(municipality: Municipality) -> Table:
    readers = Subscriber.objects.for_municipality(municipality).filter(erased_at__isnull=True)
    channels = "・".join(str(label) for _, label in Channel.choices)
    rows = [
        ("個人情報ファイルの名称", f"{municipality.service_name} 登録者ファイル"),
        ("行政機関等の名称", municipality.name),
        ("担当部署", municipality.sender_name),
        (
            "利用目的",
            "妊娠中の方と子育て中のご家庭に、妊娠週数・お子さまの月齢に合わせた情報を"
            f"{channels}でお届けするため。事業の評価（件数の集計のみ）のため。",
        ),
        (
            "記録範囲",
            f"{municipality.name}の配信に登録した、妊娠中の方・出産した方とそのご家族",
        ),
        (
            "記録情報の収集方法",
            "本人が登録ページまたはLINEで入力。自治体が以前のサービスから移行した場合は、その登録情報。",
        ),
        (
            "要配慮個人情報",
            "妊娠・出産・流産・死産などの情報を含みます（要配慮個人情報に当たるかは、"
            "自治体の個人情報保護の担当課にご確認ください）。",
        ),
        ("記録件数", f"{readers.count():,}人（消去済みを除く、この書類の作成時点）"),
        ("提供先", _recipients()),
        ("保管場所", _storage()),
        (
            "保存期間",
            f"配信停止から{_days(settings.KIZUNA_RETENTION_DAYS)}後に連絡先を消去"
            f"（KIZUNA_RETENTION_DAYS）。送信記録{_days(settings.KIZUNA_SENT_HISTORY_DAYS)}"
            f"（KIZUNA_SENT_HISTORY_DAYS）。操作記録{_days(settings.KIZUNA_AUDIT_RETENTION_DAYS)}"
            "（KIZUNA_AUDIT_RETENTION_DAYS）。",
        ),
        (
            "開示請求等",
            "本人は自分のデータをいつでもダウンロードできます（登録内容の変更ページ）。",
        ),
    ]
    return Table(
        "個人情報ファイル簿（案）",
        ["項目", "内容"],
        [Row(label, [Text(value)]) for label, value in rows],
        note="個人情報保護法第75条の個人情報ファイル簿の案です。"
        "提出前に担当課で確認し、必要に応じて書き直してください。",
    )


def _on(value: bool) -> str:
    return "有効" if value else "無効"


def controls_table() -> Table:
    """Security controls, each with the setting that enforces it and its value now."""
    middleware = settings.MIDDLEWARE
    cooloff = settings.AXES_COOLOFF_TIME
    cooloff_text = (
        f"{int(cooloff.total_seconds() // 60)}分"
        if isinstance(cooloff, datetime.timedelta)
        else str(cooloff)
    )
    hsts = getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0
    backup = getattr(settings, "KIZUNA_BACKUP_POLICY", "")
    rows = [
        (
            "職員の二要素認証（TOTP）",
            "KIZUNA_REQUIRE_2FA",
            _on(settings.KIZUNA_REQUIRE_2FA),
            "管理画面・職員ページ・運用画面は、認証アプリの確認コードなしでは開けません。",
        ),
        (
            "ログイン失敗時のロック（django-axes）",
            "KIZUNA_LOGIN_FAILURE_LIMIT／KIZUNA_LOCKOUT_MINUTES",
            f"{settings.AXES_FAILURE_LIMIT}回失敗で{cooloff_text}ロック",
            "ユーザー名とIPアドレスの組ごとに数えます。運用者が解除できます。",
        ),
        (
            "操作記録（監査証跡）",
            "audit.middleware.AuditMiddleware／KIZUNA_AUDIT_RETENTION_DAYS",
            f"{_on('audit.middleware.AuditMiddleware' in middleware)}、"
            f"{_days(settings.KIZUNA_AUDIT_RETENTION_DAYS)}保存",
            "職員の変更・個人情報の閲覧・書き出し・ログインを記録します（追記のみ）。",
        ),
        (
            "通信の暗号化（TLS・HSTS）",
            "SECURE_SSL_REDIRECT／SECURE_HSTS_SECONDS",
            f"HTTPSへの転送 {_on(bool(getattr(settings, 'SECURE_SSL_REDIRECT', False)))}、"
            f"HSTS {hsts:,}秒",
            "本番（DEBUG=false）では常に有効。Cookie は Secure・HttpOnly です。",
        ),
        (
            "セッションの自動終了",
            "KIZUNA_SESSION_IDLE_MINUTES",
            f"{settings.SESSION_COOKIE_AGE // 60}分操作がなければ終了",
            "",
        ),
        (
            "コンテンツ・セキュリティ・ポリシー",
            "CONTENT_SECURITY_POLICY",
            "script-src " + " ".join(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]),
            "保護者のページでインラインのスクリプトを実行しません。",
        ),
        (
            "保存期間と消去",
            "KIZUNA_RETENTION_DAYS／KIZUNA_UNCONFIRMED_DAYS",
            f"配信停止から{_days(settings.KIZUNA_RETENTION_DAYS)}、未確認の登録"
            f"{_days(settings.KIZUNA_UNCONFIRMED_DAYS)}",
            "毎日3時15分に消去の処理が動きます（erase-unsubscribed-readers）。",
        ),
        (
            "バックアップ",
            "KIZUNA_BACKUP_POLICY",
            backup or "未設定",
            "バックアップはサーバーの運用で取ります。暗号化し、取得できる人を限ってください。",
        ),
    ]
    return Table(
        "セキュリティ対策の一覧",
        ["対策", "設定", "現在の値", "内容"],
        [Row(a, [Text(b), Text(c), Text(d)]) for a, b, c, d in rows],
        note="この一覧は、動いているシステムの設定から作成しています。",
    )
