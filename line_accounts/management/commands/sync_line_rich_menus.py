"""Create or update the stage rich menus on every LINE-enabled municipality's account."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from delivery.senders.line import channel_access_token
from municipalities.models import Municipality

from ...rich_menus import LineApiError, RichMenuApi, sync


class Command(BaseCommand):
    help = "Put the pregnancy, baby and toddler rich menus on each LINE account (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--municipality", help="only this municipality (slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        municipalities = Municipality.objects.filter(line_enabled=True).order_by("slug")
        if options["municipality"]:
            municipalities = municipalities.filter(slug=options["municipality"])
        failed = 0
        for municipality in municipalities:
            token = channel_access_token(municipality.slug)
            if not token:
                self.stdout.write(
                    f"{municipality.name}: チャネルアクセストークンが未設定のため飛ばしました"
                )
                continue
            try:
                result = sync(RichMenuApi(token))
            except LineApiError as error:
                failed += 1
                self.stderr.write(f"{municipality.name}: {error}")
                continue
            if result.changed:
                self.stdout.write(
                    f"{municipality.name}: 作成 {len(result.created)}、別名の付け替え "
                    f"{len(result.aliased)}、削除 {len(result.deleted)}"
                )
            else:
                self.stdout.write(f"{municipality.name}: 変更なし")
        if failed:
            raise SystemExit(1)
