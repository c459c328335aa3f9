from django.core.management.base import BaseCommand

from reviews.packfile import write_back


class Command(BaseCommand):
    help = (
        "医療監修の結果（監修者・日付・版）をコンテンツパックのファイルの front matter に書き戻します。"
        "本文と件名は変えません。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="書き換えるファイルを表示するだけ"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        changed = [result for result in write_back(dry_run=dry_run) if result.changed]
        for result in changed:
            self.stdout.write(f"  {result.path}")
        if dry_run:
            self.stdout.write(
                f"{len(changed)} 件のファイルが変わります（--dry-run のため書き換えていません）。"
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{len(changed)} 件のファイルを書き換えました。"))
