from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from delivery import retention


class Command(BaseCommand):
    help = (
        f"保存期間（KIZUNA_DELIVERY_KEEP_DAYS、既定 {settings.KIZUNA_DELIVERY_KEEP_DAYS} 日）を過ぎた"
        "ステージ・誕生日メッセージの配信の行を日ごとの件数にまとめて削除し、送ったものは"
        "小さな送信記録として残します。送信記録も KIZUNA_SENT_HISTORY_DAYS を過ぎると削除します。"
        "ダッシュボードの件数は変わりません。--dry-run では件数を表示するだけで何も変更しません。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="件数だけ表示して何も変更しない")

    def handle(self, *args: str, dry_run: bool, **options: object) -> None:
        result = retention.roll_up(dry_run=dry_run, progress=self.stdout.write)
        verb = "まとめる予定" if dry_run else "まとめて削除"
        self.stdout.write(
            f"{result.through} までの {len(result.deleted)} 日分: {result.total:,} 件を{verb}"
            f"（{result.seconds:.1f} 秒）"
        )
        history_verb = "削除する予定" if dry_run else "削除"
        self.stdout.write(
            f"保存期間（KIZUNA_SENT_HISTORY_DAYS、{settings.KIZUNA_SENT_HISTORY_DAYS} 日）を過ぎた"
            f"送信記録（{result.history_through} まで）: {result.history_deleted:,} 件を{history_verb}"
        )
        if result.unfinished:
            days = "、".join(str(day) for day in result.unfinished)
            self.stdout.write(f"未送信の配信が残っているためまとめなかった日: {days}")
        if dry_run:
            self.stdout.write("（--dry-run のため何も変更していません）")
        else:
            self.stdout.write(self.style.SUCCESS("完了しました。"))
