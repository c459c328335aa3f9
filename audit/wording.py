"""What an audit event means, in words staff read: 「読者（ID 12）を閲覧」, not
``subscribers.subscriber`` or ``admin:login``. Pure: the event's fields in, a sentence out."""

from __future__ import annotations

import re

from django.apps import apps

# Pages the decorators and the middleware name, other than admin pages of a model.
PAGES = {
    "audit.events": "監査ログ",
    "surveys.responses": "アンケートの回答",
    "surveys.summary": "アンケートの集計",
    "adoption.importbatch": "読者の取り込み",
    "adoption.readers": "読者の一覧",
    "operations:retry": "失敗した配信の再試行",
    "operations:cancel": "配信の取り消し",
    "operations:pause": "配信の一時停止",
    "operations:resume": "配信の再開",
    "operations:lockouts": "ログインのロック解除",
    "urgent_notices:create": "緊急のお知らせの作成",
    "urgent_notices:edit": "緊急のお知らせの編集",
    "urgent_notices:act": "緊急のお知らせの承認・送信・取り下げ",
    "adoption:upload": "読者ファイルのアップロード",
    "adoption:confirm": "読者の取り込みの確定",
    "adoption:discard": "読者の取り込みの破棄",
    "adoption:moves": "配信方法の移行",
    "adoption:export": "読者の書き出し",
    "adoption:flyer": "登録チラシの作成",
    "surveys:staff_send": "読者アンケートの配信",
    "accounts:two_factor": "二要素認証の設定",
    "accounts:recovery_codes": "予備コードの再発行",
    "admin:password_change": "パスワードの変更",
}
ADMIN_PAGE = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<page>changelist|add|change|history|delete)$"
)
ACTIONS = {
    "view": "を閲覧",
    "export": "を書き出し",
    "change": "を変更",
    "operator": "",
}
ADMIN_VERBS = {
    "changelist": "の一覧で一括操作",
    "add": "を追加",
    "change": "を変更",
    "delete": "を削除",
    "history": "の変更履歴を閲覧",
}


def _model_name(app_label: str, model: str) -> str | None:
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except LookupError:
        return None


def describe(action: str, action_label: str, target: str, target_id: str) -> str:
    """One line saying what happened, in Japanese; empty when the action alone says it."""
    ids = f"（ID {target_id}）" if target_id else ""
    admin_page = ADMIN_PAGE.match(target)
    if admin_page:
        name = _model_name(admin_page["app"], admin_page["model"]) or target
        return f"{name}{ids}{ADMIN_VERBS[admin_page['page']]}"
    if target in PAGES:
        return f"{PAGES[target]}{ids}{ACTIONS.get(action, '')}".rstrip()
    if "." in target:
        app_label, _, model = target.partition(".")
        name = _model_name(app_label, model)
        if name:
            if action == "view" and not target_id:
                return f"{name}の一覧を閲覧"
            return f"{name}{ids}{ACTIONS.get(action, 'を' + action_label)}"
    if target:
        return f"{action_label}（{target}{ids}）"
    return ""  # the action says it all: ログイン, ログアウト
